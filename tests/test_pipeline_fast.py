"""The whole pipeline (ingest, index, hybrid retrieval, answer selection, abstention, follow-ups, the
chain) on the seed articles in seconds: a deterministic fake embedder stands in for the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.api import RAG
from rag.index.local_store import LocalStore
from rag.settings import Settings
from tests.fakes import HashEmbedder

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
SOLDIERS = "004_3e9192d80e1884ae.txt"


@pytest.fixture
def rag(fake_rag: RAG) -> RAG:
    return fake_rag


def test_a_typed_answer_quotes_and_cites_its_sentence(rag: RAG) -> None:
    ans = rag.ask("Wie viele Soldaten verliert Russland pro Monat?")
    assert not ans.abstained and ans.short_answer == "20.000 Soldaten"
    quote = ans.citations[0]
    assert quote.doc_id == SOLDIERS and "20.000 Soldaten" in quote.quote
    assert quote.passage[quote.quote_start : quote.quote_start + len(quote.quote)] == quote.quote
    assert ans.text.startswith("20.000 Soldaten [1].")


def test_a_place_question_gets_the_place(rag: RAG) -> None:
    assert rag.ask("Wo soll die neue Zielvorgabe vereinbart werden?").short_answer == "Den Haag"


@pytest.mark.parametrize(
    "question",
    [
        "Wer hat die Fußball-Weltmeisterschaft 2014 gewonnen?",  # nothing of it in the articles
        "Wann soll die neue Zielvorgabe in Amsterdam vereinbart werden?",  # the articles say: in Den Haag
        "Wie viel Hilfe hat Ecuador der Ukraine 2025 zugesagt?",  # a country no article names
        "Wie alt ist Nato-Generalsekretär Mark Rutte?",  # his words are quoted, his age is not given
    ],
)
def test_questions_the_articles_do_not_answer_abstain(rag: RAG, question: str) -> None:
    ans = rag.ask(question)
    assert ans.abstained and not ans.citations and ans.text.startswith("Dazu finde ich in den Artikeln keine Angaben.")


def test_a_follow_up_is_read_with_the_conversation(rag: RAG) -> None:
    history = [
        {"role": "user", "content": "Wie viel Hilfe wurde 2024 zugesagt?"},
        {"role": "assistant", "content": "Rund 50 Milliarden Euro [1]."},
    ]
    ans = rag.ask("Und für 2025?", history=history)
    assert ans.standalone_question == "Wie viel Hilfe wurde 2025 zugesagt?"
    assert "20 Milliarden" in ans.text


def test_a_removed_article_is_no_longer_cited(tmp_path: Path) -> None:
    rag = RAG(LocalStore.open(tmp_path), HashEmbedder(), Settings())
    rag.add([SEEDS])
    assert SOLDIERS in rag.remove([SOLDIERS]).removed  # the file's article and the teasers it carries
    ans = rag.ask("Wie viele Soldaten verliert Russland pro Monat?")
    assert all(not c.doc_id.startswith(SOLDIERS) for c in ans.citations) and "20.000" not in ans.text


def test_one_question_reads_one_snapshot_of_the_index(rag: RAG, tmp_path: Path) -> None:
    """Retrieval and answering read the same index even when a write swaps it in between: here the
    index turns empty after the first look, and the answer still comes from what was retrieved."""
    snapshots = iter([rag.store])
    empty = LocalStore.open(tmp_path)
    chain = rag.chain.model_copy(update={"index": lambda: next(snapshots, empty)})
    ans = chain.invoke({"question": "Wie viele Soldaten verliert Russland pro Monat?"})
    assert ans.short_answer == "20.000 Soldaten" and ans.citations[0].doc_id == SOLDIERS
