"""The JSON and OpenAI routes, against the real server on loopback (httpx and the official openai client)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from rag.api import RAG
from rag.app.http_api import MODEL_ID
from rag.app.server import running_server
from rag.settings import Settings
from rag.types import Filters
from tests.webserver import SEEDS, free_port

pytestmark = pytest.mark.slow

KEY = "geheim-123"
AID_2024 = "Wie viel Hilfe wurde 2024 zugesagt?"
WORLD_CUP = "Wer hat die Fußball-Weltmeisterschaft 2014 gewonnen?"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index = tmp_path_factory.mktemp("api") / "index"
    RAG.build([SEEDS], index=index, settings=Settings(index_dir=index))
    return index


def _settings(index: Path, **extra: Any) -> Settings:
    return Settings(index_dir=index, server_host="127.0.0.1", server_api_key=KEY, max_upload_mb=1, **extra)


@pytest.fixture(scope="module")
def served(index: Path) -> Iterator[tuple[str, RAG]]:
    settings = _settings(index)
    rag = RAG.open(index, settings)
    with running_server(rag, settings, free_port()) as url:
        yield url, rag


@pytest.fixture
def http(served: tuple[str, RAG]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served[0], headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as client:
        yield client


def _events(response: httpx.Response) -> list[Any]:
    data = [line[len("data: ") :] for line in response.text.splitlines() if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    return [json.loads(d) for d in data[:-1]]


def test_ask_returns_the_answer_with_its_citations(http: httpx.Client, served: tuple[str, RAG]) -> None:
    r = http.post("/api/v1/ask", json={"question": AID_2024})
    assert r.status_code == 200
    body = r.json()
    assert not body["abstained"] and "[1]" in body["answer"]
    assert body["answer"] == served[1].ask(AID_2024).text  # the same answer as the Python API
    first = body["citations"][0]
    assert first["n"] == 1 and first["title"] and "date" in first and first["doc_id"].endswith(".txt")
    assert first["passage"][first["start"] : first["end"]] == first["quote"]
    assert set(body["timings"]) >= {"retrieve", "answer", "total"}


def test_json_is_read_whatever_the_content_type(http: httpx.Client) -> None:
    """`curl -d '{"question": …}'` sends JSON labelled as a form."""
    body = json.dumps({"question": AID_2024}).encode()
    r = http.post("/api/v1/ask", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200 and not r.json()["abstained"]


def test_top_k_bounds_the_passages_read(http: httpx.Client, served: tuple[str, RAG]) -> None:
    rag = served[1]
    assert len(rag.ask(AID_2024, top_k=2).passages) == 2 and len(rag.ask(AID_2024).passages) == 5
    one = http.post("/api/v1/ask", json={"question": AID_2024, "top_k": 1}).json()
    assert one["answer"] == rag.ask(AID_2024, top_k=1).text
    assert http.post("/api/v1/ask", json={"question": AID_2024, "top_k": 0}).status_code == 422


def test_filters_keep_only_the_admitted_articles(http: httpx.Client, served: tuple[str, RAG]) -> None:
    dated = [d for d in served[1].documents() if d.date]
    newest = max(d.date or "" for d in dated)
    kept = served[1].ask(AID_2024, filters=Filters(date_from=newest))
    assert kept.passages and all((p.date or "") >= newest for p in kept.passages)
    body = http.post("/api/v1/ask", json={"question": AID_2024, "filters": {"date_from": newest}}).json()
    assert body["answer"] == kept.text and all((c["date"] or "") >= newest for c in body["citations"])
    none = http.post("/api/v1/ask", json={"question": AID_2024, "filters": {"date_to": "1990"}}).json()
    assert none["abstained"] and none["citations"] == []
    bad = http.post("/api/v1/ask", json={"question": AID_2024, "filters": {"date_from": "letzte Woche"}})
    assert bad.status_code == 422
    about_2024 = http.post("/api/v1/ask", json={"question": AID_2024, "filters": {"period": "2024"}}).json()
    assert about_2024["answer"] == served[1].ask(AID_2024, filters=Filters(period="2024")).text
    assert "50 Milliarden" in about_2024["answer"]  # stated in 2025 articles about „vergangenes Jahr“
    assert http.post("/api/v1/ask", json={"question": AID_2024, "filters": {"period": "24"}}).status_code == 422


def test_streamed_ask_ends_in_the_same_object(http: httpx.Client) -> None:
    whole = http.post("/api/v1/ask", json={"question": AID_2024}).json()
    r = http.post("/api/v1/ask", json={"question": AID_2024, "stream": True})
    assert r.headers["content-type"].startswith("text/event-stream")
    last = _events(r)[-1]
    assert {k: v for k, v in last.items() if k != "timings"} == {k: v for k, v in whole.items() if k != "timings"}


def test_unanswerable_questions_abstain_without_citations(http: httpx.Client) -> None:
    body = http.post("/api/v1/ask", json={"question": WORLD_CUP}).json()
    assert body["abstained"] and body["citations"] == []


def test_follow_ups_use_the_history(http: httpx.Client) -> None:
    history = [{"role": "user", "content": AID_2024}, {"role": "assistant", "content": "Rund 50 Milliarden Euro [1]."}]
    body = http.post("/api/v1/ask", json={"question": "Und wer hat das gesagt?", "history": history}).json()
    assert body["standalone_question"] != "Und wer hat das gesagt?"


@pytest.mark.parametrize("path", ["/api/v1/health", "/api/v1/documents", "/v1/models"])
def test_every_route_needs_the_key(served: tuple[str, RAG], path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer falsch"}):
        r = httpx.get(served[0].rstrip("/") + path, headers=headers)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


def test_bad_requests_get_json_errors(http: httpx.Client) -> None:
    cases = [
        (http.post("/api/v1/ask", content=b"{kein json", headers={"content-type": "application/json"}), 422),
        (http.post("/api/v1/ask", json={"question": ""}), 422),
        (http.post("/api/v1/ask", json={"question": "x" * 3000}), 422),
        (http.post("/api/v1/ask", json={"question": "   "}), 400),  # rag's own check: blank
        (http.post("/api/v1/ask", json={"question": "a" * 300_000}), 413),
        (
            http.post(
                "/v1/chat/completions", json={"model": MODEL_ID, "messages": [{"role": "system", "content": "x"}]}
            ),
            400,
        ),
        (http.get("/api/v1/nirgends"), 404),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        assert "error" in response.json(), (response.request.url, response.text)
        error = response.json()["error"]
        assert error["code"] and error["message"]


def test_health_says_what_is_served(http: httpx.Client, served: tuple[str, RAG]) -> None:
    body = http.get("/api/v1/health").json()
    docs = served[1].documents()
    assert body["status"] == "ok" and body["documents"] == len(docs) and body["chunks"] == sum(d.n_chunks for d in docs)
    assert body["store"] == "local" and body["backend"] == "extractive" and "e5" in body["model"]


def test_openai_client_gets_the_answer_with_its_sources(served: tuple[str, RAG]) -> None:
    client = openai.OpenAI(base_url=served[0] + "v1", api_key=KEY)
    assert [m.id for m in client.models.list()] == [MODEL_ID]
    done = client.chat.completions.create(model=MODEL_ID, messages=[{"role": "user", "content": AID_2024}])
    text = done.choices[0].message.content or ""
    assert text.startswith(served[1].ask(AID_2024).text) and "\n\nQuellen:\n[1] " in text
    citations = (done.model_extra or {})["citations"]
    assert citations[0]["n"] == 1 and citations[0]["quote"]
    stream = client.chat.completions.create(
        model=MODEL_ID, messages=[{"role": "user", "content": AID_2024}], stream=True
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == text
    assert chunks[-1].choices[0].finish_reason == "stop" and (chunks[-1].model_extra or {})["citations"] == citations


def test_openai_abstention_and_wrong_key(served: tuple[str, RAG]) -> None:
    client = openai.OpenAI(base_url=served[0] + "v1", api_key=KEY)
    done = client.chat.completions.create(model=MODEL_ID, messages=[{"role": "user", "content": WORLD_CUP}])
    assert "keine Angaben" in (done.choices[0].message.content or "") and (done.model_extra or {})["abstained"]
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=served[0] + "v1", api_key="falsch").models.list()


def test_upload_list_ask_and_delete_documents(http: httpx.Client, tmp_path: Path) -> None:
    good = ("bahn streik.txt", "Bahnstreik in Bayern\n\n03.12.2025\n\nDie Gewerkschaft hat einen Streik von 40 Stunden "
            "in Bayern angekündigt. Betroffen sind vor allem Pendler in München.".encode())  # fmt: skip
    files = [
        ("files", good),
        ("files", ("kaputt.txt", b"\x00\x01\x02\x03 binary \xff\xfe")),
        ("files", ("programm.exe", b"MZ")),
        ("files", ("gross.txt", ("Großer Artikel\n\n" + "Ein Satz über nichts. " * 60_000).encode())),
    ]
    body = http.post("/api/v1/documents", files=files).json()
    status = {f["name"]: (f["status"], f["message"]) for f in body["files"]}
    assert status["bahn_streik.txt"][0] == "added"
    assert status["kaputt.txt"][0] == "failed" and status["programm.exe"][0] == "rejected"
    assert status["gross.txt"][0] == "rejected" and "zu groß" in status["gross.txt"][1]
    listed = {d["doc_id"] for d in http.get("/api/v1/documents").json()}
    assert "bahn_streik.txt" in listed and "kaputt.txt" not in listed and "gross.txt" not in listed
    assert (
        "40 Stunden"
        in http.post("/api/v1/ask", json={"question": "Wie lange soll der Streik in Bayern dauern?"}).json()["answer"]
    )
    assert http.delete("/api/v1/documents/bahn_streik.txt").json() == {"removed": ["bahn_streik.txt"]}
    gone = http.delete("/api/v1/documents/bahn_streik.txt")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"


def test_concurrent_questions_get_the_same_answer(http: httpx.Client) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        bodies = list(pool.map(lambda _: http.post("/api/v1/ask", json={"question": AID_2024}).json(), range(12)))
    assert len({b["answer"] for b in bodies}) == 1


def test_the_web_chat_is_served_beside_the_api(served: tuple[str, RAG], http: httpx.Client) -> None:
    page = httpx.get(served[0])
    assert page.status_code == 200 and "gradio" in page.text.lower()
    schema = http.get("/api/v1/openapi.json").json()
    assert {"/api/v1/ask", "/api/v1/documents", "/v1/chat/completions"} <= set(schema["paths"])


def test_rate_limit(index: Path) -> None:
    settings = _settings(index, server_rate_limit=3)
    with running_server(RAG.open(index, settings), settings, free_port()) as url:
        headers = {"Authorization": f"Bearer {KEY}"}
        codes = [httpx.get(url + "api/v1/health", headers=headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
