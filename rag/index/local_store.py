"""The local index: segments of FAISS vectors, SQLite rows and BM25 postings, listed by one manifest.

Every write adds one small segment (``rag.index.segment``) with its own articles and marks the
articles it replaces or removes as deleted in the segments that hold them; it never rewrites what is
already on disk, so adding an article costs about the same in a small index as in a large one. Then
it writes a new manifest and swaps one small pointer file (``CURRENT``) with an atomic rename: a crash
or kill at any moment leaves the previous manifest, and the segments it names, untouched. Readers open
the manifest once and see that one consistent set of segments. Segments merge as they accumulate (ten
of a size become one, leaving deleted articles out) and ``optimize`` merges all of them into one.
Nothing read from disk is unpickled: FAISS reads its own format, arrays are ``.npy`` without pickle,
everything else is JSON or SQLite.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

from rag.index import vectors as vector_index
from rag.index.bm25 import LexicalIndex, chunk_terms, vocabulary_of
from rag.index.segment import Segment, SegmentWriter
from rag.index.store import ArticleSentences, DocInfo, FileUpdate, StoredChunk, StoreError, alignment
from rag.types import Article, Chunk, Filters

FORMAT_VERSION = 3
MERGE_FACTOR = 10
"""Ten segments of about one size (a power of ten in chunks) merge into one segment of the next size:
each chunk is copied about once per power of ten the index grows, and a search visits a few dozen
segments at most."""
_REANALYSE_GROWTH = 1.1
"""A segment whose compounds were split against a vocabulary this much smaller than today's is merged
and analysed again („Sicherheitsunterstützung“ splits once „Unterstützung“ is known)."""
_ALIVE = "doc_id NOT IN (SELECT value FROM json_each(?))"
_OVERFETCH_LIMIT = 1_000
"""A dense search in a segment with up to this many deleted chunks asks for that many more hits and
drops the deleted ones; with more, it searches the live ids only."""


class LocalStore:
    """The segments one manifest names, opened for searching; ``commit`` writes the next manifest."""

    def __init__(
        self, root: Path, manifest: dict[str, Any], pointer: str | None, previous: LocalStore | None = None
    ) -> None:
        """``pointer``: the manifest file's name; ``previous``: a store whose open segments (and what is alive
        in them) this one reuses where the manifest names the same segment with the same deletions."""
        self.root = root
        self.manifest = manifest
        self._pointer = pointer
        known = {s.name: (s, alive, previous._deleted[s.name]) for s, alive in previous._parts()} if previous else {}
        self.segments: list[Segment] = []
        self._alive: list[np.ndarray] = []
        self._deleted: dict[str, str] = {}
        for entry in manifest["segments"]:
            name, deleted = entry["name"], json.dumps(entry.get("deleted", []))
            segment, alive, was = known.get(name) or (Segment(root / name), None, None)
            self.segments.append(segment)
            self._deleted[name] = deleted
            self._alive.append(alive if alive is not None and was == deleted else self._alive_rows(segment))
        self.lexical = LexicalIndex([(s.postings, alive) for s, alive in self._parts()])

    def _parts(self) -> list[tuple[Segment, np.ndarray]]:
        return list(zip(self.segments, self._alive, strict=True))

    @classmethod
    def open(cls, root: Path, previous: LocalStore | None = None) -> LocalStore:
        """Open the current manifest under ``root`` (an empty store if there is none yet), reusing what
        ``previous`` has open."""
        pointer = root / "CURRENT"
        for attempt in range(3):  # a writer may swap the manifest and drop merged segments meanwhile
            if not pointer.exists():
                return cls(root, {"format": FORMAT_VERSION, "files": {}, "segments": [], "next_id": 1}, None)
            try:
                name = pointer.read_text(encoding="utf-8").strip()
                if (root / name).is_dir():  # format 2 named one generation folder holding everything
                    raise StoreError(
                        f"{root}: index format 2 is not {FORMAT_VERSION}; delete the folder and index again"
                    )
                manifest = json.loads((root / name).read_text(encoding="utf-8"))
                if manifest.get("format") != FORMAT_VERSION:
                    raise StoreError(
                        f"{root}: index format {manifest.get('format')} is not {FORMAT_VERSION}; delete the folder "
                        "and index again"
                    )
                return cls(root, manifest, name, previous)
            except (OSError, ValueError, KeyError, sqlite3.Error) as exc:
                if attempt == 2:
                    raise StoreError(
                        f"{root}: the index is damaged ({exc}); delete the folder and index again"
                    ) from exc
                time.sleep(0.05)
        raise AssertionError("unreachable")

    def _alive_rows(self, segment: Segment) -> np.ndarray:
        """For each row of the segment's postings, whether its article is still in the index."""
        alive = np.ones(len(segment.ids), dtype=bool)
        dead = segment.query(
            "SELECT id FROM chunks WHERE doc_id IN (SELECT value FROM json_each(?))", [self._deleted[segment.name]]
        )
        if dead:
            alive[np.searchsorted(segment.ids, [r[0] for r in dead])] = False
        return alive

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

    def _rows(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """The rows ``sql`` finds in every segment, newest segment first. ``sql`` has one ``{alive}``
        condition (on ``doc_id``) that leaves out the segment's deleted articles."""
        out: list[tuple[Any, ...]] = []
        for segment in reversed(self.segments):
            out += segment.query(sql.format(alive=_ALIVE), [self._deleted[segment.name], *args])
        return out

    @property
    def n_chunks(self) -> int:
        return self.lexical.n_chunks

    def file_hashes(self, names: Sequence[str] | None = None) -> dict[str, str]:
        files = self.manifest["files"]
        wanted = files if names is None else [n for n in names if n in files]
        return {name: files[name]["hash"] for name in wanted}

    def docs_of(self, name: str) -> list[str]:
        """Doc ids for a file name or a doc id; [] when neither is in the index."""
        entry = self.manifest["files"].get(name)
        if entry is not None:
            return list(entry["docs"])
        return [name] if self._rows("SELECT 1 FROM docs WHERE {alive} AND doc_id=?", [name]) else []

    def documents(self) -> list[DocInfo]:
        rows = self._rows(
            "SELECT d.doc_id, d.title, d.date, d.source, d.file, d.dup_group, "
            "(SELECT COUNT(*) FROM chunks c WHERE c.doc_id = d.doc_id) FROM docs d WHERE {alive}"
        )
        rows.sort(key=lambda r: r[0])
        groups: dict[str, list[str]] = {}
        for r in rows:
            groups.setdefault(r[5], []).append(r[0])
        return [DocInfo(r[0], r[1], r[2], r[3], r[6], r[4], tuple(d for d in groups[r[5]] if d != r[0])) for r in rows]

    def article(self, doc_id: str) -> Article | None:
        rows = self._rows(
            "SELECT doc_id, title, body, date, source, url, path, extra FROM docs WHERE {alive} AND doc_id = ?",
            [doc_id],
        )
        if not rows:
            return None
        r = rows[0]
        return Article(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]))

    def chunks(self, ids: Sequence[int]) -> dict[int, StoredChunk]:
        """Chunk rows by id, with their article's title, date, source and duplicate group."""
        out: dict[int, StoredChunk] = {}
        wanted = json.dumps([int(x) for x in ids])
        rows = self._rows(
            'SELECT c.id, c.doc_id, c.seq, c.text, c.start, c."end", c.n_tokens, c.times, d.title, d.date, '
            "d.source, d.dup_group FROM chunks c JOIN docs d ON d.doc_id = c.doc_id "
            "WHERE d.{alive} AND c.id IN (SELECT value FROM json_each(?))",
            [wanted],
        )
        for r in rows:
            chunk = Chunk(r[1], r[2], r[3], r[4], r[5], r[6], tuple(json.loads(r[7])))
            out[r[0]] = StoredChunk(r[0], chunk, r[8], r[9], r[10], r[11])
        return out

    def sentences(self, doc_ids: Sequence[str]) -> dict[str, ArticleSentences]:
        """Stored sentence spans and vectors of these articles (articles without sentences are left out)."""
        out: dict[str, tuple[list[tuple[int, int]], list[np.ndarray]]] = {}
        rows = self._rows(
            'SELECT doc_id, start, "end", vector FROM sentences WHERE {alive} AND doc_id IN '
            "(SELECT value FROM json_each(?)) ORDER BY doc_id, start",
            [json.dumps(list(dict.fromkeys(doc_ids)))],
        )
        for doc_id, start, end, blob in rows:
            spans, vecs = out.setdefault(doc_id, ([], []))
            spans.append((start, end))
            vecs.append(np.frombuffer(blob, dtype=np.float16))
        return {d: ArticleSentences(spans, np.vstack(vecs)) for d, (spans, vecs) in out.items()}

    def bodies(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The article texts (which chunk and sentence offsets point into) of these documents."""
        rows = self._rows(
            "SELECT doc_id, body FROM docs WHERE {alive} AND doc_id IN (SELECT value FROM json_each(?))",
            [json.dumps(list(dict.fromkeys(doc_ids)))],
        )
        return dict(rows)

    def newest_date(self) -> str | None:
        """The latest article date in the index (any precision), or None when no article has one."""
        dates = [r[0] for r in self._rows("SELECT MAX(date) FROM docs WHERE {alive}") if r[0]]
        return max(dates, default=None)

    @property
    def vocabulary(self) -> set[str]:
        return self.lexical.vocabulary

    def idf(self, term: str) -> float:
        return self.lexical.idf(term)

    def search_dense(self, query: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        admitted = self._admitted(filters)
        if admitted is not None and not len(admitted):
            return []
        found: list[tuple[int, float]] = []
        for segment, alive in self._parts():
            dead = len(alive) - int(alive.sum())
            if admitted is None and dead <= _OVERFETCH_LIMIT:  # search all, drop the deleted: no id filter to build
                n = min(k + dead, len(alive))
                hits = vector_index.search(segment.vectors, query, n) if n else []
                found += [h for h in hits if alive[np.searchsorted(segment.ids, h[0])]][:k]
                continue
            ids = segment.ids[alive] if admitted is None else np.intersect1d(segment.ids[alive], admitted)
            if len(ids):
                found += vector_index.search(segment.vectors, query, min(k, len(ids)), ids)
        return sorted(found, key=lambda hit: -hit[1])[:k]

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
        rows = self._rows(
            f"SELECT c.id FROM chunks c JOIN docs d USING(doc_id) WHERE d.{{alive}} AND {' AND '.join(conditions)}",
            args,
        )
        return np.asarray(sorted(r[0] for r in rows), dtype=np.int64)

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
        """Add ``updates`` (whole files) as a new segment, mark ``removed_docs`` and the articles the updates
        replace as deleted, merge segments that are due, and switch to the new manifest."""
        self.root.mkdir(parents=True, exist_ok=True)
        with _writer_lock(self.root):
            return self._current()._write(updates, removed_docs, model, dim, chunking, duplicate_threshold)

    def optimize(self) -> LocalStore:
        """Merge every segment into one, leaving deleted articles out and splitting all compounds against
        today's vocabulary; the index answers the same questions the same way."""
        self.root.mkdir(parents=True, exist_ok=True)
        with _writer_lock(self.root):
            current = self._current()
            if not current.segments:
                return current
            merged = current._merge(current.segments, reanalyse=True)
            return current._switch({**current.manifest, "segments": [merged] if merged else []})

    def _current(self) -> LocalStore:
        """This store if its manifest is still the current one, else the current one (another process wrote)."""
        pointer = self.root / "CURRENT"
        on_disk = pointer.read_text(encoding="utf-8").strip() if pointer.exists() else None
        return self if on_disk == self._pointer else LocalStore.open(self.root, self)

    def _write(
        self,
        updates: Sequence[FileUpdate],
        removed_docs: Sequence[str],
        model: str,
        dim: int,
        chunking: tuple[int, int],
        duplicate_threshold: float,
    ) -> LocalStore:
        if self.segments and self.manifest.get("dim") != dim:
            raise StoreError(f"{self.root}: the index holds vectors of dimension {self.manifest.get('dim')}, not {dim}")
        files = {name: dict(entry) for name, entry in self.manifest["files"].items()}
        stale = set(removed_docs)
        for update in updates:
            stale.update(files.pop(update.file, {}).get("docs", []))
        for file, entry in list(files.items()):
            entry["docs"] = [d for d in entry["docs"] if d not in stale]
            if not entry["docs"]:
                del files[file]
        segments = [dict(e) for e in self.manifest["segments"]]
        for segment, entry in zip(self.segments, segments, strict=True) if stale else ():
            here = {
                r[0]
                for r in segment.query(
                    f"SELECT doc_id FROM docs WHERE {_ALIVE} AND doc_id IN (SELECT value FROM json_each(?))",
                    [self._deleted[segment.name], json.dumps(sorted(stale))],
                )
            }
            if here & stale:
                entry["deleted"] = sorted(set(entry.get("deleted", [])) | (here & stale))
        new_chunks = [c for update in updates for chunks in update.chunks for c in chunks]
        own = vocabulary_of(c.text for c in new_chunks)
        vocabulary = self.vocabulary | own
        next_id = int(self.manifest.get("next_id", 1))
        if new_chunks:
            name = _segment_name()
            writer = SegmentWriter(self.root / f".tmp-{name}", dim, len(new_chunks))
            expanded: dict[str, list[str]] = {}  # each distinct word split once for the whole write
            written: list[tuple[str, np.ndarray]] = []  # this write's articles, for near-duplicate checks
            for update in updates:
                for article, chunks, vecs, content_hash in zip(
                    update.articles, update.chunks, update.vectors, update.hashes, strict=True
                ):
                    terms = chunk_terms([c.text for c in chunks], [c.times for c in chunks], vocabulary, expanded)
                    group = self._duplicate_group(vecs, written, duplicate_threshold) or article.doc_id
                    ids = np.arange(next_id, next_id + len(chunks), dtype=np.int64)
                    next_id += len(chunks)
                    writer.add_article(update.file, article, chunks, terms, vecs, ids, content_hash, group)
                    written.append((group, np.asarray(vecs, dtype=np.float32)))
                for article, sentences in zip(update.articles, update.sentences, strict=False):
                    writer.add_sentences(article.doc_id, sentences)
            writer.finish(own, len(vocabulary))
            os.rename(self.root / f".tmp-{name}", self.root / name)
            segments.append({"name": name, "deleted": []})
        for update in updates:
            files[update.file] = {"hash": update.file_hash, "docs": [a.doc_id for a in update.articles]}
        manifest = {
            **self.manifest,
            "format": FORMAT_VERSION,
            "model": model,
            "dim": dim,
            "chunking": list(chunking),
            "files": files,
            "segments": segments,
            "next_id": next_id,
        }
        store = self._switch(manifest)
        due = store._due_for_merge(len(vocabulary))
        if not due:
            return store
        merged = store._merge(due, reanalyse=any(self._stale(s, len(vocabulary)) for s in due))
        kept = [e for s, e in zip(store.segments, store.manifest["segments"], strict=True) if s not in due]
        return store._switch({**store.manifest, "segments": kept + ([merged] if merged else [])})

    @staticmethod
    def _stale(segment: Segment, vocabulary_size: int) -> bool:
        return vocabulary_size > _REANALYSE_GROWTH * int(segment.meta.get("analysed_vocabulary", 0))

    def _due_for_merge(self, vocabulary_size: int) -> list[Segment]:
        """Segments to merge now: ten (``MERGE_FACTOR``) or more of one size, and those analysed against a
        much smaller vocabulary (with the smallest others, so the merge is worth its copy)."""
        by_size: dict[int, list[Segment]] = {}
        for segment, alive in self._parts():
            by_size.setdefault(int(math.log10(max(1, int(alive.sum())))), []).append(segment)
        due = next((group for _, group in sorted(by_size.items()) if len(group) >= MERGE_FACTOR), [])
        stale = [s for s in self.segments if self._stale(s, vocabulary_size)]
        return due or stale

    def _merge(self, segments: Sequence[Segment], reanalyse: bool) -> dict[str, Any] | None:
        """Write one segment holding the live articles of ``segments``; its manifest entry (None when empty)."""
        name = _segment_name()
        dim = int(self.manifest.get("dim") or 1)
        live = sum(int(alive.sum()) for segment, alive in self._parts() if segment in segments)
        writer = SegmentWriter(self.root / f".tmp-{name}", dim, live)
        for segment in segments:
            writer.copy_from(segment, json.loads(self._deleted[segment.name]))
        vocabulary: set[str] = set().union(*(s.postings.vocabulary for s in segments))
        analysed = min(int(s.meta.get("analysed_vocabulary", 0)) for s in segments)
        if reanalyse:
            writer.reanalyse(self.vocabulary)
            analysed = len(self.vocabulary)
        meta = writer.finish(vocabulary, analysed)
        if not meta["n_chunks"]:
            shutil.rmtree(self.root / f".tmp-{name}")
            return None
        os.rename(self.root / f".tmp-{name}", self.root / name)
        return {"name": name, "deleted": []}

    def _switch(self, manifest: dict[str, Any]) -> LocalStore:
        """Make ``manifest`` current, remove what it no longer names, and open it."""
        name = f"manifest-{time.time_ns():x}.json"
        manifest = {**manifest, "written": time.strftime("%Y-%m-%dT%H:%M:%S")}
        _atomic_write(self.root / name, json.dumps(manifest, ensure_ascii=False, indent=1))
        _atomic_write(self.root / "CURRENT", name)
        _remove_stray_segments(self.root, {e["name"] for e in manifest["segments"]})
        return LocalStore.open(self.root, self)

    def _duplicate_group(
        self, vecs: np.ndarray, written: Sequence[tuple[str, np.ndarray]], threshold: float
    ) -> str | None:
        """The duplicate group of an indexed article (or one written earlier in this write) that tells the
        same story (``alignment`` ≥ ``threshold``), if any. Candidates come from a nearest-neighbour search
        in each segment, so the cost does not grow with the corpus."""
        if len(vecs) == 0 or threshold > 1.0:  # a threshold above 1 turns grouping off
            return None
        vecs = np.asarray(vecs, dtype=np.float32)
        best, best_group = threshold, None
        for group, other in written:
            if (score := alignment(vecs, other)) >= best:
                best, best_group = score, group
        for segment, alive in self._parts():
            if not alive.any():
                continue
            scores, hits = segment.vectors.search(vecs, min(8, int(segment.vectors.ntotal)))
            # a story aligns at ``threshold`` only if one of its chunks comes that close to one of ours
            near = sorted({int(i) for i, score in zip(hits.ravel(), scores.ravel()) if i >= 0 and score >= threshold})
            found = [i for i in near if alive[np.searchsorted(segment.ids, i)]]
            if not found:
                continue
            rows = segment.query(
                "SELECT c.id, c.doc_id, d.dup_group FROM chunks c JOIN docs d USING(doc_id) WHERE c.doc_id IN "
                "(SELECT doc_id FROM chunks WHERE id IN (SELECT value FROM json_each(?)))",
                [json.dumps(found)],
            )
            by_doc: dict[str, tuple[str, list[int]]] = {}
            for chunk_id, doc_id, group in rows:
                by_doc.setdefault(doc_id, (group, []))[1].append(chunk_id)
            for group, ids in by_doc.values():
                if (score := alignment(vecs, segment.stored_vectors(sorted(ids)))) >= best:
                    best, best_group = score, group
        return best_group

    def close(self) -> None:
        """Close the segments; stores opened after this one from it share them, so close only the last."""
        for segment in self.segments:
            segment.close()


def _segment_name() -> str:
    return f"seg-{time.time_ns():x}"


def _writer_lock(root: Path) -> FileLock:
    """One writer per index at a time, across processes."""
    return FileLock(root / ".lock")


def _remove_stray_segments(root: Path, keep: set[str]) -> None:
    """Remove what a killed writer left behind and what the current manifest no longer names (readers that
    still have those segments open keep reading them: their open files outlive the names)."""
    pointer = root / "CURRENT"
    current = pointer.read_text(encoding="utf-8").strip() if pointer.exists() else None
    for path in root.iterdir():
        if path.is_dir() and path.name.startswith((".tmp-seg-", "seg-")) and path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith("manifest-") and path.name != current:
            path.unlink(missing_ok=True)


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
