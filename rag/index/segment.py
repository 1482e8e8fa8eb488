"""One segment of the local index: the articles, chunks and sentences that one write (or merge) added,
with their vectors and BM25 postings, in one folder that never changes once written.

A segment folder holds ``chunks.sqlite`` (articles, chunks with their index terms, sentence vectors),
``vectors.npy`` (the chunk vectors as float16, in chunk id order: for merges and near-duplicate checks),
``vectors.faiss`` (the same vectors, searchable: exact or IVF-SQ8 by size), ``postings/`` (BM25, see
``rag.index.bm25``) and ``meta.json``. It is written under a temporary name and renamed when complete,
so a folder named ``seg-…`` is always whole. Deleting an article never touches its segment: the
store's manifest lists it as deleted there until a merge leaves it out.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from rag.index import vectors as vector_index
from rag.index.bm25 import Postings, chunk_terms
from rag.index.store import ArticleSentences
from rag.types import Article, Chunk

SCHEMA = """
CREATE TABLE docs (
    doc_id TEXT PRIMARY KEY, file TEXT NOT NULL, title TEXT NOT NULL, date TEXT, source TEXT,
    url TEXT, path TEXT, body TEXT NOT NULL, extra TEXT NOT NULL, content_hash TEXT NOT NULL,
    dup_group TEXT NOT NULL
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES docs(doc_id), seq INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL, n_tokens INTEGER NOT NULL,
    times TEXT NOT NULL, terms TEXT NOT NULL
);
CREATE TABLE sentences (
    doc_id TEXT NOT NULL REFERENCES docs(doc_id), start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX chunks_doc ON chunks(doc_id);
CREATE INDEX sentences_doc ON sentences(doc_id);
CREATE INDEX docs_file ON docs(file);
"""
_BATCH = 10_000


class Segment:
    """A written segment, opened for reading: SQLite read-only; FAISS, postings and vectors memory-mapped."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.name = folder.name
        self.meta: dict[str, Any] = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        self.db = sqlite3.connect(f"file:{folder / 'chunks.sqlite'}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()  # one connection, shared by the stores and threads that read this segment
        self.vectors: faiss.Index = vector_index.load(folder / "vectors.faiss")
        self.postings = Postings.load(folder / "postings")
        self.stored = np.load(folder / "vectors.npy", mmap_mode="r")
        """The chunk vectors as written (float16), memory-mapped, in the order of ``ids``."""

    @property
    def ids(self) -> np.ndarray:
        """Chunk ids in ascending order (the rows of the postings and of ``vectors.npy``)."""
        return self.postings.ids

    def query(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self.db.execute(sql, tuple(args)).fetchall()

    def stored_vectors(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """The float vectors of these chunk ids (all in this segment)."""
        rows = np.searchsorted(self.ids, np.asarray(ids, dtype=np.int64))
        return np.asarray(self.stored[rows], dtype=np.float32)

    def close(self) -> None:
        with self._lock:
            self.db.close()


class SegmentWriter:
    """Builds one segment in ``folder`` (a temporary name): rows first, then ``finish``."""

    def __init__(self, folder: Path, dim: int, capacity: int) -> None:
        """``capacity``: how many chunks the segment will hold at most (its vectors go to disk as they come)."""
        folder.mkdir(parents=True)
        self.folder, self.dim = folder, dim
        self.db = sqlite3.connect(folder / "chunks.sqlite")
        # no journal, no syncs: a half-written segment is a temporary folder the next writer removes, and
        # ``finish`` syncs the whole folder once before it is renamed into place
        self.db.executescript(f"PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; {SCHEMA}")
        self._vectors = np.lib.format.open_memmap(
            folder / "vectors.npy", mode="w+", dtype=np.float16, shape=(max(1, capacity), dim)
        )
        self._ids = array("q")

    def _put(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        start = len(self._ids)
        self._vectors[start : start + len(ids)] = vectors
        self._ids.extend(int(i) for i in ids)

    def add_article(
        self,
        file: str,
        article: Article,
        chunks: Sequence[Chunk],
        terms: Sequence[Sequence[str]],
        vectors: np.ndarray,
        ids: np.ndarray,
        content_hash: str,
        group: str,
    ) -> None:
        self.db.execute(
            "INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [
                article.doc_id,
                file,
                article.title,
                article.date,
                article.source,
                article.url,
                article.path,
                article.body,
                json.dumps(article.extra, ensure_ascii=False),
                content_hash,
                group,
            ],
        )
        self.db.executemany(
            'INSERT INTO chunks (id, doc_id, seq, start, "end", text, n_tokens, times, terms) VALUES (?,?,?,?,?,?,?,?,?)',
            [
                (int(i), c.doc_id, c.seq, c.start, c.end, c.text, c.n_tokens, json.dumps(list(c.times)), " ".join(t))
                for i, c, t in zip(ids, chunks, terms, strict=True)
            ],
        )
        self._put(ids, vectors)

    def add_sentences(self, doc_id: str, sentences: ArticleSentences) -> None:
        self.db.executemany(
            'INSERT INTO sentences (doc_id, start, "end", vector) VALUES (?,?,?,?)',
            [
                (doc_id, start, end, vec.astype(np.float16).tobytes())
                for (start, end), vec in zip(sentences.spans, sentences.vectors, strict=True)
            ],
        )

    def copy_from(self, source: Segment, deleted: Sequence[str]) -> None:
        """Every row of ``source`` except the ``deleted`` articles (for a merge)."""
        gone = json.dumps(list(deleted))
        self.db.execute("ATTACH DATABASE ? AS src", [f"file:{source.folder / 'chunks.sqlite'}?mode=ro"])
        alive = "doc_id NOT IN (SELECT value FROM json_each(?))"
        for table in ("docs", "chunks", "sentences"):
            self.db.execute(f"INSERT INTO {table} SELECT * FROM src.{table} WHERE {alive}", [gone])
        self.db.commit()
        self.db.execute("DETACH DATABASE src")
        ids = np.asarray([r[0] for r in source.query(f"SELECT id FROM chunks WHERE {alive} ORDER BY id", [gone])])
        for i in range(0, len(ids), _BATCH):
            self._put(ids[i : i + _BATCH], source.stored_vectors(ids[i : i + _BATCH]))
            vector_index.release_pages(source.stored)
            vector_index.release_pages(self._vectors)

    def reanalyse(self, vocabulary: set[str]) -> None:
        """Work out every chunk's index terms again against ``vocabulary``, in batches."""
        expanded: dict[str, list[str]] = {}
        last = -1
        while rows := self.db.execute(
            "SELECT id, text, times FROM chunks WHERE id > ? ORDER BY id LIMIT ?", [last, _BATCH]
        ).fetchall():
            found = chunk_terms([r[1] for r in rows], [json.loads(r[2]) for r in rows], vocabulary, expanded)
            self.db.executemany(
                "UPDATE chunks SET terms=? WHERE id=?", [(" ".join(t), r[0]) for t, r in zip(found, rows, strict=True)]
            )
            last = rows[-1][0]

    def _in_id_order(self, ids: np.ndarray) -> np.ndarray:
        """``vectors.npy`` with exactly the written rows, in chunk id order (a merge may interleave ids)."""
        path = self.folder / "vectors.npy"
        order = np.argsort(ids, kind="stable")
        if len(ids) == len(self._vectors) and np.array_equal(order, np.arange(len(ids))):
            self._vectors.flush()
            return self._vectors
        written = self._vectors
        if not len(ids):
            del self._vectors, written
            empty = np.zeros((0, self.dim), dtype=np.float16)
            np.save(path, empty, allow_pickle=False)
            return empty
        final = np.lib.format.open_memmap(
            self.folder / "vectors.tmp.npy", mode="w+", dtype=np.float16, shape=(len(ids), self.dim)
        )
        for i in range(0, len(ids), _BATCH):
            final[i : i + _BATCH] = written[order[i : i + _BATCH]]
            vector_index.release_pages(final)
            vector_index.release_pages(written)
        final.flush()
        del self._vectors, written
        os.replace(self.folder / "vectors.tmp.npy", path)
        return final

    def finish(self, vocabulary: set[str], analysed: int) -> dict[str, Any]:
        """Write vectors, postings and meta, and sync the folder; returns the meta. ``vocabulary``: the stems
        of this segment's own words; ``analysed``: the size of the vocabulary its compounds were split against."""
        self.db.commit()
        ids = np.frombuffer(self._ids, dtype=np.int64)
        rows = self.db.execute("SELECT id, terms FROM chunks ORDER BY id")  # one chunk at a time
        postings = Postings.build(((i, t.split()) for i, t in rows), vocabulary)
        self.db.close()
        if not np.array_equal(postings.ids, np.sort(ids)):
            raise RuntimeError(f"{self.folder}: chunk rows and vectors disagree")
        postings.save(self.folder / "postings")
        postings = Postings.load(self.folder / "postings")  # memory-mapped: its arrays leave memory before FAISS builds
        vectors = self._in_id_order(ids)
        index = vector_index.build(vectors, postings.ids) if len(ids) else vector_index.empty(self.dim)
        faiss.write_index(index, str(self.folder / "vectors.faiss"))
        meta = {
            "n_chunks": len(ids),
            "vector_index": vector_index.kind_of(index),
            "analysed_vocabulary": analysed,
        }
        (self.folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        fsync_tree(self.folder)
        return meta


def fsync_tree(folder: Path) -> None:
    for path in [*folder.rglob("*"), folder]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
