"""The real web chat on loopback, driven through gradio_client: real index, real model, no mocks."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from rag.api import RAG
from rag.app.server import running_server
from rag.app.uploads import safe_name
from rag.settings import Settings
from tests.webserver import SEEDS, free_port

pytestmark = pytest.mark.slow

AID_2024 = "Wie viel Hilfe wurde 2024 zugesagt?"
WORLD_CUP = "Wer hat die Fußball-Weltmeisterschaft 2014 gewonnen?"


@contextmanager
def serving(rag: RAG, settings: Settings) -> Iterator[Client]:
    """The web chat (with the JSON API beside it) on a free loopback port, with a client connected to it."""
    with running_server(rag, settings.model_copy(update={"server_host": "127.0.0.1"}), free_port()) as url:
        yield Client(url, verbose=False)


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of seeds/ built once; tests that change documents use ``rag`` on this one."""
    index = tmp_path_factory.mktemp("web") / "index"
    RAG.build([SEEDS], index=index, settings=Settings(index_dir=index))
    return index


@pytest.fixture(scope="session")
def pristine_index(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the seeds index taken before any upload, for apps with other settings."""
    copy = tmp_path_factory.mktemp("web-copy") / "index"
    shutil.copytree(index_dir, copy)
    return copy


@pytest.fixture(scope="session")
def rag(index_dir: Path, pristine_index: Path) -> RAG:
    return RAG.open(index_dir, Settings(index_dir=index_dir))


@pytest.fixture(scope="session")
def client(rag: RAG) -> Iterator[Client]:
    with serving(rag, rag.settings) as c:
        yield c


def _doc_ids(rows: Any) -> list[str]:
    rows = rows["data"] if isinstance(rows, dict) else rows
    return [row[0] for row in rows]


def _text(message: dict[str, Any]) -> str:
    content = message["content"]
    return content if isinstance(content, str) else " ".join(str(part.get("text", part)) for part in content)


def test_answer_with_linked_citation_and_highlighted_source(client: Client) -> None:
    answer, sources = client.predict(AID_2024, "", api_name="/ask")
    assert "50 Milliarden" in answer and '<a href="#quelle-1">[1]</a>' in answer
    assert "Verstanden als" not in answer  # the question was used as typed
    assert 'id="quelle-1"' in sources and "50 Milliarden" in sources.split("<mark>")[1].split("</mark>")[0]


def test_follow_up_with_history(client: Client) -> None:
    history = [{"role": "user", "content": AID_2024}, {"role": "assistant", "content": "Rund 50 Milliarden Euro [1]."}]
    answer, sources = client.predict("Und für 2025?", json.dumps(history), api_name="/ask")
    assert "20 Milliarden" in answer and "Verstanden als" in answer and "2025" in answer
    assert "<mark>" in sources


def test_chat_streams_into_the_conversation_and_follow_ups_use_it(client: Client) -> None:
    job = client.submit(AID_2024, [], api_name="/chat")
    chat, sources, box = job.result(timeout=120)
    assert [m["role"] for m in chat] == ["user", "assistant"] and box == ""
    assert "50 Milliarden" in _text(chat[-1]) and "<mark>" in sources
    assert "Suche in den Artikeln" in _text(job.outputs()[0][0][-1])  # shown at once, before the answer
    # The chat comes back from the browser in Gradio 6's content-parts format; the follow-up must read it.
    chat, sources, _ = client.predict("Und für 2025?", chat, api_name="/chat")
    assert len(chat) == 4 and "20 Milliarden" in _text(chat[-1]) and "Verstanden als" in _text(chat[-1])


def test_abstention_looks_different_and_shows_the_nearest_passages(client: Client) -> None:
    answer, sources = client.predict(WORLD_CUP, "", api_name="/ask")
    assert answer.startswith("ℹ️ **Keine Angabe in den Artikeln**") and "keine Angaben" in answer
    assert "Nächstliegende Passagen" in sources and "<mark>" not in sources and sources.count('class="quelle') <= 3


def test_bad_input_gives_a_message_and_the_server_keeps_answering(client: Client) -> None:
    assert client.predict("", "", api_name="/ask")[0] == "⚠️ Bitte eine Frage eingeben."
    assert "zu lang" in client.predict("x" * 3000, "", api_name="/ask")[0]
    assert "JSON" in client.predict(AID_2024, "{kaputt", api_name="/ask")[0]
    chat, _, _ = client.predict("   ", [], api_name="/chat")
    assert _text(chat[-1]).startswith("⚠️")
    assert "Den Haag" in client.predict("Wo soll die neue Zielvorgabe vereinbart werden?", "", api_name="/ask")[0]


def test_article_text_cannot_inject_html_or_links(client: Client, tmp_path: Path) -> None:
    evil = tmp_path / "evil.txt"
    evil.write_text(
        "Hafenfest in Kiel\n\n02.12.2025\n\nDas Hafenfest in Kiel zählte <img src=x onerror=alert(1)> "
        "[klick](javascript:alert(1)) genau 7312 Besucher am Sonntag.",
        encoding="utf-8",
    )
    status, _, _ = client.predict([handle_file(evil)], api_name="/upload")
    assert "✅ evil.txt: hinzugefügt" in status
    try:
        answer, sources = client.predict("Wie viele Besucher zählte das Hafenfest in Kiel?", "", api_name="/ask")
        assert "7312" in answer
        assert "&lt;img src=x" in answer and "<img" not in answer  # shown as text, not as an element
        assert "\\[klick\\](javascript" in answer  # escaped: Markdown shows brackets, makes no link
        assert "&lt;img src=x" in sources and "<img" not in sources
    finally:
        client.predict(["evil.txt"], api_name="/delete")


def test_upload_ask_and_delete(client: Client, tmp_path: Path) -> None:
    good = tmp_path / "bahn streik.txt"
    good.write_text(
        "Bahnstreik in Bayern\n\n03.12.2025\n\nDie Gewerkschaft hat einen Streik von 40 Stunden in Bayern "
        "angekündigt. Betroffen sind vor allem Pendler in München.",
        encoding="utf-8",
    )
    bad = tmp_path / "kaputt.txt"
    bad.write_bytes(b"\x00\x01\x02\x03 binary \xff\xfe")
    wrong = tmp_path / "programm.exe"
    wrong.write_bytes(b"MZ")
    with pytest.raises(AppError, match="Invalid file type"):
        client.predict([handle_file(wrong)], api_name="/upload")
    status, table, choices = client.predict([handle_file(good), handle_file(bad)], api_name="/upload")
    assert "✅ bahn_streik.txt: hinzugefügt" in status
    assert "❌ kaputt.txt:" in status and "binary" in status
    assert "bahn_streik.txt" in _doc_ids(table) and "kaputt.txt" not in _doc_ids(table)
    answer, _ = client.predict("Wie lange soll der Streik in Bayern dauern?", "", api_name="/ask")
    assert "40 Stunden" in answer and "Keine Angabe" not in answer

    status, table, _ = client.predict(["bahn_streik.txt"], api_name="/delete")
    assert "🗑️ bahn_streik.txt: entfernt" in status and "bahn_streik.txt" not in _doc_ids(table)
    assert "bahn_streik.txt" not in _doc_ids(client.predict(api_name="/documents"))
    answer, _ = client.predict("Wie lange soll der Streik in Bayern dauern?", "", api_name="/ask")
    assert "40 Stunden" not in answer
    status, _, _ = client.predict(["bahn_streik.txt"], api_name="/delete")
    assert "❌" in status  # already gone: said so, nothing breaks

    status, table, _ = client.predict([handle_file(good)], api_name="/upload")  # back after a delete
    assert "✅ bahn_streik.txt: hinzugefügt" in status and "bahn_streik.txt" in _doc_ids(table)
    client.predict(["bahn_streik.txt"], api_name="/delete")


def test_upload_names_are_sanitised_and_seed_names_protected(client: Client, rag: RAG, tmp_path: Path) -> None:
    assert safe_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_name("..\\..\\win dows.md") == "win_dows.md"
    assert safe_name(".hidden.txt") == "hidden.txt" and safe_name("ü ber;rm -rf.txt") == "ü_ber_rm_-rf.txt"
    seed = next(SEEDS.glob("*.txt"))
    clash = tmp_path / seed.name
    clash.write_text("Etwas ganz anderes\n\nDieser Text soll den Seed-Artikel nicht ersetzen.", encoding="utf-8")
    status, _, _ = client.predict([handle_file(clash)], api_name="/upload")
    assert f"❌ {seed.name}:" in status and "umbenennen" in status
    assert seed.name in {d.file for d in rag.documents()}
    assert not (rag.index_dir / "uploads" / seed.name).exists()


def test_oversized_upload_is_rejected(rag: RAG, tmp_path: Path) -> None:
    """The web chat tells Gradio the limit, so an oversized file is refused before it is sent
    (the JSON API's own check is tested in test_http_api)."""
    big = tmp_path / "gross.txt"
    big.write_text("Großer Artikel\n\n" + "Ein Satz über nichts. " * 60_000, encoding="utf-8")  # ~1.3 MB
    small = rag.settings.model_copy(update={"max_upload_mb": 1})
    with serving(rag, small) as small_limit, pytest.raises(ValueError, match="maximum file size"):
        small_limit.predict([handle_file(big)], api_name="/upload")
    assert "gross.txt" not in {d.file for d in rag.documents()}


def test_llm_server_down_is_a_message_not_a_crash(pristine_index: Path, client: Client) -> None:
    settings = Settings(
        index_dir=pristine_index,
        answer_backend="llm",
        llm_base_url=f"http://127.0.0.1:{free_port()}/v1",
        llm_timeout_s=5,
    )
    with serving(RAG.open(pristine_index, settings), settings) as llm_client:
        answer, sources = llm_client.predict(AID_2024, "", api_name="/ask")
        assert answer.startswith("⚠️") and "nicht erreichbar" in answer and sources == ""
        answer, _ = llm_client.predict(WORLD_CUP, "", api_name="/ask")  # the gate still abstains without it
        assert "Keine Angabe in den Artikeln" in answer
    assert "50 Milliarden" in client.predict(AID_2024, "", api_name="/ask")[0]


def test_llm_answer_streams_token_by_token(pristine_index: Path) -> None:
    from tests.llm_server import running_llm_server

    with running_llm_server() as url:
        settings = Settings(
            index_dir=pristine_index,
            answer_backend="llm",
            llm_base_url=url,
            llm_model="gemma-3-270m",
            llm_max_tokens=48,
        )
        with serving(RAG.open(pristine_index, settings), settings) as llm_client:
            job = llm_client.submit(AID_2024, [], api_name="/chat")
            job.result(timeout=180)
            texts = [_text(chat[-1]) for chat, _, _ in job.outputs()]
    partial = [t for t in texts[1:-1] if not t.startswith("⚠️")]
    assert len(partial) >= 2, texts  # several growing versions reached the client, not one final answer
    assert len(partial[-1]) > len(partial[0])
    assert not texts[-1].startswith("⚠️")
