"""The ``rag`` command's parsing and its one-line errors, in process and without the model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.app.cli import main


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["frag", "Wie viel?"])
    assert exit_.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_unknown_options_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["docs", "--verbose"])
    assert "unrecognized arguments: --verbose" in capsys.readouterr().err


def test_an_empty_index_lists_no_documents(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", "--index", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["docs", "--index", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == "0 documents"


def test_user_errors_are_one_line_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "   ", "--index", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == "rag ask: Bitte eine Frage eingeben.\n"
    assert main(["remove", "nie-gesehen.txt", "--index", str(tmp_path)]) == 1
    out = capsys.readouterr()
    assert out.err.startswith("error: nie-gesehen.txt: no such document") and "Traceback" not in out.err
    assert "0 removed, 1 failed" in out.out


def test_a_damaged_index_is_reported_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "CURRENT").write_text("gen-missing", encoding="utf-8")
    assert main(["docs", "--index", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rag docs: ") and "damaged" in err and err.count("\n") == 1


def test_optimize_reports_what_the_index_holds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["optimize", "--index", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == "0 documents, 0 chunks"
