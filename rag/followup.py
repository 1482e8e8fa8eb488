"""Turns a follow-up ("Und für 2025?") into a standalone question using the conversation so far."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypedDict

from rag.answer.question import GAZETTEER

_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_FOLLOWUP_START = re.compile(
    r"^(und|aber|auch|sowie|was ist mit|wie ist es mit|wie sieht es (mit|bei|in)|und was|und wie|und wer|"
    r"und wo|und wann|what about|and)\b",
    re.IGNORECASE,
)
_LEAD = re.compile(
    r"^(und|aber|auch|was ist mit|wie ist es mit|wie sieht es (mit|bei|in)|what about|and)\s+", re.IGNORECASE
)
_QUESTION_WORD = re.compile(
    r"^(wer|wie|was|wann|wo|welche\w*|warum|wieso|weshalb|wozu|woher|wohin|who|what|when|where|how|which|why)\b",
    re.IGNORECASE,
)


class Turn(TypedDict):
    role: str
    content: str


def is_followup(question: str) -> bool:
    """A question that leans on the previous turn: "Und für 2025?", "Was ist mit Polen?"."""
    q = question.strip()
    return bool(_FOLLOWUP_START.match(q)) or (len(q.split()) <= 3 and not _QUESTION_WORD.match(q))


def standalone_question(question: str, history: Sequence[Turn] | None) -> str:
    """Rewrite a follow-up by putting its new year, place or topic into the last user question.

    Years replace years and known countries/places replace known countries/places; anything
    else is added to the previous question. A question that stands on its own is returned as is.
    """
    previous = next((t["content"] for t in reversed(history or []) if t.get("role") == "user"), None)
    if previous is None or not is_followup(question):
        return question.strip()
    rest = _LEAD.sub("", question.strip()).rstrip(" ?!.")
    rest = re.sub(r"^(für|in|im|bei|mit|zu|von|for|in)\s+", "", rest, flags=re.IGNORECASE)
    base = previous.strip().rstrip("?")
    if _QUESTION_WORD.match(rest):
        return f"{rest[0].upper()}{rest[1:]}? (Zusammenhang: {base})"
    new_years = _YEAR.findall(rest)
    if new_years and _YEAR.search(base):
        base = _YEAR.sub(new_years[0], base, count=1)
        rest = _YEAR.sub("", rest).strip()
    new_places = [w for w in re.findall(r"[\w-]+", rest) if w.lower() in GAZETTEER]
    old_places = [w for w in re.findall(r"[\w-]+", base) if w.lower() in GAZETTEER]
    if new_places and old_places:
        base = re.sub(rf"\b{re.escape(old_places[-1])}\b", new_places[0], base, count=1)
        rest = re.sub(rf"\b{re.escape(new_places[0])}\b", "", rest).strip()
    return f"{base} {rest}".strip() + "?" if rest else f"{base}?"
