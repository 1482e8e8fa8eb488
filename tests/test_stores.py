"""The store contract, run against both stores: the local files and a real Milvus Lite engine."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from rag.index.local_store import LocalStore
from rag.index.milvus_store import MilvusStore
from rag.index.store import ArticleSentences, FileUpdate, IndexStore, StoreError
from rag.ingest import chunk_article
from rag.types import Article, Filters

DIM = 8
TEXT_A = "Die Nato sagte 50 Milliarden Euro zu. Im vergangenen Jahr war es weniger. Rutte lobte die Unterstützung."
TEXT_B = "Russland verliert monatlich 20.000 Soldaten. Das sagte Rutte am Mittwoch in Brüssel."
TEXT_C = "Die Sicherheitsunterstützung für die Ukraine wächst. Der Nato-Gipfel tagt in Den Haag."

Opener = Callable[[], IndexStore]


@pytest.fixture(params=["local", pytest.param("milvus", marks=pytest.mark.slow)])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    """Opens the same index again each call (a new store object on the same files or engine)."""
    if request.param == "local":
        return lambda: LocalStore.open(tmp_path)
    return lambda: MilvusStore.open(tmp_path, str(tmp_path / "milvus.db"))


def _update(name: str, text: str, seed: int, date: str | None = "2025-04", source: str | None = None) -> FileUpdate:
    article = Article(name, f"Titel {name}", text, date, source)
    chunks = chunk_article(article, 12, 4)
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(len(chunks), DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return FileUpdate(name, f"hash-{name}-{seed}", [article], [chunks], [vectors], [f"h{seed}"])


def _commit(store: IndexStore, updates: list[FileUpdate], removed: tuple[str, ...] = ()) -> IndexStore:
    return store.commit(updates, list(removed), model="test-model", dim=DIM, chunking=(12, 4), duplicate_threshold=0.99)


def _consistent(store: IndexStore) -> None:
    """Chunk count, chunk rows and dense vectors agree."""
    assert store.n_chunks == sum(d.n_chunks for d in store.documents())
    for doc in store.documents():
        assert doc.n_chunks > 0


def test_add_update_remove_round_trip(opener: Opener) -> None:
    _commit(opener(), [_update("a.txt", TEXT_A, 1), _update("b.txt", TEXT_B, 2)])
    reopened = opener()
    assert [d.doc_id for d in reopened.documents()] == ["a.txt", "b.txt"]
    assert reopened.file_hashes() == {"a.txt": "hash-a.txt-1", "b.txt": "hash-b.txt-2"}
    assert reopened.file_hashes(["b.txt", "new.txt"]) == {"b.txt": "hash-b.txt-2"}
    assert reopened.docs_of("b.txt") == ["b.txt"] and reopened.docs_of("missing.txt") == []
    _consistent(reopened)
    hits = reopened.search_lexical("Soldaten", 3)
    assert {reopened.chunks([h[0] for h in hits])[hits[0][0]].chunk.doc_id} == {"b.txt"}

    updated = _commit(reopened, [_update("a.txt", TEXT_B + " Neu: Wiesbaden.", 3)])
    assert updated.file_hashes()["a.txt"] == "hash-a.txt-3"
    assert "Wiesbaden" in updated.article("a.txt").body  # type: ignore[union-attr]
    assert updated.search_lexical("Wiesbaden", 3) and not updated.search_lexical("Milliarden", 3)
    _consistent(updated)

    removed = _commit(updated, [], ("b.txt",))
    assert [d.doc_id for d in removed.documents()] == ["a.txt"]
    assert "b.txt" not in removed.file_hashes()
    _consistent(opener())

    compacted = opener().optimize()  # the same content, whatever the store keeps of deleted rows
    assert [d.doc_id for d in compacted.documents()] == ["a.txt"] and compacted.file_hashes() == removed.file_hashes()
    assert [h[0] for h in compacted.search_lexical("Wiesbaden", 3)] == [
        h[0] for h in removed.search_lexical("Wiesbaden", 3)
    ]
    _consistent(opener())


def test_dense_search_finds_the_stored_vector(opener: Opener) -> None:
    update = _update("a.txt", TEXT_A, 1)
    store = _commit(opener(), [update, _update("b.txt", TEXT_B, 2)])
    (best, score), *_ = store.search_dense(update.vectors[0][1], 3)
    row = store.chunks([best])[best]
    assert (row.chunk.doc_id, row.chunk.seq, row.title, row.date) == ("a.txt", 1, "Titel a.txt", "2025-04")
    assert score == pytest.approx(1.0, abs=1e-3)  # the local store keeps vectors as float16 (Milvus: float32)


def test_compound_parts_and_resolved_times_are_lexical_terms(opener: Opener) -> None:
    store = _commit(opener(), [_update("a.txt", TEXT_A, 1), _update("c.txt", TEXT_C, 3), _update("b.txt", TEXT_B, 2)])

    def found(query: str) -> set[str]:
        return {r.chunk.doc_id for r in store.chunks([i for i, _ in store.search_lexical(query, 5)]).values()}

    assert found("Unterstützung") == {"a.txt", "c.txt"}  # c.txt only says "Sicherheitsunterstützung"
    assert found("Gipfel") == {"c.txt"}  # "Nato-Gipfel"
    # "Im vergangenen Jahr" in an April 2025 article is 2024
    assert store.chunks([store.search_lexical("2024", 1)[0][0]]).popitem()[1].chunk.doc_id == "a.txt"
    assert "unterstutz" in store.vocabulary and store.idf("unterstutz") < store.idf("never-seen")


def test_filters_apply_before_ranking(opener: Opener) -> None:
    store = _commit(
        opener(),
        [
            _update("old.txt", TEXT_B, 1, date="2023-12-31", source="APA"),
            _update("mid.txt", TEXT_B + " Mitte.", 2, date="2025-06-30", source="dpa"),
            _update("new.txt", TEXT_B + " Neu.", 3, date="2025-07-01", source="dpa"),
            _update("undated.txt", TEXT_B + " Ohne.", 4, date=None),
        ],
    )
    vector = np.ones(DIM, np.float32) / np.sqrt(DIM)  # any vector: the filters decide what may come back

    def docs(filters: Filters) -> tuple[set[str], set[str]]:
        lexical = {
            r.chunk.doc_id for r in store.chunks([i for i, _ in store.search_lexical("Soldaten", 20, filters)]).values()
        }
        dense = {r.chunk.doc_id for r in store.chunks([i for i, _ in store.search_dense(vector, 20, filters)]).values()}
        return lexical, dense

    for filters, expected in [
        (Filters(date_from="2024", date_to="2025-06"), {"mid.txt"}),
        (Filters(date_from="2024"), {"mid.txt", "new.txt"}),
        (Filters(date_to="2025-06"), {"old.txt", "mid.txt"}),  # undated articles fail a date filter
        (Filters(date_from="2025-07-01"), {"new.txt"}),
        (Filters(sources=("dpa",)), {"mid.txt", "new.txt"}),
        (Filters(sources=("APA",), date_from="2024"), set()),
        (Filters(), {"old.txt", "mid.txt", "new.txt", "undated.txt"}),
    ]:
        assert docs(filters) == (expected, expected), filters


def test_a_period_admits_passages_dated_in_it_or_naming_it(opener: Opener) -> None:
    store = _commit(
        opener(),
        [
            _update("a.txt", TEXT_A, 1, date="2025-04"),  # „Im vergangenen Jahr“: 2024
            _update("b.txt", TEXT_B, 2, date="2024-05-02"),
            _update("c.txt", TEXT_C, 3, date="2023-01"),
        ],
    )
    vector = np.ones(DIM, np.float32) / np.sqrt(DIM)

    def docs(period: str) -> set[str]:
        hits = store.search_dense(vector, 50, Filters(period=period))
        return {r.chunk.doc_id for r in store.chunks([i for i, _ in hits]).values()}

    assert docs("2024") == {"a.txt", "b.txt"}
    assert docs("2025") == {"a.txt"} and docs("2023") == {"c.txt"} and docs("2022") == set()
    assert docs("2024-05") == {"b.txt"} and docs("2024-05-02") == {"b.txt"}

    def lexical(query: str) -> list[tuple[str, int]]:
        hits = store.search_lexical(query, 10, Filters(period="2024"))
        rows = store.chunks([i for i, _ in hits])
        return [(rows[i].chunk.doc_id, rows[i].chunk.seq) for i, _ in hits]

    assert lexical("weniger Nato") == [("a.txt", 1)]  # the sentence about last year, not the 2025 figure
    assert lexical("Nato") == []


def test_sentences_and_long_bodies_are_stored_read_and_removed_with_their_article(opener: Opener) -> None:
    long_text = " ".join(f"Satz {i} über die Förderung der Gemeinde." for i in range(1200))  # > 45,000 characters
    update = _update("a.txt", TEXT_A, 1)
    spans = [(0, 37), (38, 72)]
    vectors = np.eye(2, DIM, dtype=np.float32)
    update.sentences.append(ArticleSentences(spans, vectors))
    store = _commit(opener(), [update, _update("b.txt", TEXT_B, 2), _update("long.txt", long_text, 3, date="2026-01")])

    read = store.sentences(["a.txt", "b.txt", "missing.txt"])
    assert set(read) == {"a.txt"}  # b.txt was written without sentences
    assert read["a.txt"].spans == spans and np.allclose(read["a.txt"].vectors, vectors, atol=1e-3)
    assert store.bodies(["a.txt", "long.txt"]) == {"a.txt": TEXT_A, "long.txt": long_text}
    assert store.article("long.txt").body == long_text  # type: ignore[union-attr]
    assert store.newest_date() == "2026-01"

    removed = _commit(store, [], ("a.txt", "long.txt"))
    assert removed.sentences(["a.txt"]) == {} and removed.bodies(["a.txt", "long.txt"]) == {}
    assert removed.newest_date() == "2025-04"


def test_a_retold_story_joins_the_duplicate_group(opener: Opener) -> None:
    first = _update("a.txt", TEXT_A, 1)
    retold = _update("a2.txt", TEXT_A, 1)  # the same chunk vectors: the same story
    store = _commit(opener(), [first, _update("b.txt", TEXT_B, 2), retold])
    docs = {d.doc_id: d.duplicates for d in store.documents()}
    assert docs == {"a.txt": ("a2.txt",), "a2.txt": ("a.txt",), "b.txt": ()}


def test_index_from_another_model_is_refused(opener: Opener) -> None:
    _commit(opener(), [_update("a.txt", TEXT_A, 1)])
    store = opener()
    with pytest.raises(StoreError, match="test-model"):
        store.check_model("other-model", 12, 4)
    with pytest.raises(StoreError, match="12 tokens"):
        store.check_model("test-model", 80, 4)
    store.check_model("test-model", 12, 4)


def test_readers_keep_working_while_a_write_runs(opener: Opener) -> None:
    store = _commit(opener(), [_update("a.txt", TEXT_A, 1)])
    failures: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        try:
            while not done.is_set():
                hits = store.search_lexical("Rutte", 5)
                rows = store.chunks([i for i, _ in hits])
                assert hits and all(r.chunk.text for r in rows.values())
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    try:
        for seed in range(2, 8):
            store = _commit(store, [_update(f"n{seed}.txt", TEXT_B, seed)])
    finally:
        done.set()
        for t in readers:
            t.join()
    assert not failures, failures[0]
    assert len(opener().documents()) == 7


@pytest.mark.slow
def test_both_stores_rank_lexical_hits_alike(tmp_path: Path) -> None:
    """One lexicon and collection-wide statistics on both stores: the same chunks come back for the same
    terms, also when the articles were written at different times."""
    first = [_update("a.txt", TEXT_A, 1)]  # written alone: its own segment in Milvus
    fillers = [_update(f"f{i}.txt", f"Rutte sprach über Thema {i} in Brüssel. Ende {i}.", 10 + i) for i in range(30)]
    later = [_update("b.txt", TEXT_B, 2), _update("c.txt", TEXT_C, 3), *fillers]
    local = _commit(_commit(LocalStore.open(tmp_path / "local"), first), later)
    milvus = _commit(_commit(MilvusStore.open(tmp_path, str(tmp_path / "m.db")), first), later)
    for query in ("Unterstützung Ukraine", "Nato 2024", "Soldaten", "Rutte Unterstützung", "Soldaten Brüssel"):
        ranked = [
            [(r.chunk.doc_id, r.chunk.seq) for r in (s.chunks([i for i, _ in hits])[i] for i, _ in hits)]
            for s in (local, milvus)
            for hits in [s.search_lexical(query, 3)]
        ]
        assert ranked[0][:2] == ranked[1][:2], query  # lower ranks may swap near-ties: Milvus keeps the
        # length normalisation of the moment a chunk was written, the local index renews it on every write
    assert local.vocabulary == milvus.vocabulary == MilvusStore.open(tmp_path, str(tmp_path / "m.db")).vocabulary
    assert {t: local.idf(t) for t in local.vocabulary} == pytest.approx({t: milvus.idf(t) for t in local.vocabulary})


@pytest.mark.slow
def test_the_cli_indexes_answers_and_removes_on_milvus_lite(tmp_path: Path) -> None:
    seeds = Path(__file__).resolve().parents[1] / "seeds"
    index = tmp_path / "index"

    def rag(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "rag.app.cli", *args, "--index", str(index), "--store", "milvus"]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=600)

    indexed = rag("index", str(seeds))
    assert indexed.returncode == 0, indexed.stderr
    assert (index / "milvus.db").exists() and not (index / "CURRENT").exists()
    answer = rag("ask", "Wie viel Hilfe wurde 2024 zugesagt?")
    assert answer.returncode == 0 and "50 Milliarden Euro" in answer.stdout, answer.stderr
    cited = answer.stdout.rsplit("— ", 1)[1].strip()
    assert rag("remove", cited).returncode == 0
    after = rag("ask", "Wie viel Hilfe wurde 2024 zugesagt?")
    assert after.returncode == 0 and cited not in after.stdout

    held = MilvusStore.open(index, str(index / "milvus.db"))  # Milvus Lite: one process per file
    busy = rag("docs")
    assert busy.returncode == 2 and "one process at a time" in busy.stderr and "Traceback" not in busy.stderr
    assert held.n_chunks > 0
