"""What a question asks for: its answer type, its content terms, the names and times it hinges on."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from babel import Locale

from rag.text.lexical import STOPWORDS, is_english, stem, words
from rag.text.timeexpr import MONTHS, resolve_times, with_resolved_times

AnswerType = Literal[
    "amount", "count", "duration", "age", "date", "person", "place", "list", "name", "explanation", "yesno", "other"
]

ORGANISATION = (  # the kinds of organisation a „Welcher Verein …?“ question may ask for
    r"(verein|klub|club|firma|konzern|unternehmen|hersteller|sender|partei|band|team|mannschaft|zeitung|"
    r"marke|bank|gruppe|anbieter|provider|airline|company|firm|party|organi[sz]ation)"
)
# The question word may follow a preposition or „und“ („Ab wie viel Euro …“, „Von welchem Verein …“,
# „Und seit wann …“, „On what date …“): patterns look at the question after those.
_LEAD = re.compile(
    r"^(?:(?:und|aber|also|ab|bis|seit|um|für|von|vom|mit|an|am|in|im|aus|zu|zum|zur|nach|bei|beim|gegen|auf|über|"
    r"unter|vor|hinter|neben|zwischen|nahe|durch|ohne|laut|and|so|on|at|by|from|to|since|until|during|of|after|before)\s+)+"
)
# „Welche[mnrs] (adjective) noun“: the noun names what is asked („In welchem Berliner Stadtteil …“).
_WHICH = r"welche[mnrs]?\s+(?:\w+(?:e|en|er|es|em)\s+)?"
_PLACES = (  # compounds of the first kind too: „Grenzstadt“, „Bundesland“; of „Ort“ only these („Sport“, „Wort“)
    r"(?:[\w-]*(?:stadt|land|dorf|straße|insel|hafen|staat)|[\w-]*(?:standort|wohnort|geburtsort|tatort)e?n?"
    r"|ort|orte|orten|region|gemeinde|bezirk|stadtteil|viertel|"
    r"kreuzung|provinz|kanton)"
)
ROLES = (
    "trainer",
    "präsident",
    "präsidentin",
    "minister",
    "ministerin",
    "kanzler",
    "kanzlerin",
    "kapitän",
    "chef",
    "chefin",
    "sprecher",
    "sprecherin",
    "direktor",
    "direktorin",
    "leiter",
    "leiterin",
    "gründer",
    "gründerin",
    "spieler",
    "spielerin",
    "sänger",
    "sängerin",
    "schauspieler",
    "schauspielerin",
    "autor",
    "autorin",
    "anwalt",
    "anwältin",
    "bürgermeister",
    "bürgermeisterin",
    "manager",
    "managerin",
    "regisseur",
    "regisseurin",
    "professor",
    "professorin",
    "forscher",
    "forscherin",
    "abgeordnete",
    "abgeordneter",
    "vorsitzende",
    "vorsitzender",
    "sekretär",
    "sekretärin",
    "ceo",
    "stürmer",
    "verteidiger",
    "torhüter",
    "tormann",
    "coach",
    "experte",
    "expertin",
    "herr",
    "frau",
    "dr",
    "prof",
)
"""Words for people by their role: „Trainer Greg Holst“ names a person."""
PEOPLE = (
    *ROLES, "mann", "frau", "bub", "junge", "mädchen", "kind", "sohn", "tochter", "vater", "mutter", "bruder",
    "schwester", "lehrer", "lehrerin", "schüler", "schülerin", "täter", "täterin", "opfer", "fahrer", "fahrerin",
    "lenker", "lenkerin", "pilot", "pilotin", "arzt", "ärztin", "patient", "patientin", "polizist", "polizistin",
    "soldat", "soldatin", "jährige", "jähriger",
)  # fmt: skip
"""Words for people: „Wie heißt der achtjährige Bub …?“ and „Welcher Rapid-Spieler …?“ ask for a person."""
_PEOPLE = rf"[\w-]*(?:{'|'.join(PEOPLE)}|politiker|künstler|kandidat|athlet|wissenschaftler|richter)(?:in|innen|en|n)?"
_ENGLISH_PEOPLE = (  # „Which EU commissioner …?“, „What German ruler …?“
    r"(person|man|woman|boy|girl|ruler|leader|author|writer|player|president|minister|chancellor|commissioner|"
    r"coach|king|queen|scientist|director|founder|officer|judge|artist|singer|actor|actress|politician|candidate|"
    r"spokes(?:man|woman|person)|emperor|pope|manager|driver|pilot|victim|suspect)s?"
)
_NOT_AUXILIARY = r"(?!(?:is|was|are|were|do|does|did|has|have|had|can|could|will|would|may|might|should|must)\b)"
"""„What did President Obama say?“ asks for what he said, not for a person."""
_TYPE_PATTERNS: list[tuple[AnswerType, str]] = [
    ("name", r"^(wie (heißt|heisst|nennt sich|lautet|nennt man)|what is the name|what was the name)\b"),
    ("age", r"^(wie alt|how old)\b"),
    ("duration", r"^(wie lange|wie ?vielen? (jahren?|monaten?|wochen|tagen?|stunden|minuten)|how long)\b"),
    ("count", r"^(wie ?vielen?|how many)\b|\bwie ?vielen?\b"),  # „Aus wie vielen Ländern …?“
    (
        "amount",
        r"^(wie ?viel|wie hoch|wie teuer|welche[nrs]? (betrag|summe|höhe|preis|finanzierungsziel|ziel)|how much)\b",
    ),
    (
        "amount",
        r"\b(betrag|summe|finanzierungsziel|wie ?viel|in welcher höhe|how much)\b|^was (soll|sollen|wird|würde)?.*\bkost",
    ),
    (
        "amount",
        r"^(was kostet|was kosten|what does .* cost|what is the price|what (percentage|share|proportion|price|sum))\b",
    ),
    (
        "date",
        r"^(wann|welche[mnrs]? (tag|datum|jahr|monat|zeitpunkt)|when|(what|which) (year|date|day|month))\b",
    ),
    (
        "place",
        rf"^(wo|woher|wohin|von wo|{_WHICH}{_PLACES}|where|"
        r"which (city|country|town|region|place))\b",
    ),
    (
        "list",
        r"^(welche|which)\b.*\b(länder|staaten|personen|politiker|unternehmen|parteien|städte|countries|companies)\b"
        r"|^welchen\s+(\w+en\s+)?(ländern|staaten|personen|politikern|unternehmen|parteien|städten)\b",  # „In welchen …“
    ),
    (
        "person",
        rf"^(wer|wem|wen|von wem|mit wem|who|whom|{_WHICH}{_PEOPLE}|(which|what) ({_NOT_AUXILIARY}\w+ )?{_ENGLISH_PEOPLE})\b",
    ),
    ("name", rf"^(welche[mnrs]?|which|what)\b(\s+\w+)?\s*\w*{ORGANISATION}\b"),
    (
        "explanation",
        r"^(was sieht|warum|weshalb|wieso|wozu|worum|was (ist|war|bedeutet|plant|will|sieht)|why|what does)\b",
    ),
    (
        "yesno",
        r"^(ist|sind|war|waren|hat|haben|hatte|hatten|wird|werden|wurde|wurden|kann|können|konnte|soll|sollen|"
        r"sollte|muss|müssen|gibt|gab|darf|will|wollen|does|did|is|are|were|has|have|had|can|should)\b",
    ),
]

_YEAR = re.compile(r"(?:19|20)\d\d")
# month names and the words of periods: a question names them, they are not what it asks about
_MONTHS = frozenset(MONTHS) | {
    "quartal",
    "halbjahr",
    "jahr",
    "jahres",
    "monat",
    "monats",
    "woche",
    "tag",
}

# Countries, capitals and organisations: a question that hinges on one of these cannot be
# answered from articles that never mention it ("Wie viel Hilfe hat Japan zugesagt?"). Countries by
# their German names in the Unicode CLDR (through Babel), and the short forms, capitals, regions and
# organisations news name them by.
STATES = frozenset(
    """
    bosnien großbritannien korea moldau moldawien palästina usa weißrussland nato eu uno un g7 g20 opec who
    imf iwf weltbank ezb bundeswehr bundestag
    """.split()
) | frozenset(name.lower() for code, name in Locale("de").territories.items() if len(code) == 2 and " " not in name)
"""Countries and the organisations that act like them: who „Wer …?“ can be besides people."""
GAZETTEER = STATES | frozenset(
    """
    europa asien afrika amerika lateinamerika nordamerika südamerika ozeanien arktis nahost berlin paris
    london moskau kiew kyjiw washington peking tokio rom madrid warschau wien bern brüssel prag budapest
    ankara teheran jerusalem genf straßburg
    """.split()
)


_ASKS_AGE = re.compile(r"^(?:(?:und|aber|and)\s+)?(?:in welchem alter|mit wie ?viel(?:en)? jahren|at what age)\b")
# Within a question, question words are written in lower case („Tsai Ing Wen“ is a name).
_LATER_QUESTION_WORD = re.compile(r"(?<=\s)(?:wer|wen|wem|wie|wann|wo|woher|wohin|warum|wieso|weshalb|welche[mnrs]?)\b")


def answer_type(question: str) -> AnswerType:
    """The type of the first pattern that fits the question (after a leading „und“ or preposition), or
    else its part from a later question word: keywords typed „thiem buenos aires 2016 halbfinale gegen wen“."""
    low = question.lower()
    if _ASKS_AGE.search(low):  # before the preposition goes: „Mit wie vielen Jahren …“ is an age, „Nach …“ a duration
        return "age"
    for asked in (_LEAD.sub("", low), *(low[m.start() :] for m in _LATER_QUESTION_WORD.finditer(question))):
        kind = next((kind for kind, pattern in _TYPE_PATTERNS if re.search(pattern, asked)), None)
        if kind:
            return kind
    return "other"


CONTEXT = re.compile(r"\s*\(([^()]*)\)$")
"""The previous question's key words a follow-up carries in brackets: „Wo hatten die Opfer gewohnt? (Herat)“."""


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
    unit: str | None = None
    """A pattern for the unit the answer must carry, when the question implies one („Wie viel wiegt …“: kg)."""
    time_notes: tuple[str, ...] = ()
    """Relative times of the question as resolved („letztes Jahr“ = 2025, bezogen auf …), for the answer."""
    previous_answer: str | None = None
    """For a follow-up, the answer given to the previous question (``followup.previous_answer``)."""

    def as_asked(self) -> QuestionInfo:
        """The question without the key words a follow-up carries over in brackets: they find the story, while
        the sentence that answers is the one that matches what is asked now, not the previous question's."""
        if not (context := CONTEXT.search(self.text)):
            return self
        text = self.text[: context.start()]
        own = {stem(w) for w in words(text)}
        carried = {stem(w) for w in words(context[1])} - own
        terms = tuple(t for t in self.terms if t not in carried)
        if len(terms) < 2:  # „In welchem Land? (Adolf Eichmann, Altaussee)“: the carried words are the question
            return self
        low = text.lower()
        return replace(self, text=text, terms=terms, focus=tuple(f for f in self.focus if f in low))


def analyse(
    question: str, reference_date: str | None = None, reference: str = "", previous_answer: str | None = None
) -> QuestionInfo:
    """Break ``question`` down; its relative times („vor zwei Jahren“) count from ``reference_date``.

    ``reference`` says in words what that date is (the newest article's date, or today) for the answer;
    ``previous_answer``: what was answered to the question a follow-up leans on.
    """
    q = question.strip()
    kind = answer_type(q)
    resolved = with_resolved_times(q, reference_date)  # „im Jahr vor 2025“ is about 2024, not 2025
    terms = tuple(dict.fromkeys(stem(w) for w in words(resolved) if w not in _MONTHS))
    mentions = resolve_times(q, reference_date)
    times = tuple(sorted({m.value for m in mentions}))
    notes = tuple(
        f"„{m.text}“ = {m.value}" + (f", bezogen auf {reference}" if reference and not _YEAR.search(m.text) else "")
        for m in mentions
        if m.value[:4] not in m.text  # only what was worked out: „vor zwei Jahren“, „im Jahr vor 2025“
    )
    english = is_english(q)
    # What is measured is looked up in the articles' German vocabulary: not for English questions.
    measured = _measured(q) if kind in ("amount", "count", "duration") and not english else None
    unit = _unit(q, kind == "amount")
    focus = tuple(_focus_terms(resolved))
    return QuestionInfo(q, kind, terms, focus, times, measured, english, unit, notes, previous_answer)


# What a quantity question measures → the unit its answer must carry. The adjective after „wie“ names
# the measure („Wie schwer …“); else the first word that names it: a verb („wiegt“, „kostet“) or a noun,
# alone or as the head of a compound („Geldstrafe“, „Arbeitslosenquote“). „Wie hoch/groß/viel“ and
# most nouns name none (a height, a group's size, a price are all „hoch“).
_WEIGHT = r"\b(kilo(?:gramm\w*|s)?|kg|gramm|g|tonnen|t|pfund)\b"  # not „Kilometer“
_SPEED = r"(km/h|stundenkilometer|kilometer pro stunde|mph|knoten)"
_MONEY = r"(euro|dollar|€|\$|franken|pfund|yen|rubel|kronen|yuan|cent)"
_AGE = r"(\d+(?:,\d+)?\s+(?:(?:millionen|milliarden)\s+)?jahre?n?\b|jährige|years? old|alter von)"  # not „im Jahr 2025“
_PERCENT = r"(prozent|%|prozentpunkte|hälfte|drittel|viertel|fünftel|zehntel|jede[rs]? \w+te\b)"
_LENGTH = r"\b((?:kilo|zenti|milli|mikro|nano)?meter\w*|k?m|[cmnµ]m|quadrat\w*|hektar|ha|fuß|meilen)\b"
_LENGTH_OR_DURATION = rf"({_LENGTH}|\b(?:sekunden|minuten|stunden|tage|wochen|monate|jahre)\w*)"
"""„Wie lang …“ asks a length („Wie lang ist die Brücke?“) or, colloquially, a duration („wie lang haft“)."""
_ADJECTIVES = {
    "schwer": _WEIGHT, "schnell": _SPEED, "teuer": _MONEY, "alt": _AGE, "lang": _LENGTH_OR_DURATION,
    "weit": _LENGTH, "tief": _LENGTH, "breit": _LENGTH, "heavy": _WEIGHT, "fast": _SPEED, "expensive": _MONEY,
    "old": _AGE, "far": _LENGTH, "tall": _LENGTH,
}  # fmt: skip
_VERBS = re.compile(r"(wieg|wog|weigh)\w*|(kost|zahl|bezahl|cost|pay|paid)\w*")
_NOUNS = {
    "gewicht": _WEIGHT, "geschwindigkeit": _SPEED, "tempo": _SPEED, "preis": _MONEY, "preise": _MONEY,
    "geldstrafe": _MONEY, "geldbuße": _MONEY, "ablöse": _MONEY, "gehalt": _MONEY, "umsatz": _MONEY,
    "gewinn": _MONEY, "verlust": _MONEY,
    "budget": _MONEY, "rechnung": _MONEY, "betrag": _MONEY, "summe": _MONEY, "miete": _MONEY, "kosten": _MONEY,
    "schaden": _MONEY, "lohn": _MONEY, "geld": _MONEY, "zulage": _MONEY, "zulagen": _MONEY, "geldstrafen": _MONEY,
    "mieten": _MONEY, "gehälter": _MONEY, "löhne": _MONEY, "price": _MONEY, "alter": _AGE, "inflation": _PERCENT,
    "prozent": _PERCENT, "anteil": _PERCENT, "quote": _PERCENT, "rate": _PERCENT, "percent": _PERCENT,
    "share": _PERCENT,
    "länge": _LENGTH, "entfernung": _LENGTH, "fläche": _LENGTH, "durchmesser": _LENGTH, "distanz": _LENGTH,
}  # fmt: skip


_NAMED_UNIT = re.compile(
    r"\b(?:in|auf)\s+(euro|dollar|franken|pfund|yen|rubel|kilogramm|tonnen|metern|kilometern|prozent|stunden|minuten)"
    r"(?:\s+umgerechnet)?\s*\?*$",
    re.IGNORECASE,
)
"""A unit the question names at its end („… in Euro?“, „… in Kilometern?“): the answer must carry that one."""


def _unit(question: str, amount: bool) -> str | None:
    """The pattern of the unit the answer to ``question`` must carry, if it implies one: „wie“ with a
    measure („Wie schwer …?“), an ``amount`` question („Wie viel/hoch …?“) whose words name it, or the
    noun asked for („Zu welchem Preis …?“). A count's unit is its noun; a noun elsewhere in the question
    names no measure („Welcher Spieler erhielt eine Strafe?“); how long is answered in many ways („bis ins
    18. Jahrhundert“)."""
    named = _NAMED_UNIT.search(question)  # „Wie viel kostet sie in Euro?“: Dollar will not do
    if named:
        return re.escape(named.group(1).lower()[:5])
    adjective = re.search(r"\b(?:wie|how)\s+(\w+)", question, re.IGNORECASE)
    if adjective and adjective.group(1).lower() in _ADJECTIVES:
        return _ADJECTIVES[adjective.group(1).lower()]
    asked = re.search(r"\b(?:welche[mnrs]?|which|what)\s+(\w+)", question, re.IGNORECASE)  # „Zu welchem Preis“
    words = re.findall(r"\w+", question) if amount else [asked.group(1)] if asked else []
    for word in words:
        verb = _VERBS.fullmatch(word)  # verbs are written in lower case: „zahlen“, not „Zahlen“
        if verb:
            return _WEIGHT if verb.group(1) else _MONEY
        low = word.lower()
        head = next((n for n in _NOUNS if low.endswith(n) and len(low) - len(n) != 1), None)  # not „Frate“
        if head:
            return _NOUNS[head]
    return None


# Nouns that name the kind of answer or its unit rather than its topic: „Wie viel Geld …“.
_ANSWER_NOUNS = frozenset(
    """
    geld betrag beträge summe summen höhe anzahl zahl zahlen menge prozent prozentsatz anteil wert
    euro dollar milliarden millionen kosten mittel kilogramm tonnen meter kilometer grad liter stunden
    """.split()
)


def _measured(question: str) -> str | None:
    """The first noun after „wie viel(e)/hoch …“ that is not an answer word: the thing measured."""
    tokens = re.findall(r"\w+(?:-\w+)*", question)
    for i, tok in enumerate(tokens):
        low = tok.lower()
        if i > 0 and tok[0].isupper() and low not in STOPWORDS and low not in _ANSWER_NOUNS and low not in _MONTHS:
            return str(tok)
    return None


def _focus_terms(question: str) -> list[str]:
    """Years, known countries/continents/cities/organisations, multi-word names and hyphenated proper compounds."""
    tokens = re.findall(r"\w+(?:-\w+)*|[,;:()]", question)  # a name does not run across punctuation
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
