"""The local store's own promises: atomic generations on disk, survivors of failed and killed writes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import faiss
import numpy as np
import pytest

from rag.index.local_store import MERGE_FACTOR
from rag.index.local_store import LocalStore as Store
from rag.index.store import FileUpdate, StoreError
from rag.ingest import chunk_article
from rag.text.lexical import stem
from rag.types import Article

DIM = 8


def _update(name: str, text: str, seed: int) -> FileUpdate:
    article = Article(name, f"Titel {name}", text, "2025-04")
    chunks = chunk_article(article, 40, 10)
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(len(chunks), DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return FileUpdate(name, f"hash-{name}-{seed}", [article], [chunks], [vectors], [f"h{seed}"])


def _commit(store: Store, updates: list[FileUpdate], removed: list[str] = ()) -> Store:  # type: ignore[assignment]
    return store.commit(
        updates, list(removed), model="test-model", dim=DIM, chunking=(40, 10), duplicate_threshold=0.99
    )


def _consistent(store: Store) -> None:
    """FAISS, SQLite and BM25 hold the same live chunks; the folder holds the segments the manifest names."""
    n = sum(d.n_chunks for d in store.documents())
    dim = int(store.manifest.get("dim") or DIM)
    hits = store.search_dense(np.ones(dim, dtype=np.float32) / np.sqrt(dim), n + 5)
    assert store.n_chunks == n == len(hits) == len(store.chunks([i for i, _ in hits]))
    assert {s.name for s in store.segments} == {p.name for p in store.root.glob("seg-*")}  # debris: only .tmp-


TEXT_A = "Die Nato sagte 50 Milliarden Euro zu. Im vergangenen Jahr war es weniger. Rutte lobte die Alliierten."
TEXT_B = "Russland verliert monatlich 20.000 Soldaten. Das sagte Rutte am Mittwoch in Brüssel."


def test_each_write_leaves_one_consistent_generation(tmp_path: Path) -> None:
    store = _commit(Store.open(tmp_path), [_update("a.txt", TEXT_A, 1), _update("b.txt", TEXT_B, 2)])
    _consistent(store)
    store = _commit(Store.open(tmp_path), [_update("a.txt", TEXT_B + " Neu: Wiesbaden.", 3)])
    _consistent(store)
    store = _commit(store, [], ["b.txt"])
    _consistent(Store.open(tmp_path))
    assert [d.doc_id for d in Store.open(tmp_path).documents()] == ["a.txt"]
    assert len(list(tmp_path.glob("manifest-*"))) == 1


def test_a_write_adds_a_segment_and_leaves_the_others_untouched(tmp_path: Path) -> None:
    """Deletes and updates are marks in the manifest; the first segment's files never change."""
    many = _update("c.txt", " ".join(f"Thema{i}" for i in range(40)) + ".", 4)  # later writes add few words
    store = _commit(Store.open(tmp_path), [_update("a.txt", TEXT_A, 1), _update("b.txt", TEXT_B, 2), many])
    first = store.segments[0].folder
    before = {p.name: p.read_bytes() for p in first.rglob("*") if p.is_file()}
    store = _commit(store, [_update("a.txt", TEXT_B + " Neu: Wiesbaden.", 3)])
    store = _commit(store, [], ["b.txt"])
    assert [s.folder for s in store.segments][0] == first and len(store.segments) == 2
    assert {p.name: p.read_bytes() for p in first.rglob("*") if p.is_file()} == before
    assert {
        c.chunk.doc_id for c in store.chunks([i for i, _ in store.search_lexical("Wiesbaden Soldaten", 10)]).values()
    } == {"a.txt"}
    assert "Wiesbaden" in (store.article("a.txt") or Article("", "", "")).body
    merged = store.optimize()
    assert len(merged.segments) == 1 and [d.doc_id for d in merged.documents()] == ["a.txt", "c.txt"]
    assert merged.search_lexical("Wiesbaden", 5) and not merged.search_lexical("Alliierten", 5)  # old a.txt
    _consistent(merged)


def test_ten_segments_of_one_size_merge_into_one(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    for i in range(MERGE_FACTOR):
        store = _commit(store, [_update(f"{i}.txt", TEXT_B, i)])  # the same words: no re-analysis merges
    assert len(store.segments) == 1 and len(store.documents()) == MERGE_FACTOR  # after nine segments: one
    _consistent(store)


def _stored_terms(store: Store) -> dict[str, str]:
    return {
        f"{doc}#{seq}": terms
        for segment in store.segments
        for doc, seq, terms in segment.query("SELECT doc_id, seq, terms FROM chunks")
    }


def _found(store: Store, query: str) -> set[str]:
    return {c.chunk.doc_id for c in store.chunks([i for i, _ in store.search_lexical(query, 10)]).values()}


def test_a_write_analyses_its_own_chunks_and_all_of_them_once_the_vocabulary_has_grown(tmp_path: Path) -> None:
    many = " ".join(f"Thema{i}" for i in range(40))
    store = _commit(Store.open(tmp_path), [_update("a.txt", f"Die Sicherheitsunterstützung wächst. {many}.", 1)])
    first = _stored_terms(store)
    assert stem("unterstützung") not in first["a.txt#0"].split()  # no word „Unterstützung“ to split against
    store = _commit(store, [_update("b.txt", "Die Unterstützung wächst.", 2)])  # a few new words: a.txt is kept
    assert _stored_terms(store)["a.txt#0"] == first["a.txt#0"]
    assert _found(store, "Unterstützung") == {"b.txt"}
    others = " ".join(f"Neues{i}" for i in range(10))  # a quarter more words: every chunk is analysed again
    store = _commit(store, [_update("c.txt", f"{others}.", 3)])
    assert stem("unterstützung") in _stored_terms(store)["a.txt#0"].split()
    assert _found(store, "Unterstützung") == {"a.txt", "b.txt"}
    _consistent(store)


def test_an_index_of_an_older_format_asks_to_be_built_again(tmp_path: Path) -> None:
    (tmp_path / "gen-1").mkdir()
    (tmp_path / "gen-1" / "manifest.json").write_text(json.dumps({"format": 2, "files": {}}))
    (tmp_path / "CURRENT").write_text("gen-1")
    with pytest.raises(StoreError, match="format 2 is not 3; delete the folder and index again"):
        Store.open(tmp_path)


def test_failed_write_leaves_the_previous_generation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _commit(Store.open(tmp_path), [_update("a.txt", TEXT_A, 1)])

    def broken_write(index: faiss.Index, path: str) -> None:
        Path(path).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(faiss, "write_index", broken_write)
    with pytest.raises(OSError):
        _commit(store, [_update("b.txt", TEXT_B, 2)])
    monkeypatch.undo()
    survivor = Store.open(tmp_path)
    assert [d.doc_id for d in survivor.documents()] == ["a.txt"]
    _consistent(survivor)
    after = _commit(survivor, [_update("b.txt", TEXT_B, 2)])  # the next writer clears the debris
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")] == []
    assert len(after.documents()) == 2


def test_the_cli_reports_an_index_of_another_model_without_a_traceback(tmp_path: Path) -> None:
    _commit(Store.open(tmp_path), [_update("a.txt", TEXT_A, 1)])  # built with "test-model"
    cmd = [sys.executable, "-m", "rag.app.cli", "ask", "Was steht drin?", "--index", str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.startswith("rag ask: ") and "test-model" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_damaged_manifest_is_reported(tmp_path: Path) -> None:
    _commit(Store.open(tmp_path), [_update("a.txt", TEXT_A, 1)])
    (tmp_path / (tmp_path / "CURRENT").read_text()).write_text("{")
    with pytest.raises(StoreError, match="damaged"):
        Store.open(tmp_path)


@pytest.mark.slow
def test_killing_rag_index_at_any_moment_keeps_a_complete_index(tmp_path: Path) -> None:
    """SIGKILL `rag index` at several moments; the index always opens with the old or the new content."""
    seeds = Path(__file__).resolve().parents[1] / "seeds"
    first, rest = tmp_path / "first", tmp_path / "rest"
    first.mkdir()
    rest.mkdir()
    files = sorted(seeds.iterdir())
    (first / files[0].name).write_bytes(files[0].read_bytes())
    for f in files[1:]:
        (rest / f.name).write_bytes(f.read_bytes())
    index = tmp_path / "index"
    cmd = [sys.executable, "-m", "rag.app.cli", "index", "--index", str(index)]
    subprocess.run([*cmd, str(first)], check=True, capture_output=True)
    old = {d.doc_id for d in Store.open(index).documents()}
    start = time.perf_counter()
    subprocess.run([*cmd, str(rest)], check=True, capture_output=True, cwd=tmp_path)
    full_run = time.perf_counter() - start
    for f in rest.iterdir():  # touch the content so every run has work to do again
        f.write_bytes(f.read_bytes() + b"\n")
    for fraction in (0.2, 0.5, 0.8, 0.9, 0.95, 0.99):
        proc = subprocess.Popen([*cmd, str(rest)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
        time.sleep(full_run * fraction)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        store = Store.open(index)
        docs = {d.doc_id for d in store.documents()}
        assert docs == old or docs >= old | {f.name for f in rest.iterdir()}
        _consistent(store)
    final = subprocess.run([*cmd, str(rest)], capture_output=True, text=True, cwd=tmp_path)
    assert final.returncode == 0, final.stderr
    assert len(Store.open(index).documents()) == 7


@pytest.mark.slow
def test_a_stopped_rag_index_keeps_its_finished_batches_and_a_rerun_continues(tmp_path: Path) -> None:
    """One file per batch: SIGKILL right after the first batch is committed; the next run adds only the rest."""
    seeds = Path(__file__).resolve().parents[1] / "seeds"
    index = tmp_path / "index"
    cmd = [sys.executable, "-m", "rag.app.cli", "index", str(seeds), "--index", str(index)]
    env = {**os.environ, "RAG_INDEX_BATCH_FILES": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path, env=env)
    deadline = time.monotonic() + 300
    while not (index / "CURRENT").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = Store.open(index).file_hashes([f.name for f in seeds.iterdir()])
    assert 1 <= len(kept) < 5  # the first batch survived, the run did not finish
    rerun = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{5 - len(kept)} added, 0 updated, {len(kept)} unchanged" in rerun.stdout
    store = Store.open(index)
    assert len(store.documents()) == 7
    _consistent(store)


@pytest.mark.slow
def test_killing_a_merge_at_any_moment_keeps_a_complete_index(tmp_path: Path) -> None:
    """SIGKILL ``optimize`` at several moments; the index always opens with the same articles, whole."""
    rng = np.random.default_rng(0)
    words = [f"Wort{i}" for i in range(3000)]
    store = Store.open(tmp_path)
    for part in range(3):
        texts = [" ".join(rng.choice(words, 60)) + "." for _ in range(400)]
        store = _commit(store, [_update(f"{part}-{i}.txt", t, i) for i, t in enumerate(texts)])
    store = _commit(store, [], [f"1-{i}.txt" for i in range(200)])  # deleted: the merge leaves them out
    expected = {d.doc_id for d in store.documents()}
    code = (
        "import pathlib, time\n"
        "from rag.index.local_store import LocalStore\n"
        f"store = LocalStore.open(pathlib.Path({str(tmp_path)!r}))\n"
        "print('ready', flush=True)\n"
        "start = time.perf_counter()\n"
        "store.optimize()\n"
        "print(time.perf_counter() - start, flush=True)\n"
    )
    backup = tmp_path.parent / "backup"
    shutil.copytree(tmp_path, backup)
    merge_s = float(
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()[-1]
    )
    seen = set()
    for fraction in (0.1, 0.3, 0.5, 0.7, 0.9, 0.97):
        shutil.rmtree(tmp_path)
        shutil.copytree(backup, tmp_path)
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        time.sleep(merge_s * fraction)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        survivor = Store.open(tmp_path)
        assert {d.doc_id for d in survivor.documents()} == expected
        seen.add(len(survivor.segments))
        _consistent(Store.open(tmp_path).commit([], [], "test-model", DIM, (40, 10), 0.99))  # the next writer tidies
    assert 3 in seen and seen <= {1, 3}  # killed mid-merge: three segments; after the switch: one; never between


@pytest.mark.parametrize("overfetch_limit", [0, 1_000])
def test_dense_search_never_returns_deleted_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, overfetch_limit: int
) -> None:
    """Either way a segment with deletions is searched: by asking for more hits, or among its live ids."""
    monkeypatch.setattr("rag.index.local_store._OVERFETCH_LIMIT", overfetch_limit)
    gone = _update("b.txt", TEXT_B, 2)
    store = _commit(Store.open(tmp_path), [_update("a.txt", TEXT_A, 1), gone])
    store = _commit(store, [], ["b.txt"])
    for vector in gone.vectors[0]:
        hits = store.search_dense(vector, 3)
        assert hits and {c.chunk.doc_id for c in store.chunks([i for i, _ in hits]).values()} == {"a.txt"}
    _consistent(store)
