"""Plain-text news articles as they really arrive: headers, datelines, credits, agency codes, teasers.

One file may hold more than one story: the "Weitere Meldungen" teasers under an article are
other stories with their own titles and dates, so they become articles of their own
(``<file>#1``, ``<file>#2``, …) instead of polluting the main article.
"""

from __future__ import annotations

import datetime as dt
import re

from rag.ingest.chunking import SENTENCE_STARTERS, split_sentences
from rag.text.timeexpr import MONTHS
from rag.types import Article

_HEADER_DATE = re.compile(
    r"^\s*(?:date|datum)(?::[ \t]*(?P<line>[^\n]*)\n?|[ \t]+(?P<iso>\d{4}(?:-\d{1,2}){0,2})(?!\S)[ \t]*)",
    re.IGNORECASE,
)
_AGENCIES = r"dpa-AFX|dpa|AFP|Reuters|APA|AP|KNA|epd|dts|sid|SDA|ANP|Belga|ots|dapd|ddp|Xinhua|TASS|Interfax"
_DATELINE = re.compile(
    rf"^(?P<place>[A-ZÄÖÜ][\wÄÖÜäöüß.'/-]*(?: [\wÄÖÜäöüß.'/-]+){{0,3}}?)\s*"
    rf"\((?P<agency>(?:{_AGENCIES})(?:[/ ][\w/-]+)*)\)\s*[-–—]\s+"
)
_AGENCY_TAG = re.compile(r"(?<=[.!?\"“”)\s])\s*/[a-z]{2,4}(?:/[A-Za-z]{2,4}){1,3}\s*$")
_TIMESTAMP = re.compile(
    r"^(?:(?:Stand|Datum|Veröffentlicht|Aktualisiert)\s*(?:am)?:?\s*)?(?:[A-Z][a-z]+,\s*)?"
    r"(?P<date>\d{1,2}\.\s?\d{1,2}\.\s?\d{4}|\d{1,2}\.\s?[A-Za-zäÄ]+\s\d{4}|\d{4}-\d\d-\d\d)"
    r"(?:\s*[-,|]?\s*(?P<time>\d{1,2}:\d\d(?::\d\d)?)(?:\s*Uhr)?)?$"
)
_SOURCE_LINE = re.compile(r"^(?:@|Quelle:)\s*(\S.{1,80})$")
_SECTION = re.compile(r"^[A-ZÄÖÜ][\wäöüß-]+(?:,\s*[A-ZÄÖÜ][\wäöüß-]+){0,4}$")
_SENTENCE_END = re.compile(r"[.:;,…]['\"“”»«)]*$")
_PAREN_CREDIT = re.compile(r"\s*\((?:Fotos?|Bild|Bildquelle|Quelle Bild)\s*:[^)\n]*\)")
_CREDIT = re.compile(r"©|(?:^|(?<=[.!?] ))(?:Fotos?|Bild|Bildquelle|Quelle Bild)\s*:")
_GLUE = re.compile(r"[a-zäöüß](?=[A-ZÄÖÜ][a-zäöüß])")
_MORE = re.compile(
    r"^(?:Weitere Meldungen|Mehr zum Thema|Lesen Sie auch|Das könnte Sie auch interessieren):?$",
    re.IGNORECASE,
)
_TEASER_TAIL = re.compile(
    r"\s*\((?:(?P<section>[^(),]{2,40}),\s*)?(?P<date>\d{1,2}\.\d{1,2}\.\d{4})"
    r"(?:\s*-\s*(?P<time>\d{1,2}:\d\d(?::\d\d)?))?\)\s*weiterlesen\W*$",
    re.IGNORECASE,
)


def normalize_date(text: str) -> str | None:
    """ISO date with its precision kept (``2025-04`` stays a month), or None if ``text`` is no date.

    Reads ``2025-12-03``, ``2025-12-03T16:30:00+01:00``, ``03.12.2025``, ``Mittwoch, 03.12.2025, 16:30 Uhr``,
    ``3. Dezember 2025`` and ``Dezember 2025``.
    """
    text = re.sub(r"^[A-Z][a-z]+,\s*", "", text.strip())  # a leading weekday
    year: str | None = None
    month = day = None
    if m := re.match(r"^(\d{4})(?:[-/](\d{1,2}))?(?:[-/](\d{1,2}))?(?:$|[T ]\d)", text):
        year, month, day = m.group(1), m.group(2), m.group(3)
    elif m := re.match(r"^(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})\b", text):
        year, month, day = m.group(3), m.group(2), m.group(1)
    elif m := re.match(r"^(?:(\d{1,2})\.\s?)?([A-Za-zäÄ]+)\s(\d{4})\b", text):
        number = MONTHS.get(m.group(2).lower())
        if number is None:
            return None
        year, month, day = m.group(3), str(number), m.group(1)
    if year is None:
        return None
    try:
        dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return None
    return "-".join([year] + [f"{int(p):02d}" for p in (month, day) if p])


def derive_title(body: str, limit: int = 120) -> str:
    """A title for an article that has none: its first sentence, cut at a word border with "…"."""
    spans = split_sentences(body)
    first = body[spans[0][0] : spans[0][1]] if spans else body.strip()
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0].rstrip(",;:-– ") + "…"


def _remove_credits(line: str, credits: list[str]) -> str:
    """A line without photo credits; a caption glued to a credit ("© AP Nicolas TucatAntony Blinken …")
    becomes a paragraph of its own, since captions carry facts."""
    credits.extend(p.group(0).strip(" ()") for p in _PAREN_CREDIT.finditer(line))
    line = _PAREN_CREDIT.sub("", line)
    m = _CREDIT.search(line)
    if not m:
        return line
    credit, caption = line[m.start() :], ""
    if glue := _GLUE.search(credit):  # credit and caption glued inside a word: "TucatAntony"
        credit, caption = credit[: glue.end()], credit[glue.end() :]
    credits.append(credit.strip())
    before, caption = line[: m.start()].strip(), caption.strip()
    if caption:
        return f"{before}\n\n{caption}\n" if before else f"\n{caption}\n"
    return before


def clean_text(text: str, extra: dict[str, str] | None = None) -> str:
    """Normalised text: line breaks, odd spaces, photo credits removed, at most one blank line in a row.

    Credits removed are kept in ``extra["credit"]`` when ``extra`` is given.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = re.sub(r"[\u00a0\u2007\u202f\u2009\t]", " ", re.sub(r"[\u00ad\u200b]", "", text))
    credits: list[str] = []
    lines = [_remove_credits(line.strip(), credits) for line in text.split("\n")]
    if credits and extra is not None:
        extra["credit"] = "; ".join(credits)
    return _collapse("\n".join(lines))


def _collapse(text: str) -> str:
    """Stripped text with at most one blank line between paragraphs."""
    return re.sub(r"\n{3,}", "\n\n", re.sub(r"[ ]*\n[ ]*", "\n", text)).strip()


def _is_tag_line(line: str) -> bool:
    """A keyword line like "Antony Blinken USA Mark Rutte NATO": capitalised names, no punctuation."""
    tokens = line.split()
    return (
        3 <= len(tokens) <= 15
        and not re.search(r"[^\w\s-]", line)
        and all(t[0].isupper() and t not in SENTENCE_STARTERS for t in tokens)
    )


def _is_heading(line: str) -> bool:
    return 0 < len(line) <= 200 and not _SENTENCE_END.search(line) and not _DATELINE.match(line + " ")


def _read_top(lines: list[str], extra: dict[str, str]) -> tuple[str | None, str | None]:
    """Title and date from the lines above the text (section, title, timestamp); empties the lines it used."""
    title = date = None
    filled = [i for i, line in enumerate(lines) if line]
    for n, i in enumerate(filled[:4]):
        line, rest = lines[i], filled[n + 1 :]
        if not rest:
            break
        if m := _TIMESTAMP.match(line):
            date = date or normalize_date(m.group("date"))
            if m.group("time"):
                extra["time"] = m.group("time")
        elif (
            title is None
            and "section" not in extra
            and len(line) <= 40
            and _SECTION.match(line)
            and (_is_heading(lines[rest[0]]) and not _TIMESTAMP.match(lines[rest[0]]))
        ):
            extra["section"] = line
        elif title is None and _is_heading(line) and not _is_tag_line(line):
            title = line
        else:
            break
        lines[i] = ""
    return title, date


def _split_teaser(text: str) -> tuple[str, str]:
    """Split "TITLE BODY…" of a teaser that has no punctuation between title and body.

    (1) The first capitalised function word ("Die", "Im", "Nach", …) at word position 3–19 starts
    the body: such words are capitalised only at a sentence start. (2) Otherwise take the split k
    (3 ≤ k ≤ 19, body starting with a capital) whose title words (length ≥ 4) recur most in the
    body's first sentence, by a 5-character prefix, minus those that do not: teaser bodies restate
    their headline. Ties go to the longer title.
    """
    words = text.split(" ")
    candidates = range(3, min(20, len(words)))
    for k in candidates:
        if words[k] in SENTENCE_STARTERS:
            return " ".join(words[:k]), " ".join(words[k:])
    best, best_score = 0, -len(words)
    for k in candidates:
        if not words[k][:1].isupper():
            continue
        rest = " ".join(words[k:])
        spans = split_sentences(rest)
        first = rest[: spans[0][1]].lower() if spans else rest.lower()
        content = [w.lower().strip(':,;!?"„“()') for w in words[:k]]
        content = [w for w in content if len(w) >= 4]
        hits = sum(any(part[:5] in first for part in w.split("-") if len(part) >= 4) for w in content)
        if hits - (len(content) - hits) >= best_score:
            best, best_score = k, hits - (len(content) - hits)
    if best == 0:
        return derive_title(text), text
    return " ".join(words[:best]), " ".join(words[best:])


def _teasers(lines: list[str], parent: Article) -> list[Article]:
    """Teasers "TITLE BODY (Ausland, 24.01.2026 - 08:26) weiterlesen..." as articles; undated ones dropped."""
    articles: list[Article] = []
    block: list[str] = []
    for line in lines:
        if not line:
            continue
        block.append(line)
        if not re.search(r"weiterlesen\W*$", line, re.IGNORECASE):
            continue
        text = clean_text(" ".join(block))
        block = []
        m = _TEASER_TAIL.search(text)
        if not m or not text[: m.start()].strip():
            continue
        title, body = _split_teaser(text[: m.start()].strip())
        extra = {"parent": parent.doc_id}
        extra.update({k: v for k in ("section", "time") if (v := m.group(k))})
        doc_id, date = f"{parent.doc_id}#{len(articles) + 1}", normalize_date(m.group("date"))
        articles.append(Article(doc_id, title, body, date, parent.source, extra=extra))
    return articles


def parse_news_text(text: str, doc_id: str) -> list[Article]:
    """The article in ``text`` plus any teaser stories under it, metadata apart from the body.

    Understands ``date`` headers, section/title/timestamp lines, datelines ("BRÜSSEL (dpa-AFX) - "),
    photo credits, keyword lines, source lines ("@ dts-nachrichtenagentur.de") and agency codes
    ("/aha/DP/nas"). Returns ``[]`` when no body text is left.
    """
    extra: dict[str, str] = {}
    text = clean_text(text, extra)
    date = source = None
    if m := _HEADER_DATE.match(text):
        date = normalize_date(m.group("line") or m.group("iso") or "")
        text = text[m.end() :]
    lines = [line.strip() for line in text.split("\n")]
    more = next((i for i, line in enumerate(lines) if _MORE.match(line)), len(lines))
    lines, teaser_lines = lines[:more], lines[more + 1 :]

    title, top_date = _read_top(lines, extra)
    date = date or top_date
    while lines and (not lines[-1] or _SOURCE_LINE.match(lines[-1])):
        if m := _SOURCE_LINE.match(lines.pop()):
            source = m.group(1).strip()
    tags = [line for line in lines if _is_tag_line(line)]
    if tags:
        extra["tags"] = "; ".join(tags)
    body = _collapse("\n".join(line for line in lines if line not in tags))
    if m := _DATELINE.match(body):
        extra["dateline"], source = m.group("place").strip(), source or m.group("agency")
        body = body[m.end() :]
    if m := _AGENCY_TAG.search(body):
        extra["agency_tag"] = m.group(0).strip()
        body = body[: m.start()].rstrip()
    if not body:
        return []
    article = Article(doc_id, title or derive_title(body), body, date, source, extra=extra)
    return [article, *_teasers(teaser_lines, article)]
