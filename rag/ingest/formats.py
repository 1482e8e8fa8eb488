"""Finding article files and reading each supported format into ``Article`` values."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from rag.ingest.parse import normalize_date, parse_news_text
from rag.types import Article

SUPPORTED = (".txt", ".md", ".html", ".htm", ".pdf", ".jsonl")


class IngestError(Exception):
    """A file that cannot be indexed; ``str()`` is one line naming the file and the reason."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


def find_files(paths: Iterable[str | Path]) -> list[Path]:
    """Supported files among ``paths`` and, recursively, inside folders (hidden files skipped)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in SUPPORTED
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            if path.suffix.lower() not in SUPPORTED:
                raise IngestError(path, f"unsupported file type {path.suffix or '(none)'}; use {', '.join(SUPPORTED)}")
            found.append(path)
        else:
            raise IngestError(path, "no such file or folder")
    return list(dict.fromkeys(found))


def _decode(path: Path, data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise IngestError(path, "binary content, not a text file")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if sum(not (c.isprintable() or c.isspace()) for c in text[:4096]) > 10:
            break
        return text
    raise IngestError(path, "cannot decode the text (neither UTF-8 nor Windows-1252)")


def read_articles(path: Path) -> list[Article]:
    """The articles in one file; raises ``IngestError`` with the reason when it cannot be read."""
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
    else:
        articles = parse_news_text(_decode(path, data), path.name)
    if not articles:
        raise IngestError(path, "no article text found")
    return [Article(**{**a.__dict__, "path": str(path)}) for a in articles]


def _markdown(path: Path, text: str) -> list[Article]:
    meta: dict[str, str] = {}
    if m := re.match(r"^---\n(.*?)\n---\n", text, re.S):
        for line in m.group(1).splitlines():
            key, _, value = line.partition(":")
            meta[key.strip().lower()] = value.strip().strip("\"'")
        text = text[m.end() :]
    title = meta.get("title")
    if m := re.match(r"^\s*#\s+(.+)\n", text):
        title = title or m.group(1).strip()
        text = text[m.end() :]
    body = re.sub(r"^#{1,6}\s+", "", text, flags=re.M)
    body = re.sub(r"\*\*|__|`", "", re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", body)).strip()
    if not body:
        return []
    article = parse_news_text(body, path.name)[0]
    date = normalize_date(meta["date"]) if meta.get("date") else article.date
    return [
        Article(
            path.name,
            title or article.title,
            article.body,
            date,
            meta.get("source") or article.source,
            meta.get("url"),
            extra=article.extra,
        )
    ]


def _html(path: Path, html: str) -> list[Article]:
    import trafilatura

    extracted = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False)
    doc = extracted.as_dict() if extracted is not None and not isinstance(extracted, dict) else (extracted or {})
    if not (doc.get("text") or "").strip():
        raise IngestError(path, "no main text found in the HTML page")
    return [
        Article(
            path.name,
            doc.get("title") or path.stem,
            doc["text"].strip(),
            normalize_date(doc.get("date") or ""),
            doc.get("sitename") or doc.get("hostname"),
            doc.get("url"),
        )
    ]


def _pdf(path: Path, data: bytes) -> list[Article]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise IngestError(path, "the PDF is encrypted")
        text = "\n".join(page.extract_text() or "" for page in reader.pages).strip()
        meta_title = (reader.metadata.title if reader.metadata else None) or None
    except (PdfReadError, ValueError, KeyError) as exc:
        raise IngestError(path, f"broken PDF ({exc})") from exc
    if not text:
        raise IngestError(path, "the PDF has no extractable text (scanned images?)")
    article = parse_news_text(text, path.name)[0]
    return [
        Article(path.name, meta_title or article.title, article.body, article.date, article.source, extra=article.extra)
    ]


def _jsonl(path: Path, text: str) -> list[Article]:
    """One article per line: ``title``, ``date``, ``text``, optional ``url``/``source``; ids ``<file>#<line>``."""
    articles = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise IngestError(path, f"line {number}: invalid JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or not str(row.get("text") or "").strip():
            raise IngestError(path, f"line {number}: needs an object with a non-empty 'text'")
        body = str(row["text"]).strip()
        date = normalize_date(str(row["date"])) if row.get("date") else None
        title = str(row.get("title") or "").strip() or body.split("\n", 1)[0][:120]
        articles.append(Article(f"{path.name}#{number}", title, body, date, row.get("source"), row.get("url")))
    return articles
