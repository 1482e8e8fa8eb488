"""Time expressions: absolute ones always, relative ones against the article date and its precision."""

from __future__ import annotations

import datetime as dt

import pytest

from rag.ingest import resolve_times, time_interval, times_overlap


def found(text: str, ref: str | None) -> list[tuple[str, str]]:
    return [(m.text, m.value) for m in resolve_times(text, ref)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("im Jahr 2024", [("im Jahr 2024", "2024")]),
        ("bis 2024 und", [("2024", "2024")]),
        ("für das Jahr 2025 zugesagt", [("für das Jahr 2025", "2025")]),
        ("im ersten Quartal 2025", [("im ersten Quartal 2025", "2025-Q1")]),
        ("im 3. Quartal 2024", [("im 3. Quartal 2024", "2024-Q3")]),
        ("im ersten Halbjahr 2025", [("im ersten Halbjahr 2025", "2025-H1")]),
        ("im Dezember 2025", [("Dezember 2025", "2025-12")]),
        ("am 13. November 2024 in Brüssel", [("13. November 2024", "2024-11-13")]),
        ("Stand 03.12.2025", [("03.12.2025", "2025-12-03")]),
        ("Mitte 2025 soll es", [("Mitte 2025", "2025")]),
        ("Rutte im Jahr 2024 und 2025", [("im Jahr 2024", "2024"), ("2025", "2025")]),
    ],
)
def test_absolute_expressions_need_no_reference(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text, None) == expected
    assert found(text, "2025-04") == expected


@pytest.mark.parametrize(
    ("text", "ref", "expected"),
    [
        ("Im vergangenen Jahr hatten die Alliierten", "2025-04", [("Im vergangenen Jahr", "2024")]),
        ("mehr als im Vorjahr", "2025-04", [("im Vorjahr", "2024")]),
        ("letztes Jahr war es", "2025", [("letztes Jahr", "2024")]),
        ("Ende dieses Jahres", "2025-04", [("dieses Jahres", "2025")]),
        ("in diesem Jahr", "2025-04", [("in diesem Jahr", "2025")]),
        ("des laufenden Jahres", "2025-04", [("des laufenden Jahres", "2025")]),
        ("auch im kommenden Jahr fortzusetzen", "2025-04", [("im kommenden Jahr", "2026")]),
        ("nächstes Jahr", "2025-04", [("nächstes Jahr", "2026")]),
        (
            "In den ersten drei Monaten dieses Jahres haben",
            "2025-04",
            [("In den ersten drei Monaten dieses Jahres", "2025-Q1")],
        ),
        ("im zweiten Quartal des Vorjahres", "2025-04", [("im zweiten Quartal des Vorjahres", "2024-Q2")]),
        ("im vergangenen Monat", "2025-04", [("im vergangenen Monat", "2025-03")]),
        ("letzten Monat", "2025-01-15", [("letzten Monat", "2024-12")]),
        ("vergangene Woche", "2025-12-03", [("vergangene Woche", "2025-W48")]),
        ("in der kommenden Woche", "2025-12-31", [("in der kommenden Woche", "2026-W02")]),
        ("hat Rutte am Mittwoch angekündigt", "2025-12-03", [("am Mittwoch", "2025-12-03")]),
        ("sich am Dienstag getroffen", "2025-12-03", [("am Dienstag", "2025-12-02")]),
        ("am Donnerstag", "2025-12-03", [("am Donnerstag", "2025-11-27")]),
        ("am Mittwochabend", "2025-12-03", [("am Mittwochabend", "2025-12-03")]),
        ("am kommenden Montag", "2025-12-03", [("am kommenden Montag", "2025-12-08")]),
        (
            "gestern, heute und morgen",
            "2025-12-31",
            [("gestern", "2025-12-30"), ("heute", "2025-12-31"), ("morgen", "2026-01-01")],
        ),
        ("am 13. November in Brüssel", "2025-04", [("13. November", "2024-11-13")]),
        ("am 13. November in Brüssel", "2025-12-03", [("13. November", "2025-11-13")]),
        ("das Treffen am 5. Dezember", "2025-12-03", [("5. Dezember", "2025-12-05")]),
    ],
)
def test_relative_expressions_resolve_against_the_article_date(
    text: str, ref: str, expected: list[tuple[str, str]]
) -> None:
    assert found(text, ref) == expected


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("hat Rutte am Mittwoch angekündigt", "2025-04"),  # a weekday needs the day
        ("vergangene Woche", "2025-04"),
        ("im vergangenen Monat", "2025"),  # a month needs the month
        ("im vergangenen Jahr", None),
        ("am 13. November in Brüssel", None),  # no year to take
        ("heute", "2025-12"),
    ],
)
def test_relative_expressions_without_a_precise_reference_are_skipped(text: str, ref: str | None) -> None:
    assert found(text, ref) == []


def test_numbers_that_are_not_years() -> None:
    text = (
        "Russland verliere monatlich 20.000 Soldaten, 50 Milliarden Euro, 2000 Soldaten, "
        "ein 500-Millionen-Dollar-Paket (431 Mio. Euro), die 1990er Jahre, 12.2024 und 3,2025 Prozent."
    )
    assert found(text, "2025-12-03") == []


def test_words_that_only_look_like_times() -> None:
    text = "in den vergangenen vier Jahren, im kommenden Jahrzehnt, am Morgen, der Welt am Sonntag"
    assert found(text, "2025-12-03") == []
    assert found("heute Morgen", "2025-12-03") == [("heute", "2025-12-03")]


def test_mentions_carry_their_offsets() -> None:
    text = "Im vergangenen Jahr hatten die Alliierten 2023 etwas getan."
    mentions = resolve_times(text, "2025-04")
    assert [(m.start, m.end) for m in mentions] == [(0, 19), (42, 46)]
    assert all(text[m.start : m.end] == m.text for m in mentions)


@pytest.mark.parametrize(
    ("value", "first", "last"),
    [
        ("2024", dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        ("2025-12-03", dt.date(2025, 12, 3), dt.date(2025, 12, 3)),
        ("2025-Q1", dt.date(2025, 1, 1), dt.date(2025, 3, 31)),
        ("2025-Q4", dt.date(2025, 10, 1), dt.date(2025, 12, 31)),
        ("2025-H1", dt.date(2025, 1, 1), dt.date(2025, 6, 30)),
        ("2025-H2", dt.date(2025, 7, 1), dt.date(2025, 12, 31)),
        ("2025-W14", dt.date(2025, 3, 31), dt.date(2025, 4, 6)),
    ],
)
def test_time_interval(value: str, first: dt.date, last: dt.date) -> None:
    assert time_interval(value) == (first, last)


@pytest.mark.parametrize("value", ["gestern", "2025-13", "2025-Q5", "25-12-03", ""])
def test_time_interval_rejects_non_values(value: str) -> None:
    with pytest.raises(ValueError):
        time_interval(value)


def test_times_overlap_by_precision() -> None:
    assert times_overlap("2024", "2024-11-13") and times_overlap("2025-Q1", "2025-03")
    assert times_overlap("2025-12", "2025-W49") and times_overlap("2025-H1", "2025-Q2")
    assert not times_overlap("2025-Q1", "2025-04") and not times_overlap("2024", "2025")
    assert not times_overlap("2025", "kein Datum")
