from __future__ import annotations

from pathlib import Path

import numpy as np

from rag.index.bm25 import LexicalIndex, Postings, _by_term, chunk_terms, vocabulary_of
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


def test_words_split_once_and_shared_give_the_terms_of_a_fresh_split() -> None:
    vocabulary = _index().vocabulary
    expanded: dict[str, list[str]] = {}
    for text in [*TEXTS, *TEXTS]:
        assert terms(text, vocabulary, ["2024"], expanded) == terms(text, vocabulary, ["2024"])
    assert expanded["sicherheitsunterstützung"] == terms("Sicherheitsunterstützung", vocabulary)


def test_part_of_compound_finds_the_passage() -> None:
    hits = _index().search("Welches Finanzierungsziel?", 3)
    assert hits[0][0] == 12


def test_resolved_time_is_searchable() -> None:
    hits = _index().search("Unterstützung 2024", 4)
    assert hits[0][0] == 10


def test_unknown_words_find_nothing() -> None:
    assert _index().search("Fußball Weltmeisterschaft", 3) == []


def test_postings_save_and_load_round_trip_memory_mapped(tmp_path: Path) -> None:
    vocabulary = vocabulary_of(TEXTS)
    postings = Postings.build(zip([10, 11, 12, 13], chunk_terms(TEXTS, [[]] * 4, vocabulary), strict=True), vocabulary)
    postings.save(tmp_path / "postings")
    loaded = Postings.load(tmp_path / "postings")
    index, again = (LexicalIndex([(p, np.ones(4, dtype=bool))]) for p in (postings, loaded))
    assert again.search("Wiesbaden", 2) == index.search("Wiesbaden", 2)
    assert again.search("Wiesbaden", 2, admitted=np.asarray([13])) == index.search("Wiesbaden", 2, np.asarray([13]))
    assert again.vocabulary == index.vocabulary
    mapped = Path("/proc/self/maps").read_text()
    assert str(tmp_path / "postings" / "rows.npy") in mapped  # read on demand, not copied into memory


def test_deleted_chunks_neither_match_nor_count_in_the_statistics() -> None:
    vocabulary = vocabulary_of(TEXTS)
    found = chunk_terms(TEXTS, [[]] * 4, vocabulary)
    postings = Postings.build(zip([10, 11, 12, 13], found, strict=True), vocabulary)
    without_last = LexicalIndex([(postings, np.asarray([True, True, True, False]))])
    alone = LexicalIndex([(Postings.build(zip([10, 11, 12], found[:3], strict=True), vocabulary), np.ones(3, bool))])
    assert without_last.n_chunks == 3 and not without_last.search("koordiniert", 5)
    assert without_last.search("Ukraine Milliarden", 5) == alone.search("Ukraine Milliarden", 5)
    assert without_last.idf(stem("ukraine")) == alone.idf(stem("ukraine"))


def test_the_streamed_build_scores_as_bm25s_itself() -> None:
    """Our postings score as bm25s (Lucene BM25) does over the same chunks: same scores, same ranking."""
    import bm25s

    texts = TEXTS + [
        "Die Brücke in Linz kostet 12 Millionen Euro. Die Brücke wird 2027 eröffnet.",
        "Die Ukraine erhält weitere Milliarden, sagte der Minister.",
        "Die Brücke über die Donau bleibt gesperrt.",
    ]
    vocabulary = vocabulary_of(texts)
    corpus = chunk_terms(texts, [[] for _ in texts], vocabulary)
    reference = bm25s.BM25(k1=1.2, b=0.75)
    reference.index(corpus, show_progress=False)
    ids = list(range(100, 100 + len(texts)))
    postings = Postings.build(iter(zip(ids, corpus, strict=True)), vocabulary)
    streamed = LexicalIndex([(postings, np.ones(len(ids), dtype=bool))])
    for query in (["ukrain", "milliard"], [stem("brücke")], [stem("unterstützung"), "2024"]):
        want_docs, want = reference.retrieve([query], k=5, show_progress=False)
        got = streamed.search(" ".join(query), 5)
        assert [ids[d] for d, s in zip(want_docs[0], want[0], strict=True) if s > 0] == [i for i, _ in got]
        assert np.allclose([s for s in want[0] if s > 0], [s for _, s in got], atol=1e-5)


def test_postings_sorted_a_range_of_terms_at_a_time_equal_one_whole_sort() -> None:
    rng = np.random.default_rng(0)
    terms_of = rng.integers(0, 40, 5000).astype(np.int32)
    terms_of[:2000] = 3  # one term with more postings than a step
    rows, tf = np.arange(5000, dtype=np.int32), rng.integers(1, 5, 5000).astype(np.int32)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(terms_of, minlength=40))]).astype(np.int64)
    order = np.argsort(terms_of, kind="stable")
    for step in (1, 7, 300, 1 << 22):
        got_rows, got_tf = _by_term(terms_of, indptr, rows, tf, step)
        assert np.array_equal(got_rows, rows[order]) and np.array_equal(got_tf, tf[order])
