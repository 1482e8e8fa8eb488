"""The index in Milvus: one engine from an embedded file (Milvus Lite) to a server or cluster.

The collections are described in ``rag.index.milvus_schema``. Milvus has no transaction across
collections. A write deletes the old rows of an article first and writes its ``docs`` rows and
its file's entry last, with ids derived from the content, so an interrupted ``rag index`` is
completed by running it again: files without an up-to-date entry are indexed anew, and rows
written twice replace each other.
"""

from __future__ import annotations

import functools
import json
import math
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.index.milvus_schema import (
    BATCH,
    BODY_CHARS,
    COLLECTIONS,
    DENSE_SEARCH,
    FLUSH_ROWS,
    LAYOUT,
    UNUSED_VECTOR,
    Engine,
    bm25_weights,
    chunk_id,
    create_collections,
    doc_key,
    engine,
    expression,
    file_key,
    periods_of,
    row_id,
    sentence_id,
    term_id,
    token_of,
)
from rag.index.store import ArticleSentences, DocInfo, FileUpdate, StoredChunk, StoreError, alignment
from rag.text.lexical import terms, word_stems
from rag.types import Article, Chunk, Filters

FORMAT_VERSION = 1
PREFIX = "nachrichten"


@dataclass
class _Pending:
    """Rows waiting for the next upsert, and the chunk vectors of their articles (for duplicate checks)."""

    chunks: list[dict[str, Any]] = field(default_factory=list)
    sentences: list[dict[str, Any]] = field(default_factory=list)
    docs: list[dict[str, Any]] = field(default_factory=list)
    articles: list[tuple[str, np.ndarray]] = field(default_factory=list)

    def clear(self) -> None:
        self.chunks, self.sentences, self.docs, self.articles = [], [], [], []


class MilvusStore:
    """The index in Milvus collections; ``commit`` writes in place and returns this store."""

    def __init__(self, root: Path, client: Engine, uri: str, prefix: str) -> None:
        self.root = root
        self.uri = uri
        self._client = client
        self._prefix = prefix
        self._write_lock = threading.Lock()
        for collection in COLLECTIONS:
            if client.has_collection(self._name(collection)):
                client.load_collection(self._name(collection))
        self.manifest: dict[str, Any] = self._meta("manifest") or {}
        self._n_chunks = self._count("chunks") if self.manifest else 0

    @classmethod
    def open(cls, root: Path, uri: str, token: str = "", prefix: str = PREFIX) -> MilvusStore:
        store = cls(root, engine(uri, token), uri, prefix)
        if store.manifest and store.manifest.get("format") != FORMAT_VERSION:
            raise StoreError(f"{uri}: Milvus index format {store.manifest.get('format')} is not {FORMAT_VERSION}")
        return store

    def _name(self, collection: str) -> str:
        return f"{self._prefix}_{collection}"

    def check_model(self, model: str, chunk_tokens: int, overlap: int) -> None:
        built = self.manifest.get("model")
        if built is not None and built != model:
            raise StoreError(
                f"the Milvus index at {self.uri} was built with the embedding model {built!r} "
                f"(dim {self.manifest.get('dim')}), but the settings ask for {model!r}. Use "
                f"RAG_EMBEDDING_MODEL={built!r}, or another RAG_MILVUS_URI."
            )
        chunking = self.manifest.get("chunking")
        if chunking is not None and chunking != [chunk_tokens, overlap]:
            raise StoreError(
                f"the Milvus index at {self.uri} was chunked with {chunking[0]} tokens / {chunking[1]} overlap, "
                f"the settings ask for {chunk_tokens} / {overlap}; use another RAG_MILVUS_URI or the old settings."
            )

    # -- reading --------------------------------------------------------------------------

    def _meta(self, key: str) -> Any:
        if not self._client.has_collection(self._name("meta")):
            return None
        rows = self._client.query(self._name("meta"), filter=f"key == {json.dumps(key)}", output_fields=["value"])
        return rows[0]["value"] if rows else None

    def _count(self, collection: str) -> int:
        rows = self._client.query(self._name(collection), filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def _rows(self, collection: str, expression: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        """Every row matching ``expression`` (any number: the query iterator pages through them)."""
        if not self.manifest:
            return
        it = self._client.query_iterator(
            self._name(collection), batch_size=4096, filter=expression, output_fields=fields
        )
        try:
            while batch := it.next():
                yield from batch
        finally:
            it.close()

    def _get(self, collection: str, ids: Sequence[int | str], fields: list[str]) -> list[dict[str, Any]]:
        """Rows by primary key (the fast path on every Milvus), in batches."""
        out: list[dict[str, Any]] = []
        for i in range(0, len(ids), BATCH):
            out.extend(self._client.get(self._name(collection), ids=list(ids[i : i + BATCH]), output_fields=fields))
        return out

    def _heads(self, doc_ids: Sequence[str], fields: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
        """The first ``docs`` row of each article that exists: it knows the ids of all the article's rows."""
        if not self.manifest:
            return {}
        wanted = list(dict.fromkeys(doc_ids))
        rows = self._get("docs", [doc_key(d, 0) for d in wanted], ["doc_id", *LAYOUT, *fields])
        return {r["doc_id"]: r for r in rows}

    @property
    def n_chunks(self) -> int:
        return self._n_chunks

    @functools.cached_property
    def _terms(self) -> tuple[dict[str, int], set[str]]:
        """Chunk frequency of each index term, and the word stems (compounds are split against them)."""
        frequencies, words = {}, set()
        for r in self._rows("terms", "", ["term", "df", "word"]):
            if r["df"] > 0:
                frequencies[r["term"]] = int(r["df"])
            if r["word"]:
                words.add(r["term"])
        return frequencies, words

    @property
    def _frequencies(self) -> dict[str, int]:
        return self._terms[0]

    @property
    def vocabulary(self) -> set[str]:
        return self._terms[1]

    def idf(self, term: str) -> float:
        df = self._frequencies.get(token_of(term))
        if df is None or not self._n_chunks:
            return 1.0
        return float(np.log((self._n_chunks + 1) / (df + 1)) / np.log(self._n_chunks + 1))

    def _files(self, names: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The entries (``{"hash", "docs"}``) of these indexed files, read by key from ``meta``."""
        if not self.manifest:
            return {}
        rows = self._get("meta", [file_key(n) for n in dict.fromkeys(names)], ["key", "value"])
        return {r["key"].removeprefix("file:"): r["value"] for r in rows}

    def file_hashes(self, names: Sequence[str] | None = None) -> dict[str, str]:
        if names is not None:
            return {name: entry["hash"] for name, entry in self._files(names).items()}
        rows = self._rows("meta", 'key like "file:%"', ["key", "value"])
        return {r["key"].removeprefix("file:"): r["value"]["hash"] for r in rows}

    def docs_of(self, name: str) -> list[str]:
        entry = self._files([name]).get(name)
        if entry is not None:
            return list(entry["docs"])
        return [name] if self._heads([name]) else []

    def documents(self) -> list[DocInfo]:
        rows = sorted(
            self._rows("docs", "part == 0", ["doc_id", "title", "date", "source", "file", "dup_group", "n_chunks"]),
            key=lambda r: r["doc_id"],
        )
        groups: dict[str, list[str]] = {}
        for r in rows:
            groups.setdefault(r["dup_group"], []).append(r["doc_id"])
        return [
            DocInfo(
                r["doc_id"],
                r["title"],
                r["date"] or None,
                r["source"] or None,
                r["n_chunks"],
                r["file"],
                tuple(d for d in groups[r["dup_group"]] if d != r["doc_id"]),
            )
            for r in rows
        ]

    def article(self, doc_id: str) -> Article | None:
        head = self._heads([doc_id], ["title", "date", "source", "url", "path", "extra"]).get(doc_id)
        if head is None:
            return None
        body = self.bodies([doc_id])[doc_id]
        return Article(
            doc_id,
            head["title"],
            body,
            head["date"] or None,
            head["source"] or None,
            head["url"] or None,
            head["path"] or None,
            head["extra"],
        )

    def chunks(self, ids: Sequence[int]) -> dict[int, StoredChunk]:
        fields = ["id", "doc_id", "seq", "text", "start", "end", "n_tokens", "times", "title", "date", "source"]
        out: dict[int, StoredChunk] = {}
        for r in self._get("chunks", [int(x) for x in ids], [*fields, "dup_group"]):
            chunk = Chunk(r["doc_id"], r["seq"], r["text"], r["start"], r["end"], r["n_tokens"], tuple(r["times"]))
            out[int(r["id"])] = StoredChunk(
                int(r["id"]), chunk, r["title"], r["date"] or None, r["source"] or None, r["dup_group"]
            )
        return out

    def sentences(self, doc_ids: Sequence[str]) -> dict[str, ArticleSentences]:
        heads = self._heads(doc_ids)
        ids = [sentence_id(h, k) for h in heads.values() for k in range(h["n_sentences"])]
        found: dict[str, list[tuple[int, int, list[float]]]] = {}
        for r in self._get("sentences", ids, ["doc_id", "start", "end", "vector"]):
            found.setdefault(r["doc_id"], []).append((r["start"], r["end"], r["vector"]))
        out = {}
        for doc_id, rows in found.items():
            rows.sort(key=lambda r: r[0])
            vectors = np.asarray([r[2] for r in rows], dtype=np.float32)
            out[doc_id] = ArticleSentences([(r[0], r[1]) for r in rows], vectors)
        return out

    def bodies(self, doc_ids: Sequence[str]) -> dict[str, str]:
        heads = self._heads(doc_ids)
        keys = [doc_key(d, n) for d, h in heads.items() for n in range(h["n_parts"])]
        parts: dict[str, list[tuple[int, str]]] = {}
        for r in self._get("docs", keys, ["doc_id", "part", "body"]):
            parts.setdefault(r["doc_id"], []).append((r["part"], r["body"]))
        return {d: "".join(text for _, text in sorted(p)) for d, p in parts.items()}

    def newest_date(self) -> str | None:
        return self.manifest.get("newest_date") or None

    def search_dense(self, query: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        if not self._n_chunks:
            return []
        hits = self._client.search(
            self._name("chunks"),
            data=[np.asarray(query, dtype=np.float32).tolist()],
            anns_field="dense",
            limit=k,
            filter=expression(filters),
            output_fields=["id"],
            search_params=DENSE_SEARCH,
        )
        return [(int(h["id"]), float(h["distance"])) for h in hits[0]]

    def search_lexical(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        frequencies, n = self._frequencies, self._n_chunks
        known = [t for t in dict.fromkeys(token_of(t) for t in terms(query, self.vocabulary)) if t in frequencies]
        if not known or not n:
            return []
        weights = {term_id(t): math.log(1 + (n - frequencies[t] + 0.5) / (frequencies[t] + 0.5)) for t in known}
        hits = self._client.search(
            self._name("chunks"),
            data=[weights],
            anns_field="sparse",
            limit=k,
            filter=expression(filters),
            output_fields=["id"],
            search_params={"metric_type": "IP"},
        )
        return [(int(h["id"]), float(h["distance"])) for h in hits[0]]

    # -- writing --------------------------------------------------------------------------

    def commit(
        self,
        updates: Sequence[FileUpdate],
        removed_docs: Sequence[str],
        model: str,
        dim: int,
        chunking: tuple[int, int],
        duplicate_threshold: float,
    ) -> MilvusStore:
        """Delete ``removed_docs`` and the old articles of updated files, then write ``updates``."""
        with self._write_lock:
            if not self.manifest:
                self._create(model, dim, chunking)
            files = self._files([u.file for u in updates])
            stale = set(removed_docs)
            for update in updates:
                stale.update(files.get(update.file, {}).get("docs", []))
            frequencies = Counter(self._frequencies)
            removed_dates, removed_chunks, removed_terms, touched = self._delete(sorted(stale), frequencies)
            vocabulary = set(self.vocabulary)
            for update in updates:
                for article in update.articles:
                    vocabulary.update(word_stems(article.body))
            tokens = [
                [[token_of(t) for t in terms(c.text, vocabulary, c.times)] for c in chunks]
                for update in updates
                for chunks in update.chunks
            ]
            n_terms = self.manifest.get("n_terms", 0) - removed_terms + sum(len(t) for a in tokens for t in a)
            n_chunks = self._n_chunks - removed_chunks + sum(len(a) for a in tokens)
            self._insert(updates, tokens, n_terms / max(n_chunks, 1), frequencies, duplicate_threshold)
            self._write_terms(frequencies, vocabulary)
            self._write_files(updates, stale, touched)
            newest = self._newest_date(removed_dates, updates)
            self.manifest = {**self.manifest, "newest_date": newest, "n_terms": n_terms}
            self._client.upsert(self._name("meta"), [{"key": "manifest", "value": self.manifest, "v": UNUSED_VECTOR}])
            self._n_chunks = n_chunks
            self.__dict__["_terms"] = ({t: n for t, n in frequencies.items() if n > 0}, vocabulary)
        return self

    def _create(self, model: str, dim: int, chunking: tuple[int, int]) -> None:
        create_collections(self._client, self._prefix, dim)
        self.manifest = {
            "format": FORMAT_VERSION,
            "model": model,
            "dim": dim,
            "chunking": list(chunking),
            "lexical": "rag.text.lexical.terms",
            "vector_index": "hnsw",
        }
        self._client.upsert(self._name("meta"), [{"key": "manifest", "value": self.manifest, "v": UNUSED_VECTOR}])

    def _delete(self, doc_ids: Sequence[str], frequencies: Counter[str]) -> tuple[set[str], int, int, set[str]]:
        """Delete articles: their chunks (counting their terms out) and sentences first, their docs rows
        last. Returns the dates of the deleted articles, how many chunks and terms went, and their files."""
        heads = self._heads(doc_ids, ["date", "file"])
        chunk_ids = [chunk_id(h, seq) for h in heads.values() for seq in range(h["n_chunks"])]
        n_terms = 0
        for r in self._get("chunks", chunk_ids, ["lexical"]):
            lexical = r["lexical"].split()
            frequencies.subtract(set(lexical))
            n_terms += len(lexical)
        doomed: list[tuple[str, Sequence[int | str]]] = [
            ("chunks", chunk_ids),
            ("sentences", [sentence_id(h, k) for h in heads.values() for k in range(h["n_sentences"])]),
            ("docs", [doc_key(d, n) for d, h in heads.items() for n in range(h["n_parts"])]),
        ]
        for collection, ids in doomed:
            for i in range(0, len(ids), FLUSH_ROWS):
                self._client.delete(self._name(collection), ids=list(ids[i : i + FLUSH_ROWS]))
        return {h["date"] for h in heads.values()}, len(chunk_ids), n_terms, {h["file"] for h in heads.values()}

    def _insert(
        self,
        updates: Sequence[FileUpdate],
        tokens: list[list[list[str]]],
        avgdl: float,
        frequencies: Counter[str],
        duplicate_threshold: float,
    ) -> None:
        """Write the articles in batches of about ``FLUSH_ROWS`` chunks: chunks and sentences, then docs.
        ``tokens`` holds each article's chunks' index terms, in order."""
        pending = _Pending()
        articles = iter(tokens)
        for update in updates:
            for i, article in enumerate(update.articles):
                article_tokens = next(articles)
                chunks, vecs = update.chunks[i], np.asarray(update.vectors[i], np.float32)
                content_hash = update.hashes[i]
                group = self._duplicate_group(vecs, duplicate_threshold, pending) or article.doc_id
                pending.articles.append((group, vecs))
                for chunk, vec, lexical in zip(chunks, vecs, article_tokens, strict=True):
                    frequencies.update(set(lexical))
                    pending.chunks.append(
                        {
                            "id": row_id(article.doc_id, content_hash, chunk.seq),  # = chunk_id(head, seq)
                            "doc_id": article.doc_id,
                            "seq": chunk.seq,
                            "start": chunk.start,
                            "end": chunk.end,
                            "n_tokens": chunk.n_tokens,
                            "text": chunk.text,
                            "times": list(chunk.times),
                            "title": article.title,
                            "date": article.date or "",
                            "source": article.source or "",
                            "dup_group": group,
                            "periods": periods_of(article.date, chunk.times),
                            "lexical": " ".join(lexical),
                            "sparse": bm25_weights(lexical, avgdl),
                            "dense": vec.tolist(),
                        }
                    )
                sentences = update.sentences[i] if i < len(update.sentences) else ArticleSentences([], np.zeros(0))
                for k, ((start, end), vec) in enumerate(zip(sentences.spans, sentences.vectors, strict=True)):
                    pending.sentences.append(
                        {
                            "id": row_id(article.doc_id, content_hash, "sentence", k),
                            "doc_id": article.doc_id,
                            "start": start,
                            "end": end,
                            "vector": np.asarray(vec, np.float32).tolist(),
                        }
                    )
                mean = vecs.mean(axis=0) if len(vecs) else np.zeros(int(self.manifest["dim"]), np.float32)
                mean = mean / (np.linalg.norm(mean) or 1.0)
                body = article.body
                starts = range(0, max(len(body), 1), BODY_CHARS)
                pending.docs.extend(
                    {
                        "key": doc_key(article.doc_id, n),
                        "doc_id": article.doc_id,
                        "part": n,
                        "body": body[j : j + BODY_CHARS],
                        "file": update.file,
                        "title": article.title,
                        "date": article.date or "",
                        "source": article.source or "",
                        "url": article.url or "",
                        "path": article.path or "",
                        "extra": article.extra,
                        "content_hash": content_hash,
                        "dup_group": group,
                        "n_chunks": len(chunks),
                        "n_sentences": len(sentences.spans),
                        "n_parts": len(starts),
                        "vector": mean.tolist(),
                    }
                    for n, j in enumerate(starts)
                )
                if len(pending.chunks) + len(pending.sentences) // 4 >= FLUSH_ROWS:
                    self._flush(pending)
        self._flush(pending)

    def _flush(self, pending: _Pending) -> None:
        """Upsert the pending rows and seal them: Milvus Lite searches unsealed rows ten times slower."""
        for collection, rows in (("chunks", pending.chunks), ("sentences", pending.sentences), ("docs", pending.docs)):
            for i in range(0, len(rows), FLUSH_ROWS):
                self._client.upsert(self._name(collection), rows[i : i + FLUSH_ROWS])
            if rows:
                self._client.flush(self._name(collection))
        self._n_chunks += len(pending.chunks)
        pending.clear()

    def _duplicate_group(self, vecs: np.ndarray, threshold: float, pending: _Pending) -> str | None:
        """As the local store: the group of the indexed or pending article whose chunks align with these
        (``alignment`` ≥ ``threshold``)."""
        if len(vecs) == 0 or threshold > 1.0:
            return None
        by_doc: dict[str, tuple[str, list[int]]] = {}
        if self._n_chunks:
            hits = self._client.search(
                self._name("chunks"),
                data=vecs.tolist(),
                anns_field="dense",
                limit=8,
                output_fields=["doc_id"],
                search_params=DENSE_SEARCH,
            )
            heads = self._heads([h["doc_id"] for per_chunk in hits for h in per_chunk], ["dup_group"])
            ids = [chunk_id(h, seq) for h in heads.values() for seq in range(h["n_chunks"])]
            for r in self._get("chunks", ids, ["doc_id", "dense"]):
                by_doc.setdefault(r["doc_id"], (heads[r["doc_id"]]["dup_group"], []))[1].append(r["dense"])
        candidates_now = [(group, np.asarray(v, np.float32)) for group, v in by_doc.values()]
        best, best_group = threshold, None
        for group, vectors in [*candidates_now, *pending.articles]:
            if len(vectors) and (score := alignment(vecs, vectors)) >= best:
                best, best_group = score, group
        return best_group

    def _write_files(self, updates: Sequence[FileUpdate], removed: set[str], touched: set[str]) -> None:
        """Last step of a write: each written file's entry, and the entries of files that lost articles."""
        entries = {u.file: {"hash": u.file_hash, "docs": [a.doc_id for a in u.articles]} for u in updates}
        for name, entry in self._files(sorted(touched - set(entries))).items():
            entries[name] = {**entry, "docs": [d for d in entry["docs"] if d not in removed]}
        gone = [file_key(name) for name, entry in entries.items() if not entry["docs"]]
        rows = [{"key": file_key(n), "value": e, "v": UNUSED_VECTOR} for n, e in entries.items() if e["docs"]]
        for i in range(0, len(rows), FLUSH_ROWS):
            self._client.upsert(self._name("meta"), rows[i : i + FLUSH_ROWS])
        if gone:
            self._client.delete(self._name("meta"), ids=gone)

    def _write_terms(self, frequencies: Counter[str], vocabulary: set[str]) -> None:
        """Store the changed chunk frequencies and the new word stems (word stems stay once known)."""
        old, old_words = self._terms
        changed = [
            {"term": t, "df": max(frequencies[t], 0), "word": t in vocabulary, "v": UNUSED_VECTOR}
            for t in {*frequencies, *(vocabulary - old_words)}
            if (frequencies[t] > 0 or t in vocabulary)
            and (old.get(t, 0) != max(frequencies[t], 0) or (t in vocabulary) != (t in old_words))
        ]
        gone = [t for t, n in frequencies.items() if n <= 0 and t in old and t not in vocabulary]
        for i in range(0, len(changed), 5000):
            self._client.upsert(self._name("terms"), changed[i : i + 5000])
        for i in range(0, len(gone), BATCH):
            self._client.delete(self._name("terms"), ids=gone[i : i + BATCH])

    def _newest_date(self, removed_dates: set[str], updates: Sequence[FileUpdate]) -> str:
        """The newest article date after this write: a full scan only when the newest article went and
        nothing written now is as new (a corrected top story keeps it cheap)."""
        newest = self.manifest.get("newest_date", "")
        written = max((a.date for u in updates for a in u.articles if a.date), default="")
        if newest and newest in removed_dates and written < newest:
            newest = max((r["date"] for r in self._rows("docs", "part == 0", ["date"])), default="")
        return str(max(newest, written))

    def optimize(self) -> MilvusStore:
        """Milvus compacts its own segments in the background: nothing to do."""
        return self

    def close(self) -> None:
        """Nothing to release per store: the process's client stays open for the next store on this engine."""
