"""Exact answer spans inside a sentence: amounts, counts, dates, names, places, lists, quoted names."""

from __future__ import annotations

import re

from rag.answer.question import GAZETTEER, QuestionInfo
from rag.lexical import STOPWORDS, stem

_NUMBER_WORDS = (
    "ein|eine|einen|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zwanzig|dreißig|vierzig|"
    "fünfzig|sechzig|siebzig|achtzig|neunzig|hundert|tausend"
)
_NUM = rf"(?:\d{{1,3}}(?:[.\u202f ]\d{{3}})+|\d+(?:,\d+)?|(?:{_NUMBER_WORDS})\w*)"
_QUAL = (
    r"(?:(?:mehr als|weniger als|über|rund|etwa|knapp|fast|insgesamt|bis zu|mindestens|höchstens|weitere|gut|ca\.)\s+)?"
)
_SCALE = r"(?:Milliarden|Millionen|Billionen|Mrd\.|Mio\.|Tausend)"
_CURRENCY = r"(?:US-Dollar|Dollar|Euro|€|\$|Franken|Pfund|Rubel|Yen|Prozent|%)"
AMOUNT = re.compile(rf"{_QUAL}{_NUM}(?:[\s-]*{_SCALE})?[\s-]*{_CURRENCY}(?:-\w+)?", re.IGNORECASE)
_COUNT = re.compile(rf"{_QUAL}({_NUM})(?:\s+{_SCALE})?\s+([A-ZÄÖÜ][\w-]+)", re.IGNORECASE)
_FRACTION = re.compile(r"\b(?:zwei|drei|vier|ein)\s+(?:Drittel|Viertel|Fünftel)\b|\b(?:die\s+)?Hälfte\b", re.IGNORECASE)
_MONTH = r"(?:Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember)"
_WEEKDAY = r"(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag)"
_DATE = re.compile(
    rf"\b\d{{1,2}}\.\s*{_MONTH}(?:\s+\d{{4}})?|\b{_MONTH}\s+\d{{4}}|\b\d{{1,2}}\.\d{{1,2}}\.\d{{2,4}}|"
    rf"\b(?:am\s+)?{_WEEKDAY}\b|\b(?:im\s+)?{_MONTH}\b|\b(?:19|20)\d\d\b"
)
_NAME = re.compile(r"\b(?:[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?\s+)+[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ]\w+)?\b")
_PLACE = re.compile(r"\b(?:in|aus|nach|von)\s+((?:Den|Der|Die|Le|La|Los|New|San|Bad)?\s?[A-ZÄÖÜ][\w-]+)")
_LIST = re.compile(
    r"\b[A-ZÄÖÜ][\w-]+(?:,\s+(?:der\s+|die\s+|das\s+)?[A-ZÄÖÜ][\w-]+)*,?\s+(?:und|sowie|oder)\s+(?:der\s+|die\s+|das\s+)?[A-ZÄÖÜ][\w-]+"
)
_QUOTED = re.compile(r"[\"„“»]([^\"„“»«]{3,80})[\"“”«]")
_ACRONYM = re.compile(r"\(([A-Z]{2,6})\)")

# Capitalised words that start names' neighbours but are no names themselves.
_NOT_NAMES = frozenset(
    {"der", "die", "das", "ein", "eine", "dies", "diese", "zudem", "auch", "laut", "nach", "am", "im"}
)


def _known(token: str, q: QuestionInfo) -> bool:
    return stem(token.lower()) in q.terms or token.lower() in q.text.lower()


def find_span(sentence: str, q: QuestionInfo) -> str | None:
    """The shortest phrase of ``sentence`` that answers ``q``, or None when the type has no span."""
    finder = {
        "amount": _amount,
        "count": _count,
        "date": _date,
        "person": _person,
        "place": _place,
        "list": _list,
        "name": _name,
    }.get(q.answer_type)
    return finder(sentence, q) if finder else None


def _amount(s: str, q: QuestionInfo) -> str | None:
    hits = [m.group(0).strip() for m in AMOUNT.finditer(s)]
    return hits[0] if hits else _count(s, q)


def _count(s: str, q: QuestionInfo) -> str | None:
    fraction = _FRACTION.search(s)
    best: str | None = None
    for m in _COUNT.finditer(s):
        noun = m.group(2)
        if re.fullmatch(_MONTH, noun) or re.fullmatch(r"(?:19|20)\d\d", m.group(1)):
            continue
        phrase = m.group(0).strip()
        if _known(noun, q) or any(t.startswith(stem(noun.lower())[:5]) for t in q.terms):
            return phrase
        best = best or phrase
    if fraction:
        return s[fraction.start() : fraction.end() + 40].split(" hätten")[0].split(" haben")[0].strip(" ,.")
    return best


def _date(s: str, q: QuestionInfo) -> str | None:
    hits = [m.group(0) for m in _DATE.finditer(s) if m.group(0).lower() not in q.text.lower()]
    return max(hits, key=len) if hits else None


def _names(s: str, q: QuestionInfo) -> list[str]:
    """Proper names of people: the last two words of a run of capitalised words, not in the question."""
    names = []
    for m in _NAME.finditer(s):
        name = m.group(0).split()[-2:]  # "Sowohl Außenminister Marco Rubio": the name closes the run
        if name[0].lower() in _NOT_NAMES or any(_known(t, q) or t.lower() in GAZETTEER for t in name):
            continue
        names.append(" ".join(name))
    return names


def _person(s: str, q: QuestionInfo) -> str | None:
    names = _names(s, q)
    if len(names) >= 2:
        return ", ".join(names[:-1]) + " und " + names[-1]
    return names[0] if names else _list(s, q)


def _place(s: str, q: QuestionInfo) -> str | None:
    for m in _PLACE.finditer(s):
        place = m.group(1).strip()
        if not _known(place.split()[-1], q):
            return place
    return None


def _list(s: str, q: QuestionInfo) -> str | None:
    hits = [m.group(0) for m in _LIST.finditer(s)]
    return max(hits, key=len) if hits else None


def _name(s: str, q: QuestionInfo) -> str | None:
    quoted = _QUOTED.search(s)
    if quoted:
        acronym = _ACRONYM.search(s[quoted.end() : quoted.end() + 12])
        return quoted.group(1) + (f" ({acronym.group(1)})" if acronym else "")
    names = _names(s, q)
    return names[0] if names else None


def gap_span(sentence: str, q: QuestionInfo, max_words: int = 8) -> str:
    """Fallback short answer: the longest run of words the question does not already contain."""
    tokens = re.findall(r"\S+", sentence)
    known = [stem(re.sub(r"\W", "", t.lower())) in q.terms for t in tokens]
    best: tuple[int, int] = (0, 0)
    i = 0
    while i < len(tokens):
        if known[i]:
            i += 1
            continue
        j = i
        while j < len(tokens) and not known[j]:
            j += 1
        if j - i > best[1] - best[0]:
            best = (i, j)
        i = j
    run = tokens[best[0] : best[1]]
    while run and re.sub(r"\W", "", run[0].lower()) in STOPWORDS:
        run = run[1:]
    return " ".join(run[:max_words]).strip(' ,.;:"„“')
