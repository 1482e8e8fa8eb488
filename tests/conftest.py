"""Tests see the project's defaults, not the developer's: no ``RAG_*`` variables, no ``./rag.toml``."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _default_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    saved = {k: v for k, v in os.environ.items() if k.startswith("RAG_")}
    for key in saved:
        del os.environ[key]
    os.environ["RAG_CONFIG"] = str(tmp_path_factory.mktemp("config") / "none.toml")  # no such file
    yield
    del os.environ["RAG_CONFIG"]
    os.environ.update(saved)
