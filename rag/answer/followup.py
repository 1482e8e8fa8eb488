"""Turns a follow-up into a standalone question by rules, from the previous question and its answer.

„Und seit wann ist er dort?“ after „Wer folgt beim VSV auf Trainer Hannu Järvenpää?“ – „Greg Holst [1].“
becomes „Seit wann ist Greg Holst beim VSV?“; a fragment („Und für 2025?“) goes into the previous question."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import dropwhile, groupby
from typing import TypedDict

from rag.answer.names import is_first_name, is_place
from rag.answer.question import CONTEXT, GAZETTEER, answer_type
from rag.text.lexical import APPROXIMATORS, STOPWORDS
from rag.text.timeexpr import MONTHS, WEEKDAYS

_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_LEAD = re.compile(
    r"(?i)^(?:(?:und|aber|and|but)\s+)?(?:was ist mit|wie (?:ist|sieht) es (?:mit|bei|in)|what about|how about)\b"
    r"|^(?:und|aber|auch|sowie|and|but|also)\b"
)
_QUESTION_WORD = re.compile(
    r"(?i)\b(?:wer|wen|wem|wessen|wie|was|wann|wo|wohin|woher|welche\w*|warum|wieso|weshalb|wozu|"
    r"who|whom|whose|what|when|where|how|which|why)\b"
)
_WHO = re.compile(r"(?i)^\W*(?:wer|wen|wem|who|whom)\b")  # asks for a person: the answer names them
_IDENTITY = re.compile(r"(?i)^\W*(?:wer|who)\s+(?:ist|war|is|was)\s+(.+?)\W*$")  # „Wer ist X?“ is about X
_WHERE = re.compile(r"(?i)^\W*(?:wo|wohin|woher|where)\b")
_ENGLISH = re.compile(r"(?i)\b(?:the|is|are|did|does|do|he|him|his|she|what|who|how|when|where|why|which)\b")
# Words that point back („sie“/„ihr“ only in lower case: „Sie“ is the formal you; not „Is there …?“).
_DA = {"davon": "von", "dafür": "für", "dazu": "zu", "damit": "mit", "darüber": "über", "dagegen": "gegen"}
_BACK = {"darunter", "daran", "darin", "dabei", "damals", "ihnen"}  # stand for no one noun: „Wie viele waren darunter?“
_REFERRING = re.compile(
    rf"(?i)\b(?:er|ihn|ihm|seine[mnrs]?|dort|dorthin|da|dadurch|diese[mnrs]?|die beiden|{'|'.join([*_DA, *_BACK])}|"
    r"he|him|his|she|it|its|they|them|their|that|those)\b"
    r"|\b(?:war|waren|ist|sind|wird|werden) es\b"  # „Wie viele waren es insgesamt?“ (not „Gibt es …?“)
    # „Wann war das?“, „Bei welcher Firmware klappt der?“, „Bis wann sollen die aufsperren?“, not „das Projekt“
    r"|\b(?:das|der|die|den|dem)\b(?=(?-i:\s+[a-zäöüß]+)*\W*$)"
    r"|\b(?-i:sie|ihr(?:e[mnrs]?)?|sein(?=\s+[A-ZÄÖÜ]))\b|(?<!is )(?<!are )(?<!was )(?<!were )\bthere\b"
)
_POSSESSIVE = re.compile(r"(?:sein|ihr)(?:e[mnrs]?)?|his")
_EARLIER, _LATER = {"davor", "zuvor", "früher", "vorjahr", "before"}, {"danach", "später", "folgejahr", "after"}
_RELATIVE_YEAR = re.compile(rf"(?i)\b(?:(?:im|ein) jahr|im|the year) ({'|'.join(_EARLIER | _LATER)})\b")  # „im Vorjahr“
_RELATIVE_PERIOD = re.compile(
    rf"(?i)\b(?:im|in dem|in the)\s+(?:(monat|month|quartal|quarter)\s+({'|'.join(_EARLIER | _LATER)})|vor(monat|quartal))\b"
)  # „im Monat davor“, „im Vorquartal“
_MONTH = re.compile(rf"(?i)\b({'|'.join(MONTHS)})\b(?:\s+((?:19|20)\d\d)\b)?")
_QUARTER = re.compile(r"\b([1-4])\.\s*Quartal\b(?:\s+((?:19|20)\d\d)\b)?")
_MONTH_NAMES = [next(m for m, n in MONTHS.items() if n == i and m != "jänner") for i in range(1, 13)]
_RUN = re.compile(r"[A-ZÄÖÜ][\w'’-]*(?:\s+[A-ZÄÖÜ][\w'’-]*)+")  # capitalised words in a row: a name?
_NOT_A_NAME = STOPWORDS | {w for a in APPROXIMATORS for w in a.split()}  # „Rund“ opens no name
_PREPOSITIONS = set("in im an am auf aus bei beim nach zu zum zur für von mit at on for from to with".split())
_AT, _IN = {"in", "im", "beim", "bei", "am"}, "in"  # kept before a place; „nach/aus Berlin“ becomes „in Berlin“
_TIMES = {*MONTHS, *WEEKDAYS, *"vorjahr jahr monat quartal sommer winter herbst frühjahr frühling".split()}
_PLACE = re.compile(r"\b(in|im|beim|bei|am|nach|aus)\s+((?:der |dem |den )?[A-ZÄÖÜ][\w-]*(?:\s+[A-ZÄÖÜ][\w-]*)*)")
_NOUN = r"(?:[a-zäöüß]+e[mnrs]?\s+)?[A-ZÄÖÜ][\w-]*(?:\s+(?:19|20)\d\d)?"  # „neue Wohnungen“, „Haushalt 2025“
_TOPIC = re.compile(rf"\b(?i:wie\s+(viele?)|welche[mnrs]?)\s+({_NOUN})|\b((?:de[rnm]|die|das|eine?n?)\s+{_NOUN})")
_BARE_COUNT = re.compile(r"\b((?i:wie viele|how many))\s+(?!da\w+\b)(?=[a-zäöüß]+\b(?!\s+[A-ZÄÖÜ]))")
_GENITIVE_PLURAL = "der"  # „wie viele davon“ → „wie viele der Tiger“
_DATIVE = {"von", "zu", "mit"}
# Pronoun → (the article of a topic it can stand for, its case); English ones stand for persons only.
_PRONOUNS = {"er": ("der", "nom"), "ihn": ("der", "acc"), "ihm": ("der", "dat"), "es": ("das", "nom")}
_PRONOUNS |= {"sie": ("die", "nom"), "ihr": ("die", "dat")} | dict.fromkeys(["he", "him", "she", "her"], ("", ""))
_GENDER = {"der": "der", "den": "der", "ein": "der", "einen": "der", "das": "das", "die": "die", "eine": "die"}
_CASES = {"nom": {"den": "der", "einen": "ein"}, "acc": {"der": "den", "ein": "einen"}}
_CASES["dat"] = {"der": "dem", "den": "dem", "das": "dem", "die": "der", "ein": "einem", "einen": "einem"}
_EXPLETIVE = {"gibt", "gab", "gäbe", "geht", "ging", "steht", "stand", "sieht", "sind", "waren"}  # „gibt es“
_LOWER_ONLY = {"sie", "ihr"}
_EXISTENTIAL = {"is", "are", "was", "were"}  # „is there“
# Answers that name no one: „Wie viele Jahre Haft …?“ – „Drei Jahre Haft“.
_COUNTED = ("count", "amount", "duration", "age", "date")
CITATION_MARKS = re.compile(r"\s*\[\d+(?:\s*[,;]\s*\d+)*\]")  # citation marks: „[1]“, „[1, 2]“
_ABSTAINED = re.compile(r"(?i)keine Angaben|nicht beantworten|weiß ich nicht|no information|I don't know")


class Turn(TypedDict):
    role: str
    content: str


def is_followup(question: str) -> bool:
    """A question that leans on the previous turn: „Und für 2025?“, „Was ist mit Polen?“, „Wie alt ist er?“."""
    q = question.strip()
    return bool(_LEAD.match(q) or _REFERRING.search(q)) or len(q.split()) <= 3  # „Wieso eigentlich?“, „Bei wem?“


def standalone_question(question: str, history: Sequence[Turn] | None) -> str:
    """The follow-up with pronouns replaced by their referents (a fragment: put into the previous question).

    A question that stands on its own, or has no earlier question to lean on, is returned as is."""
    q, turns = question.strip(), list(history or [])
    if (last := _leaned_on(q, turns)) is None:
        return q
    previous = CONTEXT.sub("", standalone_question(turns[last]["content"], turns[:last]))  # resolved too
    answer = _answer_to(turns, last)
    if year := _YEAR.search(previous):  # „Und im Jahr davor?“ → the previous question's year - 1
        q = _RELATIVE_YEAR.sub(lambda m: str(int(year.group()) + (-1 if m[1].lower() in _EARLIER else 1)), q)
    q = _RELATIVE_PERIOD.sub(lambda m: _shifted_period(m, previous), q)  # „im Monat davor“ → „im März“
    rest = _LEAD.sub("", q, count=1).strip(" ,").rstrip(" ?!.")
    short = _short_answer(answer)
    kind = answer_type(previous)
    # the answer names the person unless it is a place („In Rom“) or what was counted, dated or measured;
    # after „Mit wem …?“ „Mit Guy Ritchie“ names one
    named = (
        _name(short, any_run=kind == "person")
        if short and (short.split()[0].lower() not in _PREPOSITIONS or kind == "person") and kind not in _COUNTED
        else None
    )
    who = _WHO.match(previous)  # unanswered „Wer …?“: person unknown
    person = _identity(previous) or named or (None if who else _name(previous))
    m = None if who else _TOPIC.search(previous)
    topic, plural = ((m[2] or m[3]), (m[1] or "").lower() == "viele") if m else (None, False)
    resolved = _resolve(rest, person, _place(previous, short, kind), topic, plural, bool(_ENGLISH.search(q)))
    if plural:  # „Und wie viele hatte man …?“ → „Wie viele Tiger hatte man …?“
        resolved = _BARE_COUNT.sub(rf"\1 {topic} ", resolved)
    words = rest.split()
    if not (_QUESTION_WORD.search(" ".join(words[:3])) or (len(words) >= 3 and _REFERRING.search(rest))):
        return _fragment(resolved, previous)
    thin = any(w.lower() in _BACK for w in words) or bool(topic) and any(w.lower() in _DA for w in words)
    return _with_context(f"{resolved[:1].upper()}{resolved[1:]}?", previous, person, thin)


def previous_answer(question: str, history: Sequence[Turn] | None) -> str | None:
    """The answer a follow-up leans on: what was said to the last question (None when the question stands
    alone). The follow-up's answer mostly stands in the sentence that said it or a few sentences on."""
    turns = list(history or [])
    last = _leaned_on(question.strip(), turns)
    return None if last is None else _answer_to(turns, last)


def _leaned_on(question: str, turns: Sequence[Turn]) -> int | None:
    """Where in ``turns`` the last question stands that a follow-up leans on (None: it stands alone)."""
    asked = [i for i, t in enumerate(turns) if t.get("role") == "user"]
    return asked[-1] if asked and is_followup(question) else None


def _answer_to(turns: Sequence[Turn], asked: int) -> str | None:
    return next((t["content"] for t in turns[asked + 1 :] if t.get("role") == "assistant"), None)


def _shifted_period(m: re.Match[str], previous: str) -> str:
    """„im Monat davor“ after „… im April?“ as „im März“, „im Vorquartal“ after „… im 3. Quartal 2015?“ as
    „im 2. Quartal 2015“; unchanged when the previous question names no month or quarter."""
    unit = (m[1] or m[3]).lower()
    step = 1 if m[2] and m[2].lower() in _LATER else -1
    if unit in ("monat", "month") and (month := _MONTH.search(previous)):
        index = 12 * int(month[2] or 0) + MONTHS[month[1].lower()] - 1 + step
        year = f" {index // 12}" if month[2] else ""
        return f"im {_MONTH_NAMES[index % 12].capitalize()}{year}"
    if unit in ("quartal", "quarter") and (quarter := _QUARTER.search(previous)):
        index = 4 * int(quarter[2] or 0) + int(quarter[1]) - 1 + step
        year = f" {index // 4}" if quarter[2] else ""
        return f"im {index % 4 + 1}. Quartal{year}"
    return m[0]


def _short_answer(answer: str | None) -> str | None:
    """The answer's first sentence without [n] markers and quotes; None for an abstention or a bare quote."""
    first = next((line.strip() for line in (answer or "").splitlines() if line.strip()), "")
    if not first or first.startswith(("„", '"', "»", "“")) or _ABSTAINED.search(first):
        return None
    first = CITATION_MARKS.sub("", first).replace("**", "")
    return re.split(r"(?<=[.!?])\s", first)[0].strip(' .„“"»«') or None


def _name(text: str, any_run: bool = True) -> str | None:
    """The last two of two or more capitalised words („Trainer Hannu Järvenpää“ → „Hannu Järvenpää“): the
    first such run with a first name („Luis Durnwalder“, not „Jahre Haft“ before it), else (``any_run``) the
    first run."""
    runs = []
    for m in _RUN.finditer(text):
        words = list(dropwhile(lambda w: w.lower() in _NOT_A_NAME, m.group().split()))
        before = text[: m.start()].split()
        acronym = any(len(w) >= 2 and w.replace("-", "").isupper() for w in words[-2:])  # „SPÖ Oberösterreich“
        if len(words) >= 2 and not acronym and not (before and before[-1][:1].isdigit()):  # not „50 Milliarden Euro“
            runs.append(words[-2:])
    named = next((r for r in runs if is_first_name(r[0])), runs[0] if runs and any_run else None)
    return " ".join(named) if named else None


def _identity(question: str) -> str | None:
    """The person „Wer ist Peter Hlinka?“ asks about; none for „Wer ist neuer Trainer beim SC Wiener Neustadt?“,
    whose answer names the person."""
    if (m := _IDENTITY.match(question)) and (name := _name(m[1])) and m[1].startswith(name):
        return name
    return None


def _place(previous: str, short: str | None, kind: str) -> str | None:
    """What „dort“ stands for: the answer to „Wo …?“ or „An welchem Standort …?“, else the place the previous
    question named (not a time: „im März“, „am Montag“, „im Vorjahr“)."""
    if short and (_WHERE.match(previous) or kind == "place"):
        return short[0].lower() + short[1:] if short.split()[0].lower() in _PREPOSITIONS else f"{_IN} {short}"
    for m in _PLACE.finditer(previous):
        if m.group(2).split()[-1].lower() not in _TIMES:
            return f"{m.group(1) if m.group(1) in _AT else _IN} {m.group(2)}"
    return next((f"{_IN} {p}" for p in _places(previous)), None)


def _places(text: str) -> list[str]:
    return [w for w in re.findall(r"[\w-]+", text) if w[0].isupper() and is_place(w)]  # not „ver“ of „ver.di“


def _decline(phrase: str, case: str) -> str:
    article, _, tail = phrase.partition(" ")
    return f"{_CASES[case].get(article, article)} {tail}" if tail else phrase


def _resolve(text: str, person: str | None, place: str | None, topic: str | None, plural: bool, english: bool) -> str:
    """``text`` with pronouns, „dort“ and „davon/dafür/…“ replaced by their referents (where known)."""
    gender = "die" if plural else _GENDER.get((topic or "").split(" ")[0])
    first: list[str] = []  # the pronoun that stands for the person: in „she … him“ only „she“ does
    # beside „er/ihn/ihm“ a possessive is the same person („… er bei seinem ersten Sieg“) or another one
    # („seine Bilanz gegen ihn“): the pronoun names the person, the possessive stays
    personal = re.search(r"(?i)\b(?:er|ihn|ihm|he|him)\b", text)

    def swap(m: re.Match[str]) -> str:
        word, low = m.group(), m.group().lower()
        before, after = text[: m.start()].split(), text[m.end() :].split()
        prev, nxt = (before[-1].lower() if before else ""), (after[0] if after else "")
        if low in _DA and topic:
            prep = _DA[low]
            if prep == "von" and plural:
                return f"{_GENITIVE_PLURAL} {topic}"
            return f"{prep} {_decline(topic, 'dat' if prep in _DATIVE else 'acc')}"
        if place and (low == "dort" or (low == "there" and prev not in _EXISTENTIAL)):
            return place
        her = english and low == "her" and nxt.lower() not in _NOT_A_NAME  # „her car“, not „meet her in …“
        if person and (her or not personal and _POSSESSIVE.fullmatch(word) and (nxt[:1].isupper() or english)):
            return f"{person}'s" if english else person + ("'" if person[-1] in "sßxz" else "s")
        if low not in _PRONOUNS or (low in _LOWER_ONLY and word != low) or (low == "es" and {prev, nxt} & _EXPLETIVE):
            return word
        they = low == "sie" and (prev.endswith("en") or prev == "sind")  # „Wann haben sie sich gemeldet?“
        if person and low != "es" and not they and first in ([], [low]):
            first[:] = [low]
            return person
        pronoun_gender, case = _PRONOUNS[low]
        return _decline(topic, case) if topic and case and gender == pronoun_gender else word

    return re.sub(r"[\w-]+", swap, text)


def _keywords(question: str) -> list[str]:
    """Names, nouns, places and years of a question after its first word, adjacent ones kept together."""
    words = re.findall(r"[\w-]+", question)[1:]
    key = [
        bool(_YEAR.match(w)) or w.lower() in GAZETTEER or w[0].isupper() and w.lower() not in _NOT_A_NAME for w in words
    ]
    return [" ".join(w for w, _ in run) for is_key, run in groupby(zip(words, key), key=lambda p: p[1]) if is_key]


def _with_context(out: str, previous: str, person: str | None, thin: bool) -> str:
    """``out`` and, in brackets, the previous question's key words it lacks if it keeps under half (or ``thin``)."""
    runs, low = _keywords(previous), out.lower()
    kept = [r for r in runs if set(r.lower().split()) & set(re.findall(r"[\w-]+", low))]
    missing = [r for r in dict.fromkeys([*runs, person or ""]) if r and r.lower() not in low]
    missing = [r for r in missing if not (_YEAR.search(out) and _YEAR.search(r))]  # the new year wins
    return f"{out} ({', '.join(missing)})" if missing and (thin or 2 * len(kept) < len(runs)) else out


def _fragment(rest: str, previous: str) -> str:
    """A fragment into the previous question: years replace years, months months, quarters quarters, places
    places („in Nepal“), else it is added."""
    base = previous.rstrip(" ?")
    new_at = [m[0] for m in _PLACE.finditer(rest) if _places(m[2])]  # „in Indien“ (not „im Quartal“)
    old_at = [m[0] for m in _PLACE.finditer(base)]

    def in_both(found: Callable[[str], list[str]]) -> tuple[list[str], list[str]]:
        return found(rest), found(base)

    for new, old in (
        in_both(_YEAR.findall),
        in_both(lambda text: [m[1] for m in _MONTH.finditer(text)]),
        in_both(lambda text: [f"{m[1]}. Quartal" for m in _QUARTER.finditer(text)]),
        (new_at, old_at),
        in_both(_places),
    ):
        if new and old:
            base = re.sub(rf"\b{re.escape(old[-1])}\b", new[0], base, count=1)
            rest = re.sub(rf"\b{re.escape(new[0])}\b", "", rest)
    rest = " ".join(rest.split())
    return f"{base} {rest}?" if rest and rest.lower() not in _PREPOSITIONS else f"{base}?"
