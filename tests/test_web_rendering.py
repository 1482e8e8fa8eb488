"""What the web chat renders from answers and reads back from the chat, without a server or the model."""

from __future__ import annotations

import html
from dataclasses import replace
from pathlib import Path

import pytest

from rag.api import RAG
from rag.app.webapp import ABSTAIN_BADGE, render_answer, render_sources
from rag.app.webapp import _turns as turns

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture
def rag(fake_rag: RAG) -> RAG:
    return fake_rag


def test_citations_link_to_sources_that_highlight_the_quote(rag: RAG) -> None:
    ans = rag.ask("Wie viele Soldaten verliert Russland pro Monat?")
    assert '<a href="#quelle-1">[1]</a>' in render_answer(ans)
    sources = render_sources(ans)
    assert 'id="quelle-1"' in sources and "<mark>" in sources and "20.000 Soldaten" in sources
    marked = sources.split("<mark>")[1].split("</mark>")[0]
    assert marked == html.escape(ans.citations[0].quote) and "20.000 Soldaten" in marked


def test_an_abstention_is_marked_and_shows_the_nearest_passages(rag: RAG) -> None:
    ans = rag.ask("Wer hat die Fußball-Weltmeisterschaft 2014 gewonnen?")
    assert render_answer(ans).startswith(ABSTAIN_BADGE)
    assert render_sources(ans).startswith("<h4>Nächstliegende Passagen</h4>") and "<mark>" not in render_sources(ans)


def test_a_follow_up_shows_how_it_was_understood(rag: RAG) -> None:
    history = [
        {"role": "user", "content": "Wie viel Hilfe wurde 2024 zugesagt?"},
        {"role": "assistant", "content": "Rund 50 Milliarden Euro [1]."},
    ]
    rendered = render_answer(rag.ask("Und für 2025?", history=history))
    assert "*Verstanden als: Wie viel Hilfe wurde 2025 zugesagt?*" in rendered


def test_article_text_cannot_smuggle_html_or_links(rag: RAG) -> None:
    ans = rag.ask("Wie viele Soldaten verliert Russland pro Monat?")
    evil = replace(ans, text="<img src=x onerror=alert(1)> [Klick](http://böse.example) **fett** [1]")
    rendered = render_answer(evil)
    assert "<img" not in rendered and "&lt;img" in rendered
    assert "\\[Klick\\]" in rendered and "\\*\\*fett\\*\\*" in rendered
    assert '<a href="#quelle-1">[1]</a>' in rendered  # only the citation marker becomes a link
    citation = replace(ans.citations[0], title="<script>x</script>")
    assert "<script>" not in render_sources(replace(ans, citations=[citation]))


def test_the_chat_is_read_back_as_plain_turns_without_failed_ones() -> None:
    chat = [
        {"role": "user", "content": "Wie viel Hilfe wurde 2024 zugesagt?"},
        {"role": "assistant", "content": 'Rund 50 Milliarden Euro <a href="#quelle-1">[1]</a>.'},
        {"role": "user", "content": "Kaputt?"},
        {"role": "assistant", "content": "⚠️ Der Server ist nicht erreichbar."},
        {"role": "user", "content": [{"type": "text", "text": "Und für 2025?"}]},
    ]
    assert turns(chat) == [
        {"role": "user", "content": "Wie viel Hilfe wurde 2024 zugesagt?"},
        {"role": "assistant", "content": "Rund 50 Milliarden Euro [1]."},
        {"role": "user", "content": "Und für 2025?"},
    ]
