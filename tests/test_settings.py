"""Settings: the project's defaults in tests, whatever the developer's environment holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.settings import Settings


def test_a_rag_toml_in_the_working_folder_does_not_reach_the_tests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """conftest hides RAG_* variables and ./rag.toml."""
    (tmp_path / "rag.toml").write_text("top_k = 99\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert Settings().top_k == Settings.model_fields["top_k"].default


def test_a_config_file_named_by_rag_config_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "mine.toml"
    config.write_text("top_k = 9\n", encoding="utf-8")
    monkeypatch.setenv("RAG_CONFIG", str(config))
    assert Settings().top_k == 9
