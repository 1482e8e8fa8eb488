from __future__ import annotations

import faiss
import numpy as np
import pytest

from rag.index import vectors


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectors, "EXACT_LIMIT", 1000)


def _unit(n: int, dim: int = 32) -> np.ndarray:
    x = np.random.default_rng(1).normal(size=(n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_large_corpora_get_ivf_built_from_a_float16_file(small_limit: None, tmp_path) -> None:  # type: ignore[no-untyped-def]
    x = _unit(5000)
    np.save(tmp_path / "v.npy", x.astype(np.float16))
    stored = np.load(tmp_path / "v.npy", mmap_mode="r")  # as a segment keeps its vectors
    assert vectors.kind_of(vectors.build(stored[:900], np.arange(900))) == "flat"
    ivf = vectors.build(stored, np.arange(5000, dtype=np.int64) + 7)
    assert vectors.kind_of(ivf) == "ivf-sq8" and ivf.ntotal == 5000
    faiss.write_index(ivf, str(tmp_path / "v.faiss"))
    loaded = vectors.load(tmp_path / "v.faiss")
    _, ids = loaded.search(x[:50], 1)
    assert (ids[:, 0] == np.arange(50) + 7).mean() >= 0.95
    np.testing.assert_allclose(loaded.reconstruct(9), x[2], atol=0.02)


def test_exact_indexes_load_memory_mapped_and_search_as_written(tmp_path) -> None:  # type: ignore[no-untyped-def]
    x = _unit(500)
    flat = vectors.build(x, np.arange(500, dtype=np.int64) + 3)
    faiss.write_index(flat, str(tmp_path / "v.faiss"))
    loaded = vectors.load(tmp_path / "v.faiss")
    # the vectors are a view of the file, not a copy in this process's memory
    assert not faiss.downcast_index(faiss.downcast_index(loaded).index).codes.is_owned
    assert vectors.search(loaded, x[7], 5) == vectors.search(flat, x[7], 5)
    assert vectors.search(loaded, x[7], 1)[0][0] == 10


@pytest.mark.parametrize(
    ("admitted", "exact_filtered"),
    [(np.arange(100, 130), 20_000), (np.arange(0, 5000, 2), 20_000), (np.arange(0, 5000, 2), 0)],
    ids=["narrow-exact", "broad-exact", "broad-ivf-selector"],
)
def test_filtered_search_returns_the_best_admitted_vectors(
    small_limit: None, monkeypatch: pytest.MonkeyPatch, admitted: np.ndarray, exact_filtered: int
) -> None:
    monkeypatch.setattr(vectors, "EXACT_FILTERED", exact_filtered)
    x = _unit(5000)
    flat = vectors.empty(32)
    flat.add_with_ids(x, np.arange(5000, dtype=np.int64))
    query = x[101] + 0.5 * x[3]
    expected = admitted[np.argsort(-(x[admitted] @ query))[:5]].tolist()
    ivf = vectors.build(x, np.arange(5000, dtype=np.int64))
    assert [i for i, _ in vectors.search(flat, query, 5, admitted)] == expected
    found = [i for i, _ in vectors.search(ivf, query, 5, admitted)]
    if exact_filtered:
        assert found == expected
    else:  # the IVF ranking itself, restricted to the admitted ids
        unfiltered = [i for i, _ in vectors.search(ivf, query, 5000)]
        assert found == [i for i in unfiltered if i in set(admitted.tolist())][:5]


def test_released_pages_of_a_written_memmap_keep_their_data(tmp_path) -> None:  # type: ignore[no-untyped-def]
    x = _unit(3000).astype(np.float16)
    written = np.lib.format.open_memmap(tmp_path / "v.npy", mode="w+", dtype=np.float16, shape=x.shape)
    written[:] = x
    vectors.release_pages(written)  # dropped from this process, not from the file
    np.testing.assert_array_equal(written[:], x)
    del written
    np.testing.assert_array_equal(np.load(tmp_path / "v.npy"), x)
    vectors.release_pages(x)  # an ordinary array: nothing to release
