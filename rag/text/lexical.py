"""German words as index terms: stop words, Snowball stems, compound parts and resolved times.

The BM25 index over these terms is ``rag.index.bm25``. German glues nouns together
("Sicherheitsunterstützung"), so a question that says "Unterstützung" would miss the passage under
plain BM25. Each long word is split against the
corpus's own vocabulary into a head and a modifier ("sicherheits|unterstützung"), and both
stems are indexed beside the whole word. A chunk's resolved times ("im vergangenen Jahr" in
an April 2025 article → 2024) are indexed as extra terms, so a question naming 2024 finds it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"\w+(?:[-‑]\w+)*")
_MIN_PART = 4
_FUGEN = ("es", "s", "en", "n", "e")
STOPWORDS = frozenset(
    """
    aber alle allem allen aller alles als also am an ander andere anderen auch auf aus bei beim bin bis
    bisher bist da damit dann das dass dem den denn der des dessen die dies diese diesem diesen dieser
    dieses doch dort du durch ein eine einem einen einer eines er es etwa euch für gegen gewesen habe
    haben hat hatte hatten hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer im in ins ist ja
    jede jedem jeden jeder jedes jetzt kann kein keine können könnte man mehr mein mit muss nach nicht
    noch nun nur ob oder ohne sehr sei seien sein seine seinem seinen seiner seit sich sie sind so soll
    sollen sollte sondern sowie über um und uns unser unter vom von vor war waren was weil welche
    welchem welchen welcher welches wenn wer werde werden wie wieder will wir wird wo wurde wurden zu
    zum zur zwar zwischen wann warum wieso weshalb woher wohin womit wofür wieviel viel viele vielen
    laut the a an of and or to in on for is are was were what who when where which how much many did
    does do wen wem wessen whom why with from at
    """.split()
)

NUMBER_WORDS = {
    **dict(zip("null eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf".split(), range(13), strict=True)),
    "ein": 1,
    **dict(zip("dreizehn vierzehn fünfzehn sechzehn siebzehn achtzehn neunzehn".split(), range(13, 20), strict=True)),
    **dict(
        zip("zwanzig dreißig vierzig fünfzig sechzig siebzig achtzig neunzig".split(), range(20, 100, 10), strict=True)
    ),
    "dreissig": 30,
    "hundert": 100,
    "tausend": 1000,
}
"""German number words as written alone; compounds („einundzwanzig“) are these glued together."""

APPROXIMATORS = (
    "mehr als", "weniger als", "über", "rund", "etwa", "knapp", "fast", "insgesamt", "bis zu", "mindestens",
    "höchstens", "weitere", "gut", "ca.", "genau", "exakt", "ungefähr",
)  # fmt: skip
"""Words that qualify a number („rund 50 Millionen“, „mehr als 100 Tote“) and belong to it."""


_ENGLISH = frozenset("the how what who whom when where which why did does do is are were many much of".split())
_GERMAN = frozenset(
    "der die das den dem des wie wer wen wem was welche welcher welches ist sind hat wurde im ein eine nach wo wann und".split()
)


def is_english(text: str) -> bool:
    """More English than German function words ("Wer schrieb The Mask of Anarchy?" is German).

    German words are the lexical index's evidence; a question in English has none to offer.
    """
    tokens = set(re.findall(r"\w+", text.lower()))
    english, german = len(tokens & _ENGLISH), len(tokens & _GERMAN)
    return english >= 2 and english > german


def names_and_numbers(text: str) -> list[str]:
    """Words that keep across languages: numbers, and capitalised words after the first (names; in
    German also nouns), lower case, without stop words."""
    tokens = _WORD.findall(text)
    out = [t.lower() for i, t in enumerate(tokens) if any(ch.isdigit() for ch in t) or (i > 0 and t[0].isupper())]
    return [t for t in dict.fromkeys(out) if t not in STOPWORDS]


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("german")


def words(text: str) -> list[str]:
    """Lower-case word tokens (hyphenated compounds kept whole), stop words removed."""
    return [w for w in map(str.lower, _WORD.findall(text)) if w not in STOPWORDS]


@lru_cache(maxsize=1 << 20)
def stem(word: str) -> str:
    """Snowball's German stem (cached: a corpus has a few hundred thousand distinct words)."""
    return str(_stemmer().stemWord(word))


def inflection_head(word: str) -> str:
    """What an inflection keeps of a word or stem: all but its last three letters, at least five
    („vertreten“ and „vertritt“ share „vertr“)."""
    return word[: max(5, len(word) - 3)]


def word_parts(word: str) -> list[str]:
    return [p for p in re.split(r"[-‑]", word) if p]


def word_stems(text: str) -> set[str]:
    """Stems of a text's words and of the parts of its hyphenated words: the vocabulary German
    compounds are split against."""
    return {stem(p) for w in words(text) for p in word_parts(w)}


def split_compound(word: str, vocabulary: set[str]) -> list[str]:
    """Stems of the known parts of a German compound: the longest known head whose modifier is known
    too („werbe|träger“, not „wer|beträger“), else the longest known head alone.

    ``vocabulary`` holds stems of whole words seen in the corpus. Returns [] when no split is found.
    """
    head_only: list[str] = []
    for i in range(3, len(word) - _MIN_PART + 1):
        head = stem(word[i:])
        if len(head) < _MIN_PART or head not in vocabulary:
            continue
        modifier = word[:i]
        for suffix in ("", *_FUGEN):
            if suffix and not modifier.endswith(suffix):
                continue
            base = modifier[: len(modifier) - len(suffix)] if suffix else modifier
            if len(base) >= 3 and stem(base) in vocabulary:
                return [head, stem(base), *split_compound(base, vocabulary)]
        head_only = head_only or [head]
    return head_only


def word_terms(word: str, vocabulary: set[str] | None) -> list[str]:
    """Index terms of one word: its stem, the stems of its hyphenated parts, its compound parts."""
    parts = word_parts(word)
    out = [stem(word)]
    if len(parts) > 1:
        out.extend(stem(p) for p in parts if p not in STOPWORDS)
    if vocabulary is not None:
        for p in parts:
            if len(p) >= 2 * _MIN_PART:
                out.extend(split_compound(p, vocabulary))
    return out


def time_terms(times: Iterable[str]) -> list[str]:
    return [t for value in times for t in dict.fromkeys((value.lower(), value[:4]))]


def terms(
    text: str,
    vocabulary: set[str] | None = None,
    times: Iterable[str] = (),
    expanded: dict[str, list[str]] | None = None,
) -> list[str]:
    """Index terms of a text: stems, parts of hyphenated and glued compounds, and time values.
    ``expanded`` holds the words split so far (their ``word_terms``), shared between calls with one
    ``vocabulary``: each distinct word is split once."""
    seen: dict[str, list[str]] = {} if expanded is None else expanded
    out: list[str] = []
    for w in words(text):
        split = seen.get(w)
        if split is None:
            split = seen[w] = word_terms(w, vocabulary)
        out.extend(split)
    return out + time_terms(times)
