"""Candidate answer sentences and the features the learned selector scores them by.

Every sentence of the retrieved passages is a candidate. Its features compare it with the
question: meaning (cosine of the stored sentence vector to the query vector, also for its
neighbours), words (IDF-weighted share of the question's stems, in the sentence, around it and in
the whole passage), the rarest question words it lacks, names, numbers and times shared with the
question, whether it holds a phrase of the asked answer type, and where it stands (passage rank,
position in the article, whether it is the story's dateline lead, which restates what the question
is about rather than the detail it asks for). The same function serves answering and training, so
the model sees at training time exactly what it will see when it answers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

import numpy as np

from rag.answer.followup import CITATION_MARKS
from rag.answer.names import mentions
from rag.answer.question import QuestionInfo
from rag.answer.spans import DATELINE, WEEKDAY, counts_the_unasked, find_span
from rag.index.store import ArticleSentences
from rag.text.lexical import inflection_head, names_and_numbers, split_compound, stem, terms, words
from rag.text.timeexpr import resolve_times, time_interval, times_overlap
from rag.types import Passage, TimeMention

FEATURES = (
    "dense",
    "dense_gap",
    "dense_neighbours",
    "dense_english",
    "dense_residual",
    "centrality",
    "lexical",
    "lexical_gap",
    "lexical_local",
    "lexical_window",
    "lexical_passage",
    "lexical_off_span",
    "missing_rare_sentence",
    "missing_rare_passage",
    "capitalised_shared",
    "capitalised_window",
    "bigrams",
    "dense_rank",
    "lexical_rank",
    "focus_sentence",
    "focus_missing_article",
    "numbers_shared",
    "span_found",
    "span_missing",
    "span_date",
    "span_quantity",
    "span_name",
    "span_missing_date",
    "span_missing_quantity",
    "span_missing_name",
    "measured_missing",
    "unit_found",
    "unit_missing",
    "time_fit",
    "time_conflict",
    "reason_cue",
    "passage_rank",
    "passage_score",
    "in_passage",
    "first_sentence",
    "position",
    "length",
    "new_words",
    "new_words_why",
    "anaphor",
    "dateline",
    "dateline_unfit",
    "count_unasked",
    "previous_sentence",
    "previous_near",
    "repeats_previous",
)
"""Feature names, in the order of ``Candidate.features`` and of the selector's weights."""

ANAPHOR = re.compile(
    r"^(Sie|Er|Es|Dies|Diese[mnrs]?|Jene[mnrs]?|Solche[mnrs]?|Als solche[rs]?|Deren|Dessen|Damit|Dazu|Dabei|"
    r"Dadurch|Dafür|Davon|Darauf|Darin|Daraus|Danach|Demnach|Deshalb|Daher|Dort|Ihr|Ihre[mnrs]?|Sein|Seine[mnrs]?)\b"
)
_REASON = re.compile(  # „Hauptgrund“, „Hintergrund“, „Auslöser“, „Die Überlegung dahinter:“, „erklärt sich durch“
    r"\b(weil|da|denn|wegen|aufgrund|auf grund|\w*grund|\w*gründe|ursache|motiv|daher|deshalb|deswegen|"
    r"nachdem|infolge|angesichts|damit|ausgelöst|auslöser|führte|führten|zurückzuführen|dahinter|"
    r"somit|schließlich|zumal|sodass|so dass|aus protest|erklärt sich|begründ\w*|argumentier\w*|"
    r"schuld (?:ist|sind|sei|war|waren|trägt|tragen)|auf druck|aus mangel|mangels|lieg?t daran)\b"
    # a purpose: „Um Abwerbungen vorzubeugen, …“, „…, um "Verfolger abzuhängen"“ (not „um 20 Prozent zu Hause“)
    r"|\bum\s+(?:[\"„]?[^\W\d][\w-]*[\"“]?\s+){0,8}?[\"„]?(?:zu\s+\w+n|\w+zu\w+n)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d[\d.,]*\d|\d")
_MIN_CHARS = 15
_QUANTITY = ("amount", "count", "duration", "age")
_NAMED = ("person", "place", "name", "list")


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage with its features.

    ``start``/``end`` are offsets into ``passage.text``; a sentence that opens with a pronoun
    ("Sie sieht vor, dass …") starts at its predecessor, which names what the pronoun stands for.
    """

    passage: Passage
    rank: int
    start: int
    end: int
    text: str
    span: str | None
    time_notes: tuple[str, ...]
    features: np.ndarray

    @property
    def in_article(self) -> tuple[int, int]:
        """Where the quoted text stands in its article's body."""
        return self.passage.start + self.start, self.passage.start + self.end


def _numbers(text: str) -> set[str]:
    return {re.sub(r"[.,]", "", n) for n in _NUMBER.findall(text)}


def _share_in(words: Sequence[str], text: str) -> float:
    """Share of ``words`` that occur in ``text`` (lower case; long words by their first six letters)."""
    if not words:
        return 0.0
    low = text.lower()
    return sum((w[:6] if len(w) > 7 else w) in low for w in words) / len(words)


def _bigrams(stems: Sequence[str], found: Sequence[str]) -> float:
    """Share of the question's neighbouring stem pairs that stand side by side in the sentence too."""
    pairs = set(zip(stems, stems[1:]))
    return len(pairs & set(zip(found, found[1:]))) / len(pairs) if pairs else 0.0


def _match(term: str, found: AbstractSet[str], heads: AbstractSet[str]) -> float:
    """1 for the same stem; 0.7 for a German inflection of it ("vertritt" ~ "vertreten"): a found stem
    begins with the term's ``inflection_head``, or the term with a found stem of five letters or more. ``heads``:
    the found stems cut to the lengths of the question terms' heads."""
    if term in found:
        return 1.0
    if len(term) >= 6 and (inflection_head(term) in heads or any(term[:k] in found for k in range(5, len(term)))):
        return 0.7
    return 0.0


def known_word(word: str, vocabulary: set[str]) -> bool:
    """Whether the corpus has the word, an inflection of it, a compound it is part of, or its parts."""
    for part in word.lower().split("-"):
        head = inflection_head(stem(part))
        if any(head in v for v in vocabulary) or split_compound(part, vocabulary):
            return True
    return False


def time_fit(asked: str, stated: str) -> float:
    """1 when the stated time lies within the asked one, 0.5 when it only overlaps (a whole year for a month)."""
    if not times_overlap(asked, stated):
        return 0.0
    a0, a1 = time_interval(asked)
    s0, s1 = time_interval(stated)
    return 1.0 if a0 <= s0 and s1 <= a1 else 0.5


class _Coverage:
    """IDF-weighted share of the question's stems found in a text.

    A question compound the text does not have counts half when the text has one of its parts
    („Werbegesicht“ ~ „Werbeträger“ by „werb“).
    """

    def __init__(self, q: QuestionInfo, idf: Callable[[str], float], vocabulary: set[str]) -> None:
        self.weights = {t: idf(t) for t in q.terms}
        self.total = sum(self.weights.values()) or 1.0
        self.vocabulary = vocabulary
        self.parts = {stem(w): [p for p in split_compound(w, vocabulary) if len(p) >= 4] for w in words(q.text)}
        self._matches: dict[frozenset[str], list[tuple[float, float]]] = {}
        self._expanded: dict[str, list[str]] = {}
        self._head_lengths = {len(inflection_head(t)) for t in self.weights if len(t) >= 6}

    def found(self, text: str, times: Sequence[str] = ()) -> frozenset[str]:
        return frozenset(terms(text, self.vocabulary, times, self._expanded))

    def _match_term(self, term: str, found: AbstractSet[str], heads: AbstractSet[str]) -> float:
        score = _match(term, found, heads)
        if not score and any(p in found for p in self.parts.get(term, ())):
            return 0.5
        return score

    def weighted(self, found: frozenset[str]) -> list[tuple[float, float]]:
        """(weight, match) of each question term in ``found``; each text's terms are matched once."""
        if found not in self._matches:
            heads = {f[:n] for f in found for n in self._head_lengths}
            self._matches[found] = [(w, self._match_term(t, found, heads)) for t, w in self.weights.items()]
        return self._matches[found]

    def share(self, found: frozenset[str]) -> float:
        return sum(w * m for w, m in self.weighted(found)) / self.total

    def missing_rare(self, found: frozenset[str]) -> float:
        """IDF of the rarest question term the text lacks (0 when it lacks none)."""
        return max((w for w, m in self.weighted(found) if not m), default=0.0)


def candidates(
    q: QuestionInfo,
    passages: Sequence[Passage],
    sentences: Mapping[str, ArticleSentences],
    bodies: Mapping[str, str],
    query: np.ndarray,
    idf: Callable[[str], float],
    vocabulary: set[str],
) -> list[Candidate]:
    """Every sentence of the articles the passages come from, with its features.

    The answer often stands a chunk away from the one retrieved („Wie viel kostet der Bau?“ finds
    the article by its teaser), so all sentences of each retrieved article are candidates, at the
    rank of the article's best passage; ``in_passage`` tells which ones were retrieved. A sentence
    outside the retrieved chunks is cited with its neighbours as passage. ``sentences`` holds each
    article's stored sentence spans and vectors, ``bodies`` its text; ``query`` is the question's
    vector; ``idf`` gives a stem's rarity in [0, 1].
    """
    asked = q.as_asked()  # a sentence answers what is asked; the words carried over find the story
    cover = _Coverage(q, idf, vocabulary)
    sentence_cover = cover if asked is q else _Coverage(asked, idf, vocabulary)
    german = 0.0 if q.english else 1.0
    q_numbers = _numbers(asked.text) - {t for t in q.times}
    names = [f for f in q.focus if not f.isdigit()]
    asked_names = [f for f in asked.focus if not f.isdigit()]
    capitalised = names_and_numbers(asked.text)
    unit = re.compile(q.unit, re.IGNORECASE) if q.unit else None
    q_stems = [stem(w) for w in words(asked.text)]
    best_score = max((p.score for p in passages), default=1.0) or 1.0
    measured_unknown = float(q.measured is not None and not q.english and not known_word(q.measured, vocabulary))
    previous_text = CITATION_MARKS.sub("", q.previous_answer or "")
    previous = {t: idf(t) for t in terms(previous_text)} if previous_text else {}  # its stems by rarity
    previous_numbers = _numbers(previous_text)
    said: dict[str, list[int]] = {}  # per article: the sentences that said the previous answer
    raw: list[tuple[Passage, int, int, int, int, float, float, float, float, frozenset[str], bool]] = []
    misses_focus: dict[str, float] = {}  # the article never names a name or place the question hinges on
    for rank, p in enumerate(passages, start=1):
        stored, body = sentences.get(p.doc_id), bodies.get(p.doc_id)
        if stored is None or body is None or any(r[0].doc_id == p.doc_id for r in raw):
            continue
        misses_focus[p.doc_id] = float(any(not mentions(f"{p.title} {body}", f) for f in names))
        retrieved = [x for x in passages if x.doc_id == p.doc_id]
        vectors = stored.vectors.astype(np.float32)
        cos = vectors @ query
        residual, central = _residual_cosines(vectors, query)
        article_found = cover.found(f"{p.title} {p.text}", p.times)
        if previous:
            said[p.doc_id] = _said(previous, [cover.found(body[s:e]) for s, e in stored.spans])
        for i, (s, e) in enumerate(stored.spans):
            if e - s < _MIN_CHARS:
                continue
            host = next((x for x in retrieved if x.start <= s and e <= x.end), None)
            if host is None:  # cite the sentence with its neighbours
                lo, hi = stored.spans[max(0, i - 1)][0], stored.spans[min(len(stored.spans) - 1, i + 1)][1]
                host = replace(p, chunk_id=f"{p.doc_id}::{lo}", text=body[lo:hi], start=lo, end=hi, times=())
            start, end = s - host.start, e - host.start
            if i > 0 and stored.spans[i - 1][0] >= host.start and ANAPHOR.match(host.text[start:end]):
                start = stored.spans[i - 1][0] - host.start
            neighbours = [float(cos[j]) for j in (i - 1, i + 1) if 0 <= j < len(cos)] or [float(cos[i])]
            inside = host in retrieved
            raw.append(
                (
                    host,
                    rank,
                    start,
                    end,
                    i,
                    float(cos[i]),
                    max(neighbours),
                    float(residual[i]),
                    float(central[i]),
                    article_found,
                    inside,
                )
            )
    if not raw:
        return []
    rows = []
    for p, rank, start, end, index, cos, cos_near, cos_residual, centrality, passage_found, inside in raw:
        sentence = p.text[start:end]
        mentioned = resolve_times(sentence, p.date)
        found = cover.found(sentence, [m.value for m in mentioned])
        window = p.text[max(0, start - 200) : end + 200]
        span = find_span(sentence, q)
        fit, conflict, notes = _time(q, p, mentioned)
        tokens = [w for w in re.findall(r"\w+", sentence.lower()) if len(w) > 3]
        new = sum(stem(w) not in q.terms for w in tokens) / max(1, len(tokens))
        kind = q.answer_type
        lead = float(bool(DATELINE.match(sentence)))  # „Altach – Der SCR Altach hat …“: the story's lead
        untyped = float(span is None and kind not in ("explanation", "other", "yesno"))
        rows.append(
            (
                p,
                rank,
                start,
                end,
                sentence,
                span,
                notes,
                found,
                [
                    cos,
                    0.0,  # dense_gap, filled below
                    cos_near,
                    cos * (1.0 - german),
                    cos_residual,
                    centrality,
                    german * sentence_cover.share(found),
                    0.0,  # lexical_gap, filled below
                    0.0,  # lexical_local, filled below
                    german * cover.share(cover.found(window)),
                    german * cover.share(passage_found),
                    german * _off_span(sentence_cover, sentence, span, found, [m.value for m in mentioned]),
                    german * sentence_cover.missing_rare(found),
                    german * cover.missing_rare(passage_found),
                    _share_in(capitalised, sentence),
                    _share_in(capitalised, window),
                    german * _bigrams(q_stems, [stem(w) for w in words(sentence)]),
                    0.0,  # dense_rank, filled below
                    0.0,  # lexical_rank, filled below
                    sum(mentions(sentence, f) for f in asked_names) / len(asked_names) if asked_names else 1.0,
                    misses_focus[p.doc_id],
                    len(q_numbers & _numbers(sentence)) / len(q_numbers) if q_numbers else 0.0,
                    float(span is not None),
                    untyped,
                    (0.5 if WEEKDAY.fullmatch(span) else 1.0) if span is not None and kind == "date" else 0.0,
                    float(span is not None and kind in _QUANTITY),
                    float(span is not None and kind in _NAMED),
                    float(span is None and kind == "date"),
                    float(span is None and kind in _QUANTITY),
                    float(span is None and kind in _NAMED),
                    measured_unknown,
                    float(unit is not None and bool(unit.search(sentence))),
                    float(unit is not None and not unit.search(sentence)),
                    fit,
                    conflict,
                    float(q.answer_type == "explanation" and bool(_REASON.search(sentence))),
                    1.0 / rank,
                    p.score / best_score,
                    float(inside),
                    float(index == 0),
                    math.log1p(index),
                    math.log1p(len(tokens)),
                    new,
                    new if kind == "explanation" else 0.0,  # a sentence that restates the event explains nothing
                    float(bool(ANAPHOR.match(sentence))),
                    lead,
                    lead * untyped,
                    float(span is not None and kind in ("count", "amount") and counts_the_unasked(span, q)),
                    *_after_previous(index, said.get(p.doc_id, [])),
                    float(bool(span and _numbers(span) & previous_numbers)),
                ],
            )
        )
    matrix = np.asarray([r[-1] for r in rows], dtype=np.float32)
    dense, lexical = FEATURES.index("dense"), FEATURES.index("lexical")
    matrix[:, FEATURES.index("dense_gap")] = matrix[:, dense] - matrix[:, dense].max()
    matrix[:, FEATURES.index("lexical_gap")] = matrix[:, lexical] - matrix[:, lexical].max()
    matrix[:, FEATURES.index("lexical_local")] = german * _local_share(
        sentence_cover, [(r[0].doc_id, r[7]) for r in rows]
    )
    for column, name in ((dense, "dense_rank"), (lexical, "lexical_rank")):
        order = np.argsort(-matrix[:, column], kind="stable")
        matrix[order, FEATURES.index(name)] = 1.0 / np.arange(1, len(order) + 1)
    return [
        Candidate(p, rank, start, end, sentence, span, notes, features)
        for (p, rank, start, end, sentence, span, notes, _, _), features in zip(rows, matrix, strict=True)
    ]


def _said(previous: Mapping[str, float], found: Sequence[frozenset[str]]) -> list[int]:
    """The sentences of an article that hold most of the previous answer's stems, when one holds at least
    half of them: where the article said what was answered before. A stem weighs by its rarity, divided
    by the number of the article's sentences that have it: „103“ tells where „103 Tiger“ was said, „Tiger“
    stands all over the story."""
    weights = {t: w / max(1, sum(t in f for f in found)) for t, w in previous.items()}
    total = sum(weights.values()) or 1.0
    shares = [sum(w for t, w in weights.items() if t in f) / total for f in found]
    best = max(shares, default=0.0)
    return [i for i, share in enumerate(shares) if share == best] if best >= 0.5 else []


def _after_previous(index: int, said: Sequence[int]) -> tuple[float, float]:
    """Whether a sentence said the previous answer, and 1/distance to the nearest that did (one to three
    sentences away): a follow-up asks what the story says there or just after."""
    distance = min((abs(index - i) for i in said), default=0)
    return float(index in said), 1.0 / distance if 1 <= distance <= 3 else 0.0


def _residual_cosines(vectors: np.ndarray, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cosine of question and sentences once the article's common direction is taken out of both.

    Every sentence of a story shares its topic, and so does the question; what is left of the question
    is what it asks beyond the topic (the price, the reason), matched against what each sentence says
    beyond it. The lead, which restates the topic, drops; the sentence with the asked detail stays.
    Also returned: each sentence's cosine to that common direction (how much it only restates the topic).
    """
    centre = vectors.mean(axis=0)
    norm = float(np.linalg.norm(centre))
    if len(vectors) < 2 or norm == 0.0:
        return np.zeros(len(vectors), dtype=np.float32), np.ones(len(vectors), dtype=np.float32)
    centre /= norm
    along = vectors @ centre
    q = query - (query @ centre) * centre
    s = vectors - np.outer(along, centre)
    return (s @ q) / (np.linalg.norm(s, axis=1) * float(np.linalg.norm(q)) + 1e-9), along


_CLAUSE_BREAK = re.compile(r"[,;:()]\s*|\s[–—-]\s")


def _off_span(cover: _Coverage, sentence: str, span: str | None, found: frozenset[str], times: Sequence[str]) -> float:
    """Share of the question's terms the sentence holds only outside the clause of its short answer.

    „Die Zählung ergab 106 Tiger, weniger als vorher geschätzt wurden.“ shares „vorher geschätzt“ with a
    question about the estimate, but not in the clause of its number; nor does a lead's „…, das erste
    Nickerchen gab es nach 36 Stunden“ say how long the race took. 0 without a span."""
    if not span or (at := sentence.find(span)) < 0:
        return 0.0
    cuts = [0, *(m.end() for m in _CLAUSE_BREAK.finditer(sentence)), len(sentence)]
    start = max(c for c in cuts if c <= at)
    end = min(c for c in cuts if c >= at + len(span))
    return max(0.0, cover.share(found) - cover.share(cover.found(sentence[start:end], times)))


def _local_share(cover: _Coverage, found: Sequence[tuple[str, frozenset[str]]]) -> np.ndarray:
    """Question-term coverage where a term weighs less the more sentences of its article share it.

    The words naming the story („Wiener Zucker“) stand in many of its sentences; the detail asked for
    („Werbegesicht“) in the one that answers.
    """
    out = np.zeros(len(found), dtype=np.float32)
    by_doc: dict[str, list[int]] = {}
    for i, (doc_id, _) in enumerate(found):
        by_doc.setdefault(doc_id, []).append(i)
    for rows in by_doc.values():
        matches = {t: [cover.weighted(found[i][1])[j][1] for i in rows] for j, t in enumerate(cover.weights)}
        others = max(1, len(rows) - 1)  # a term in one sentence keeps its weight, in all of them none
        weights = {t: w * (1.0 - max(0, sum(m > 0 for m in matches[t]) - 1) / others) for t, w in cover.weights.items()}
        total = sum(weights.values()) or 1.0
        for k, i in enumerate(rows):
            out[i] = sum(weights[t] * matches[t][k] for t in weights) / total
    return out


def _time(q: QuestionInfo, p: Passage, mentioned: Sequence[TimeMention]) -> tuple[float, float, tuple[str, ...]]:
    """How well the times the sentence itself states fit the question's (its article's date fits every
    sentence alike and tells none apart), whether its times (or else its article's date) conflict with
    them, and notes on resolved ones."""
    if not q.times:
        return 0.0, 0.0, ()
    stated = [m.value for m in mentioned]
    values = stated or ([p.date] if p.date else [])
    if not any(time_fit(a, b) for a in q.times for b in values):
        conflict = float(any(re.fullmatch(r"\d{4}.*", v) for v in values))
        return 0.0, conflict, ()
    fit = max((time_fit(a, b) for a in q.times for b in stated), default=0.0)
    # only what was resolved: "im vergangenen Jahr" = 2024
    notes = tuple(f"„{m.text}“ = {m.value}" for m in mentioned if m.value[:4] not in m.text)
    return fit, 0.0, notes
