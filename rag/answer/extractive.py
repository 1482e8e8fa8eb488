"""The offline answerer: the learned selector picks the sentence that answers, and it is cited.

Everything it says is copied from the cited passages (the exact typed phrase, then the whole
sentence it stands in), so it cannot state anything the articles do not. It abstains when the
selector's probability that the best sentence answers the question is below the calibrated
threshold.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rag.answer import names
from rag.answer.features import FEATURES, Candidate, candidates
from rag.answer.question import QuestionInfo
from rag.answer.selector import LogisticModel, Selector, document_kind
from rag.answer.spans import (
    AMOUNT,
    UNKNOWN,
    about_other_states,
    asks_for_a_persons_name,
    holds_a_quantity,
    is_whole_phrase,
    names_a_person,
)
from rag.embedding import Embedder
from rag.index.store import IndexStore
from rag.text.timeexpr import resolve_times, times_overlap
from rag.types import Citation, Passage

ABSTAIN_TEXT = "Dazu finde ich in den Artikeln keine Angaben."
_NEGATION = re.compile(r"\b(nicht|kein\w*|nie|niemals|weder|not|no|never)\b", re.IGNORECASE)
_LEXICAL = FEATURES.index("lexical")
_SPAN_MISSING = FEATURES.index("span_missing")
_REASON_CUE = FEATURES.index("reason_cue")
_MEASURED_MISSING = FEATURES.index("measured_missing")


@dataclass(frozen=True)
class Draft:
    """An answer before timings are attached: text with [n] markers and its citations."""

    text: str
    short_answer: str | None
    abstained: bool
    citations: list[Citation]


@dataclass(frozen=True)
class Scored:
    """A candidate sentence with the selector's probability that it answers the question."""

    candidate: Candidate
    probability: float


class ExtractiveAnswerer:
    """Scores every sentence of the retrieved passages with the selector; answers with the best one."""

    def __init__(
        self,
        embedder: Embedder,
        selector: Callable[[], Selector] = Selector.load,
        threshold: float | None = None,
    ) -> None:
        self._embedder = embedder
        self._load_selector = selector
        self._threshold = threshold
        threading.Thread(target=names.preload, name="name-lists", daemon=True).start()

    @functools.cached_property
    def selector(self) -> Selector:
        """Loaded on first use: training computes candidates before any selector exists."""
        return self._load_selector()

    def candidates(
        self, q: QuestionInfo, passages: list[Passage], store: IndexStore
    ) -> tuple[list[Candidate], dict[str, int]]:
        """Every sentence of the passages' articles with its features (see ``rag.answer.features``),
        and the number of sentences of each of those articles (which model reads them). ``store`` is
        the index snapshot the passages were retrieved from."""
        if not passages:
            return [], {}
        query = self._embedder.embed_query(q.text)
        docs = [p.doc_id for p in passages]
        sentences = store.sentences(docs)
        lengths = {doc: len(s.spans) for doc, s in sentences.items()}
        cands = candidates(q, passages, sentences, store.bodies(docs), query, store.idf, store.vocabulary)
        return cands, lengths

    def score(self, q: QuestionInfo, passages: list[Passage], store: IndexStore) -> tuple[list[Scored], float]:
        """Every candidate sentence with its probability, best first, and the abstention threshold.

        The model is the one for the retrieved articles' (median) length; a note of at most ``NOTE``
        sentences is read as a passage even among long reports (its one sentence that matches the
        question is the answer, not a lead that merely restates it); the threshold is that of the best
        sentence's model."""
        cands, lengths = self.candidates(q, passages, store)
        if not cands:
            return [], self._threshold_of(self.selector.for_documents(0.0))
        features = np.vstack([c.features for c in cands])
        usual = document_kind(float(np.median(list(lengths.values()))) if lengths else 0.0)

        def kind_of(doc_id: str) -> str:
            return "passages" if lengths.get(doc_id, 0) <= NOTE else usual

        kinds = [kind_of(c.passage.doc_id) for c in cands]
        probabilities = np.zeros(len(cands))
        for kind in set(kinds):
            rows = np.asarray([k == kind for k in kinds])
            # every model reads all candidates: its inputs compare each with the question's others
            probabilities[rows] = self.selector.models[kind].probabilities(features)[rows]
        scored = sorted(
            (Scored(c, float(p)) for c, p in zip(cands, probabilities, strict=True)),
            key=lambda s: s.probability,
            reverse=True,
        )
        return scored, self._threshold_of(self.selector.models[kind_of(scored[0].candidate.passage.doc_id)])

    def _threshold_of(self, model: LogisticModel) -> float:
        return model.threshold if self._threshold is None else self._threshold

    def _misses_focus(self, q: QuestionInfo, c: Candidate, store: IndexStore) -> bool:
        """Whether the answer's article never names a place the (German) question hinges on, or is of other
        years than every year it names: „Wie viel Hilfe hat Japan zugesagt?“ is not answered by an article
        that does not mention Japan; „… 2000 bis 2005 im Vergleich zu 1995 bis 2000?“ is by one of 2000 to
        2005. Other names only weigh in the selector (``focus_missing_article``): a question names its story
        in its own words („beim Display-Werbegeschäft“, „im Hofburg-Wahlgang“, „laut UNO“) more often than
        it asks about a name the article lacks."""
        if q.english or not q.focus:
            return False
        places = [f for f in q.focus if names.places(f)]
        years = [f for f in q.focus if f.isdigit()]
        if not places and not years:
            return False
        passage = c.passage
        text = f"{passage.title}\n{store.bodies([passage.doc_id]).get(passage.doc_id, passage.text)}"
        if any(not names.mentions(text, place) for place in places):
            return True
        return bool(years) and all(of_other_years(text, year, passage.date) for year in years)

    def _cannot_answer(self, q: QuestionInfo, c: Candidate, quoted: list[Candidate], store: IndexStore) -> bool:
        """Whether the best sentence ``c`` (quoted with ``quoted``) cannot be the answer, however likely the
        selector finds it: the articles never name what is measured („Inflation“), or the place or year the
        question hinges on; the sentence puts its statement in another place or speaks of other
        states only (one saying that what is asked is not known settles it before: ``says_unknown``); no quoted
        sentence has the unit the question asks in („Wie schwer …?“ against a length), any number, counted
        phrase („ein Mann“) or list of the counted for „Wie viele …?“, or the name of the person it asks
        about („Wie heißt der achtjährige Bub …?“ against a report that withholds it)."""
        texts = [x.text for x in quoted]
        return bool(
            c.features[_MEASURED_MISSING]
            or self._misses_focus(q, c, store)
            or names.other_place(q.text, c.text)
            or about_other_states(c.text, q)
            or (q.unit and not any(re.search(q.unit, t, re.IGNORECASE) for t in texts))
            or (
                q.answer_type in ("count", "amount")
                and not any(holds_a_quantity(x.text, x.span, q.answer_type == "count") for x in quoted)
            )
            or (asks_for_a_persons_name(q.text) and not any(names_a_person(t, q) for t in texts))
        )

    def answer(self, q: QuestionInfo, passages: list[Passage], store: IndexStore) -> Draft:
        """The answer to ``q`` from ``passages``, read in ``store``, the index snapshot they came from."""
        scored, threshold = self.score(q, passages, store)
        if not scored or scored[0].probability < threshold:
            return Draft(abstain_text(passages), None, True, [])
        chosen = answering(
            scored,
            threshold,
            q.answer_type == "explanation",
            lambda c, quoted: self._cannot_answer(q, c, quoted, store),
            lambda c: says_unknown(q, c),
            lambda c: names.names_the_asked_place(q.text, c.text),
        )
        if chosen is None:
            return Draft(abstain_text(passages), None, True, [])
        best, runner = chosen
        c = best.candidate
        cited = [best, *([runner] if runner else [])]
        agreeing = _same_fact(best, scored, threshold)
        conflict = None if agreeing else _conflicting(best, scored, q, threshold)
        cited += [s for s in (agreeing, conflict) if s is not None]
        citations = [
            Citation.of(n, s.candidate.passage, s.candidate.start, s.candidate.end, s.probability)
            for n, s in enumerate(cited, start=1)
        ]
        # the typed phrase of the best sentence, else of the close second one
        typed = [(n, s.candidate.span) for n, s in enumerate(cited[: 1 + bool(runner)], start=1)]
        n_short, short = next(((n, span) for n, span in typed if span and is_whole_phrase(span)), (0, None))
        lines = []
        if q.answer_type == "yesno":
            lines.append(f"{_yes_no(q, c)} [1]:")
        elif short:
            lines.append(f"{short[0].upper()}{short[1:]} [{n_short}].")
        lines.append(f"„{c.text}“ [1]")
        if c.time_notes:
            lines.append(f"(Zeitbezug im Artikel vom {c.passage.date}: {'; '.join(c.time_notes)})")
        if q.time_notes:
            lines.append(f"(Zeitangabe der Frage: {'; '.join(q.time_notes)})")
        if runner is not None:
            lines.append(f"Möglicherweise auch: „{runner.candidate.text}“ [2]")
        n = len(cited)
        if agreeing is not None:
            lines.append(f"Ebenso berichtet „{agreeing.candidate.passage.title}“: „{agreeing.candidate.text}“ [{n}]")
        if conflict is not None:
            other = conflict.candidate
            lines.append(f"Die Quellen weichen ab – „{other.passage.title}“ schreibt: „{other.text}“ [{n}]")
        return Draft("\n\n".join(lines), short, False, citations)


def says_unknown(q: QuestionInfo, c: Candidate) -> bool:
    """Whether the sentence says that what is asked is not known or not told („…, ist noch nicht klar.“),
    holding no phrase of the asked type (a reason or a yes/no may still be in it)."""
    return c.span is None and q.answer_type not in ("yesno", "explanation") and bool(UNKNOWN.search(c.text))


def of_other_years(text: str, year: str, date: str | None) -> bool:
    """Whether an article (``text``, dated ``date``) is of other years than ``year`` only. It may mean the
    year without writing it („im vergangenen Jahr“ in a 2025 article). One without a date was written in
    or after the latest year it names, and may be of any year from then on: a report on the Oscars that
    names films of 2014 and 2015 may be of 2016; one that names 2003 and 2015 is not of 2010."""
    if year in text:
        return False
    times = [m.value for m in resolve_times(text, date)]
    if date:
        return not any(times_overlap(year, t) for t in [*times, date])
    # undated: written no earlier than the latest year it names, and may mean that year without writing it
    return any(t[:4] > year for t in times) and not any(times_overlap(year, t) for t in times)


NOTE = 3
"""An article of at most this many sentences is a note: read as a passage even among long reports."""

RUNNER_UP = 0.5
"""A second sentence of the same article is quoted too when the selector finds it at least half as
likely to answer as the best one: two plausible answers are more use than a coin toss."""


RUNNER_UP_TYPED = 0.3
"""The bar for a second sentence that holds what is asked (a phrase of the asked type, a reason for
„Warum …?“) when the best one does not."""


def close_second(best: Scored, scored: list[Scored], threshold: float, asks_reason: bool = False) -> Scored | None:
    """The next sentence of the best one's article that nearly ties with it (and does not overlap it).

    When the best sentence holds nothing of what is asked, a sentence that does comes first at the lower
    bar (``RUNNER_UP_TYPED``), even behind a likelier one without it. ``asks_reason``: the question asks
    why; the best sentence often restates the event asked about („… ist mit 100 km/h durch Saalfelden
    gerast“), the next likeliest adds a detail of it („… brachte es gar auf 160 km/h“) and a sentence
    giving a reason („Als Motiv …“) is what is asked.
    """
    c = best.candidate
    lo, hi = c.in_article

    def holds_the_asked(x: Candidate) -> bool:  # a reason; or a phrase of the asked type (a place, a number …)
        return bool(x.features[_REASON_CUE]) if asks_reason else x.span is not None

    def beside(s: Scored, bar: float) -> bool:
        o = s.candidate
        return (
            s.probability >= max(threshold, bar * best.probability)
            and o.passage.doc_id == c.passage.doc_id
            and not (lo < o.in_article[1] and o.in_article[0] < hi)
        )

    untyped = not c.features[_REASON_CUE] if asks_reason else bool(c.features[_SPAN_MISSING])
    if untyped:
        holding = next((s for s in scored[1:] if holds_the_asked(s.candidate) and beside(s, RUNNER_UP_TYPED)), None)
        if holding is not None:
            return holding
    return next((s for s in scored[1:] if beside(s, RUNNER_UP)), None)


def answering(
    scored: list[Scored],
    threshold: float,
    asks_reason: bool,
    cannot_answer: Callable[[Candidate, list[Candidate]], bool],
    settles: Callable[[Candidate], bool],
    names_the_place: Callable[[Candidate], bool],
) -> tuple[Scored, Scored | None] | None:
    """The best sentence that can answer (with the next one when it refers back) and its close second;
    None to abstain. ``cannot_answer(best, quoted)`` vetoes a sentence however likely; ``settles`` tells
    a sentence that says what is asked is not known, which ends the search; ``names_the_place``, one
    that names a place the question puts its matter in.

    A best sentence that cannot answer gives way to the next one of its article that is at least
    ``RUNNER_UP`` as likely and names the question's place (if it names one): „Seit 2014 sind 81
    Italiener für den IS in den Krieg gezogen“ puts its statement in Italien, and „… mit dem sie im
    September 2014 nach Syrien ausreiste“ answers „Wann ist sie nach Syrien ausgereist?“. When the best
    sentence says „in Den Haag“ for „… in Amsterdam …?“, a next one naming no place is the same report.
    Not after „Wie viele … verlieren, ist noch nicht klar.“"""
    top = scored[0]
    rest = list(scored)
    for s in scored:
        if s.probability < max(threshold, RUNNER_UP * top.probability):
            return None
        if s.candidate.passage.doc_id != top.candidate.passage.doc_id:
            continue
        best = continued(s, rest)
        if settles(best.candidate):
            return None
        runner = close_second(best, rest, threshold, asks_reason)
        unplaced = s is not top and not names_the_place(best.candidate)
        if not unplaced and not cannot_answer(best.candidate, [x.candidate for x in (best, runner) if x]):
            return best, runner
        rest.remove(s)  # not quoted beside the next one either
    return None


def continued(best: Scored, scored: list[Scored]) -> Scored:
    """The best sentence with the next one when it holds no phrase of the asked type and the next one opens
    by referring back to it: „Welche Farben hatte das ABC-Logo 2001?“ is answered by „2001 wurde das Logo
    überarbeitet. Dabei wurde die Schwarz-Gelb-Färbung weiterhin genutzt …“, the statement quoted whole.
    The candidate of the next sentence already holds both (``ANAPHOR``)."""
    c = best.candidate
    if c.span is not None:
        return best
    lo, hi = c.in_article
    for s in scored:
        o = s.candidate
        if o.passage.doc_id == c.passage.doc_id and o.in_article[0] == lo and o.in_article[1] > hi:
            return Scored(o, best.probability)
    return best


def _yes_no(q: QuestionInfo, c: Candidate) -> str:
    """„Ja“/„Nein“ when the sentence restates the question (negated or not); else whose word it is."""
    if c.features[_LEXICAL] >= 0.8:
        return "Nein" if bool(_NEGATION.search(q.text)) != bool(_NEGATION.search(c.text)) else "Ja"
    return f"Laut „{c.passage.title}“ ({c.passage.date or 'ohne Datum'})"


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


def _same_fact(best: Scored, scored: list[Scored], threshold: float) -> Scored | None:
    """A sentence from another article that states the same phrase (a second source for one fact)."""
    span = best.candidate.span
    if not span:
        return None
    key = _numbers(span) or {span.lower()}
    for s in scored[1:8]:
        c = s.candidate
        if c.passage.doc_id == best.candidate.passage.doc_id or s.probability < threshold:
            continue
        if c.span and ((_numbers(c.span) or {c.span.lower()}) & key):
            return s
    return None


def _conflicting(best: Scored, scored: list[Scored], q: QuestionInfo, threshold: float) -> Scored | None:
    """A close runner-up from another article naming a different amount for the same question."""
    span = best.candidate.span
    if q.answer_type != "amount" or not span or not AMOUNT.search(span):
        return None
    story = (best.candidate.passage.doc_id, *best.candidate.passage.duplicates)
    for s in scored[1:5]:
        c = s.candidate
        if c.passage.doc_id in story or s.probability < max(threshold, 0.8 * best.probability):
            continue
        if c.span and AMOUNT.search(c.span) and not (_numbers(c.span) & _numbers(span)):
            return s
    return None
