"""Plain-text news articles as they really arrive: headers, datelines, credits, agency codes, teasers.

One file may hold more than one story: the "Weitere Meldungen" teasers under an article are
other stories with their own titles and dates, so they become documents of their own
(``<file>#1``, ``<file>#2``, …) instead of polluting the main article.
"""

from __future__ import annotations

import re

from rag.ingest.chunking import split_sentences
from rag.ingest.timeexpr import MONTHS
from rag.types import Article

_HEADER_DATE = re.compile(r"^\s*date:?\s+(\S+)\s*", re.IGNORECASE)
_DATELINE = re.compile(r"^([A-ZÄÖÜ][A-ZÄÖÜ./ -]{1,40}?)\s*\(([^()]{2,30})\)\s*[-–—]\s+")
_AGENCY_TAG = re.compile(r"\s*/[a-z]{2,4}(?:/[A-Za-z]{2,4}){1,3}\s*$")
_TIMESTAMP = re.compile(
    r"^(?:\w+,\s*)?(\d{1,2}\.\s?\d{1,2}\.\s?\d{4}|\d{1,2}\.\s?[A-Za-zäÄöÖüÜ]+\s\d{4}|\d{4}-\d\d-\d\d)"
    r"(?:\s*[-,|]\s*(\d{1,2}:\d\d(?::\d\d)?)(?:\s*Uhr)?)?$"
)
_SOURCE_LINE = re.compile(r"^(?:@|Quelle:)\s*(\S.{1,80})$")
_CREDIT = re.compile(r"(?:©|\(?(?:Foto|Bild|Fotos|Quelle Bild):)\s*[^©]*")
_MORE = re.compile(r"^(Weitere Meldungen|Mehr zum Thema|Lesen Sie auch|Das könnte Sie auch interessieren):?$", re.I)
_TEASER_TAIL = re.compile(
    r"\s*\((?P<section>[^(),]{2,40}),\s*(?P<date>\d{1,2}\.\d{1,2}\.\d{4})(?:\s*-\s*(?P<time>\d{1,2}:\d\d))?\)"
    r"\s*weiterlesen\W*$"
)
_SECTION = re.compile(r"^[A-ZÄÖÜ][\wäöüß-]+(?:,\s*[A-ZÄÖÜ][\wäöüß-]+){0,4}$")
_FUNCTION_WORDS = frozenset(
    [
        "Die",
        "Der",
        "Das",
        "Den",
        "Dem",
        "Des",
        "Ein",
        "Eine",
        "Einen",
        "Einem",
        "Im",
        "Am",
        "Nach",
        "Mit",
        "Bei",
        "Laut",
        "Seit",
        "Es",
        "Er",
        "Sie",
        "Wie",
        "Auch",
        "Zudem",
        "In",
        "Vor",
        "Für",
        "Nachdem",
        "Während",
        "Wegen",
        "Trotz",
        "Um",
        "Bis",
        "Als",
        "Wenn",
        "Dass",
        "Damit",
        "Doch",
        "Aber",
    ]
)


def normalize_date(text: str) -> str | None:
    """ISO date with its precision kept, from ``2025-04``, ``2025-12-02``, ``03.12.2025``, ``3. Dezember 2025``."""
    text = text.strip()
    if m := re.match(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?(?:[T ][\d:.+Z-]*)?$", text):
        parts = [m.group(1)] + [f"{int(g):02d}" for g in m.groups()[1:] if g]
        return "-".join(parts)
    if m := re.match(r"^(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})", text):
        return f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}"
    if m := re.match(r"^(\d{1,2})\.\s?([A-Za-zäÄ]+)\s(\d{4})", text):
        month = MONTHS.get(m.group(2).lower())
        return f"{m.group(3)}-{month:02d}-{int(m.group(1)):02d}" if month else None
    if m := re.match(r"^([A-Za-zäÄ]+)\s(\d{4})$", text):
        month = MONTHS.get(m.group(1).lower())
        return f"{m.group(2)}-{month:02d}" if month else None
    return None


def derive_title(body: str, limit: int = 120) -> str:
    """A title for an article that has none: its first sentence, cut at a word border."""
    spans = split_sentences(body)
    first = body[spans[0][0] : spans[0][1]] if spans else body.strip()
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def _is_tag_line(line: str) -> bool:
    """ "Antony Blinken USA Mark Rutte NATO": keywords, every word capitalised, no punctuation."""
    tokens = line.split()
    return 3 <= len(tokens) <= 15 and not re.search(r"[.,:;!?\"„“()]", line) and all(t[0].isupper() for t in tokens)


def _split_credit(line: str, extra: dict[str, str]) -> str:
    """Remove a photo credit; a caption glued to it ("© AP Nicolas TucatAntony Blinken …") stays."""
    m = _CREDIT.search(line)
    if not m:
        return line
    credit = m.group(0)
    glue = re.search(r"[a-zäöüß][A-ZÄÖÜ]", credit)
    caption = credit[glue.start() + 1 :] if glue else ""
    extra["credit"] = (credit[: glue.start() + 1] if glue else credit).strip(" ()")
    return (line[: m.start()] + caption).strip()


def _teaser_title(text: str) -> tuple[str, str]:
    """Split "TITLE BODY…" of a teaser that has no punctuation between title and body.

    (1) The first capitalised function word ("Die", "Im", …) at word 3–20 starts the body: such
    words are capitalised only at a sentence start. (2) Otherwise take the split whose title words
    recur most in the body's first sentence (teaser bodies restate their headline), ties → longer.
    """
    words = text.split(" ")
    for k in range(3, min(20, len(words))):
        if words[k] in _FUNCTION_WORDS:
            return " ".join(words[:k]), " ".join(words[k:])
    best, best_score = 0, -99
    for k in range(3, min(20, len(words))):
        if not words[k][:1].isupper():
            continue
        first = re.split(r"(?<=[a-zäöüß])\.", " ".join(words[k:]), maxsplit=1)[0].lower()
        content = [w.lower().strip(":,") for w in words[:k] if len(w) >= 4]
        hits = sum(1 for w in content if any(part[:5] in first for part in w.split("-") if len(part) >= 4))
        score = hits - (len(content) - hits)
        if score >= best_score:
            best, best_score = k, score
    if best == 0:
        return derive_title(text), text
    return " ".join(words[:best]), " ".join(words[best:])


def parse_news_text(text: str, doc_id: str) -> list[Article]:
    """The article in ``text`` plus any teaser stories under it, metadata apart from the body."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").lstrip("\ufeff")
    extra: dict[str, str] = {}
    date = source = None
    if m := _HEADER_DATE.match(text):
        date = normalize_date(m.group(1))
        text = text[m.end() :]
    lines = [line.strip() for line in text.split("\n")]
    more = next((i for i, line in enumerate(lines) if _MORE.match(line)), None)
    teaser_lines = lines[more + 1 :] if more is not None else []
    lines = lines[:more] if more is not None else lines

    filled = [i for i, line in enumerate(lines) if line]
    title = None
    stamp = next((i for i in filled[:5] if _TIMESTAMP.match(lines[i])), None)
    if stamp is not None:
        m = _TIMESTAMP.match(lines[stamp])
        assert m is not None
        date = date or normalize_date(m.group(1))
        if m.group(2):
            extra["time"] = m.group(2)
        head = [i for i in filled if i < stamp]
        if len(head) >= 2 and _SECTION.match(lines[head[0]]):
            extra["section"] = lines[head[0]]
        if head:
            title = lines[head[-1]]
        for i in [*head, stamp]:
            lines[i] = ""
    elif len(filled) > 1 and len(lines[filled[0]]) <= 200 and not re.search(r"[.!?\"“]$", lines[filled[0]]):
        title = lines[filled[0]]
        lines[filled[0]] = ""

    kept: list[str] = []
    for line in lines:
        if m := _SOURCE_LINE.match(line):
            source = m.group(1).strip()
            continue
        if _is_tag_line(line):
            extra["tags"] = line
            continue
        kept.append(_split_credit(line, extra) if line else line)
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    if m := _DATELINE.match(body):
        extra["dateline"], source = m.group(1).strip(), source or m.group(2).strip()
        body = body[m.end() :]
    if m := _AGENCY_TAG.search(body):
        extra["agency_tag"] = m.group(0).strip()
        body = body[: m.start()].rstrip()
    if not body:
        return []
    articles = [Article(doc_id, title or derive_title(body), body, date, source, extra=extra)]
    for paragraph in re.split(r"\n\s*\n", "\n".join(teaser_lines)):
        m = _TEASER_TAIL.search(paragraph.strip())
        if not m:
            continue
        teaser_title, teaser_body = _teaser_title(paragraph.strip()[: m.start()].strip())
        teaser_extra = {"section": m.group("section"), "parent": doc_id}
        if m.group("time"):
            teaser_extra["time"] = m.group("time")
        teaser_id = f"{doc_id}#{len(articles)}"
        articles.append(
            Article(teaser_id, teaser_title, teaser_body, normalize_date(m.group("date")), source, extra=teaser_extra)
        )
    return articles
