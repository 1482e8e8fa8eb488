"""The LLM answerer against a real llama.cpp server (Gemma 3 270M), and its citation checks offline.

Server tests are marked slow; ``validate_citations`` and the error mapping need no model.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.answer.extractive import ABSTAIN_TEXT
from rag.answer.followup import Turn
from rag.answer.llm import UNCITED_NOTE, LLMAnswerer, LLMError, validate_citations
from rag.api import RAG
from rag.settings import Settings
from rag.types import Citation, Passage
from tests.llm_server import free_port, running_llm_server

MARKER = re.compile(r"\[(\d+)\]")


def _passage(doc_id: str, title: str, date: str, text: str) -> Passage:
    return Passage(f"{doc_id}::0", doc_id, title, date, "dpa-AFX", text, 0, len(text), 0.5)


PASSAGES = [
    _passage(
        "nato",
        "Nato-Staaten sagen der Ukraine weitere Hilfe zu",
        "2025-04",
        "Die Alliierten haben im vergangenen Jahr Hilfe im Wert von rund 50 Milliarden Euro zugesagt. "
        "Das sagte Nato-Generalsekretär Mark Rutte in Brüssel.",
    ),
    _passage(
        "bahn",
        "Bahn verschiebt Ausbau",
        "2025-03",
        "Die Deutsche Bahn verschiebt den Ausbau der Strecke zwischen Hamburg und Berlin auf 2027. "
        "Als Grund nannte ein Sprecher fehlende Baufirmen.",
    ),
    _passage(
        "wetter",
        "Sturm über Norddeutschland",
        "2025-02",
        "Ein Sturm hat in Norddeutschland Bäume entwurzelt. Verletzt wurde niemand.",
    ),
]


def _check_citations(text: str, citations: list[Citation], passages: list[Passage]) -> None:
    """Citations are numbered 1..n in order of first use, point to given passages, and match the markers."""
    assert [c.n for c in citations] == list(range(1, len(citations) + 1))
    assert {c.doc_id for c in citations} <= {p.doc_id for p in passages}
    first_use = list(dict.fromkeys(int(m) for m in MARKER.findall(text)))
    assert first_use == [c.n for c in citations]
    for c in citations:
        assert c.passage[c.quote_start : c.quote_start + len(c.quote)] == c.quote


# --- validate_citations: no server -------------------------------------------------------------


def test_out_of_range_markers_are_removed() -> None:
    draft = validate_citations("Rund 50 Milliarden Euro [1]. Der Ausbau kommt später [9].", PASSAGES[:2])
    assert draft.text == "Rund 50 Milliarden Euro [1]. Der Ausbau kommt später."
    assert [c.doc_id for c in draft.citations] == ["nato"]


def test_a_list_keeps_only_existing_passages_renumbered() -> None:
    draft = validate_citations("Die Strecke wird erst 2027 ausgebaut [2, 7].", PASSAGES[:2])
    assert draft.text == "Die Strecke wird erst 2027 ausgebaut [1]."
    assert [(c.n, c.doc_id) for c in draft.citations] == [(1, "bahn")]
    assert draft.citations[0].quote.startswith("Die Deutsche Bahn verschiebt")


def test_citations_are_renumbered_in_order_of_first_use() -> None:
    text = "Ein Sturm entwurzelte Bäume [3]. Die Bahn baut erst 2027 [2]. Es gab Sturmschäden [3]."
    draft = validate_citations(text, PASSAGES)
    assert draft.text == "Ein Sturm entwurzelte Bäume [1]. Die Bahn baut erst 2027 [2]. Es gab Sturmschäden [1]."
    assert [(c.n, c.doc_id) for c in draft.citations] == [(1, "wetter"), (2, "bahn")]
    assert draft.citations[1].quote.startswith("Die Deutsche Bahn verschiebt")  # the sentence the claim uses
    _check_citations(draft.text, draft.citations, PASSAGES)


def test_an_uncited_answer_gets_the_note() -> None:
    draft = validate_citations("Die Hilfe war groß [5].", PASSAGES[:1])
    assert not draft.abstained and draft.citations == []
    assert draft.text == f"Die Hilfe war groß.\n\n{UNCITED_NOTE}"


def test_the_abstain_sentence_abstains() -> None:
    for text in (ABSTAIN_TEXT, f"„{ABSTAIN_TEXT}“ [1]", "  "):
        draft = validate_citations(text, PASSAGES)
        assert draft.abstained and draft.text == ABSTAIN_TEXT and draft.citations == []


# --- error mapping: no model -------------------------------------------------------------------


def test_server_down_is_reported_as_not_reachable() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    llm = LLMAnswerer(Settings(llm_base_url=url, llm_timeout_s=5))
    with pytest.raises(LLMError, match="nicht erreichbar") as err:
        list(llm.stream("Wie viel Hilfe?", PASSAGES))
    assert url in str(err.value)


@pytest.fixture()
def hung_server() -> Iterator[str]:
    """A loopback server that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def test_a_hung_server_times_out(hung_server: str) -> None:
    llm = LLMAnswerer(Settings(llm_base_url=hung_server, llm_timeout_s=1))
    with pytest.raises(LLMError, match="nicht innerhalb von 1 s geantwortet"):
        list(llm.stream("Wie viel Hilfe?", PASSAGES))


# --- against the real server --------------------------------------------------------------------


@pytest.fixture(scope="module")
def llm_url() -> Iterator[str]:
    with running_llm_server() as url:
        yield url


@pytest.fixture(scope="module")
def llm(llm_url: str) -> LLMAnswerer:
    return LLMAnswerer(Settings(llm_base_url=llm_url, llm_model="gemma-3-270m", llm_max_tokens=48))


@pytest.fixture(scope="module")
def streamed(llm: LLMAnswerer) -> list[str]:
    return list(llm.stream("Wie viel Hilfe haben die Alliierten 2024 zugesagt?", PASSAGES))


@pytest.mark.slow
def test_stream_yields_tokens(streamed: list[str]) -> None:
    assert len(streamed) > 1
    assert all(isinstance(d, str) and d for d in streamed)
    assert "".join(streamed).strip()


@pytest.mark.slow
def test_finalize_checks_the_model_citations(llm: LLMAnswerer, streamed: list[str]) -> None:
    draft = llm.finalize("".join(streamed), PASSAGES)
    if draft.abstained:
        assert draft.text == ABSTAIN_TEXT
        return
    _check_citations(draft.text, draft.citations, PASSAGES)
    assert draft.citations or draft.text.endswith(UNCITED_NOTE)


@pytest.mark.slow
def test_condense_returns_one_line(llm: LLMAnswerer) -> None:
    history: list[Turn] = [
        {"role": "user", "content": "Wie viel Hilfe wurde 2024 zugesagt?"},
        {"role": "assistant", "content": "Rund 50 Milliarden Euro [1]."},
    ]
    standalone = llm.condense("Und für 2025?", history)
    assert standalone is not None and standalone.strip()
    assert "\n" not in standalone


@pytest.fixture(scope="module")
def llm_rag(llm_url: str, seed_index: Path) -> RAG:
    settings = Settings(answer_backend="llm", llm_base_url=llm_url, llm_model="gemma-3-270m", llm_max_tokens=48)
    return RAG.open(seed_index, settings)


@pytest.mark.slow
def test_chain_streams_growing_answers_citing_retrieved_passages(llm_rag: RAG) -> None:
    answers = list(llm_rag.stream("Wie viel Hilfe wurde 2024 zugesagt?"))
    assert len(answers) > 2
    partial = [a.text for a in answers[:-1]]
    assert all(b.startswith(a) for a, b in zip(partial, partial[1:])) and len(partial[-1]) > len(partial[0])
    final = answers[-1]
    assert not final.abstained and final.timings_ms
    _check_citations(final.text, final.citations, final.passages)


@pytest.mark.slow
def test_chain_abstains_without_the_model(llm_rag: RAG) -> None:
    answers = list(llm_rag.stream("Wer hat die Fußball-Weltmeisterschaft 2014 gewonnen?"))
    assert len(answers) == 1  # the extractive gate answers before any token is asked for
    assert answers[0].abstained and answers[0].text.startswith(ABSTAIN_TEXT) and answers[0].citations == []
