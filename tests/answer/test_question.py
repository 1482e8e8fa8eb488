"""Question analysis: answer type and what an amount or count question measures."""

from __future__ import annotations

import pytest

from rag.answer.question import analyse


@pytest.mark.parametrize(
    ("question", "answer_type", "measured"),
    [
        ("Wie hoch war die Inflation in Deutschland 2024?", "amount", "Inflation"),
        ("Wie viel Geld hat Deutschland für die Purl-Initiative bereitgestellt?", "amount", "Deutschland"),
        ("Wie viele Nato-Mitglieder haben sich angeschlossen?", "count", "Nato-Mitglieder"),
        ("Wie viele Soldaten verliert Russland pro Monat?", "count", "Soldaten"),
        ("Wer vertritt Marco Rubio beim Nato-Außenministertreffen?", "person", None),
        ("How many countries are ready to help Kyiv?", "count", None),  # not looked up in German words
    ],
)
def test_what_a_question_measures(question: str, answer_type: str, measured: str | None) -> None:
    info = analyse(question)
    assert info.answer_type == answer_type and info.measured == measured


@pytest.mark.parametrize(
    ("question", "english"),
    [
        ("How many soldiers does Russia lose per month according to Rutte?", True),
        ("Who is representing Marco Rubio at the meeting?", True),
        ("Wer hat das Gedicht The Mask of Anarchy geschrieben?", False),
        ("Wo liegen die Harvard Medical School und die School of Public Health?", False),
        ("Wie viel Hilfe wurde 2024 zugesagt?", False),
    ],
)
def test_english_questions_are_recognised(question: str, english: bool) -> None:
    assert analyse(question).english is english
