"""Milvus for the index: the engine connection, the five collections, row keys, filter expressions
and BM25 weights (``rag.index.milvus_store`` reads and writes through them).

Five collections under one prefix (``nachrichten_*``):

- ``chunks``: the chunk text and its article's title, date, source and duplicate group, the dense
  vector, ``lexical``: the chunk's index terms (``rag.text.lexical.terms``: Snowball stems, compound
  parts, resolved times), and ``sparse``: their BM25 weights (term frequency, saturated and
  normalised by length), searched by inner product with the question's terms weighted by their
  inverse chunk frequency over the whole collection. Milvus's own analyzer and BM25 function are
  not used: Milvus Lite 3.2 accepts the German stemmer filter without applying it ("Soldaten" does
  not find "Soldat") and keeps BM25 statistics per segment, so an article written alone in a small
  segment outranked the rest; one lexicon and one set of statistics keep both stores alike.
- ``docs``: the article texts (in parts of at most ``BODY_CHARS`` characters, below Milvus's
  64 KB string limit) and metadata, with the article's mean chunk vector.
- ``sentences``: sentence spans and vectors, for answer selection.
- ``terms``: each index term's chunk frequency and whether it is a word stem (compound splitting
  and term rarity).
- ``meta``: the manifest (model, dimension, chunking, format, newest article date) and one entry
  per file (its hash and documents).

Milvus needs a vector field in every collection; ``terms`` and ``meta`` carry a constant
two-dimensional one that nothing searches.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.index.store import StoreError
from rag.types import Filters

BODY_CHARS = 15_000  # at most 4 bytes a character: under the 65,535-byte VARCHAR limit
MAX_STRING = 65_535
UNUSED_VECTOR = [0.0, 0.0]
BATCH = 500
_K1, _B = 1.2, 0.75
HNSW = {"M": 16, "efConstruction": 200}
DENSE_SEARCH = {"metric_type": "IP", "params": {"ef": 256}}
"""HNSW with a wide search beam: at ef 64 (Milvus Lite's default) one seed question of 17 lost its
article among 10,000 synthetic chunks."""
FLUSH_ROWS = 2000
COLLECTIONS = ("chunks", "docs", "sentences", "terms", "meta")
LAYOUT = ("content_hash", "n_chunks", "n_sentences", "n_parts")
"""Fields of an article's first ``docs`` row from which the ids of all its rows follow."""
_CLIENTS: dict[str, Engine] = {}
_CLIENTS_LOCK = threading.Lock()


class Engine:
    """A ``MilvusClient`` whose errors arrive as ``StoreError`` naming the engine (its own log lines,
    which repeat them, are silenced)."""

    def __init__(self, uri: str, token: str) -> None:
        try:
            from pymilvus import MilvusClient
        except ImportError as exc:
            raise StoreError("the Milvus store needs pymilvus: pip install 'nachrichten-rag[milvus]'") from exc

        # grpc._server: Milvus Lite's paging asks its own server for a timestamp it does not implement
        for logger in ("pymilvus", "milvus_lite", "grpc._server"):
            logging.getLogger(logger).setLevel(logging.CRITICAL)
        if "://" not in uri:
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
        self.uri = uri
        try:
            self._client = self._guarded(MilvusClient)(uri=uri, token=token)
        except StoreError as exc:
            if "://" in uri:
                raise
            raise StoreError(
                f"{exc}. Milvus Lite opens {uri} from one process at a time: stop the other process using "
                "it (e.g. `rag serve`; add files through its upload instead), or use a Milvus server."
            ) from exc

    def __getattr__(self, name: str) -> Any:
        return self._guarded(getattr(self._client, name))

    def _guarded(self, call: Any) -> Any:
        from pymilvus.exceptions import MilvusException

        @functools.wraps(call)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return call(*args, **kwargs)
            except MilvusException as exc:
                raise StoreError(f"Milvus at {self.uri}: {exc.message}") from exc

        return guarded


def engine(uri: str, token: str) -> Engine:
    """One client per engine and process (Milvus Lite runs one embedded engine per file)."""
    with _CLIENTS_LOCK:
        if uri not in _CLIENTS:
            _CLIENTS[uri] = Engine(uri, token)
        return _CLIENTS[uri]


def token_of(term: str) -> str:
    """An index term as one token of Milvus's standard tokenizer (which splits at hyphens, not at '_')."""
    return re.sub(r"\W", "_", term)


def expression(filters: Filters | None) -> str:
    """A Milvus filter expression admitting what ``filters`` admit (dates are ISO prefixes: a date
    starting with ``date_to`` sorts below ``date_to + "~"``)."""
    if not filters:
        return ""
    parts = []
    if filters.date_from or filters.date_to:
        parts.append('date != ""')
    if filters.date_from:
        parts.append(f"date >= {json.dumps(filters.date_from, ensure_ascii=False)}")
    if filters.date_to:
        parts.append(f"date < {json.dumps(filters.date_to + '~', ensure_ascii=False)}")
    if filters.sources:
        parts.append(f"source in {json.dumps(list(filters.sources), ensure_ascii=False)}")
    if filters.period:
        parts.append(f"array_contains(periods, {json.dumps(filters.period, ensure_ascii=False)})")
    return " and ".join(parts)


def periods_of(date: str | None, times: Sequence[str]) -> list[str]:
    """The year, month and day prefixes of the article date and the chunk's resolved times: a
    ``period`` filter admits the chunk when one of them equals it."""
    values = [v for v in (date, *times) if v]
    return sorted({v[:n] for v in values for n in (4, 7, 10) if len(v) >= n})


def file_key(name: str) -> str:
    return f"file:{name}"


def term_id(term: str) -> int:
    """A term's dimension in the sparse vectors (31 bits of its hash)."""
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=4).digest(), "big") & 0x7FFFFFFF


def bm25_weights(tokens: Sequence[str], avgdl: float) -> dict[int, float]:
    """A chunk's BM25 term weights (k1 1.2, b 0.75, as the local index): the question side supplies the idf."""
    counts = Counter(tokens)
    norm = _K1 * (1 - _B + _B * len(tokens) / max(avgdl, 1.0))
    weights = {term_id(t): tf * (_K1 + 1) / (tf + norm) for t, tf in counts.items()}
    return weights or {term_id(""): 1e-9}  # Milvus refuses an empty sparse vector


def doc_key(doc_id: str, part: int) -> str:
    return f"{doc_id}\x1f{part}"


def chunk_id(head: dict[str, Any], seq: int) -> int:
    return row_id(head["doc_id"], head["content_hash"], seq)


def sentence_id(head: dict[str, Any], k: int) -> int:
    return row_id(head["doc_id"], head["content_hash"], "sentence", k)


def row_id(*parts: object) -> int:
    """A 63-bit row id derived from the row's content: writing the same row twice replaces it."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def create_collections(c: Engine, prefix: str, dim: int) -> None:
    """Create the five collections (see the module docstring) for vectors of ``dim`` dimensions."""
    from pymilvus import DataType

    def collection(
        name: str, fields: list[tuple[Any, ...]], vectors: dict[str, tuple[str, str, dict[str, Any]]]
    ) -> None:
        schema = c.create_schema()
        for field_name, kind, options in fields:
            schema.add_field(field_name, kind, **options)
        index = c.prepare_index_params()
        for field_name, (index_type, metric, params) in vectors.items():
            index.add_index(field_name, index_type=index_type, metric_type=metric, params=params)
        c.create_collection(f"{prefix}_{name}", schema=schema, index_params=index, consistency_level="Strong")

    text = {"max_length": MAX_STRING}
    key = {"max_length": 2048}
    unused = ("v", DataType.FLOAT_VECTOR, {"dim": len(UNUSED_VECTOR)})
    dense: tuple[str, str, dict[str, Any]] = ("HNSW", "IP", HNSW)
    stored: tuple[str, str, dict[str, Any]] = ("FLAT", "IP", {})  # read by key, never searched: no graph to hold
    collection(
        "chunks",
        [
            ("id", DataType.INT64, {"is_primary": True}),
            ("doc_id", DataType.VARCHAR, key),
            ("seq", DataType.INT64, {}),
            ("start", DataType.INT64, {}),
            ("end", DataType.INT64, {}),
            ("n_tokens", DataType.INT64, {}),
            ("text", DataType.VARCHAR, text),
            ("times", DataType.JSON, {}),
            ("title", DataType.VARCHAR, text),
            ("date", DataType.VARCHAR, {"max_length": 64}),
            ("source", DataType.VARCHAR, key),
            ("dup_group", DataType.VARCHAR, key),
            ("periods", DataType.ARRAY, {"element_type": DataType.VARCHAR, "max_capacity": 4096, "max_length": 16}),
            ("lexical", DataType.VARCHAR, text),
            ("sparse", DataType.SPARSE_FLOAT_VECTOR, {}),
            ("dense", DataType.FLOAT_VECTOR, {"dim": dim}),
        ],
        {"dense": dense, "sparse": ("SPARSE_INVERTED_INDEX", "IP", {})},
    )
    collection(
        "docs",
        [
            ("key", DataType.VARCHAR, {"is_primary": True, "max_length": 2100}),
            ("doc_id", DataType.VARCHAR, key),
            ("part", DataType.INT64, {}),
            ("body", DataType.VARCHAR, text),
            ("file", DataType.VARCHAR, key),
            ("title", DataType.VARCHAR, text),
            ("date", DataType.VARCHAR, {"max_length": 64}),
            ("source", DataType.VARCHAR, key),
            ("url", DataType.VARCHAR, key),
            ("path", DataType.VARCHAR, key),
            ("extra", DataType.JSON, {}),
            ("content_hash", DataType.VARCHAR, {"max_length": 128}),
            ("dup_group", DataType.VARCHAR, key),
            ("n_chunks", DataType.INT64, {}),
            ("n_sentences", DataType.INT64, {}),
            ("n_parts", DataType.INT64, {}),
            ("vector", DataType.FLOAT_VECTOR, {"dim": dim}),
        ],
        {"vector": stored},
    )
    collection(
        "sentences",
        [
            ("id", DataType.INT64, {"is_primary": True}),
            ("doc_id", DataType.VARCHAR, key),
            ("start", DataType.INT64, {}),
            ("end", DataType.INT64, {}),
            ("vector", DataType.FLOAT_VECTOR, {"dim": dim}),
        ],
        {"vector": stored},
    )
    collection(
        "terms",
        [
            ("term", DataType.VARCHAR, {"is_primary": True, "max_length": 1024}),
            ("df", DataType.INT64, {}),
            ("word", DataType.BOOL, {}),
            unused,
        ],
        {"v": stored},
    )
    collection(
        "meta",
        [("key", DataType.VARCHAR, {"is_primary": True, "max_length": 2100}), ("value", DataType.JSON, {}), unused],
        {"v": stored},
    )
