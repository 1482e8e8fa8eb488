"""Shared fixtures. Tests see the project's defaults, not the developer's: no ``RAG_*`` variables, no ``./rag.toml``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from rag.api import RAG

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture(autouse=True, scope="session")
def _default_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    saved = {k: v for k, v in os.environ.items() if k.startswith("RAG_")}
    for key in saved:
        del os.environ[key]
    os.environ["RAG_CONFIG"] = str(tmp_path_factory.mktemp("config") / "none.toml")  # no such file
    yield
    del os.environ["RAG_CONFIG"]
    os.environ.update(saved)


@pytest.fixture(scope="session")
def fake_rag(tmp_path_factory: pytest.TempPathFactory, _default_settings: None) -> RAG:
    """The seed articles indexed with the deterministic fake embedder (``tests/fakes.py``): the whole
    pipeline in the fast tier, built once per session."""
    from rag.api import RAG
    from rag.index.local_store import LocalStore
    from rag.settings import Settings
    from tests.fakes import HashEmbedder

    rag = RAG(LocalStore.open(tmp_path_factory.mktemp("fake-index")), HashEmbedder(), Settings())
    report = rag.add([SEEDS])
    assert len(report.added) == 5 and not report.errors
    return rag


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory, _default_settings: None) -> Path:
    """The seed articles indexed once per session with the real model; tests open it read-only
    (``RAG.open(seed_index, settings)``) and build their own index when they write."""
    from rag.api import RAG

    index = tmp_path_factory.mktemp("seed-index")
    RAG.build([SEEDS], index=index)
    return index
