"""Time expressions in German news text, resolved against the article's date.

"Im vergangenen Jahr" in an article of April 2025 means 2024; "in den ersten drei Monaten
dieses Jahres" means 2025-Q1. Values keep their precision: ``2024``, ``2025-Q1``, ``2025-H1``,
``2025-04``, ``2025-W14``, ``2025-12-03``. Relative expressions are resolved only when the
article's date is precise enough (a weekday needs a day; "vergangene Woche" needs a day).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable

from rag.types import TimeMention

MONTHS = {
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
_WEEKDAYS = {"montag": 0, "dienstag": 1, "mittwoch": 2, "donnerstag": 3, "freitag": 4, "samstag": 5, "sonntag": 6}
_ORDINAL = {"ersten": 1, "zweiten": 2, "dritten": 3, "vierten": 4, "1.": 1, "2.": 2, "3.": 3, "4.": 4}
_MONTH_RE = "|".join(MONTHS)
_YEAR = r"(?:19|20)\d\d"
_THIS = r"(?:dieses|diesen|des laufenden|laufenden) jahres|in diesem jahr|dieses jahr"
_LAST = r"(?:im|des|dem) (?:vergangenen|letzten|vorigen) jahr(?:es)?|im vorjahr|letztes jahr|vergangenes jahr"
_NEXT = r"(?:im|des) (?:kommenden|nächsten|folgenden) jahr(?:es)?|nächstes jahr|kommendes jahr"

# (pattern, resolver). Resolvers get the match and the reference date parts; None = unresolvable.
_Ref = tuple[int | None, int | None, int | None]
_Resolver = Callable[[re.Match[str], _Ref], str | None]


def _year_rel(offset: int) -> _Resolver:
    return lambda m, r: str(r[0] + offset) if r[0] else None


def _quarter_label(m: re.Match[str]) -> str:
    months = m.groupdict().get("months_n")
    return {"drei": "Q1", "sechs": "H1"}[months.lower()] if months else f"Q{_ORDINAL[m.group('ord').lower()]}"


def _quarter(m: re.Match[str], r: _Ref) -> str | None:
    return f"{m.group('y')}-{_quarter_label(m)}"


def _explicit_year(m: re.Match[str]) -> int | None:
    y = m.groupdict().get("y")
    return int(y) if y else None


def _rel_year_of(m: re.Match[str], r: _Ref) -> int | None:
    rel = (m.groupdict().get("rel") or "").lower()
    if not rel:
        return _explicit_year(m)
    if r[0] is None:
        return None
    if re.search(_LAST, rel):
        return r[0] - 1
    if re.search(_NEXT, rel):
        return r[0] + 1
    return r[0]


def _quarter_rel(m: re.Match[str], r: _Ref) -> str | None:
    year = _rel_year_of(m, r)
    return f"{year}-{_quarter_label(m)}" if year else None


def _day_month(m: re.Match[str], r: _Ref) -> str | None:
    day, month = int(m.group("d")), MONTHS[m.group("m").lower()]
    year = _explicit_year(m)
    if year is None:
        if r[0] is None:
            return None
        year = r[0]
        if r[1] is not None and (month, day) > (r[1], r[2] or 31):
            year -= 1
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _numeric_date(m: re.Match[str], r: _Ref) -> str | None:
    try:
        return dt.date(int(m.group("y")), int(m.group("mo")), int(m.group("d"))).isoformat()
    except ValueError:
        return None


def _month_year(m: re.Match[str], r: _Ref) -> str:
    return f"{m.group('y')}-{MONTHS[m.group('m').lower()]:02d}"


def _month_rel(offset: int) -> _Resolver:
    def resolve(m: re.Match[str], r: _Ref) -> str | None:
        if r[0] is None or r[1] is None:
            return None
        index = r[0] * 12 + r[1] - 1 + offset
        return f"{index // 12}-{index % 12 + 1:02d}"

    return resolve


def _day_rel(offset: int) -> _Resolver:
    def resolve(m: re.Match[str], r: _Ref) -> str | None:
        if None in r:
            return None
        return (dt.date(r[0], r[1], r[2]) + dt.timedelta(days=offset)).isoformat()  # type: ignore[arg-type]

    return resolve


def _week_rel(offset: int) -> _Resolver:
    def resolve(m: re.Match[str], r: _Ref) -> str | None:
        if None in r:
            return None
        year, week, _ = (dt.date(r[0], r[1], r[2]) + dt.timedelta(weeks=offset)).isocalendar()  # type: ignore[arg-type]
        return f"{year}-W{week:02d}"

    return resolve


def _weekday(m: re.Match[str], r: _Ref) -> str | None:
    if None in r:
        return None
    day = dt.date(r[0], r[1], r[2])  # type: ignore[arg-type]
    back = (day.weekday() - _WEEKDAYS[m.group("wd").lower()]) % 7
    return (day - dt.timedelta(days=back)).isoformat()


_PATTERNS: list[tuple[str, _Resolver]] = [
    (
        rf"(?:in den|im|in der) (?:ersten (?P<months_n>drei|sechs) monate[n]?|(?P<ord>ersten|zweiten|dritten|vierten|[1-4]\.) (?:quartal|vierteljahr))"
        rf" (?:(?P<rel>{_THIS}|{_LAST}|{_NEXT})|(?:des jahres )?(?P<y>{_YEAR}))",
        _quarter_rel,
    ),
    (rf"(?:im )?(?P<ord>ersten|zweiten|dritten|vierten|[1-4]\.) quartal (?P<y>{_YEAR})", _quarter),
    (rf"(?P<d>\d{{1,2}})\.(?P<mo>\d{{1,2}})\.(?P<y>{_YEAR})\b", _numeric_date),
    (rf"(?P<y>{_YEAR})-(?P<mo>\d\d)-(?P<d>\d\d)\b", _numeric_date),
    (rf"(?P<d>\d{{1,2}})\.\s?(?P<m>{_MONTH_RE})(?:\s(?P<y>{_YEAR}))?\b", _day_month),
    (rf"\b(?P<m>{_MONTH_RE})\s(?P<y>{_YEAR})\b", _month_year),
    (_LAST, _year_rel(-1)),
    (_NEXT, _year_rel(+1)),
    (_THIS, _year_rel(0)),
    (r"(?:im|des) (?:vergangenen|letzten|vorigen) monat[s]?|letzten monat|vergangenen monat", _month_rel(-1)),
    (r"(?:im|des) (?:kommenden|nächsten) monat[s]?|nächsten monat", _month_rel(+1)),
    (r"(?:in der |die )?(?:vergangenen|letzten|vorigen) woche|vergangene woche|letzte woche", _week_rel(-1)),
    (r"(?:in der |die )?(?:kommenden|nächsten) woche|nächste woche|kommende woche", _week_rel(+1)),
    (r"\bvorgestern\b", _day_rel(-2)),
    (r"\bgestern\b", _day_rel(-1)),
    (r"\bheute\b", _day_rel(0)),
    (r"\bübermorgen\b", _day_rel(+2)),
    (r"\bmorgen\b(?!s)", _day_rel(+1)),
    (rf"(?<!Welt )(?<!Bild )\b(?:am|vom|seit) (?P<wd>{'|'.join(_WEEKDAYS)})\b", _weekday),
    (rf"(?:mitte|ende|anfang|beginn) (?P<y>{_YEAR})\b", lambda m, r: m.group("y")),
    (rf"(?<![\d.,])(?P<y>{_YEAR})(?![\d.,]\d)", lambda m, r: m.group("y")),
]
_COMPILED = [(re.compile(p, re.IGNORECASE), f) for p, f in _PATTERNS]


def parse_ref(date: str | None) -> _Ref:
    """Year, month and day of an ISO date with any precision (``2025``, ``2025-04``, ``2025-12-03``)."""
    if not date:
        return (None, None, None)
    parts = [int(p) for p in re.findall(r"\d+", date)[:3]]
    return (parts[0], parts[1] if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None)


def resolve_times(text: str, ref_date: str | None) -> list[TimeMention]:
    """Time mentions in ``text``, resolved against ``ref_date``; overlapping matches: longest wins."""
    ref = parse_ref(ref_date)
    found: list[TimeMention] = []
    taken: list[tuple[int, int]] = []
    candidates = []
    for pattern, resolver in _COMPILED:
        for m in pattern.finditer(text):
            candidates.append((m.start(), m.end(), m, resolver))
    for start, end, m, resolver in sorted(candidates, key=lambda c: (c[0] - c[1], c[0])):
        if any(start < e and s < end for s, e in taken):
            continue
        value = resolver(m, ref)
        if value:
            taken.append((start, end))
            found.append(TimeMention(start, end, text[start:end], value))
    return sorted(found, key=lambda t: t.start)


def time_interval(value: str) -> tuple[dt.date, dt.date]:
    """The first and last day a time value covers."""
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", value):
        y, q = int(m.group(1)), int(m.group(2))
        return dt.date(y, 3 * q - 2, 1), dt.date(y, 3 * q, calendar.monthrange(y, 3 * q)[1])
    if m := re.fullmatch(r"(\d{4})-H([12])", value):
        y, h = int(m.group(1)), int(m.group(2))
        return (dt.date(y, 1, 1), dt.date(y, 6, 30)) if h == 1 else (dt.date(y, 7, 1), dt.date(y, 12, 31))
    if m := re.fullmatch(r"(\d{4})-W(\d\d)", value):
        first = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        return first, first + dt.timedelta(days=6)
    year, mo, d = parse_ref(value)
    if year is None:
        raise ValueError(f"not a time value: {value!r}")
    if mo is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if d is None:
        return dt.date(year, mo, 1), dt.date(year, mo, calendar.monthrange(year, mo)[1])
    return dt.date(year, mo, d), dt.date(year, mo, d)


def times_overlap(a: str, b: str) -> bool:
    """Whether two time values share at least one day ("2024" and "2024-11-13" do)."""
    try:
        a0, a1 = time_interval(a)
        b0, b1 = time_interval(b)
    except ValueError:
        return False
    return a0 <= b1 and b0 <= a1
