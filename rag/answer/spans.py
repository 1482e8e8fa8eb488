"""Exact answer spans inside a sentence: amounts, counts, durations, dates, names, places, lists, organisations."""

from __future__ import annotations

import re

from rag.answer.names import is_first_name, is_place
from rag.answer.question import GAZETTEER, ORGANISATION, PEOPLE, ROLES, STATES, QuestionInfo
from rag.text.lexical import APPROXIMATORS, NUMBER_WORDS, stem
from rag.text.timeexpr import MONTHS, WEEKDAYS

_MORPHEMES = "|".join(sorted({*NUMBER_WORDS, "sieb", "und"}, key=len, reverse=True))
_NUMBER_WORD = rf"\b(?!und)(?:{_MORPHEMES})+(?:e|en|em|er|es|s)?\b"
"""A number written as a word, made of number words only: „einen“, „siebzehn“, „einundzwanzig“,
„Hunderte“; not „eingängigen“, „Elfmeter“ or the ordinal „zweite“."""
_NUM = rf"(?<![\d.,/])(?:\d{{1,3}}(?:[.\u202f ]\d{{3}})+|\d+(?:,\d+)?|{_NUMBER_WORD})"
"""A whole number: not the minutes of „20.30 Uhr“ or the decimals of „f/2.0“."""
_QUAL = rf"(?:(?:{'|'.join(map(re.escape, APPROXIMATORS))})\s+)?"
NUMBER = re.compile(
    rf"\d|(?!\bein(?:e|en|em|er|es)?\b){_NUMBER_WORD}"
    r"|\b(?:kein\w*|beide\w*|dutzend\w*|hälfte|drittel|viertel|doppelt\w*|million\w*|milliard\w*)\b",
    re.IGNORECASE,
)
"""A number in digits or words, not „ein“ (mostly the article): an answer to „Wie viele …?“ holds one."""
_SCALE = r"(?:Milliarden|Millionen|Billionen|Mrd\.|Mio\.|Tausend)"
_CURRENCY = r"(?:US-Dollar|Dollar|Euro|€|\$|Franken|Pfund|Rubel|Yen|Prozent|%)"
AMOUNT = re.compile(rf"{_QUAL}{_NUM}(?:[\s-]*{_SCALE})?[\s-]*{_CURRENCY}(?:-\w+)?", re.IGNORECASE)
_COUNT = re.compile(rf"{_QUAL}({_NUM})(?:\s+{_SCALE})?\s+((?-i:[A-ZÄÖÜ])[\w-]+)", re.IGNORECASE)  # a noun: capital
_FRACTION = re.compile(r"\b(?:zwei|drei|vier|ein)\s+(?:Drittel|Viertel|Fünftel)\b|\b(?:die\s+)?Hälfte\b", re.IGNORECASE)
_MONTH = f"(?:{'|'.join(m.capitalize() for m in MONTHS)})"  # „Jänner“ too
_WEEKDAY = f"(?:{'|'.join(d.capitalize() for d in WEEKDAYS)})"
WEEKDAY = re.compile(_WEEKDAY)
"""A weekday alone: in news mostly the dateline's day, a weak answer to „Wann …?“."""
_PART = r"(?:Anfang|Mitte|Ende|Beginn|Frühjahr|Frühling|Sommer|Herbst|Winter)"
_RECURRING = (
    rf"\b(?:jeden|jede|jedes)\s+(?:(?:ersten|zweiten|dritten|vierten|letzten)\s+)?"
    rf"(?:{_WEEKDAY}|Wochenende|Tag|Woche|Monat|Jahr|Sommer|Winter|Frühjahr|Herbst)"
    rf"(?:\s+(?:im|des)\s+(?:Monats?|Jahr|Jahres|{_MONTH}))?"
    r"|\b(?:einmal|zweimal|dreimal)\s+(?:im|pro|je|in\s+der)\s+(?:Woche|Monat|Quartal|Jahr)"
    r"|\balle\s+(?:zwei|drei|vier|fünf|sechs|zehn|\d+)\s+(?:Tage|Wochen|Monate|Jahre)"
)
"""A time that recurs („jeden ersten Sonntag im Monat“, „alle vier Jahre“): an answer to „Wann …?“ too."""
_DATE = re.compile(
    rf"{_RECURRING}|\b{_PART}\s+(?:(?:des|dieses|nächsten|kommenden)\s+Jahres|{_MONTH}(?:\s+\d{{4}})?|\d{{4}})\b|"
    rf"\b\d{{1,2}}\.\s*{_MONTH}(?:\s+\d{{4}})?|\b{_MONTH}\s+\d{{4}}|\b\d{{1,2}}\.\d{{1,2}}\.\d{{2,4}}|"
    rf"\b(?:am\s+)?{_WEEKDAY}\b|\b(?:im\s+)?{_MONTH}(?:\s+\d{{4}})?\b|\b(?:19|20)\d\d\b"
)
_NAME = re.compile(r"\b(?:[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?\s+)+[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ]\w+)?\b")
# After a preposition; with an article („in der Lage“, „im Zug“) only a country of the gazetteer
# („in der Schweiz“), since towns take none and GeoNames has towns named like nouns (Lage, Zug, Mitte).
_PLACE = re.compile(
    r"\b(?:in|aus|nach|von|bei|vor|(?P<article>im|vom|beim))\s+(?P<article2>(?:dem|den|der)\s+)?"
    r"(?P<place>(?:Den|Der|Die|Le|La|Los|Las|New|San|Santa|St\.|Sankt|Bad|Hong)?\s?[A-ZÄÖÜ][\w-]+)"
)
# A name after the word for a kind of place is a place, known or not („Hafenstadt Dalian“, „im Bezirk
# Mistelbach“, „Städtchen Amude“, „Hauptstadt Phnom Penh“).
_PLACE_KIND = re.compile(
    r"(?:\w*(?i:stadt|städtchen|metropole|gemeinde|provinz|region|bezirk|kanton|insel)|\bOrt|\bOrtschaft|\bDorf|"
    r"\bBundesstaat|\bBundesland)\s+((?:St\.\s+)?[A-ZÄÖÜ][\w-]+(?:\s+[A-ZÄÖÜ][a-zäöüß]+(?=[\s,.]))?)"
)
DATELINE = re.compile(r"^([A-ZÄÖÜ][\w.-]+(?:[ /][A-ZÄÖÜ][\w.-]+)*)\s+[–-]\s")
_TIME_UNIT = r"(?:Sekunden|Minuten|Stunden|Tage[n]?|Wochen|Monate[n]?|Jahre[n]?|Jahrzehnte[n]?)"
# „26 Minuten nach Mitternacht“ is a time of day, not how long something took.
_DURATION = re.compile(
    rf"{_QUAL}{_NUM}\s+{_TIME_UNIT}(?:(?:,\s*|\s+und\s+|\s+){_NUM}\s+{_TIME_UNIT})*"
    r"(?!\s+(?:nach|vor)\s+(?:Mitternacht|Mittag|Sonnenaufgang|Sonnenuntergang|\d))",
    re.IGNORECASE,
)
# An organisation: a name after the word for its kind („Software-Firma Intuit“, „Drittligisten VfR
# Aalen“), or a club's or company's abbreviation and name („SV Ried“, „FC Bayern“).
_ORGANISATION = re.compile(
    r"(?:Firma|Konzern|Unternehmen|Verein|Klub|Club|ligisten|Hersteller|Sender|Partei|Band|Gruppe|Bank|"
    r"Zeitung|Magazin|Marke|Kette|Mannschaft|Team|Provider|Anbieter|Airline|Fluglinie|Start-up|Startup)"
    r"\s+((?:[A-ZÄÖÜ][\w&.-]*)(?:\s+[A-ZÄÖÜ][\w&.-]*)?)"
    r"|\b((?:[A-Z]{1,3}[a-z]?[A-Z]{1,2}|FC|SV|SK|SC|AC)\s+[A-ZÄÖÜ][\w-]+)"
)
_LIST = re.compile(
    r"\b[A-ZÄÖÜ][\w-]+(?:,\s+(?:der\s+|die\s+|das\s+)?[A-ZÄÖÜ][\w-]+)*,?\s+(?:und|sowie|oder)\s+(?:der\s+|die\s+|das\s+)?[A-ZÄÖÜ][\w-]+"
)
_QUOTED = re.compile(r"[\"„“»]([^\"„“»«]{3,80})[\"“”«]")
_ACRONYM = re.compile(r"\(([A-Z]{2,6})\)")


# Capitalised words that start names' neighbours but are no names themselves.
_NOT_NAMES = frozenset(
    {"der", "die", "das", "ein", "eine", "dies", "diese", "zudem", "auch", "laut", "nach", "am", "im"}
)


def _in_question(token: str, q: QuestionInfo) -> bool:
    return stem(token.lower()) in q.terms or token.lower() in q.text.lower()


def find_span(sentence: str, q: QuestionInfo) -> str | None:
    """The shortest phrase of ``sentence`` that answers ``q``, or None when the type has no span."""
    finder = {
        "amount": _amount,
        "count": _count,
        "duration": _duration,
        "age": _age,
        "date": _date,
        "person": _person,
        "place": _place,
        "list": _list,
        "name": _name,
    }.get(q.answer_type)
    return finder(sentence, q) if finder else None


def _given(phrase: str, q: QuestionInfo) -> bool:
    """Whether the phrase's number is one the question states: „Wie viele der 150 Mitarbeiter …?“ is
    not answered by „150 Mitarbeiter“."""
    return any(
        re.search(rf"(?<![\d.,]){re.escape(n)}(?![\d]|[.,]\d)", q.text) for n in re.findall(r"\d(?:[\d.,]*\d)?", phrase)
    )


def counts_the_asked(noun: str, q: QuestionInfo) -> bool:
    """Whether a count's noun is what the question counts: „Wie viele Pilger …?“ by „21 Pilger“, not by
    „zwei Polizisten“ (``noun``: the span's last word)."""
    return _in_question(noun, q) or any(t.startswith(stem(noun.lower())[:5]) for t in q.terms)


def counts_the_unasked(span: str, q: QuestionInfo) -> bool:
    """Whether a typed quantity counts something else than the question: „zwei Polizisten“ for „Wie viele
    Todesopfer …?“, „fünf Verdächtige“ for „Wie viele Österreicher …?“; not a sum of money or a share."""
    return not AMOUNT.search(span) and not counts_the_asked(span.split()[-1].strip(",."), q)


def _amount(s: str, q: QuestionInfo) -> str | None:
    hits = [m.group(0).strip() for m in AMOUNT.finditer(s)]
    hits = [h for h in hits if not _given(h, q)]
    return hits[0] if hits else _count(s, q)


def _count(s: str, q: QuestionInfo) -> str | None:
    fraction = _FRACTION.search(s)
    best: str | None = None
    for m in _COUNT.finditer(s):
        noun = m.group(2)
        if re.fullmatch(_MONTH, noun) or re.fullmatch(r"(?:19|20)\d\d", m.group(1)):
            continue
        if re.fullmatch(rf"{_TIME_UNIT}|Woche|Monat|Jahr|Tag|Stunde|Minute", noun):
            continue  # „zwei Monaten“ is a span of time, not a count of what is asked (that is „Wie lange …?“)
        if re.fullmatch(r"eine?[mnrs]?", m.group(1), re.IGNORECASE) and m.group(0).split()[1:2] == [noun]:
            continue  # "Ein Polster" is an article and a noun, not a count
        phrase = m.group(0).strip()
        if _given(phrase, q) or (re.fullmatch(_CURRENCY, noun, re.IGNORECASE) and not _in_question(noun, q)):
            continue  # „90 Millionen Pfund“ counts no albums, „50.000 Euro“ no people
        if counts_the_asked(noun, q):
            return phrase
        best = best or phrase
    if fraction:
        return s[fraction.start() : fraction.end() + 40].split(" hätten")[0].split(" haben")[0].strip(" ,.")
    return best


def _duration(s: str, q: QuestionInfo) -> str | None:
    hits = [m.group(0).strip() for m in _DURATION.finditer(s)]
    hits = [h for h in hits if not _given(h, q)]
    return max(hits, key=len) if hits else None


_AGE = re.compile(
    r"\b(\d{1,3})-[Jj]ährige\w*|\b(\d{1,3}) Jahre alt\b|\b(?:im Alter von|mit) (\d{1,3}) Jahren\b"
    r"|\b(\d{1,3}) years? old\b|\baged (\d{1,3})\b"
)
"""An age as news writes it: „der 26-Jährige“, „26 Jahre alt“, „im Alter von 81 Jahren“."""


def _age(s: str, q: QuestionInfo) -> str | None:
    ages = [next(g for g in m.groups() if g) for m in _AGE.finditer(s)]
    ages = [a for a in ages if not _given(a, q)]
    return f"{ages[0]} Jahre" if ages else None


def _date(s: str, q: QuestionInfo) -> str | None:
    hits = [re.sub(r"^(?:am|im)\s+", "", m.group(0)) for m in _DATE.finditer(s)]
    hits = [h for h in hits if h.lower() not in q.text.lower()]
    return max(hits, key=len) if hits else None


def _names(s: str, q: QuestionInfo) -> list[str]:
    """Names of people not in the question: in a run of capitalised words, a known first name and the
    word after it („zusammen mit Sir Bobby Charlton Englands Rekordtorschütze“), or the two words after
    a role („Kapitän Steffen Hofmann“, „Trainer Greg Holst“).

    German capitalises every noun, so a pair of capitalised words alone („Spanischen Hofreitschule“)
    is no evidence of a person.
    """
    names = []
    for m in _NAME.finditer(s):
        words = m.group(0).split()
        before = (s[: m.start()].split() or [""])[-1]
        starts = [i for i in range(len(words) - 1) if is_first_name(words[i])]
        # „Kevin De Bruyne“: „De“ is on the first-name list too, but here within a family name
        found = [i for i in starts if not (i - 1 in starts and words[i].lower() in _PARTICLES)]
        roles = [
            i for i, w in enumerate([before, *words[:-2]]) if any(w.lower().strip(",.").endswith(r) for r in ROLES)
        ]
        if not found and roles:
            found = [roles[-1]]
        for i in found:
            name = words[i : i + 2]
            if name[0].lower() in _NOT_NAMES or any(_in_question(t, q) or t.lower() in GAZETTEER for t in name):
                continue
            if name[1].lower() in _PARTICLES:  # „Kevin De Bruyne“, „Alexander Van der Bellen“: not „Kevin De“
                tail = words[i + 2 : i + 3] or (t.group(0).split() if (t := _SURNAME.match(s, m.end())) else [])
                if not tail:
                    continue
                name += tail
            names.append(" ".join(name))
    return names


_PARTICLES = frozenset("van von de der den del della da di du dos das la le ter ten al el bin ibn".split())
"""Words inside family names („Van der Bellen“, „De Bruyne“, „von der Leyen“)."""
_SURNAME = re.compile(rf"(?:\s+(?:{'|'.join(sorted(_PARTICLES))}))*\s+[A-ZÄÖÜ][\w'-]+")
"""The rest of a family name after a run of capitalised words that ends in a particle: „ der Bellen“."""


def holds_a_quantity(sentence: str, span: str | None, count: bool) -> bool:
    """Whether ``sentence`` (with its typed ``span``) can answer „Wie viele/viel …?“: it holds a number or a
    counted phrase („ein Mann“), or, for a ``count``, names the counted one by one („Kanada, Deutschland,
    Norwegen und Polen wollen …“ for „Wie viele Länder …?“)."""
    return bool(span or NUMBER.search(sentence) or (count and _LIST.search(sentence)))


UNKNOWN = re.compile(
    r"\b(?:ist|sind|war|waren|bleibt|bleiben|blieb|blieben)\s+(?:\w+\s+){0,2}?(?:noch\s+)?"
    r"(?:unklar|unbekannt|ungewiss|nicht\s+(?:klar|bekannt|geklärt))\b"
    r"|\b(?:wurden?|werden)\s+(?:\w+\s+){0,2}?(?:nicht|keine)\s+(?:\w+\s+)?"
    r"(?:genannt|bekanntgegeben|bekannt\s+gegeben|beziffert|mitgeteilt)\b"
    r"|\b(?:nannten?|machten?)\s+(?:\w+\s+){0,3}?keine\s+(?:\w+\s+)?(?:Angaben|Zahlen|Details)\b"
    r"|\b(?:wollten?|will|wollen)\s+(?:\w+\s+){0,3}?nicht\s+(?:nennen|sagen|verraten|beziffern|bestätigen|kommentieren)\b"
    r"|\b(?:steht|stand|stehen|standen)\s+(?:\w+\s+){0,2}?(?:noch\s+)?nicht\s+fest\b"
    r"|\b(?:ist|sind|bleibt|bleiben)\s+(?:\w+\s+){0,2}?noch\s+offen\b",
    re.IGNORECASE,
)
"""A sentence saying that something is not known or was not told („Wie viele … ihren Job verlieren, ist
noch nicht klar.“, „Der Euro-Preis wurde nicht genannt“): as the answer it says the articles do not know."""


def about_other_states(sentence: str, q: QuestionInfo) -> bool:
    """Whether ``sentence`` speaks of other states than the ones the question names, and not of those:
    „Wie hoch war Chinas Forschungsquote?“ is not answered by „Es folgen Deutschland (2,84) und die USA
    mit 2,74 Prozent.“ Only for questions after a figure, time, reason or yes/no: for „Wer …?“, „Wohin
    …?“ or „Welche Länder …?“ naming another is the point. (People are not checked so: news calls the
    person asked about „er“ or „der Jungstar“ beside others' names.)"""
    if q.answer_type not in ("amount", "count", "date", "duration", "explanation", "yesno"):
        return False
    asked = [state for w in re.findall(r"\b[A-ZÄÖÜ][\w-]+", q.text) if (state := _state(w))]
    others = [w for w in re.findall(r"\b[A-ZÄÖÜ][\w-]+", sentence) if _state(w) and not _in_question(w, q)]
    low = sentence.lower()
    return bool(asked) and not any(state in low for state in asked) and bool(others)


def _state(word: str) -> str | None:
    """The state a word names, also in the genitive („Chinas“), lower case."""
    low = word.lower()
    return low if low in STATES else low[:-1] if low.endswith("s") and low[:-1] in STATES else None


_NAME_ASKED = re.compile(r"^(?:und\s+)?wie\s+(?:heißt|hieß|heisst|hiess|heißen|hießen)\s+(?:der|die|den)\s+(.*)", re.I)


def asks_for_a_persons_name(question: str) -> bool:
    """„Wie heißt der achtjährige Bub …?“, „Wie heißt der Belgier …?“: the answer can only be a person's name."""
    m = _NAME_ASKED.match(question.strip())
    words = re.findall(r"[\w-]+", m.group(1)) if m else []
    at = next((i for i, w in enumerate(words) if re.search(r"(?:^|-)[A-ZÄÖÜ]", w)), None)
    if at is None:
        return False
    noun, after = words[at], words[at + 1 : at + 2]
    # someone from a place, unless the word is the place's adjective before a noun („der Wiener Verein“)
    from_a_place = _is_demonym(noun) and not (after and after[0][:1].isupper())
    return noun.lower().endswith(PEOPLE) or from_a_place  # „der 21-Jährige“ too


_DEMONYM = re.compile(r"(.+?)(?:er|erin|erinnen)")


def _is_demonym(word: str) -> bool:
    """„Belgier“ (Belgien), „Österreicherin“, „Wiener“: someone from a known place."""
    m = _DEMONYM.fullmatch(word)
    return m is not None and any(is_place(m[1] + end) for end in ("", "en", "e"))


def names_a_person(sentence: str, q: QuestionInfo) -> bool:
    """Whether ``sentence`` names a person the question does not."""
    return bool(_names(sentence, q))


def _person(s: str, q: QuestionInfo) -> str | None:
    """People the question does not name; else the other actors „Wer …?“ asks about in the news:
    organisations, countries and alliances („China … der Iran und Nordkorea“)."""
    names = _names(s, q) or _actors(s, q)
    if len(names) >= 2:
        return ", ".join(names[:-1]) + " und " + names[-1]
    return names[0] if names else None


def _organisations(s: str, q: QuestionInfo) -> list[str]:
    found = [(m.group(1) or m.group(2)).strip(".") for m in _ORGANISATION.finditer(s)]
    return [o for o in found if not any(_in_question(t, q) for t in o.split())]


def _actors(s: str, q: QuestionInfo) -> list[str]:
    states = [w for w in re.findall(r"\b[A-ZÄÖÜ][\w-]+", s) if w.lower() in STATES and not _in_question(w, q)]
    return list(dict.fromkeys(_organisations(s, q) + states))


def _place(s: str, q: QuestionInfo) -> str | None:
    """A place the question does not name: after the word for its kind („Hafenstadt Dalian“), a known
    one (GeoNames, or a country or capital of the gazetteer, also in the genitive: „Brasiliens“) after
    „in/aus/nach/…“, or the dateline's („Philadelphia – …“)."""
    for m in _PLACE_KIND.finditer(s):
        place = m.group(1)
        if not _in_question(place.split()[-1], q) and place.split()[0].lower() not in _NOT_NAMES:
            return place
    dateline = DATELINE.match(s)
    found = [(m["place"].strip(), bool(m["article"] or m["article2"])) for m in _PLACE.finditer(s)]
    for place, article in found + ([(dateline.group(1), False)] if dateline else []):
        for part in re.split(r"\s*/\s*", place):
            for form in (part, part[:-1]) if part[-1:] in ("s", "n") else (part,):  # Brasiliens, Niederlanden
                known = form.lower() in GAZETTEER if article else is_place(form)
                if known and not _in_question(form.split()[-1], q):
                    return form
    return None


def _list(s: str, q: QuestionInfo) -> str | None:
    hits = [m.group(0) for m in _LIST.finditer(s)]
    return max(hits, key=len) if hits else None


def _name(s: str, q: QuestionInfo) -> str | None:
    quoted = _QUOTED.search(s)
    if quoted:
        acronym = _ACRONYM.search(s[quoted.end() : quoted.end() + 12])
        return quoted.group(1) + (f" ({acronym.group(1)})" if acronym else "")
    organisations = _organisations(s, q)
    if re.search(rf"\b{ORGANISATION}\b", q.text.lower()):  # „Welcher Verein …?“ asks for no person
        return organisations[0] if organisations else None
    names = _names(s, q)
    return names[0] if names else (organisations[0] if organisations else None)


_EDGE_WORDS = frozenset(
    """
    an auf aus bei bis durch für gegen hinter in im ins am mit nach neben ohne seit über um unter von vom vor
    zu zum zur zwischen ab und oder aber sowie dass weil wenn als wie denn sondern hervor heraus hinaus zurück
    weg los fest ist sind war hat wird wurde
    """.split()
)
_ARTICLES = frozenset("der die das den dem des ein eine einen einem einer eines".split())


def is_whole_phrase(span: str) -> bool:
    """A complete phrase: no preposition, conjunction, particle or auxiliary at either edge, no lower-case
    article ("Den Haag" is a name), and not a lone lower-case word: "15 hervor", "Einigung auf",
    "Über eine neue" are fragments."""
    tokens = [t.strip('.,;:!?"„“”()') for t in span.split()]
    tokens = [t for t in tokens if t]
    if not tokens:
        return False
    for edge in (tokens[0], tokens[-1]):
        if edge.lower() in _EDGE_WORDS or edge in _ARTICLES:
            return False
    return not (len(tokens) == 1 and tokens[0].islower() and not tokens[0][0].isdigit())
