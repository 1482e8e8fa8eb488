from __future__ import annotations

from pathlib import Path

import numpy as np

from rag.index.bm25 import LexicalIndex
from rag.text.lexical import split_compound, stem, terms

TEXTS = [
    "Im vergangenen Jahr hatten die Alliierten Sicherheitsunterstützung im Wert von rund 50 Milliarden Euro mobilisiert.",
    "Zudem werde die Nato-Militärhilfekoordinierung über das Kommando in Wiesbaden fortgesetzt.",
    "Der Generalsekretär forderte, das Ziel von 5 Milliarden Dollar zur Finanzierung der Ukraine einzuhalten.",
    "Die Unterstützung für die Ukraine bleibt. Die Hilfe des Militärs wird koordiniert.",
]


def _index() -> LexicalIndex:
    return LexicalIndex.build(TEXTS, [["2024"], [], [], []], [10, 11, 12, 13])


def test_compound_is_split_against_corpus_vocabulary() -> None:
    vocabulary = _index().vocabulary
    assert split_compound("finanzierungsziel", vocabulary)[:2] == [stem("ziel"), stem("finanzierung")]
    assert stem("unterstützung") in split_compound("sicherheitsunterstützung", vocabulary)
    assert split_compound("weltmeisterschaft", vocabulary) == []


def test_hyphenated_parts_and_times_become_terms() -> None:
    found = terms("Nato-Außenminister", None, ["2025-Q1"])
    assert {stem("nato"), stem("außenminister"), "2025-q1", "2025"} <= set(found)


def test_part_of_compound_finds_the_passage() -> None:
    hits = _index().search("Welches Finanzierungsziel?", 3)
    assert hits[0][0] == 12


def test_resolved_time_is_searchable() -> None:
    hits = _index().search("Unterstützung 2024", 4)
    assert hits[0][0] == 10


def test_unknown_words_find_nothing() -> None:
    assert _index().search("Fußball Weltmeisterschaft", 3) == []


def test_save_and_load_round_trip_memory_mapped(tmp_path: Path) -> None:
    index = _index()
    index.save(tmp_path / "lex")
    loaded = LexicalIndex.load(tmp_path / "lex")
    assert loaded.search("Wiesbaden", 2) == index.search("Wiesbaden", 2)
    assert loaded.search("Wiesbaden", 2, admitted=np.asarray([13])) == index.search("Wiesbaden", 2, np.asarray([13]))
    assert loaded.vocabulary == index.vocabulary
    mapped = Path("/proc/self/maps").read_text()
    assert str(tmp_path / "lex" / "data.csc.index.npy") in mapped  # read on demand, not copied into memory


def test_the_streamed_build_scores_as_bm25s_itself() -> None:
    """``from_terms`` assembles bm25s's matrix without bm25s's per-chunk lists: same scores, same ranking."""
    import bm25s

    from rag.index.bm25 import chunk_terms, vocabulary_of

    texts = TEXTS * 3 + ["Die Brücke in Linz kostet 12 Millionen Euro. Die Brücke wird 2027 eröffnet."]
    vocabulary = vocabulary_of(texts)
    corpus = chunk_terms(texts, [[] for _ in texts], vocabulary)
    reference = bm25s.BM25(k1=1.2, b=0.75)
    reference.index(corpus, show_progress=False)
    ids = list(range(100, 100 + len(texts)))
    streamed = LexicalIndex.from_terms(iter(zip(ids, corpus, strict=True)), vocabulary)
    for query in (["ukrain", "milliard"], [stem("brücke")], [stem("unterstützung"), "2024"]):
        want_docs, want = reference.retrieve([query], k=5, show_progress=False)
        got = streamed.search(" ".join(query), 5)
        assert [ids[d] for d, s in zip(want_docs[0], want[0], strict=True) if s > 0] == [i for i, _ in got]
        assert np.allclose([s for s in want[0] if s > 0], [s for _, s in got], atol=1e-5)
