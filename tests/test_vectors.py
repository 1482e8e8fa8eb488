from __future__ import annotations

import faiss
import numpy as np
import pytest

from rag import vectors


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectors, "EXACT_LIMIT", 1000)


def _unit(n: int, dim: int = 32) -> np.ndarray:
    x = np.random.default_rng(1).normal(size=(n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_large_corpora_switch_to_ivf_and_back(small_limit: None, tmp_path) -> None:  # type: ignore[no-untyped-def]
    x = _unit(5000)
    index = vectors.empty(32)
    index.add_with_ids(x, np.arange(5000, dtype=np.int64) + 7)
    assert vectors.kind_of(index) == "flat"
    ivf = vectors.fit(index)
    assert vectors.kind_of(ivf) == "ivf-sq8" and ivf.ntotal == 5000
    faiss.write_index(ivf, str(tmp_path / "v.faiss"))
    loaded = vectors.tune(faiss.read_index(str(tmp_path / "v.faiss")))
    _, ids = loaded.search(x[:50], 1)
    assert (ids[:, 0] == np.arange(50) + 7).mean() >= 0.95
    np.testing.assert_allclose(loaded.reconstruct(9), x[2], atol=0.02)
    vectors.remove(loaded, np.arange(7, 4200))
    assert loaded.ntotal == 807
    back = vectors.fit(loaded)
    assert vectors.kind_of(back) == "flat" and sorted(vectors.all_ids(back)) == list(range(4200, 5007))
