"""Short answers on real questions are whole phrases, never fragments („15 hervor“, „Über eine neue“)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.evaluation.squad import load_squad, squad_rag
from rag.settings import Settings

XQUAD = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "xquad"

# Words a phrase cannot start or end with: prepositions, conjunctions, verb particles, auxiliaries
# (any case), articles (lower case: „Den Haag“ is a name).
EDGE = set(
    "an auf aus bei bis durch für gegen in im ins am mit nach ohne seit über um unter von vom vor zu zum zur "
    "und oder aber sowie dass weil wenn als wie denn hervor heraus zurück weg los ist sind war hat wird wurde".split()
)
ARTICLES = set("der die das den dem des ein eine einen einem einer eines".split())


def fragment(short: str) -> bool:
    tokens = [t.strip('.,;:!?"„“”()') for t in short.split()]
    tokens = [t for t in tokens if t]
    return not tokens or any(t.lower() in EDGE or t in ARTICLES for t in (tokens[0], tokens[-1]))


@pytest.mark.slow
@pytest.mark.skipif(not XQUAD.exists(), reason="needs ../shared/benchmarks/xquad")
def test_no_fragment_short_answers_on_xquad_questions() -> None:
    de, en = XQUAD / "xquad.de.json", XQUAD / "xquad.en.json"
    rag = squad_rag(de, Settings(), progress=False)
    _, german = load_squad(de)
    _, english = load_squad(de, en)
    shorts = []
    for q in german[::4] + english[::8]:
        answer = rag.ask(q.question)
        assert answer.abstained or answer.citations, q.question
        if answer.short_answer:
            shorts.append((q.question, answer.short_answer))
    assert len(shorts) > 50  # typed questions do get short answers
    assert [s for s in shorts if fragment(s[1])] == []


@pytest.mark.parametrize(
    ("short", "is_fragment"),
    [("15 hervor", True), ("Über eine neue", True), ("Den Haag", False), ("The Use of Money", False)],
)
def test_the_fragment_check_itself(short: str, is_fragment: bool) -> None:
    assert fragment(short) is is_fragment
