from __future__ import annotations

from rag.answer.question import analyse
from rag.answer.spans import find_span, gap_span


def span(question: str, sentence: str) -> str | None:
    return find_span(sentence, analyse(question))


def test_amount_with_qualifier() -> None:
    s = "Im vergangenen Jahr hatten die Alliierten Unterstützung im Wert von rund 50 Milliarden Euro mobilisiert."
    assert span("Wie viel Hilfe wurde 2024 zugesagt?", s) == "rund 50 Milliarden Euro"


def test_count_prefers_the_noun_asked_for() -> None:
    s = "Man müsse daran denken, dass Russland monatlich 20.000 Soldaten verliere."
    assert span("Wie viele Soldaten verliert Russland pro Monat?", s) == "20.000 Soldaten"


def test_fraction_count() -> None:
    s = "Zwei Drittel der Nato-Mitglieder hätten sich der Initiative angeschlossen."
    assert span("Wie viele Nato-Mitglieder haben sich angeschlossen?", s) == "Zwei Drittel der Nato-Mitglieder"


def test_person_not_named_in_the_question() -> None:
    s = "Rubio lässt sich von seinem Stellvertreter Christopher Landau vertreten."
    assert span("Wer vertritt Marco Rubio beim Nato-Außenministertreffen?", s) == "Christopher Landau"


def test_place_with_article() -> None:
    s = "Eine neue Zielvorgabe soll beim nächsten Gipfeltreffen im Juni in Den Haag vereinbart werden."
    assert span("Wo soll die neue Zielvorgabe vereinbart werden?", s) == "Den Haag"


def test_list_of_countries() -> None:
    s = "Kanada, Deutschland, Norwegen und Polen wollen Rutte zufolge mehr Mittel bereitstellen."
    assert span("Welche Länder wollen mehr Mittel bereitstellen?", s) == "Kanada, Deutschland, Norwegen und Polen"


def test_quoted_name_with_acronym() -> None:
    s = 'Ein Nato-General spricht über das neue Konzept, das "Eastern Flank Deterrence Line" (EDFL) genannt wird.'
    assert span("Wie heißt das neue Verteidigungskonzept?", s) == "Eastern Flank Deterrence Line (EDFL)"


def test_date() -> None:
    s = "Antony Blinken und Mark Rutte am 13. November während einer Pressekonferenz in Brüssel"
    assert span("Wann traf sich Blinken mit Rutte in Brüssel?", s) == "13. November"


def test_explanation_has_no_span_but_gap_span_skips_known_words() -> None:
    q = analyse("Was sieht die Purl-Initiative vor?")
    assert find_span("Sie sieht vor, dass Waffen verkauft werden.", q) is None
    assert "Waffen verkauft" in gap_span("Sie sieht vor, dass Waffen verkauft werden.", q)
