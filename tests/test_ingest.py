from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.ingest import (
    IngestError,
    chunk_article,
    count_tokens,
    find_files,
    normalize_date,
    read_articles,
    resolve_times,
    split_sentences,
    times_overlap,
)
from rag.types import Article

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


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


@pytest.mark.parametrize(
    ("text", "ref", "expected"),
    [
        ("Im vergangenen Jahr hatten die Alliierten", "2025-04", [("Im vergangenen Jahr", "2024")]),
        (
            "In den ersten drei Monaten dieses Jahres haben",
            "2025-04",
            [("In den ersten drei Monaten dieses Jahres", "2025-Q1")],
        ),
        ("auch im kommenden Jahr fortzusetzen", "2025-04", [("im kommenden Jahr", "2026")]),
        (
            "im ersten Quartal 2025 und im Dezember 2025",
            None,
            [("im ersten Quartal 2025", "2025-Q1"), ("Dezember 2025", "2025-12")],
        ),
        ("hat Rutte am Mittwoch angekündigt", "2025-12-03", [("am Mittwoch", "2025-12-03")]),
        ("sich am Dienstag getroffen", "2025-12-03", [("am Dienstag", "2025-12-02")]),
        ("hat Rutte am Mittwoch angekündigt", "2025-04", []),
        ("vergangene Woche", "2025-12-03", [("vergangene Woche", "2025-W48")]),
        ("am 13. November in Brüssel", "2025-04", [("13. November", "2024-11-13")]),
        ("am 13. November in Brüssel", None, []),
        ("20.000 Soldaten und 50 Milliarden Euro, 2024 mehr", None, [("2024", "2024")]),
        ("sagte er der Welt am Sonntag", "2025-12-03", []),
    ],
)
def test_time_expressions_resolve_against_the_article_date(text: str, ref: str | None, expected: list) -> None:
    assert [(m.text, m.value) for m in resolve_times(text, ref)] == expected


def test_time_overlap_by_precision() -> None:
    assert times_overlap("2024", "2024-11-13") and times_overlap("2025-Q1", "2025-03")
    assert not times_overlap("2025-Q1", "2025-04") and not times_overlap("2024", "2025")
    assert times_overlap("2025-12", "2025-W49")


def test_sentences_do_not_break_at_abbreviations_and_ordinals() -> None:
    text = (
        "Deutschland finanzierte ein Paket (431 Mio. Euro). Der Umsatz lag bei 3,5 Mrd. Euro, z. B. im 1. Quartal. "
        "Rutte traf Blinken am 13. November in Brüssel. Das meldet dpa-AFX. Ob das stimmt? Ja!"
    )
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Deutschland finanzierte ein Paket (431 Mio. Euro).",
        "Der Umsatz lag bei 3,5 Mrd. Euro, z. B. im 1. Quartal.",
        "Rutte traf Blinken am 13. November in Brüssel.",
        "Das meldet dpa-AFX.",
        "Ob das stimmt?",
        "Ja!",
    ]


def test_glued_sentences_and_headings_are_split_but_numbers_and_domains_are_not() -> None:
    text = 'Mehr Waffen einlagern."Wir sehen Vorräte", sagte er der "Welt".Zudem gilt 20.000.\nÜberschrift ohne Punkt\nQuelle: dts-nachrichtenagentur.de.'
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Mehr Waffen einlagern.",
        '"Wir sehen Vorräte", sagte er der "Welt".',
        "Zudem gilt 20.000.",
        "Überschrift ohne Punkt",
        "Quelle: dts-nachrichtenagentur.de.",
    ]


def test_chunks_follow_sentences_stay_under_the_token_limit_and_overlap() -> None:
    [article] = seed("000")
    chunks = chunk_article(article, 100, 30)
    assert len(chunks) > 3
    borders = {e for _, e in split_sentences(article.body)}
    for c in chunks:
        assert article.body[c.start : c.end] == c.text
        assert c.n_tokens == count_tokens(c.text) <= 100
        assert c.end in borders
    assert any(b.start < a.end for a, b in zip(chunks, chunks[1:]))
    assert [c.seq for c in chunks] == list(range(len(chunks)))
    with_2024 = [c for c in chunks if "2024" in c.times]
    assert with_2024 and all("Im vergangenen Jahr" in c.text for c in with_2024)


def test_an_overlong_sentence_is_cut_at_token_borders() -> None:
    body = "Wort " * 300
    chunks = chunk_article(Article("x.txt", "T", body.strip()), 50, 10)
    assert all(c.n_tokens <= 51 for c in chunks) and "".join(c.text for c in chunks).replace(" ", "") == body.replace(
        " ", ""
    )


def test_dates_in_several_formats() -> None:
    assert normalize_date("2025-04") == "2025-04"
    assert normalize_date("03.12.2025") == "2025-12-03"
    assert normalize_date("3. Dezember 2025") == "2025-12-03"
    assert normalize_date("2025-12-03T16:30:00+01:00") == "2025-12-03"
    assert normalize_date("Dezember 2025") == "2025-12"
    assert normalize_date("gestern") is None


def test_formats_markdown_html_jsonl_and_bad_files(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(
        "---\ntitle: Front\ndate: 2024-05-01\nsource: Blog\n---\n# Ignored\nDie **Nato** tagt in Brüssel.\n"
    )
    (tmp_path / "b.html").write_text(
        "<html><head><title>Seite</title></head><body><nav>Menü</nav><article><h1>Gipfel in Den Haag</h1>"
        + "<p>Die Nato beschließt beim Gipfel in Den Haag ein neues Ziel für die Verteidigungsausgaben der Mitglieder.</p>"
        * 3
        + "</article></body></html>"
    )
    lines = [{"title": "Eins", "date": "03.12.2025", "text": "Erster Text."}, {"title": "Zwei", "text": "Zweiter."}]
    (tmp_path / "c.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    (tmp_path / "d.jsonl").write_text('{"title": "ok", "text": "fine"}\n{broken\n')
    (tmp_path / "e.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "f.pdf").write_bytes(b"%PDF-1.4 not really")
    (tmp_path / "ignored.exe").write_bytes(b"x")
    (tmp_path / ".hidden.txt").write_text("x")
    assert [p.name for p in find_files([tmp_path])] == ["a.md", "b.html", "c.jsonl", "d.jsonl", "e.txt", "f.pdf"]
    [md] = read_articles(tmp_path / "a.md")
    assert (md.title, md.date, md.source, md.body) == ("Front", "2024-05-01", "Blog", "Die Nato tagt in Brüssel.")
    [html] = read_articles(tmp_path / "b.html")
    assert "Den Haag" in html.body and "Menü" not in html.body
    c = read_articles(tmp_path / "c.jsonl")
    assert [(a.doc_id, a.title, a.date) for a in c] == [
        ("c.jsonl#1", "Eins", "2025-12-03"),
        ("c.jsonl#2", "Zwei", None),
    ]
    with pytest.raises(IngestError, match="d.jsonl: line 2: invalid JSON"):
        read_articles(tmp_path / "d.jsonl")
    with pytest.raises(IngestError, match="binary"):
        read_articles(tmp_path / "e.txt")
    with pytest.raises(IngestError, match="PDF"):
        read_articles(tmp_path / "f.pdf")
    with pytest.raises(IngestError, match="no such file"):
        find_files([tmp_path / "missing"])


def test_pdf_text_is_read(tmp_path: Path) -> None:
    stream = b"BT /F1 12 Tf 72 720 Td (Die Nato tagt in Brussel.) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(pdf)
    pdf += b"xref\n0 6\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    pdf += b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    (tmp_path / "p.pdf").write_bytes(pdf)
    [a] = read_articles(tmp_path / "p.pdf")
    assert a.body == "Die Nato tagt in Brussel." and a.doc_id == "p.pdf"
