"""Time expressions in German news text, resolved against the article's date.

"Im vergangenen Jahr" in an article of April 2025 means 2024; "in den ersten drei Monaten
dieses Jahres" means 2025-Q1. Values keep their precision: ``2024``, ``2025-Q1``, ``2025-H1``,
``2025-04``, ``2025-W14``, ``2025-12-03``. Absolute expressions are always resolved; relative ones
only when the article's date is precise enough (a month needs a month, a weekday or a week a day).
Arithmetic on an explicit year ("zwei Jahre vor 2025", "the year after 2020") is absolute; counted
spans ("vor zwei Jahren", "vor einem Monat", "two years ago") are relative. A few English forms are
recognised as well, for questions asked in English.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable

from rag.text.lexical import APPROXIMATORS, NUMBER_WORDS
from rag.types import TimeMention

MONTHS = {  # the one list of German month names, with Austria's „Jänner“
    "januar": 1,
    "jänner": 1,
    "februar": 2,
    "märz": 3,
    "april": 4,
    "mai": 5,
    "juni": 6,
    "juli": 7,
    "august": 8,
    "september": 9,
    "oktober": 10,
    "november": 11,
    "dezember": 12,
}
WEEKDAYS = ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag")
"""German weekdays, lower case, Monday first (the one list for ingest, questions and answers)."""
_WEEKDAYS = {day: number for number, day in enumerate(WEEKDAYS)}
_ORDINAL = {"ersten": 1, "zweiten": 2, "dritten": 3, "vierten": 4, "1.": 1, "2.": 2, "3.": 3, "4.": 4}
_MONTH = "|".join(MONTHS)
_YEAR = r"(?:19|20)\d\d"
_THIS = r"(?:des )?(?:laufenden|dieses|diesen) jahres|(?:in |im )?(?:diesem|laufenden) jahr|dieses jahr"
_LAST = (
    r"(?:(?:im|des|dem|vom) )?(?:vergangenen|letzten|vorigen) jahr(?:es)?"
    r"|(?:(?:im|des|dem|vom) )?vorjahr(?:es)?|(?:letztes|vergangenes|voriges) jahr"
)
_NEXT = r"(?:(?:im|des|dem) )?(?:kommenden|nächsten) jahr(?:es)?|(?:nächstes|kommendes) jahr"
_LAST2 = r"(?:(?:im|des|dem|vom) )?(?:vorletzten|vorvergangenen) jahr(?:es)?|(?:vorletztes|vorvergangenes) jahr"
_NEXT2 = r"(?:(?:im|des|dem) )?übernächsten jahr(?:es)?|übernächstes jahr"
_DE_COUNTS = {**{w: n for w, n in NUMBER_WORDS.items() if 1 <= n <= 12}, "einem": 1, "einen": 1}
_EN_COUNTS = {
    "a": 1,
    **dict(zip("one two three four five six seven eight nine ten eleven twelve".split(), range(1, 13))),
}
_COUNTS = {**_DE_COUNTS, **_EN_COUNTS}


def _count_pattern(words: dict[str, int]) -> str:
    """A count of years or months: digits (not the tail of "1,5") or a number word up to twelve."""
    return rf"(?<![\d.,])(?P<n>\d{{1,3}}|{'|'.join(sorted(words, key=len, reverse=True))})"


_DE_N, _EN_N = _count_pattern(_DE_COUNTS), _count_pattern(_EN_COUNTS)
_ABOUT = rf"(?:(?:{'|'.join(map(re.escape, APPROXIMATORS))}) )?"
# "in zwei Jahren" is a time ahead, but not a duration: "in zwei Jahren hintereinander", "in zwei Jahren,
# in denen …", "in sechs Jahren, vom Gefecht 1754 bis …", "in drei Jahren des Krieges".
_NOT_A_SPAN = (
    r"(?!,? (?:in denen|in dem|in welchen|vom|von|zwischen|seit)\b"
    r"| (?:hintereinander|nacheinander|in folge|des|der)\b)"
)

# nouns that make a number before them an amount, not a year („2025 Menschen“)
_COUNTED_NOUNS = (
    r"euro|dollar|franken|pfund|menschen|personen|soldaten|einwohner|mitarbeiter|beschäftigte[n]?|tote"
    r"|todesopfer|prozent|kilometer|meter|tonnen|stück|mal|fälle[n]?|flüchtlinge|stimmen"
)

# A year as a number on its own: not inside "1.2025" or "2025,5", not an amount like "2025 Menschen".
_YEAR_NUMBER = rf"(?<![\d.,])(?P<y>{_YEAR})(?![.,]\d)(?!\s+(?:{_COUNTED_NOUNS})\b)"

_Ref = tuple[int | None, int | None, int | None]
_Resolver = Callable[[re.Match[str], _Ref], str | None]


def _parts(date: str | None) -> _Ref:
    """Year, month and day of an ISO date of any precision (``2025``, ``2025-04``, ``2025-12-03``)."""
    m = re.match(r"(\d{4})(?:-(\d\d)(?:-(\d\d))?)?", date or "")
    if not m:
        return (None, None, None)
    return (int(m.group(1)), int(m.group(2)) if m.group(2) else None, int(m.group(3)) if m.group(3) else None)


def _ref_day(r: _Ref) -> dt.date | None:
    return dt.date(r[0], r[1], r[2]) if r[0] and r[1] and r[2] else None


def _rel_year(m: re.Match[str], r: _Ref) -> int | None:
    """The year of a match: an explicit ``y`` group, else the relative ``rel`` group against the reference."""
    if m.groupdict().get("y"):
        return int(m.group("y"))
    rel = (m.groupdict().get("rel") or "").lower()
    if not rel or r[0] is None:
        return None
    if re.fullmatch(_LAST, rel):
        return r[0] - 1
    if re.fullmatch(_NEXT, rel):
        return r[0] + 1
    return r[0]


def _period(m: re.Match[str], r: _Ref) -> str | None:
    """Quarters and halves: "im ersten Quartal 2025", "in den ersten drei Monaten dieses Jahres"."""
    year = _rel_year(m, r)
    if year is None:
        return None
    if m.group("n"):
        return f"{year}-{'Q1' if m.group('n').lower() == 'drei' else 'H1'}"
    n = _ORDINAL[m.group("ord").lower()]
    if m.group("unit").lower() in ("quartal", "vierteljahr"):
        return f"{year}-Q{n}"
    return f"{year}-H{n}" if n <= 2 else None


def _date(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _numeric_date(m: re.Match[str], r: _Ref) -> str | None:
    return _date(int(m.group("y")), int(m.group("mo")), int(m.group("d")))


def _day_month(m: re.Match[str], r: _Ref) -> str | None:
    """A day like "13. November 2024"; without a year the article's year (the one before if still to come)."""
    day, month = int(m.group("d")), MONTHS[m.group("m").lower()]
    if m.group("y"):
        return _date(int(m.group("y")), month, day)
    if r[0] is None:
        return None
    if r[1] is None:
        return _date(r[0], month, day)
    # A day more than two months after the article date is last year's ("13. November" in April);
    # a day shortly ahead is an announcement ("am 3. Dezember" in an article of 2 December).
    ref = dt.date(r[0], r[1], r[2] or calendar.monthrange(r[0], r[1])[1])
    value = _date(r[0], month, day)
    if value is not None and dt.date.fromisoformat(value) > ref + dt.timedelta(days=62):
        return _date(r[0] - 1, month, day)
    return value


def _month_year(m: re.Match[str], r: _Ref) -> str:
    return f"{m.group('y')}-{MONTHS[m.group('m').lower()]:02d}"


def _year(m: re.Match[str], r: _Ref) -> str:
    return m.group("y")


def _year_rel(offset: int) -> _Resolver:
    return lambda m, r: str(r[0] + offset) if r[0] else None


def _count(m: re.Match[str]) -> int | None:
    """The ``n`` group as a number (1 when the pattern has none, None for zero)."""
    n = (m.groupdict().get("n") or "1").lower()
    return (int(n) if n.isdigit() else _COUNTS[n]) or None


def _years_apart(sign: int) -> _Resolver:
    """``n`` years before (``sign`` -1) or after (+1) the explicit year ``y``, else the reference year."""

    def resolve(m: re.Match[str], r: _Ref) -> str | None:
        n = _count(m)
        base = int(m.group("y")) if m.groupdict().get("y") else r[0]
        if n is None or base is None or not 1000 <= base + sign * n <= 9999:
            return None
        return str(base + sign * n)

    return resolve


def _months_apart(sign: int) -> _Resolver:
    """``n`` months before (``sign`` -1) or after (+1) the reference month."""

    def resolve(m: re.Match[str], r: _Ref) -> str | None:
        n = _count(m)
        return _month_rel(sign * n)(m, r) if n else None

    return resolve


def _month_rel(offset: int) -> _Resolver:
    def resolve(m: re.Match[str], r: _Ref) -> str | None:
        if r[0] is None or r[1] is None:
            return None
        index = r[0] * 12 + r[1] - 1 + offset
        return f"{index // 12}-{index % 12 + 1:02d}"

    return resolve


def _day_rel(offset: int) -> _Resolver:
    def resolve(m: re.Match[str], r: _Ref) -> str | None:
        day = _ref_day(r)
        return (day + dt.timedelta(days=offset)).isoformat() if day else None

    return resolve


def _week_rel(offset: int) -> _Resolver:
    def resolve(m: re.Match[str], r: _Ref) -> str | None:
        day = _ref_day(r)
        if day is None:
            return None
        year, week, _ = (day + dt.timedelta(weeks=offset)).isocalendar()
        return f"{year}-W{week:02d}"

    return resolve


def _weekday(m: re.Match[str], r: _Ref) -> str | None:
    """The latest such weekday on or before the article day ("am kommenden …": the next one after it)."""
    day = _ref_day(r)
    if day is None:
        return None
    wanted = _WEEKDAYS[m.group("wd").lower()]
    direction = (m.group("dir") or "").lower()
    if direction in ("kommenden", "nächsten"):
        return (day + dt.timedelta(days=(wanted - day.weekday() - 1) % 7 + 1)).isoformat()
    back = (day.weekday() - wanted) % 7
    if direction and back == 0:
        back = 7  # "am vergangenen Mittwoch" written on a Wednesday means a week ago
    return (day - dt.timedelta(days=back)).isoformat()


_PERIOD = (
    r"(?:(?:in den|im|in der|das|dem|des|die) )?"
    r"(?:ersten (?P<n>drei|sechs) monate[n]?"
    r"|(?P<ord>ersten|zweiten|dritten|vierten|[1-4]\.)"
    r" (?P<unit>quartal|vierteljahr|halbjahr|jahreshälfte)(?:s|es)?)"
    rf" (?:(?P<rel>{_THIS}|{_LAST}|{_NEXT})|(?:des jahres |von )?(?P<y>{_YEAR}))"
)
_PATTERNS: list[tuple[str, _Resolver]] = [
    (_PERIOD, _period),
    (rf"(?P<d>\d{{1,2}})\.(?P<mo>\d{{1,2}})\.(?P<y>{_YEAR})", _numeric_date),
    (rf"(?P<y>{_YEAR})-(?P<mo>\d\d)-(?P<d>\d\d)", _numeric_date),
    (rf"(?P<d>\d{{1,2}})\.\s?(?P<m>{_MONTH})(?:\s(?P<y>{_YEAR}))?", _day_month),
    (rf"(?P<m>{_MONTH})\s(?P<y>{_YEAR})", _month_year),
    (rf"(?:mitte|ende|anfang|beginn|frühjahr|sommer|herbst|winter) (?P<y>{_YEAR})", _year),
    (rf"(?:(?:im|für das|seit dem|bis zum|vom|des|das) jahre?s? )?{_YEAR_NUMBER}", _year),
    # Arithmetic on an explicit year, longer than the year inside it: "zwei Jahre vor 2025" is 2023.
    (rf"(?:(?:im|in dem|das|dem) jahr|{_DE_N} jahre?) vor {_YEAR_NUMBER}", _years_apart(-1)),
    (rf"(?:(?:im|in dem|das|dem) jahr|{_DE_N} jahre?) nach {_YEAR_NUMBER}", _years_apart(+1)),
    (rf"(?:(?:im|das|dem) )?vorjahr von {_YEAR_NUMBER}", _years_apart(-1)),
    (rf"(?:(?:im|das|dem) )?folgejahr von {_YEAR_NUMBER}", _years_apart(+1)),
    (rf"(?:(?:in )?the year|{_EN_N} years?) before {_YEAR_NUMBER}", _years_apart(-1)),
    (rf"(?:(?:in )?the year|{_EN_N} years?) after {_YEAR_NUMBER}", _years_apart(+1)),
    (_LAST, _year_rel(-1)),
    (_NEXT, _year_rel(+1)),
    (_THIS, _year_rel(0)),
    (_LAST2, _year_rel(-2)),
    (_NEXT2, _year_rel(+2)),
    (rf"vor {_ABOUT}{_DE_N} jahre?n?", _years_apart(-1)),
    (rf"in {_DE_N} jahren{_NOT_A_SPAN}", _years_apart(+1)),
    (r"last year(?! of\b)", _year_rel(-1)),
    (r"next year", _year_rel(+1)),
    (r"this year", _year_rel(0)),
    (rf"{_EN_N} years? ago", _years_apart(-1)),
    (r"(?:(?:im|des|dem) )?(?:vergangenen|letzten|vorigen) monats?", _month_rel(-1)),
    (r"(?:(?:im|des|dem) )?(?:kommenden|nächsten) monats?", _month_rel(+1)),
    (r"(?:(?:im|des|dem|vom) )?vormonat(?:s|es)?", _month_rel(-1)),
    (rf"vor {_ABOUT}{_DE_N} monate?n?", _months_apart(-1)),
    (rf"in {_DE_N} monaten{_NOT_A_SPAN}", _months_apart(+1)),
    (r"last month", _month_rel(-1)),
    (r"next month", _month_rel(+1)),
    (r"this month", _month_rel(0)),
    (rf"{_EN_N} months? ago", _months_apart(-1)),
    (r"(?:in der |die )?(?:vergangene|letzte|vorige)n? woche", _week_rel(-1)),
    (r"(?:in der |die )?(?:kommende|nächste)n? woche", _week_rel(+1)),
    (r"vorgestern", _day_rel(-2)),
    (r"gestern", _day_rel(-1)),
    (r"heute", _day_rel(0)),
    (r"übermorgen", _day_rel(+2)),
    (r"(?<!heute )(?<!gestern )(?-i:morgen)", _day_rel(+1)),  # lowercase only: "am Morgen" is a noun
    (
        rf"(?<!welt )(?<!bild )(?:am|vom|seit|bis|ab) (?:(?P<dir>vergangenen|letzten|kommenden|nächsten) )?"
        rf"(?P<wd>{'|'.join(_WEEKDAYS)})(?:abend|morgen|vormittag|nachmittag|mittag)?",
        _weekday,
    ),
]
_COMPILED = [(re.compile(rf"(?<!\w)(?:{p})(?!\w)", re.IGNORECASE), f) for p, f in _PATTERNS]
_UNNAMED = "|".join(re.sub(r"\(\?P<\w+>", "(?:", p) for p, _ in _PATTERNS)
_ANY_TIME = re.compile(rf"(?<!\w)(?:{_UNNAMED})(?!\w)", re.IGNORECASE)
"""All patterns in one, their groups unnamed: most sentences state no time, and one search tells so."""
_CUE = re.compile(
    rf"{_YEAR}|\d\.\s?(?:{_MONTH})|jahr|monat|quartal|woche|gestern|heute|morgen|year|month|tag|mittwoch",
    re.IGNORECASE,
)
"""What every pattern needs: a year, a day of a month, or a word (weekdays but Mittwoch end in „tag“).
Found in a fraction of the time ``_ANY_TIME`` takes, it spares that search on most sentences."""


def resolve_times(text: str, ref_date: str | None) -> list[TimeMention]:
    """Time mentions in ``text`` resolved against the article date ``ref_date``, in text order.

    Overlapping matches: the longest that resolves wins, so "in den ersten drei Monaten dieses
    Jahres" is one mention (``2025-Q1``) and not also a year.
    """
    if not _CUE.search(text) or not _ANY_TIME.search(text):
        return []
    ref = _parts(ref_date)
    candidates = [(m.start(), m.end(), m, f) for p, f in _COMPILED for m in p.finditer(text)]
    found: list[TimeMention] = []
    for start, end, m, resolver in sorted(candidates, key=lambda c: (c[0] - c[1], c[0])):
        if any(start < t.end and t.start < end for t in found):
            continue
        value = resolver(m, ref)
        if value:
            found.append(TimeMention(start, end, text[start:end], value))
    return sorted(found, key=lambda t: t.start)


def with_resolved_times(text: str, ref_date: str | None) -> str:
    """``text`` with each worked-out time replaced by its value: „im Jahr vor 2025“ → „2024“,
    „letztes Jahr“ → „2025“ (given a 2026 reference). Times stated as such stay as written."""
    out, last = [], 0
    for m in resolve_times(text, ref_date):
        if m.value[:4] not in m.text:
            out.append(f"{text[last : m.start]}{m.value}")
            last = m.end
    return "".join(out) + text[last:]


def time_interval(value: str) -> tuple[dt.date, dt.date]:
    """The first and last day (inclusive) a time value covers; ValueError for anything else."""
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", value):
        y, q = int(m.group(1)), int(m.group(2))
        return dt.date(y, 3 * q - 2, 1), dt.date(y, 3 * q, calendar.monthrange(y, 3 * q)[1])
    if m := re.fullmatch(r"(\d{4})-H([12])", value):
        y, first_half = int(m.group(1)), m.group(2) == "1"
        return (dt.date(y, 1, 1), dt.date(y, 6, 30)) if first_half else (dt.date(y, 7, 1), dt.date(y, 12, 31))
    if m := re.fullmatch(r"(\d{4})-W(\d\d)", value):
        first = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        return first, first + dt.timedelta(days=6)
    if not re.fullmatch(r"\d{4}(?:-\d\d(?:-\d\d)?)?", value):
        raise ValueError(f"not a time value: {value!r}")
    year, mo, d = _parts(value)
    assert year is not None
    if mo is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if d is None:
        return dt.date(year, mo, 1), dt.date(year, mo, calendar.monthrange(year, mo)[1])
    return dt.date(year, mo, d), dt.date(year, mo, d)


def times_overlap(a: str, b: str) -> bool:
    """Whether two time values share at least one day ("2024" and "2024-11-13" do); False if unparsable."""
    try:
        a0, a1 = time_interval(a)
        b0, b1 = time_interval(b)
    except ValueError:
        return False
    return a0 <= b1 and b0 <= a1
