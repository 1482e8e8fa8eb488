from __future__ import annotations

from rag.followup import is_followup, standalone_question

HISTORY = [
    {
        "role": "user",
        "content": "Wie viel Sicherheitsunterstützung mobilisierten die Nato-Alliierten 2024 für die Ukraine?",
    },
    {"role": "assistant", "content": "Rund 50 Milliarden Euro [1]."},
]


def test_new_year_replaces_the_old_one() -> None:
    assert standalone_question("Und für 2025?", HISTORY) == (
        "Wie viel Sicherheitsunterstützung mobilisierten die Nato-Alliierten 2025 für die Ukraine?"
    )


def test_new_country_replaces_the_old_one() -> None:
    history = [{"role": "user", "content": "Wie viel Geld hat Deutschland bereitgestellt?"}]
    assert standalone_question("Und Polen?", history) == "Wie viel Geld hat Polen bereitgestellt?"


def test_other_topic_is_added_to_the_previous_question() -> None:
    out = standalone_question("Und die Munition?", HISTORY)
    assert out.startswith("Wie viel Sicherheitsunterstützung") and "Munition" in out


def test_full_question_after_und_keeps_the_context() -> None:
    out = standalone_question("Und was sagte Rubio dazu?", HISTORY)
    assert out.startswith("Was sagte Rubio dazu?") and "Sicherheitsunterstützung" in out


def test_standalone_questions_are_left_alone() -> None:
    assert not is_followup("Wer vertritt Marco Rubio beim Treffen?")
    assert (
        standalone_question("Wer vertritt Marco Rubio beim Treffen?", HISTORY)
        == "Wer vertritt Marco Rubio beim Treffen?"
    )
    assert standalone_question("Und für 2025?", []) == "Und für 2025?"
