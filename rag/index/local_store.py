"""The local index: FAISS vectors, SQLite articles and chunks, BM25, and a manifest.

Every write builds a complete new generation folder beside the current one and then swaps
one small pointer file (``CURRENT``) with an atomic rename. A crash or kill at any moment
leaves the previous generation untouched and openable; stray half-written folders are
removed by the next writer. Nothing read from disk is unpickled: FAISS reads its own format,
BM25 arrays are ``.npy`` without pickle, everything else is JSON or SQLite.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from filelock import FileLock

from rag.index import vectors as vector_index
from rag.index.bm25 import LexicalIndex, chunk_terms, vocabulary_of
from rag.index.store import ArticleSentences, DocInfo, FileUpdate, StoredChunk, StoreError, alignment
from rag.types import Article, Chunk, Filters

FORMAT_VERSION = 2
_REANALYSE_GROWTH = 1.1
_BATCH = 10_000
_SCHEMA = """
CREATE TABLE docs (
    doc_id TEXT PRIMARY KEY, file TEXT NOT NULL, title TEXT NOT NULL, date TEXT, source TEXT,
    url TEXT, path TEXT, body TEXT NOT NULL, extra TEXT NOT NULL, content_hash TEXT NOT NULL,
    dup_group TEXT NOT NULL
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL REFERENCES docs(doc_id), seq INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL, n_tokens INTEGER NOT NULL,
    times TEXT NOT NULL, terms TEXT
);
CREATE TABLE sentences (
    doc_id TEXT NOT NULL REFERENCES docs(doc_id), start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX chunks_doc ON chunks(doc_id);
CREATE INDEX sentences_doc ON sentences(doc_id);
CREATE INDEX docs_file ON docs(file);
"""


class LocalStore:
    """One generation of the local index, loaded for searching; ``commit`` writes the next one."""

    def __init__(self, root: Path, folder: Path | None, manifest: dict[str, Any]) -> None:
        self.root = root
        self.folder = folder
        self.manifest = manifest
        self._db_lock = threading.Lock()
        if folder is None:
            self._db = _new_db(":memory:")
            self.vectors: faiss.Index = vector_index.empty(int(manifest.get("dim") or 1))
            self.lexical = LexicalIndex.build([], [], [])
        else:
            self._db = sqlite3.connect(f"file:{folder / 'chunks.sqlite'}?mode=ro", uri=True, check_same_thread=False)
            self.vectors = vector_index.tune(faiss.read_index(str(folder / "vectors.faiss")))
            self.lexical = LexicalIndex.load(folder / "lexical")

    @classmethod
    def open(cls, root: Path) -> LocalStore:
        """Open the current generation under ``root`` (an empty store if there is none yet)."""
        pointer = root / "CURRENT"
        if not pointer.exists():
            return cls(root, None, {"format": FORMAT_VERSION, "files": {}})
        folder = root / pointer.read_text(encoding="utf-8").strip()
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(f"{root}: the index is damaged ({exc}); delete the folder and index again") from exc
        if manifest.get("format") != FORMAT_VERSION:
            raise StoreError(f"{root}: index format {manifest.get('format')} is not {FORMAT_VERSION}; index again")
        return cls(root, folder, manifest)

    def check_model(self, model: str, chunk_tokens: int, overlap: int) -> None:
        """Raise when this index was built with another embedding model or chunking."""
        built = self.manifest.get("model")
        if built is not None and built != model:
            raise StoreError(
                f"{self.root} was built with the embedding model {built!r} (dim {self.manifest.get('dim')}), "
                f"but the settings ask for {model!r}. Use RAG_EMBEDDING_MODEL={built!r}, or index into "
                "another folder (--index DIR)."
            )
        chunking = self.manifest.get("chunking")
        if chunking is not None and chunking != [chunk_tokens, overlap]:
            raise StoreError(
                f"{self.root} was chunked with {chunking[0]} tokens / {chunking[1]} overlap, the settings ask "
                f"for {chunk_tokens} / {overlap}; index into another folder or keep the old settings."
            )

    # -- reading --------------------------------------------------------------------------

    def _query(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._db_lock:
            return self._db.execute(sql, tuple(args)).fetchall()

    @property
    def n_chunks(self) -> int:
        return int(self.vectors.ntotal)

    def file_hashes(self, names: Sequence[str] | None = None) -> dict[str, str]:
        files = self.manifest["files"]
        wanted = files if names is None else [n for n in names if n in files]
        return {name: files[name]["hash"] for name in wanted}

    def docs_of(self, name: str) -> list[str]:
        """Doc ids for a file name or a doc id; [] when neither is in the index."""
        entry = self.manifest["files"].get(name)
        if entry is not None:
            return list(entry["docs"])
        return [name] if self._query("SELECT 1 FROM docs WHERE doc_id=?", [name]) else []

    def documents(self) -> list[DocInfo]:
        rows = self._query(
            "SELECT d.doc_id, d.title, d.date, d.source, d.file, d.dup_group, COUNT(c.id) FROM docs d "
            "LEFT JOIN chunks c ON c.doc_id = d.doc_id GROUP BY d.doc_id ORDER BY d.doc_id"
        )
        groups: dict[str, list[str]] = {}
        for r in rows:
            groups.setdefault(r[5], []).append(r[0])
        return [DocInfo(r[0], r[1], r[2], r[3], r[6], r[4], tuple(d for d in groups[r[5]] if d != r[0])) for r in rows]

    def article(self, doc_id: str) -> Article | None:
        rows = self._query(
            "SELECT doc_id, title, body, date, source, url, path, extra FROM docs WHERE doc_id = ?", [doc_id]
        )
        if not rows:
            return None
        r = rows[0]
        return Article(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]))

    def chunks(self, ids: Sequence[int]) -> dict[int, StoredChunk]:
        """Chunk rows by id, with their article's title, date, source and duplicate group."""
        out: dict[int, StoredChunk] = {}
        for i in range(0, len(ids), 500):
            part = [int(x) for x in ids[i : i + 500]]
            rows = self._query(
                'SELECT c.id, c.doc_id, c.seq, c.text, c.start, c."end", c.n_tokens, c.times, d.title, d.date, '
                "d.source, d.dup_group FROM chunks c JOIN docs d ON d.doc_id = c.doc_id "
                f"WHERE c.id IN ({','.join('?' * len(part))})",
                part,
            )
            for r in rows:
                chunk = Chunk(r[1], r[2], r[3], r[4], r[5], r[6], tuple(json.loads(r[7])))
                out[r[0]] = StoredChunk(r[0], chunk, r[8], r[9], r[10], r[11])
        return out

    def sentences(self, doc_ids: Sequence[str]) -> dict[str, ArticleSentences]:
        """Stored sentence spans and vectors of these articles (articles without sentences are left out)."""
        out: dict[str, tuple[list[tuple[int, int]], list[np.ndarray]]] = {}
        wanted = list(dict.fromkeys(doc_ids))
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            rows = self._query(
                f'SELECT doc_id, start, "end", vector FROM sentences WHERE doc_id IN ({",".join("?" * len(part))}) '
                "ORDER BY doc_id, start",
                part,
            )
            for doc_id, start, end, blob in rows:
                spans, vecs = out.setdefault(doc_id, ([], []))
                spans.append((start, end))
                vecs.append(np.frombuffer(blob, dtype=np.float16))
        return {d: ArticleSentences(spans, np.vstack(vecs)) for d, (spans, vecs) in out.items()}

    def bodies(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The article texts (which chunk and sentence offsets point into) of these documents."""
        wanted = list(dict.fromkeys(doc_ids))
        out: dict[str, str] = {}
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            out.update(
                self._query(f"SELECT doc_id, body FROM docs WHERE doc_id IN ({','.join('?' * len(part))})", part)
            )
        return out

    def newest_date(self) -> str | None:
        """The latest article date in the index (any precision), or None when no article has one."""
        rows = self._query("SELECT MAX(date) FROM docs")
        return rows[0][0] if rows else None

    @property
    def vocabulary(self) -> set[str]:
        return self.lexical.vocabulary

    def idf(self, term: str) -> float:
        return self.lexical.idf(term)

    def search_dense(self, query: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        admitted = self._admitted(filters)
        if self.vectors.ntotal == 0 or (admitted is not None and not len(admitted)):
            return []
        return vector_index.search(self.vectors, query, min(k, self.vectors.ntotal), admitted)

    def search_lexical(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        admitted = self._admitted(filters)
        if admitted is not None and not len(admitted):
            return []
        return self.lexical.search(query, k, admitted)

    def _admitted(self, filters: Filters | None) -> np.ndarray | None:
        """Ids of the chunks whose articles ``filters`` admit (None: no filter, all chunks)."""
        if not filters:
            return None
        conditions: list[str] = ["COALESCE(d.date, '') != ''"] if filters.date_from or filters.date_to else []
        args: list[object] = []
        for bound, op in ((filters.date_from, ">="), (filters.date_to, "<=")):
            if bound:
                conditions.append(f"substr(d.date, 1, ?) {op} ?")
                args += [len(bound), bound]
        if filters.sources:
            conditions.append(f"COALESCE(d.source, '') IN ({','.join('?' * len(filters.sources))})")
            args += list(filters.sources)
        if filters.period:
            n = len(filters.period)
            conditions.append(
                "(substr(COALESCE(d.date, ''), 1, ?) = ? OR EXISTS "
                "(SELECT 1 FROM json_each(c.times) WHERE substr(json_each.value, 1, ?) = ?))"
            )
            args += [n, filters.period, n, filters.period]
        rows = self._query(
            f"SELECT c.id FROM chunks c JOIN docs d USING(doc_id) WHERE {' AND '.join(conditions)}", args
        )
        return np.asarray([r[0] for r in rows], dtype=np.int64)

    # -- writing --------------------------------------------------------------------------

    def commit(
        self,
        updates: Sequence[FileUpdate],
        removed_docs: Sequence[str],
        model: str,
        dim: int,
        chunking: tuple[int, int],
        duplicate_threshold: float,
    ) -> LocalStore:
        """Write a new generation with ``removed_docs`` gone and ``updates`` (whole files) in, then switch to it."""
        self.root.mkdir(parents=True, exist_ok=True)
        with _writer_lock(self.root):
            _remove_stray_folders(self.root, keep=self.folder)
            name = f"gen-{time.time_ns():x}"
            tmp = self.root / f".tmp-{name}"
            tmp.mkdir()
            db_path = tmp / "chunks.sqlite"
            if self.folder is not None:
                shutil.copyfile(self.folder / "chunks.sqlite", db_path)
                db = sqlite3.connect(db_path)
            else:
                db = _new_db(str(db_path))
            vectors: faiss.Index | None = faiss.clone_index(self.vectors) if self.folder is not None else None
            if vectors is None or vectors.d != dim:
                vectors = vector_index.empty(dim)
            files = {name: dict(entry) for name, entry in self.manifest["files"].items()}
            stale = set(removed_docs)
            for update in updates:
                stale.update(files.pop(update.file, {}).get("docs", []))
            for doc_id in stale:
                gone = [r[0] for r in db.execute("SELECT id FROM chunks WHERE doc_id=?", [doc_id])]
                if gone:
                    vector_index.remove(vectors, np.asarray(gone))
                db.execute("DELETE FROM chunks WHERE doc_id=?", [doc_id])
                db.execute("DELETE FROM sentences WHERE doc_id=?", [doc_id])
                db.execute("DELETE FROM docs WHERE doc_id=?", [doc_id])
            for file, entry in list(files.items()):
                entry["docs"] = [d for d in entry["docs"] if d not in stale]
                if not entry["docs"]:
                    del files[file]
            new_chunks = [c for update in updates for chunks in update.chunks for c in chunks]
            vocabulary, analysed = _vocabulary(
                db, self.lexical.vocabulary, int(self.manifest.get("analysed_vocabulary", 0)), new_chunks
            )
            expanded: dict[str, list[str]] = {}  # each distinct word split once for the whole write
            for update in updates:
                for article, chunks, vecs, content_hash in zip(
                    update.articles, update.chunks, update.vectors, update.hashes, strict=True
                ):
                    terms = chunk_terms([c.text for c in chunks], [c.times for c in chunks], vocabulary, expanded)
                    _insert_article(
                        db, vectors, update.file, article, chunks, terms, vecs, content_hash, duplicate_threshold
                    )
                for article, sentences in zip(update.articles, update.sentences, strict=False):
                    db.executemany(
                        'INSERT INTO sentences (doc_id, start, "end", vector) VALUES (?,?,?,?)',
                        [
                            (article.doc_id, start, end, vec.astype(np.float16).tobytes())
                            for (start, end), vec in zip(sentences.spans, sentences.vectors, strict=True)
                        ],
                    )
                files[update.file] = {"hash": update.file_hash, "docs": [a.doc_id for a in update.articles]}
            rows = db.execute("SELECT id, terms FROM chunks ORDER BY id")  # read one chunk at a time
            lexical = LexicalIndex.from_terms(((i, terms.split()) for i, terms in rows), vocabulary)
            db.commit()
            db.close()
            lexical.save(tmp / "lexical")
            vectors = vector_index.fit(vectors)
            faiss.write_index(vectors, str(tmp / "vectors.faiss"))
            manifest = {
                "format": FORMAT_VERSION,
                "model": model,
                "dim": dim,
                "chunking": list(chunking),
                "n_chunks": int(vectors.ntotal),
                "vector_index": vector_index.kind_of(vectors),
                "analysed_vocabulary": analysed,
                "written": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "files": files,
            }
            (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
            _fsync_tree(tmp)
            os.rename(tmp, self.root / name)
            _atomic_write(self.root / "CURRENT", name)
            if self.folder is not None:
                shutil.rmtree(self.folder, ignore_errors=True)
        return LocalStore.open(self.root)

    def close(self) -> None:
        with self._db_lock:
            self._db.close()


def _new_db(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False)
    db.executescript(_SCHEMA)
    return db


def _insert_article(
    db: sqlite3.Connection,
    vectors: faiss.Index,
    file: str,
    article: Article,
    chunks: Sequence[Chunk],
    terms: Sequence[Sequence[str]],
    vecs: np.ndarray,
    content_hash: str,
    duplicate_threshold: float,
) -> None:
    """Insert one article with its chunks; group it with a near-duplicate story if there is one."""
    group = _duplicate_group(db, vectors, vecs, duplicate_threshold) or article.doc_id
    db.execute(
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
    ids = []
    for c, t in zip(chunks, terms, strict=True):
        cur = db.execute(
            'INSERT INTO chunks (doc_id, seq, start, "end", text, n_tokens, times, terms) VALUES (?,?,?,?,?,?,?,?)',
            [c.doc_id, c.seq, c.start, c.end, c.text, c.n_tokens, json.dumps(list(c.times)), " ".join(t)],
        )
        ids.append(cur.lastrowid)
    if ids:
        vectors.add_with_ids(np.ascontiguousarray(vecs, dtype=np.float32), np.asarray(ids, dtype=np.int64))


def _vocabulary(
    db: sqlite3.Connection, vocabulary: set[str], analysed: int, new_chunks: Sequence[Chunk]
) -> tuple[set[str], int]:
    """The vocabulary that compounds of ``new_chunks`` are split against, and its size when every chunk
    in ``db`` was last analysed against it (``analysed``: that size before this write).

    A chunk's index terms are worked out once, when it is written, and stored with it: a write costs
    its own chunks' analysis plus one pass of BM25 statistics. Once the vocabulary has grown by
    ``_REANALYSE_GROWTH`` since every chunk was analysed, the chunks in ``db`` are analysed again here
    („Sicherheitsunterstützung“ splits once „Unterstützung“ is known): amortised, each chunk is analysed
    a bounded number of times however the archive grows.
    """
    if "terms" not in {r[1] for r in db.execute("PRAGMA table_info(chunks)")}:
        db.execute("ALTER TABLE chunks ADD COLUMN terms TEXT")  # written before terms were stored
        analysed = 0
    own = vocabulary_of(c.text for c in new_chunks)
    grown = vocabulary | own
    if len(grown) <= analysed * _REANALYSE_GROWTH:
        return grown, analysed
    vocabulary = own | vocabulary_of(text for (text,) in db.execute("SELECT text FROM chunks"))  # forgets removed words
    expanded: dict[str, list[str]] = {}
    last = -1
    while rows := db.execute(
        "SELECT id, text, times FROM chunks WHERE id > ? ORDER BY id LIMIT ?", [last, _BATCH]
    ).fetchall():  # in batches: a million chunks' terms never sit in memory at once
        found = chunk_terms([r[1] for r in rows], [json.loads(r[2]) for r in rows], vocabulary, expanded)
        db.executemany(
            "UPDATE chunks SET terms=? WHERE id=?", [(" ".join(t), r[0]) for t, r in zip(found, rows, strict=True)]
        )
        last = rows[-1][0]
    return vocabulary, len(vocabulary)


def _duplicate_group(db: sqlite3.Connection, vectors: faiss.Index, vecs: np.ndarray, threshold: float) -> str | None:
    """The duplicate group of the indexed article that tells the same story (``alignment`` ≥
    ``threshold``), if any. Candidates come from a nearest-neighbour search, so the cost does not grow with the corpus.
    """
    if vectors.ntotal == 0 or len(vecs) == 0 or threshold > 1.0:  # a threshold above 1 turns grouping off
        return None
    _, hits = vectors.search(np.ascontiguousarray(vecs, dtype=np.float32), min(8, vectors.ntotal))
    found = sorted({int(i) for i in hits.ravel() if i >= 0})
    rows = db.execute(
        f"SELECT c.id, c.doc_id, d.dup_group FROM chunks c JOIN docs d USING(doc_id) WHERE c.doc_id IN "
        f"(SELECT doc_id FROM chunks WHERE id IN ({','.join('?' * len(found))}))",
        found,
    ).fetchall()
    by_doc: dict[str, tuple[str, list[int]]] = {}
    for chunk_id, doc_id, group in rows:
        by_doc.setdefault(doc_id, (group, []))[1].append(chunk_id)
    best, best_group = threshold, None
    for group, ids in by_doc.values():
        score = alignment(vecs, np.vstack([vectors.reconstruct(i) for i in ids]))
        if score >= best:
            best, best_group = score, group
    return best_group


def _writer_lock(root: Path) -> FileLock:
    """One writer per index at a time, across processes."""
    return FileLock(root / ".lock")


def _remove_stray_folders(root: Path, keep: Path | None) -> None:
    """Remove generations that a killed writer left behind (never the current one)."""
    for path in root.iterdir():
        if path.is_dir() and (path.name.startswith(".tmp-gen-") or path.name.startswith("gen-")) and path != keep:
            shutil.rmtree(path, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    for path in [*folder.rglob("*"), folder]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
