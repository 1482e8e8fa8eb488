"""The offline answerer: picks the sentences that answer the question and cites them.

Everything it says is copied from the cited passages (the exact span, then the sentence it
stands in), so it cannot state anything the articles do not. It abstains when no sentence
supports the question well enough, or when the question hinges on a name, place or year that
the articles never mention.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rag.answer.question import QuestionInfo
from rag.answer.spans import AMOUNT, find_span, gap_span
from rag.embedding import Embedder
from rag.ingest import resolve_times, split_sentences, time_interval, times_overlap
from rag.lexical import split_compound, stem, terms
from rag.types import Citation, Passage

ABSTAIN_TEXT = "Dazu finde ich in den Artikeln keine Angaben."


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage, scored as an answer to the question."""

    passage: Passage
    rank: int
    start: int
    end: int
    text: str
    score: float
    span: str | None
    time_notes: tuple[str, ...]


@dataclass(frozen=True)
class Draft:
    """An answer before timings are attached: text with [n] markers and its citations."""

    text: str
    short_answer: str | None
    abstained: bool
    citations: list[Citation]
    support: float


class ExtractiveAnswerer:
    """Sentence selection by lexical, dense, time and answer-type evidence; exact spans by type."""

    def __init__(self, embedder: Embedder, vocabulary: Callable[[], set[str]], threshold: float) -> None:
        self._embedder = embedder
        self._vocabulary = vocabulary
        self.threshold = threshold

    def candidates(self, q: QuestionInfo, passages: list[Passage]) -> list[Candidate]:
        """All sentences of the passages, best first.

        A sentence that opens with a pronoun ("Sie sieht vor, dass …") is read together with the
        sentence before it, which names what the pronoun stands for; both are quoted.
        """
        vocabulary = self._vocabulary()
        raw: list[tuple[Passage, int, int, int]] = []
        seen: set[tuple[str, int]] = set()
        for rank, p in enumerate(passages, start=1):
            spans = split_sentences(p.text)
            for i, (start, end) in enumerate(spans):
                if (p.doc_id, p.start + start) in seen or end - start < 15:
                    continue
                seen.add((p.doc_id, p.start + start))
                if i > 0 and _ANAPHOR.match(p.text[start:end]):
                    start = spans[i - 1][0]
                raw.append((p, rank, start, end))
        if not raw:
            return []
        query = self._embedder.embed_queries([q.text])[0]
        dense = self._embedder.embed_passages([p.text[a:b] for p, _, a, b in raw]) @ query
        weights = {t: 1.0 + min(len(t), 12) / 12 for t in q.terms}
        total = sum(weights.values()) or 1.0
        out = []
        for (p, rank, start, end), cos in zip(raw, dense, strict=True):
            sentence = p.text[start:end]
            mentions = resolve_times(sentence, p.date)
            found = set(terms(sentence, vocabulary, [m.value for m in mentions]))
            lexical = sum(w * _match(t, found) for t, w in weights.items()) / total
            meaning = float(np.clip((cos - 0.72) / 0.2, 0.0, 1.0))
            score = (meaning if q.english else 0.45 * lexical + 0.55 * meaning) + 0.03 / rank
            notes: tuple[str, ...] = ()
            if q.times:
                values = [m.value for m in mentions] or ([p.date] if p.date else [])
                fit = max((_time_fit(a, b) for a in q.times for b in values), default=0.0)
                if fit:
                    score += 0.15 * fit
                    notes = tuple(
                        f"„{m.text}“ = {m.value}"
                        for m in mentions
                        if m.value[:4] not in m.text  # only what was resolved: "im vergangenen Jahr" = 2024
                    )
                elif any(re.fullmatch(r"\d{4}.*", v) for v in values):
                    score -= 0.15
            span = find_span(sentence, q)
            if q.answer_type not in ("explanation", "other"):
                score += 0.1 if span else -0.1
            out.append(Candidate(p, rank, start, end, sentence, score, span, notes))
        return sorted(out, key=lambda c: c.score, reverse=True)

    def missing_focus(self, q: QuestionInfo, passages: list[Passage]) -> list[str]:
        """Names, places and years of the question, and what it measures, that the articles never mention."""
        vocabulary = self._vocabulary()
        text = " ".join(p.text.lower() for p in passages)
        times = [t for p in passages for t in (*p.times, *([p.date] if p.date else []))]
        missing = []
        for f in q.focus:
            if re.fullmatch(r"\d{4}", f):
                if f not in text and not any(times_overlap(f, t) for t in times):
                    missing.append(f)
            elif f in text:
                continue
            elif "-" in f and not any(stem(w) in vocabulary for w in f.split("-")):
                missing.append(f)  # "Fußball-Weltmeisterschaft": no part of it occurs anywhere
            elif "-" not in f and not all(stem(w) in vocabulary for w in f.split()):
                missing.append(f)  # "Japan", "Olaf Scholz": every part of a name must occur
        if q.measured and not _known(q.measured, vocabulary):
            missing.append(q.measured)  # „Wie hoch war die Inflation?“ over articles that never say „Inflation“
        return missing

    def answer(self, q: QuestionInfo, passages: list[Passage]) -> Draft:
        names = [f for f in q.focus if not f.isdigit()]
        # The answer must be about the names the question asks about: "Wie viel hat China 2024
        # gegeben?" is not answered by a sentence on the allies' aid. A name most passages share
        # ("Ukraine") is background and must stand in the passage; a rarer one in the sentence itself.
        rare = {f for f in names if sum(_mentions(f"{p.title} {p.text}", f) for p in passages) * 2 <= len(passages)}
        cands = [
            c for c in self.candidates(q, passages)
            if all(_mentions(c.text if f in rare else f"{c.passage.title} {c.passage.text}", f) for f in names)
        ]  # fmt: skip
        missing = self.missing_focus(q, passages)
        best = cands[0] if cands else None
        if best is None or missing or best.score < self.threshold:
            return Draft(abstain_text(passages), None, True, [], best.score if best else 0.0)
        short = best.span or (gap_span(best.text, q) if q.answer_type == "other" else None)
        cited: list[Candidate] = [best]
        agreeing = _same_fact(best, cands)
        if agreeing is not None:
            cited.append(agreeing)
        conflict = None if agreeing else _conflicting(best, cands, q)
        if conflict is not None:
            cited.append(conflict)
        citations = [Citation.of(n, c.passage, c.start, c.end, c.score) for n, c in enumerate(cited, start=1)]
        lines = []
        if short:
            lines.append(f"{short[0].upper()}{short[1:]} [1].")
        lines.append(f"„{best.text}“ [1]")
        if best.time_notes:
            lines.append(f"(Zeitbezug im Artikel vom {best.passage.date}: {'; '.join(best.time_notes)})")
        if agreeing is not None:
            lines.append(f"Ebenso berichtet „{agreeing.passage.title}“: „{agreeing.text}“ [2]")
        if conflict is not None:
            lines.append(f"Die Quellen weichen ab – „{conflict.passage.title}“ schreibt: „{conflict.text}“ [2]")
        return Draft("\n\n".join(lines), short, False, citations, best.score)


_ANAPHOR = re.compile(r"^(Sie|Er|Es|Dies|Diese|Dieser|Dieses|Damit|Dazu|Dabei|Demnach|Deshalb|Daher)\b")


def _mentions(text: str, name: str) -> bool:
    """Whether ``text`` names ``name``: a compound by any of its parts, a person by the last name."""
    text = text.lower()
    if "-" in name:
        return any(part in text for part in name.split("-") if len(part) >= 2)
    return name.split()[-1] in text


def _match(term: str, found: set[str]) -> float:
    """1 for the same stem; 0.7 for a German inflection of it ("vertritt" ~ "vertreten")."""
    if term in found:
        return 1.0
    if len(term) >= 6:
        prefix = term[: max(5, len(term) - 3)]
        if any(f.startswith(prefix) or (len(f) >= 5 and term.startswith(f)) for f in found):
            return 0.7
    return 0.0


def _known(word: str, vocabulary: set[str]) -> bool:
    """Whether the corpus has the word, an inflection of it, a compound it is part of, or its parts."""
    for part in word.lower().split("-"):
        s = stem(part)
        prefix = s[: max(5, len(s) - 3)]
        if any(prefix in v for v in vocabulary) or split_compound(part, vocabulary):
            return True
    return False


def _time_fit(asked: str, stated: str) -> float:
    """1 when the stated time lies within the asked one, 0.5 when it only overlaps (a whole year for a month)."""
    if not times_overlap(asked, stated):
        return 0.0
    a0, a1 = time_interval(asked)
    s0, s1 = time_interval(stated)
    return 1.0 if a0 <= s0 and s1 <= a1 else 0.5


def abstain_text(passages: list[Passage]) -> str:
    if not passages:
        return ABSTAIN_TEXT
    articles: dict[str, Passage] = {}
    for p in passages:  # best first: one entry per article, not its overlapping chunks twice
        articles.setdefault(p.doc_id, p)
    closest = "; ".join(f"„{p.title}“ ({p.date or 'ohne Datum'})" for p in list(articles.values())[:2])
    return f"{ABSTAIN_TEXT} Am nächsten kommen: {closest}."


def _numbers(text: str) -> set[str]:
    return {re.sub(r"[.\s]", "", m) for m in re.findall(r"\d[\d.\s]*\d|\d", text)}


def _same_fact(best: Candidate, cands: list[Candidate]) -> Candidate | None:
    """A sentence from another article that states the same span (a second source for one fact)."""
    if not best.span:
        return None
    key = _numbers(best.span) or {best.span.lower()}
    for c in cands[1:8]:
        if c.passage.doc_id == best.passage.doc_id or c.score < best.score - 0.35:
            continue
        if c.span and ((_numbers(c.span) or {c.span.lower()}) & key):
            return c
    return None


def _conflicting(best: Candidate, cands: list[Candidate], q: QuestionInfo) -> Candidate | None:
    """A close runner-up from another article naming a different amount for the same question."""
    if q.answer_type != "amount" or not best.span or not AMOUNT.search(best.span):
        return None
    for c in cands[1:5]:
        if c.passage.doc_id in (best.passage.doc_id, *best.passage.duplicates) or c.score < best.score - 0.05:
            continue
        if c.span and AMOUNT.search(c.span) and not (_numbers(c.span) & _numbers(best.span)):
            return c
    return None
