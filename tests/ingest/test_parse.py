"""Plain-text news parsing on the real seed files and on the general header/credit/teaser rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.ingest import normalize_date, parse_news_text, read_articles, split_sentences
from rag.types import Article

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def seed(prefix: str) -> list[Article]:
    return read_articles(next(SEEDS.glob(f"{prefix}_*.txt")))


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def test_000_month_header_dateline_trailer_and_derived_title() -> None:
    [a] = seed("000")
    assert a.doc_id == "000_304af5a79256d6cf.txt" and a.path == str(SEEDS / a.doc_id)
    assert (a.date, a.source) == ("2025-04", "dpa-AFX")
    assert a.extra == {"dateline": "BRÜSSEL", "agency_tag": "/aha/DP/nas"}
    assert a.body.startswith("Die von Russland angegriffene Ukraine kann ungeachtet")
    assert a.body.endswith("im Juni in Den Haag vereinbart werden.")
    assert "/aha/DP/nas" not in a.body and "BRÜSSEL" not in a.body and "date" not in a.body[:20]
    assert a.title == (
        "Die von Russland angegriffene Ukraine kann ungeachtet der Friedensbemühungen von "
        "US-Präsident Donald Trump auf…"
    )
    # the cross-heading stays as a paragraph of its own (blank lines collapsed) and as its own sentence
    assert "ausgesetzt.\n\nRutte spricht Trump Anerkennung aus\n\nZu der Vermittlungsinitiative" in a.body
    assert "Rutte spricht Trump Anerkennung aus" in sentences(a.body)
    assert "\n\n\n" not in a.body


def test_001_first_line_is_the_title_and_nothing_else_is_known() -> None:
    [a] = seed("001")
    assert a.title == (
        "NATO-Alliierten verpflichten sich zu milliardenschwerer militärischer Unterstützung für die Ukraine"
    )
    assert (a.date, a.source, a.extra) == (None, None, {})
    assert a.body.startswith("Unter der fortdauernden Bedrohung durch Russland bestätigt NATO")
    assert a.body.endswith("beim bevorstehenden NATO-Gipfel im Juni in Den Haag finalisiert werden.")
    assert a.title not in a.body


def test_002_day_header_trailer_and_cross_heading() -> None:
    [a] = seed("002")
    assert (a.date, a.source, a.extra["dateline"], a.extra["agency_tag"]) == (
        "2025-12-02",
        "dpa-AFX",
        "BRÜSSEL",
        "/aha/DP/mis",
    )
    assert a.body.startswith("Nato-Generalsekretär Mark Rutte ist optimistisch")
    assert a.body.endswith("dass sich Rubio sehr für die Nato engagiere.")
    assert a.title.startswith("Nato-Generalsekretär Mark Rutte ist optimistisch") and a.title.endswith("…")
    assert "\n\nRutte erwartet neue Unterstützungszusagen\n\n" in a.body
    assert "Rutte erwartet neue Unterstützungszusagen" in sentences(a.body)


def test_003_tag_line_and_photo_credit_go_but_the_glued_caption_stays() -> None:
    [a] = seed("003")
    assert (a.date, a.source) == (None, None)
    assert a.extra == {"credit": "© AP Nicolas Tucat", "tags": "Antony Blinken USA Mark Rutte NATO"}
    caption = "Antony Blinken und Mark Rutte am 13. November während einer Pressekonferenz in Brüssel"
    assert f"bereitstellen.\n\n{caption}\n\nDie NATO will ausreichend" in a.body
    assert caption in sentences(a.body)
    assert "©" not in a.body and "Tucat" not in a.body and "USA Mark Rutte NATO" not in a.body
    assert a.body.startswith("Damit die Ukraine den Konflikt auch im Jahr 2025 fortsetzen kann")
    assert a.title.startswith("Damit die Ukraine den Konflikt auch im Jahr 2025") and len(a.title) <= 121


def test_004_section_title_timestamp_source_line_and_teasers() -> None:
    main, first, second = seed("004")
    assert main.title == "Rutte will nach Ukraine-Verhandlungen Russland weiter Druck machen"
    assert (main.date, main.source) == ("2025-12-03", "dts-nachrichtenagentur.de")
    assert main.extra == {"section": "Ausland, Militär", "time": "16:30:43"}
    assert main.body.startswith("Nachdem Vertreter der USA und Russlands sich am Dienstag")
    assert main.body.endswith("der den Krieg gegen die Ukraine beenden könne.")
    gone = ["Ausland, Militär", "16:30:43", "@", "dts-nachrichtenagentur", "Weitere Meldungen", "Ostflanke"]
    assert not [g for g in gone if g in main.body]

    assert (first.doc_id, second.doc_id) == ("004_3e9192d80e1884ae.txt#1", "004_3e9192d80e1884ae.txt#2")
    assert first.title == "Nato-General: Allianz will an Ostflanke heiße Zone einrichten"
    assert first.body.startswith("Die Nato will in den kommenden zwei Jahren an der Grenze zu Russland")
    assert first.body.endswith('das "Eastern Flank Deterrence Line" (EDFL) genannt wird.')
    assert second.title == "Merz betont transatlantische Gemeinsamkeiten im Grönland-Konflikt"
    assert second.body.startswith("Bundeskanzler Friedrich Merz (CDU) hat sich im Grönland-Konflikt")
    assert second.body.endswith("von den USA auf Russland und China.")
    assert (first.date, second.date) == ("2026-01-24", "2026-01-22")
    for teaser, time in ((first, "08:26"), (second, "10:07")):
        assert teaser.source == "dts-nachrichtenagentur.de" and teaser.path == main.path
        assert teaser.extra == {"parent": main.doc_id, "section": "Ausland", "time": time}
        assert "weiterlesen" not in teaser.body and "(Ausland" not in teaser.body


def test_header_variants_dateline_with_other_agency_and_inline_credit() -> None:
    text = (
        "date: 3. Dezember 2025\n"
        "Berlin (dpa) - Die Regierung (Foto: Kay Nietfeld/dpa) plant ein Gesetz. Es gilt ab 2026.\n\n\n\n"
        "Zweiter\u00a0Absatz mit Text./jha/DP/he"
    )
    [a] = parse_news_text(text, "x.txt")
    assert (a.date, a.source, a.extra["dateline"], a.extra["credit"]) == (
        "2025-12-03",
        "dpa",
        "Berlin",
        "Foto: Kay Nietfeld/dpa",
    )
    assert a.extra["agency_tag"] == "/jha/DP/he"
    assert a.body == "Die Regierung plant ein Gesetz. Es gilt ab 2026.\n\nZweiter Absatz mit Text."
    assert a.title == "Die Regierung plant ein Gesetz."


@pytest.mark.parametrize(
    ("stamp", "date", "time"),
    [
        ("03.12.2025, 16:30 Uhr", "2025-12-03", "16:30"),
        ("Mittwoch, 3. Dezember 2025", "2025-12-03", None),
        ("2025-12-03", "2025-12-03", None),
        ("Stand: 03.12.2025 16:30", "2025-12-03", "16:30"),
    ],
)
def test_date_lines_near_the_top(stamp: str, date: str, time: str | None) -> None:
    [a] = parse_news_text(f"Ein Titel ohne Punkt\n{stamp}\n\nDer Text beginnt hier. Er geht weiter.", "t.txt")
    assert (a.title, a.date, a.extra.get("time")) == ("Ein Titel ohne Punkt", date, time)
    assert a.body == "Der Text beginnt hier. Er geht weiter."


def test_credit_lines_are_removed_and_undated_teasers_dropped() -> None:
    text = (
        "Titel der Meldung\n"
        "Foto: picture alliance\n"
        "Der erste Satz steht hier. Ein Bild davon © Reuters\n"
        "Quelle: Beispielzeitung\n\n"
        "Mehr zum Thema\n\n"
        "Ein alter Artikel Die Nato sagt etwas. weiterlesen...\n"
        "Neuer Gipfel geplant Der Gipfel soll im Mai stattfinden. (Politik, 02.05.2025) weiterlesen..."
    )
    main, teaser = parse_news_text(text, "m.txt")
    assert main.body == "Der erste Satz steht hier. Ein Bild davon"
    assert (main.source, main.extra["credit"]) == ("Beispielzeitung", "Foto: picture alliance; © Reuters")
    assert (teaser.doc_id, teaser.title, teaser.body) == (
        "m.txt#1",
        "Neuer Gipfel geplant",
        "Der Gipfel soll im Mai stattfinden.",
    )
    assert (teaser.date, teaser.extra["section"]) == ("2025-05-02", "Politik")


def test_teaser_title_by_shared_words_when_no_function_word_starts_the_body() -> None:
    text = (
        "Haupttext\n\nDer Inhalt steht hier.\n\nLesen Sie auch\n\n"
        "Scholz lobt Kiew-Hilfen Kanzler Olaf Scholz lobt die Hilfen für Kiew. "
        "(Inland, 01.02.2024) weiterlesen..."
    )
    _, teaser = parse_news_text(text, "s.txt")
    assert teaser.title == "Scholz lobt Kiew-Hilfen"
    assert teaser.body == "Kanzler Olaf Scholz lobt die Hilfen für Kiew."


def test_nothing_but_boilerplate_gives_no_article() -> None:
    assert parse_news_text("\n\n© dpa\n\n", "e.txt") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-04", "2025-04"),
        ("2025", "2025"),
        ("2025-4-7", "2025-04-07"),
        ("03.12.2025", "2025-12-03"),
        ("03.12.2025, 16:30 Uhr", "2025-12-03"),
        ("Mittwoch, 3. Dezember 2025", "2025-12-03"),
        ("2025-12-03T16:30:00+01:00", "2025-12-03"),
        ("Dezember 2025", "2025-12"),
        ("31.02.2025", None),
        ("gestern", None),
        ("", None),
    ],
)
def test_normalize_date(text: str, expected: str | None) -> None:
    assert normalize_date(text) == expected
