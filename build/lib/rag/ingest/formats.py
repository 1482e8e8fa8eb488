"""Finding article files and reading each supported format into ``Article`` values.

Plain ``.txt`` files are news dumps and go through the news heuristics of ``parse_news_text``;
``.md``, ``.html`` and ``.pdf`` carry their metadata in the format itself, so their text only gets
``clean_text`` (spaces, photo credits, blank lines). ``.jsonl`` holds one article per line.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from collections.abc import Iterable
from pathlib import Path

from rag.errors import RagError
from rag.ingest.parse import clean_text, derive_title, normalize_date, parse_news_text
from rag.types import Article

SUPPORTED = (".txt", ".md", ".html", ".htm", ".pdf", ".jsonl")


class IngestError(RagError):
    """A file that cannot be indexed; ``str()`` is one line: ``"<path>: <reason>"``."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {' '.join(reason.split())}")
        self.path = str(path)
        self.reason = reason


def find_files(paths: Iterable[str | Path]) -> list[Path]:
    """Supported files among ``paths`` and, recursively, inside folders; sorted, hidden ones skipped.

    A missing path, or a file named explicitly whose type is not supported, raises ``IngestError``.
    """
    found: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.update(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in SUPPORTED
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            if path.suffix.lower() not in SUPPORTED:
                kinds = ", ".join(SUPPORTED)
                raise IngestError(path, f"unsupported file type {path.suffix or '(none)'}; use {kinds}")
            found.add(path)
        else:
            raise IngestError(path, "no such file or folder")
    return sorted(found)


def _decode(path: Path, data: bytes) -> str:
    """Text of a file: UTF-8 (with or without BOM), else Windows-1252; binary content is refused."""
    if b"\x00" in data:
        raise IngestError(path, "binary content (NUL bytes), not a text file")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        sample = text[:4096]
        if sum(not (c.isprintable() or c.isspace()) for c in sample) > max(2, len(sample) // 100):
            raise IngestError(path, "binary content (control characters), not a text file")
        if not text.strip():
            raise IngestError(path, "empty file")
        return text
    raise IngestError(path, "cannot decode the text (neither UTF-8 nor Windows-1252)")


def read_articles(path: Path) -> list[Article]:
    """The articles in one file, by extension; raises ``IngestError`` with the reason when it cannot be read.

    The first article's ``doc_id`` is the file name; teasers split out of a ``.txt`` get ``<name>#1``, …
    and every ``.jsonl`` line is ``<name>#<line number>``.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(path, f"cannot read ({exc.strerror})") from exc
    if not data.strip():
        raise IngestError(path, "empty file")
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        articles = _pdf(path, data)
    elif suffix in (".html", ".htm"):
        articles = _html(path, _decode(path, data))
    elif suffix == ".jsonl":
        articles = _jsonl(path, _decode(path, data))
    elif suffix == ".md":
        articles = _markdown(path, _decode(path, data))
    elif suffix == ".txt":
        articles = parse_news_text(_decode(path, data), path.name)
    else:
        raise IngestError(path, f"unsupported file type {suffix or '(none)'}")
    if not articles:
        raise IngestError(path, "no article text found")
    return [dataclasses.replace(a, path=str(path)) for a in articles]


def _markdown(path: Path, text: str) -> list[Article]:
    """YAML front matter (title/date/source/url), a leading ``# Title``, markup stripped from the body."""
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    meta: dict[str, str] = {}
    if m := re.match(r"---[ \t]*\n(.*?)\n---[ \t]*(?:\n|$)", text, re.S):
        for line in m.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                meta[key.strip().lower()] = value.strip().strip("\"'")
        text = text[m.end() :]
    title = meta.get("title") or None
    if m := re.match(r"\s*#[ \t]+(.+)\n?", text):
        title = title or m.group(1).strip()
        text = text[m.end() :]
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links keep their text
    text = re.sub(r"^#{1,6}[ \t]+", "", text, flags=re.M)  # sub-headings stay as their own lines
    text = re.sub(r"(\*\*|__|`)", "", text)
    extra: dict[str, str] = {}
    body = clean_text(text, extra)
    if not body:
        return []
    return [
        Article(
            path.name,
            title or derive_title(body),
            body,
            normalize_date(meta["date"]) if meta.get("date") else None,
            meta.get("source"),
            meta.get("url"),
            extra=extra,
        )
    ]


def _html(path: Path, html: str) -> list[Article]:
    """Main text and metadata by trafilatura (offline: it only parses the given string)."""
    import trafilatura

    # dates from metadata, <time> and byline elements only: a date guessed from the text is often
    # an event in the story, and a wrong article date shifts every relative time in it
    dates = {"extensive_search": False, "original_date": True}
    extracted = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, date_extraction_params=dates
    )
    if extracted is not None and not isinstance(extracted, dict):
        extracted = extracted.as_dict()
    doc = extracted or {}
    if not (doc.get("text") or "").strip():
        raise IngestError(path, "no main text found in the HTML page")
    extra: dict[str, str] = {}
    body = clean_text(doc["text"], extra)
    title = (doc.get("title") or "").strip()
    if title and body.startswith(title + "\n"):
        body = body[len(title) :].lstrip()  # trafilatura repeats the <h1> as the first line
    return [
        Article(
            path.name,
            title or derive_title(body),
            body,
            normalize_date(doc.get("date") or ""),
            doc.get("sitename") or doc.get("hostname"),
            doc.get("url"),
            extra=extra,
        )
    ]


def _reflow(text: str) -> str:
    """Undo PDF line wrapping: join a line to the next when it is long (≥ 50 characters and ≥ 70 % of
    the widest line: a wrapped line) or the next starts in lowercase; short lines (headings,
    paragraph ends) keep their break."""
    lines = [line.strip() for line in text.split("\n")]
    wrapped = max(50, 0.7 * max((len(line) for line in lines), default=0))
    out = lines[:1]
    for previous, line in zip(lines, lines[1:]):
        if re.search(r"\w-$", previous) and line and not re.match(r"(?:und|oder|bzw)\b", line):
            # "einla-" "gern" → "einlagern", "Nato-" "Staaten" → "Nato-Staaten" ("Waffen- und" stays)
            out[-1] = (out[-1][:-1] if line[0].islower() else out[-1]) + line
        elif previous and line and (len(previous) >= wrapped or line[0].islower()):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return "\n".join(out)


def _pdf(path: Path, data: bytes) -> list[Article]:
    """Text of all pages by pypdf; title from the PDF metadata or the first line."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(path, "the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except IngestError:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files; all mean "cannot read it"
        raise IngestError(path, f"broken PDF ({type(exc).__name__}: {exc})") from exc
    extra: dict[str, str] = {}
    body = clean_text(_reflow("\n\n".join(pages)), extra)
    if not body:
        raise IngestError(path, "the PDF has no extractable text (scanned images?)")
    title = meta_title.strip()
    first, _, rest = body.partition("\n")
    if not title and rest.strip() and len(first) <= 200 and not re.search(r"[.,:;]$", first):
        title, body = first, rest.strip()
    return [Article(path.name, title or derive_title(body), body, extra=extra)]


def _jsonl(path: Path, text: str) -> list[Article]:
    """One article per line (``title``, ``date``, ``text``, optional ``url``, ``source``), ids ``<file>#<n>``.

    One bad line fails the whole file (with its line number): a half-read file would silently
    change the index, and the fix is in the file anyway.
    """
    articles = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise IngestError(path, f"line {number}: invalid JSON ({exc.msg} at column {exc.colno})") from exc
        if not isinstance(row, dict) or not str(row.get("text") or "").strip():
            raise IngestError(path, f"line {number}: needs a JSON object with a non-empty 'text'")
        extra: dict[str, str] = {}
        body = clean_text(str(row["text"]), extra)
        title = " ".join(str(row.get("title") or "").split()) or derive_title(body)
        date = normalize_date(str(row["date"])) if row.get("date") else None
        source, url = (str(row[k]) if row.get(k) else None for k in ("source", "url"))
        articles.append(Article(f"{path.name}#{number}", title, body, date, source, url, extra=extra))
    return articles
