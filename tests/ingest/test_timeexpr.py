"""Time expressions: absolute ones always, relative ones against the article date and its precision."""

from __future__ import annotations

import datetime as dt

import pytest

from rag.text.timeexpr import resolve_times, time_interval, times_overlap, with_resolved_times


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("im Jahr vor 2025", [("im Jahr vor 2025", "2024")]),
        ("ein Jahr vor 2025", [("ein Jahr vor 2025", "2024")]),
        ("zwei Jahre vor 2025", [("zwei Jahre vor 2025", "2023")]),
        ("12 Jahre vor 2025", [("12 Jahre vor 2025", "2013")]),
        ("das Jahr vor 2025", [("das Jahr vor 2025", "2024")]),
        ("im Jahr nach 2020", [("im Jahr nach 2020", "2021")]),
        ("drei Jahre nach 2020", [("drei Jahre nach 2020", "2023")]),
        ("Was geschah im Vorjahr von 2025?", [("im Vorjahr von 2025", "2024")]),
        ("im Folgejahr von 2020", [("im Folgejahr von 2020", "2021")]),
        ("the year before 2025", [("the year before 2025", "2024")]),
        ("What happened in the year before 2025?", [("in the year before 2025", "2024")]),
        ("two years after 2020", [("two years after 2020", "2022")]),
        ("one year after 2020", [("one year after 2020", "2021")]),
    ],
)
def test_arithmetic_on_an_explicit_year_is_absolute_and_wins_over_the_year(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert found(text, None) == expected
    assert found(text, "2026-11-26") == expected


@pytest.mark.parametrize(
    ("text", "ref", "expected"),
    [
        ("vor zwei Jahren", "2026-11-26", [("vor zwei Jahren", "2024")]),
        ("Vor 3 Jahren", "2026", [("Vor 3 Jahren", "2023")]),
        ("vor einem Jahr", "2026-11", [("vor einem Jahr", "2025")]),
        ("vor zwölf Jahren", "2026", [("vor zwölf Jahren", "2014")]),
        ("vor gut zwei Jahren", "2026", [("vor gut zwei Jahren", "2024")]),
        ("vor 100 Jahren", "2026", [("vor 100 Jahren", "1926")]),
        ("vorletztes Jahr", "2026", [("vorletztes Jahr", "2024")]),
        ("im vorletzten Jahr", "2026", [("im vorletzten Jahr", "2024")]),
        ("des vorvergangenen Jahres", "2026", [("des vorvergangenen Jahres", "2024")]),
        ("im übernächsten Jahr", "2026", [("im übernächsten Jahr", "2028")]),
        ("voriges Jahr", "2026", [("voriges Jahr", "2025")]),
        ("in zwei Jahren soll es fertig sein", "2026-11-26", [("in zwei Jahren", "2028")]),
        ("vor zwei Monaten", "2026-11-26", [("vor zwei Monaten", "2026-09")]),
        ("vor einem Monat", "2026-01", [("vor einem Monat", "2025-12")]),
        ("vor 11 Monaten", "2026-11", [("vor 11 Monaten", "2025-12")]),
        ("in drei Monaten", "2026-11", [("in drei Monaten", "2027-02")]),
        ("im Vormonat", "2026-11-26", [("im Vormonat", "2026-10")]),
        ("gegenüber dem Vormonat", "2026-01-05", [("dem Vormonat", "2025-12")]),
        ("Vormonat", "2026-11", [("Vormonat", "2026-10")]),
        ("last year", "2026-11-26", [("last year", "2025")]),
        ("next year", "2026", [("next year", "2027")]),
        ("this year", "2026", [("this year", "2026")]),
        ("two years ago", "2026", [("two years ago", "2024")]),
        ("a year ago", "2026", [("a year ago", "2025")]),
        ("last month", "2026-11-26", [("last month", "2026-10")]),
        ("3 months ago", "2026-02", [("3 months ago", "2025-11")]),
    ],
)
def test_counted_and_english_relative_expressions(text: str, ref: str, expected: list[tuple[str, str]]) -> None:
    assert found(text, ref) == expected


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("vor zwei Jahren", None),  # a year needs a year
        ("vorletztes Jahr", None),
        ("in zwei Jahren", None),
        ("two years ago", None),
        ("last year", None),
        ("vor zwei Monaten", "2026"),  # a month needs a month
        ("im Vormonat", "2026"),
        ("last month", "2026"),
        ("vor 0 Jahren", "2026"),
    ],
)
def test_counted_expressions_without_a_precise_reference_are_skipped(text: str, ref: str | None) -> None:
    assert found(text, ref) == []


@pytest.mark.parametrize(
    "text",
    [
        "Das Kind ist 2 Jahre alt.",
        "seit zehn Jahren",
        "Er wurde zu 20 Jahre Haft verurteilt.",
        "Er sprach vor 2025 Menschen.",
        "vor zwei Jahrzehnten",
        "vor einem halben Jahr",
        "vor Jahren",
        "die Jahre vor dem Krieg",
        "zwei Jahre zuvor",
        "drei Monate später",
        "in einem Jahr, in dem die Preise stiegen",
        "in zwei Jahren hintereinander",
        "in zwei Jahren, in denen es regnete",
        "in sechs Jahren, vom Gefecht bei Jumonville Glen an",
        "in drei Jahren des Krieges",
        "in den vergangenen zwei Jahren",
        "in the last year of his term",
        "Vormonatswert",
    ],
)
def test_spans_and_amounts_that_are_not_times(text: str) -> None:
    assert found(text, "2026-11-26") == []


def test_amounts_next_to_counted_expressions() -> None:
    assert found("1,5 Millionen Euro 2025", "2026-11-26") == [("2025", "2025")]
    assert found("1,5 Jahre nach 2020", None) == [("2020", "2020")]  # not "5 Jahre nach 2020"
    assert found("vor 2025 Menschen vor zwei Jahren", "2026-11-26") == [("vor zwei Jahren", "2024")]
    text = "Vor zwei Jahren, im Jahr vor 2025, stieg der Umsatz gegenüber dem Vormonat um 3,2 Prozent."
    assert found(text, "2026-11-26") == [
        ("Vor zwei Jahren", "2024"),
        ("im Jahr vor 2025", "2024"),
        ("dem Vormonat", "2026-10"),
    ]


def test_worked_out_times_are_replaced_by_their_values() -> None:
    ref = "2026-11-26"
    assert with_resolved_times("Wie viel wurde im Jahr vor 2025 zugesagt?", ref) == "Wie viel wurde 2024 zugesagt?"
    assert with_resolved_times("Was geschah letztes Jahr?", ref) == "Was geschah 2025?"
    assert with_resolved_times("Was geschah 2024 im März?", ref) == "Was geschah 2024 im März?"  # as stated
    assert with_resolved_times("Was geschah letztes Jahr?", None) == "Was geschah letztes Jahr?"  # no reference
