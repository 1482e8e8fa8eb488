"""File discovery and the .txt/.md/.html/.pdf/.jsonl readers, including files that cannot be read."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pypdf import PdfWriter

from rag.ingest import IngestError, find_files, read_articles


def make_pdf(lines: list[str], title: str | None = None) -> bytes:
    """A minimal one-page PDF with Helvetica text lines, written by hand (pypdf cannot write text)."""
    text = " ".join(f"({line}) Tj 0 -16 Td" for line in lines)
    stream = f"BT /F1 12 Tf 72 720 Td {text} ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        f"<< /Title ({title or ''}) >>".encode("latin-1"),
    ]
    pdf, offsets = b"%PDF-1.4\n", []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    info = b" /Info 6 0 R" if title else b""
    pdf += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, info, xref)
    return pdf


def test_find_files_walks_folders_sorted_and_skips_hidden_and_other_types(tmp_path: Path) -> None:
    names = ["b.txt", "a.md", "sub/c.HTML", "sub/d.pdf", "e.jsonl", "f.htm", "g.exe", ".h.txt", ".git/x.txt"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = find_files([tmp_path / "sub", tmp_path, str(tmp_path / "b.txt")])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a.md",
        "b.txt",
        "e.jsonl",
        "f.htm",
        "sub/c.HTML",
        "sub/d.pdf",
    ]
    with pytest.raises(IngestError, match="no such file or folder"):
        find_files([tmp_path / "missing"])
    with pytest.raises(IngestError, match="unsupported file type .exe"):
        find_files([tmp_path / "g.exe"])


def test_ingest_error_is_one_line() -> None:
    error = IngestError(Path("x/a.txt"), "broken\nin two lines")
    assert str(error) == "x/a.txt: broken in two lines" and error.path == "x/a.txt"


def test_txt_is_parsed_as_news_and_decoded_from_cp1252_or_utf8_with_bom(tmp_path: Path) -> None:
    (tmp_path / "w.txt").write_bytes("Grüße aus Köln\nDer Text über Straßen.".encode("cp1252"))
    (tmp_path / "u.txt").write_bytes("\ufeffGrüße aus Köln\nDer Text über Straßen.".encode())
    for name in ("w.txt", "u.txt"):
        [a] = read_articles(tmp_path / name)
        assert (a.doc_id, a.title, a.body, a.path) == (
            name,
            "Grüße aus Köln",
            "Der Text über Straßen.",
            str(tmp_path / name),
        )


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("bin.txt", b"\x00\x01\x02\x03binary\xff\xfe", "binary content"),
        ("ctl.txt", bytes(range(1, 32)) * 20, "binary content"),
        ("empty.txt", b"", "empty file"),
        ("blank.md", b"  \n\n \t\n", "empty file"),
        ("bom.txt", b"\xef\xbb\xbf", "empty file"),
        ("undecodable.txt", b"Text \x81\x8d\x8f\x90 mehr \xc3", "cannot decode"),
        ("broken.pdf", b"%PDF-1.4 not really a pdf", "broken PDF"),
        ("noise.pdf", b"\x89PNG\r\n\x1a\n" + bytes(200), "broken PDF"),
        ("boiler.txt", "© dpa\n\nFoto: AP\n".encode(), "no article text found"),
    ],
)
def test_unreadable_files_raise_ingest_error(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    (tmp_path / name).write_bytes(data)
    with pytest.raises(IngestError, match=reason) as info:
        read_articles(tmp_path / name)
    assert str(info.value).startswith(f"{tmp_path / name}: ") and "\n" not in str(info.value)


def test_markdown_with_front_matter(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(
        '---\ntitle: "Gipfel in Den Haag"\ndate: 03.12.2025\nsource: Blog\nurl: https://example.org/a\n---\n'
        "# Ignorierte Überschrift\n\nDie **Nato** tagt in [Den Haag](https://example.org).\n\n"
        "## Zwischentitel\n\n![Bild](x.png)Foto: AP\nDer `Gipfel` endet.\n"
    )
    [a] = read_articles(tmp_path / "a.md")
    assert (a.doc_id, a.title, a.date, a.source, a.url) == (
        "a.md",
        "Gipfel in Den Haag",
        "2025-12-03",
        "Blog",
        "https://example.org/a",
    )
    assert a.body == "Die Nato tagt in Den Haag.\n\nZwischentitel\n\nDer Gipfel endet."
    assert a.extra == {"credit": "Foto: AP"}


def test_markdown_heading_is_the_title_without_front_matter(tmp_path: Path) -> None:
    (tmp_path / "b.md").write_text("# Nato-Gipfel\n\nBERLIN (dpa) - Der Text bleibt wie er ist.\n")
    [a] = read_articles(tmp_path / "b.md")
    assert (a.title, a.date, a.source) == ("Nato-Gipfel", None, None)
    assert a.body == "BERLIN (dpa) - Der Text bleibt wie er ist."  # no news heuristics for .md


def test_html_main_text_and_metadata(tmp_path: Path) -> None:
    paragraph = (
        "<p>Die Nato beschließt beim Gipfel in Den Haag ein neues Ziel für die Verteidigungsausgaben "
        "ihrer Mitglieder, sagte der Generalsekretär.</p>"
    )
    (tmp_path / "b.html").write_text(
        "<html><head><title>Seite | Zeitung</title>"
        '<meta property="article:published_time" content="2025-06-25T10:00:00+02:00"></head>'
        "<body><nav><ul><li>Menü</li><li>Sport</li></ul></nav><article><h1>Gipfel in Den Haag</h1>"
        + paragraph * 3
        + "</article><footer>Impressum</footer></body></html>"
    )
    [a] = read_articles(tmp_path / "b.html")
    assert (a.doc_id, a.title, a.date) == ("b.html", "Gipfel in Den Haag", "2025-06-25")
    assert a.body.startswith("Die Nato beschließt beim Gipfel in Den Haag")
    assert "Menü" not in a.body and "Impressum" not in a.body and "Gipfel in Den Haag\n" not in a.body


def test_html_date_is_not_guessed_from_the_story(tmp_path: Path) -> None:
    paragraph = "<p>Die Nato beschließt in Den Haag ein neues Ziel für die Ausgaben ihrer Mitglieder.</p>"
    story = "<p>Am 13. November 2024 traf Rutte in Brüssel den US-Außenminister Blinken.</p>"
    (tmp_path / "n.html").write_text(
        f"<html><body><article><h1>Titel</h1>{paragraph * 3}{story}</article></body></html>"
    )
    [a] = read_articles(tmp_path / "n.html")
    assert (a.title, a.date) == ("Titel", None)
    assert "13. November 2024" in a.body


def test_html_without_text_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "e.htm").write_text(
        "<html><head><title>Leer</title><script>var x = 1;</script></head><body></body></html>"
    )
    with pytest.raises(IngestError, match="no main text"):
        read_articles(tmp_path / "e.htm")


def test_pdf_text_with_metadata_title(tmp_path: Path) -> None:
    lines = ["Die Nato tagt in Brussel.", "Sie beschliesst mehr Hilfe."]
    (tmp_path / "p.pdf").write_bytes(make_pdf(lines, "Nato"))
    [a] = read_articles(tmp_path / "p.pdf")
    assert (a.doc_id, a.title) == ("p.pdf", "Nato")
    assert a.body == "Die Nato tagt in Brussel.\nSie beschliesst mehr Hilfe."


def test_pdf_title_from_its_first_line(tmp_path: Path) -> None:
    (tmp_path / "q.pdf").write_bytes(make_pdf(["Gipfel in Den Haag", "Die Nato tagt.", "Mehr folgt."]))
    [a] = read_articles(tmp_path / "q.pdf")
    assert a.title == "Gipfel in Den Haag"
    assert a.body.split() == ["Die", "Nato", "tagt.", "Mehr", "folgt."]


def test_pdf_line_wrapping_and_hyphenation_are_undone(tmp_path: Path) -> None:
    lines = [
        "Nato rüstet auf",
        "Die Nato will in den kommenden zwei Jahren an der Grenze zu Russland massiv",
        "aufrüsten und deutlich mehr Waffen einla-",
        "gern. Das sagte ein General. Die Nato-",
        "Staaten wollen Waffen- und Munitionsdepots an der Grenze zu Russland bauen,",
        "sagte er.",
        "Kurze Zeile",
        "Ende.",
    ]
    (tmp_path / "w.pdf").write_bytes(make_pdf(lines))
    [a] = read_articles(tmp_path / "w.pdf")
    assert a.title == "Nato rüstet auf"
    assert a.body.split("\n") == [
        "Die Nato will in den kommenden zwei Jahren an der Grenze zu Russland massiv aufrüsten "
        "und deutlich mehr Waffen einlagern. Das sagte ein General. Die Nato-Staaten wollen Waffen- "
        "und Munitionsdepots an der Grenze zu Russland bauen, sagte er.",
        "Kurze Zeile",
        "Ende.",
    ]


def test_encrypted_and_empty_pdfs_are_errors(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    blank = io.BytesIO()
    writer.write(blank)
    (tmp_path / "blank.pdf").write_bytes(blank.getvalue())
    writer.encrypt("geheim", algorithm="RC4-128")
    locked = io.BytesIO()
    writer.write(locked)
    (tmp_path / "locked.pdf").write_bytes(locked.getvalue())
    with pytest.raises(IngestError, match="encrypted"):
        read_articles(tmp_path / "locked.pdf")
    with pytest.raises(IngestError, match="no extractable text"):
        read_articles(tmp_path / "blank.pdf")


def test_jsonl_one_article_per_line(tmp_path: Path) -> None:
    rows = [
        {"title": "Eins", "date": "03.12.2025", "text": "Erster Text.", "url": "u", "source": "s"},
        {"title": "Zwei", "date": "2025-04", "text": "Zweiter Text."},
        {"date": "irgendwann", "text": "Dritter Text ohne Titel. Noch ein Satz."},
    ]
    lines = [json.dumps(rows[0]), "", json.dumps(rows[1]), json.dumps(rows[2], ensure_ascii=False)]
    (tmp_path / "c.jsonl").write_text("\n".join(lines) + "\n")
    articles = read_articles(tmp_path / "c.jsonl")
    assert [(a.doc_id, a.title, a.date, a.source, a.url) for a in articles] == [
        ("c.jsonl#1", "Eins", "2025-12-03", "s", "u"),
        ("c.jsonl#3", "Zwei", "2025-04", None, None),
        ("c.jsonl#4", "Dritter Text ohne Titel.", None, None, None),
    ]
    assert articles[0].body == "Erster Text." and articles[0].path == str(tmp_path / "c.jsonl")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"title": "ok", "text": "fine"}\n{broken\n', "line 2: invalid JSON"),
        ('{"title": "ok", "text": "fine"}\n\n["a list"]\n', "line 3: needs a JSON object"),
        ('{"title": "no text"}\n', "line 1: needs a JSON object with a non-empty 'text'"),
    ],
)
def test_jsonl_with_a_bad_line_fails_as_a_whole(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "d.jsonl").write_text(content)
    with pytest.raises(IngestError, match=f"d.jsonl: {message}"):
        read_articles(tmp_path / "d.jsonl")
