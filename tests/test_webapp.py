"""The real web chat on loopback, driven through gradio_client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from tests.webserver import running_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    with running_app(tmp_path_factory.mktemp("web") / "index") as url:
        yield Client(url, verbose=False)


def test_answer_with_linked_citation_and_highlighted_source(client: Client) -> None:
    answer, sources = client.predict("Wie viel Hilfe wurde 2024 zugesagt?", "", api_name="/ask")
    assert "50 Milliarden" in answer and '<a href="#quelle-1">[1]</a>' in answer
    assert 'id="quelle-1"' in sources and "<mark>" in sources and "50 Milliarden" in sources.split("<mark>")[1]


def test_follow_up_and_abstention(client: Client) -> None:
    history = [{"role": "user", "content": "Wie viel Hilfe wurde 2024 zugesagt?"},
               {"role": "assistant", "content": "Rund 50 Milliarden Euro [1]."}]  # fmt: skip
    answer, _ = client.predict("Und für 2025?", json.dumps(history), api_name="/ask")
    assert "20 Milliarden" in answer and "Verstanden als" in answer
    answer, sources = client.predict("Wer hat die Fußball-Weltmeisterschaft 2014 gewonnen?", "", api_name="/ask")
    assert "Keine Angabe in den Artikeln" in answer and "keine Angaben" in answer
    assert "Nächstliegende Passagen" in sources


def test_chat_endpoint_streams_into_the_conversation(client: Client) -> None:
    chat, sources, box = client.predict(
        "Wie viele Länder sind laut Blinken bereit, Kiew zu helfen?", [], api_name="/chat"
    )
    assert chat[-1]["role"] == "assistant" and "50 Länder" in str(chat[-1]["content"]) and box == ""


def test_bad_input_gives_a_message_and_the_server_keeps_answering(client: Client) -> None:
    assert client.predict("", "", api_name="/ask")[0].startswith("⚠️")
    assert "zu lang" in client.predict("x" * 3000, "", api_name="/ask")[0]
    assert "Den Haag" in client.predict("Wo soll die neue Zielvorgabe vereinbart werden?", "", api_name="/ask")[0]


def test_upload_ask_and_delete(client: Client, tmp_path: Path) -> None:
    good = tmp_path / "bahn streik.txt"
    good.write_text("Bahnstreik in Bayern\n\n03.12.2025\n\nDie Gewerkschaft hat einen Streik von 40 Stunden "
                    "in Bayern angekündigt. Betroffen sind vor allem Pendler in München.", encoding="utf-8")  # fmt: skip
    bad = tmp_path / "kaputt.txt"
    bad.write_bytes(b"\x00\x01\x02\x03 binary")
    wrong = tmp_path / "programm.exe"
    wrong.write_bytes(b"MZ")
    with pytest.raises(AppError, match="Invalid file type"):
        client.predict([handle_file(wrong)], api_name="/upload")
    status, table, _ = client.predict([handle_file(good), handle_file(bad)], api_name="/upload")
    assert "✅ bahn_streik.txt: hinzugefügt" in status
    assert "❌ kaputt.txt" in status and "binary" in status
    assert "bahn_streik.txt" in [row[0] for row in table["data"]]
    answer, _ = client.predict("Wie lange soll der Streik in Bayern dauern?", "", api_name="/ask")
    assert "40 Stunden" in answer
    status, table, _ = client.predict(["bahn_streik.txt"], api_name="/delete")
    assert "entfernt" in status and "bahn_streik.txt" not in [row[0] for row in table["data"]]
    assert "bahn_streik.txt" not in [row[0] for row in client.predict(api_name="/documents")["data"]]
