"""What a question asks for: its answer type, its content terms, the names and times it hinges on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rag.ingest import resolve_times
from rag.lexical import STOPWORDS, stem, words

AnswerType = Literal["amount", "count", "date", "person", "place", "list", "name", "explanation", "other"]

_TYPE_PATTERNS: list[tuple[AnswerType, str]] = [
    ("name", r"^(wie (heißt|heisst|nennt sich|lautet|nennt man)|what is the name)\b"),
    ("count", r"^(wie ?viele|how many)\b|\bwie ?viele\b"),
    ("amount", r"^(wie ?viel|wie hoch|wie teuer|welche[nrs]? (betrag|summe|höhe|finanzierungsziel|ziel)|how much)\b"),
    ("amount", r"\b(betrag|summe|finanzierungsziel|wie ?viel geld|in welcher höhe)\b"),
    ("date", r"^(wann|seit wann|bis wann|an welchem (tag|datum)|in welchem (jahr|monat)|when|what year)\b"),
    ("place", r"^(wo|woher|wohin|von wo|in welche[rm]? (stadt|land|ort)|aus welche[rm]? (stadt|land)|where)\b"),
    ("list", r"^(welche|which)\b.*\b(länder|staaten|personen|politiker|unternehmen|parteien|städte)\b"),
    ("person", r"^(wer|wem|wen|von wem|mit wem|who|whom)\b"),
    (
        "explanation",
        r"^(was sieht|warum|weshalb|wieso|wozu|worum|was (ist|war|bedeutet|plant|will|sieht)|why|what does)\b",
    ),
]

_MONTHS = [
    "januar",
    "februar",
    "märz",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "dezember",
    "quartal",
    "halbjahr",
    "jahr",
    "jahres",
    "monat",
    "monats",
    "woche",
    "tag",
]

# Countries, capitals and organisations: a question that hinges on one of these cannot be
# answered from articles that never mention it ("Wie viel Hilfe hat Japan zugesagt?").
GAZETTEER = frozenset(
    """
    afghanistan ägypten albanien algerien argentinien armenien aserbaidschan äthiopien australien
    belarus belgien bosnien brasilien bulgarien chile china dänemark deutschland estland finnland
    frankreich georgien griechenland großbritannien indien indonesien irak iran irland island israel
    italien japan jemen jordanien kanada kasachstan katar kenia kolumbien korea nordkorea südkorea
    kosovo kroatien kuba lettland libanon libyen litauen luxemburg mali malta marokko mexiko moldau
    moldawien montenegro neuseeland niederlande nigeria norwegen österreich pakistan palästina peru
    philippinen polen portugal rumänien russland saudi-arabien schweden schweiz serbien singapur
    slowakei slowenien spanien südafrika sudan syrien taiwan thailand tschechien tunesien türkei ukraine
    ungarn usa venezuela vietnam weißrussland zypern grönland berlin paris london moskau kiew kyjiw
    washington peking tokio rom madrid warschau wien bern brüssel prag budapest ankara teheran jerusalem
    washington genf straßburg nato eu uno un g7 g20 opec who imf iwf weltbank ezb bundeswehr bundestag
    """.split()
)


@dataclass(frozen=True)
class QuestionInfo:
    """A question broken down for answer selection."""

    text: str
    answer_type: AnswerType
    terms: tuple[str, ...]
    """Stems of the content words (stop words and question words removed)."""
    focus: tuple[str, ...]
    """Names, places and years the question hinges on (as written, lower case)."""
    times: tuple[str, ...]
    """Absolute times the question names, resolved (``2024``, ``2025-12``)."""
    measured: str | None = None
    """What an amount or count question measures ("Inflation" in „Wie hoch war die Inflation?“)."""
    english: bool = False
    """Asked in English: its words say little about German sentences, the meaning (dense) must."""


def analyse(question: str) -> QuestionInfo:
    q = question.strip()
    low = q.lower()
    answer_type: AnswerType = "other"
    for kind, pattern in _TYPE_PATTERNS:
        if re.search(pattern, low):
            answer_type = kind
            break
    terms = tuple(dict.fromkeys(stem(w) for w in words(q) if w not in _MONTHS))
    times = tuple(sorted({m.value for m in resolve_times(q, None)}))
    english = _english(low)
    # What is measured is looked up in the articles' German vocabulary: not for English questions.
    measured = _measured(q) if answer_type in ("amount", "count") and not english else None
    return QuestionInfo(q, answer_type, terms, tuple(_focus_terms(q)), times, measured, english)


# Nouns that name the kind of answer or its unit rather than its topic: „Wie viel Geld …“.
_ANSWER_NOUNS = frozenset(
    """
    geld betrag beträge summe summen höhe anzahl zahl zahlen menge prozent prozentsatz anteil wert
    euro dollar milliarden millionen kosten mittel kilogramm tonnen meter kilometer grad liter stunden
    """.split()
)


_ENGLISH = frozenset("the how what who whom when where which why did does do is are were many much of".split())
_GERMAN = frozenset(
    "der die das den dem des wie wer wen wem was welche welcher welches ist sind hat wurde im ein eine nach wo wann und".split()
)


def _english(low: str) -> bool:
    """More English than German function words ("Wer schrieb The Mask of Anarchy?" is German)."""
    tokens = set(re.findall(r"\w+", low))
    english, german = len(tokens & _ENGLISH), len(tokens & _GERMAN)
    return english >= 2 and english > german


def _measured(question: str) -> str | None:
    """The first noun after „wie viel(e)/hoch …“ that is not an answer word: the thing measured."""
    tokens = re.findall(r"\w+(?:-\w+)*", question)
    for i, tok in enumerate(tokens):
        low = tok.lower()
        if i > 0 and tok[0].isupper() and low not in STOPWORDS and low not in _ANSWER_NOUNS and low not in _MONTHS:
            return tok
    return None


def _focus_terms(question: str) -> list[str]:
    """Years, known countries/cities/organisations, multi-word names and hyphenated proper compounds."""
    tokens = re.findall(r"\w+(?:-\w+)*", question)
    focus: list[str] = []
    run: list[str] = []
    for i, tok in enumerate(tokens + [""]):
        low = tok.lower()
        capital = bool(tok) and tok[0].isupper() and i > 0 and low not in STOPWORDS and low not in _MONTHS
        if capital:
            run.append(low)
        if not capital or i == len(tokens):
            if len(run) >= 2 and all("-" not in r for r in run):
                focus.append(" ".join(run))
            run = []
        if re.fullmatch(r"(19|20)\d\d", tok):
            focus.append(tok)
        elif low in GAZETTEER or (capital and "-" in tok and all(p[:1].isupper() for p in tok.split("-"))):
            focus.append(low)
    return list(dict.fromkeys(focus))
