from __future__ import annotations

from pathlib import Path

from rag.ingest import (
    read_articles,
)
from rag.types import Article

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def seed(prefix: str) -> list[Article]:
    return read_articles(next(SEEDS.glob(f"{prefix}_*.txt")))


def test_dpa_article_with_month_header_dateline_and_agency_code() -> None:
    [a] = seed("000")
    assert a.doc_id == "000_304af5a79256d6cf.txt"
    assert (a.date, a.source, a.extra["dateline"], a.extra["agency_tag"]) == (
        "2025-04",
        "dpa-AFX",
        "BRÜSSEL",
        "/aha/DP/nas",
    )
    assert a.body.startswith("Die von Russland angegriffene Ukraine")
    assert a.body.endswith("in Den Haag vereinbart werden.")
    assert a.title.startswith("Die von Russland angegriffene Ukraine") and len(a.title) <= 125
    assert "\nRutte spricht Trump Anerkennung aus\n" in a.body


def test_rewrite_without_date_takes_its_first_line_as_title() -> None:
    [a] = seed("001")
    assert (
        a.title == "NATO-Alliierten verpflichten sich zu milliardenschwerer militärischer Unterstützung für die Ukraine"
    )
    assert a.date is None and a.source is None
    assert a.body.startswith("Unter der fortdauernden Bedrohung")


def test_day_header_and_trailer() -> None:
    [a] = seed("002")
    assert (a.date, a.source, a.extra["agency_tag"]) == ("2025-12-02", "dpa-AFX", "/aha/DP/mis")
    assert a.body.endswith("sehr für die Nato engagiere.")


def test_photo_credit_is_dropped_but_the_glued_caption_stays() -> None:
    [a] = seed("003")
    assert a.date is None
    assert a.extra["credit"] == "© AP Nicolas Tucat"
    assert a.extra["tags"] == "Antony Blinken USA Mark Rutte NATO"
    assert "\nAntony Blinken und Mark Rutte am 13. November während einer Pressekonferenz in Brüssel\n" in a.body
    assert "©" not in a.body and "Tucat" not in a.body and "USA Mark Rutte NATO" not in a.body


def test_teasers_of_other_stories_become_their_own_documents() -> None:
    main, first, second = seed("004")
    assert main.title == "Rutte will nach Ukraine-Verhandlungen Russland weiter Druck machen"
    assert (main.date, main.source, main.extra["section"]) == (
        "2025-12-03",
        "dts-nachrichtenagentur.de",
        "Ausland, Militär",
    )
    assert main.body.endswith("den Krieg gegen die Ukraine beenden könne.")
    assert "Weitere Meldungen" not in main.body and "Grönland" not in main.body
    assert first.doc_id == "004_3e9192d80e1884ae.txt#1" and first.extra["parent"] == main.doc_id
    assert (first.title, first.date) == ("Nato-General: Allianz will an Ostflanke heiße Zone einrichten", "2026-01-24")
    assert first.body.startswith("Die Nato will in den kommenden zwei Jahren")
    assert first.body.endswith('"Eastern Flank Deterrence Line" (EDFL) genannt wird.')
    assert (second.title, second.date) == (
        "Merz betont transatlantische Gemeinsamkeiten im Grönland-Konflikt",
        "2026-01-22",
    )
    assert second.body.startswith("Bundeskanzler Friedrich Merz (CDU)")
