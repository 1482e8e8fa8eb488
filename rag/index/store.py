"""The index contract: what retrieval, answering and indexing need from a store, and the choice of store.

Two stores keep the same chunks, vectors, German lexical terms and article texts:

- ``local`` (``rag.index.local_store``): FAISS, SQLite and BM25 files in one folder, written as immutable
  segments that one atomically swapped manifest lists; the default, for one machine.
- ``milvus`` (``rag.index.milvus_store``): a Milvus collection set, embedded in one file (Milvus Lite) or
  on a Milvus server or cluster, for archives that outgrow one machine.

Both index the same terms (``rag.text.lexical.terms``: Snowball stems, compound parts, resolved times),
so the lexical side ranks alike on either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from rag.errors import RagError
from rag.types import Article, Chunk, Filters

if TYPE_CHECKING:
    from rag.settings import Settings


class StoreError(RagError):
    """The index cannot be used as asked (other model, newer format, damaged, engine unreachable)."""


@dataclass(frozen=True)
class DocInfo:
    """One indexed article, as listed by ``rag docs``."""

    doc_id: str
    title: str
    date: str | None
    source: str | None
    n_chunks: int
    file: str
    duplicates: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredChunk:
    """A chunk row joined with its article's metadata."""

    id: int
    chunk: Chunk
    title: str
    date: str | None
    source: str | None
    dup_group: str


@dataclass(frozen=True)
class ArticleSentences:
    """The sentences of one article: spans into its body and their vectors, in text order."""

    spans: list[tuple[int, int]]
    vectors: np.ndarray


@dataclass
class FileUpdate:
    """New content for one source file: its articles, their chunks and chunk vectors, their sentences.

    ``sentences[i]`` holds article i's sentence spans and vectors (computed once, at ingest, so a
    question costs one query embedding).
    """

    file: str
    file_hash: str
    articles: list[Article]
    chunks: list[list[Chunk]]
    vectors: list[np.ndarray]
    hashes: list[str]
    sentences: list[ArticleSentences] = field(default_factory=list)


class IndexStore(Protocol):
    """What a store offers; ``LocalStore`` and ``MilvusStore`` implement it.

    Searches take ``filters`` and apply them before ranking (the engine's filter expressions on
    Milvus, an id selection on the local store), so a filtered question gets its best ``k`` chunks.
    """

    root: Path
    """The index folder (uploads live in it; the local store keeps its files there too)."""

    @property
    def n_chunks(self) -> int: ...

    @property
    def vocabulary(self) -> set[str]:
        """Stems of the indexed words (German compounds are split against it)."""
        ...

    def check_model(self, model: str, chunk_tokens: int, overlap: int) -> None:
        """Raise ``StoreError`` when the index was built with another embedding model or chunking."""

    def file_hashes(self, names: Sequence[str] | None = None) -> dict[str, str]:
        """Content hash of each indexed file among ``names`` (all files when None)."""
        ...

    def docs_of(self, name: str) -> list[str]:
        """Doc ids for a file name or a doc id; [] when neither is in the index."""
        ...

    def documents(self) -> list[DocInfo]: ...

    def article(self, doc_id: str) -> Article | None: ...

    def chunks(self, ids: Sequence[int]) -> dict[int, StoredChunk]:
        """Chunk rows by id, with their article's title, date, source and duplicate group."""
        ...

    def sentences(self, doc_ids: Sequence[str]) -> dict[str, ArticleSentences]: ...

    def bodies(self, doc_ids: Sequence[str]) -> dict[str, str]: ...

    def newest_date(self) -> str | None: ...

    def search_dense(self, query: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[int, float]]: ...

    def search_lexical(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        """(chunk id, BM25 score) pairs for the terms of ``query``, best first."""
        ...

    def idf(self, term: str) -> float:
        """Rarity of an index term in [0, 1]: log-scaled inverse chunk frequency; 1 for an unseen term."""
        ...

    def commit(
        self,
        updates: Sequence[FileUpdate],
        removed_docs: Sequence[str],
        model: str,
        dim: int,
        chunking: tuple[int, int],
        duplicate_threshold: float,
    ) -> IndexStore:
        """Remove ``removed_docs``, put ``updates`` (whole files) in, and return the store to read next."""
        ...

    def optimize(self) -> IndexStore:
        """Compact the store (the local one merges its segments into one, leaving deleted articles out);
        the store to read next. Answers stay the same."""
        ...

    def close(self) -> None: ...


def open_store(settings: Settings, index: Path | None = None) -> IndexStore:
    """The store the settings choose (``store``), for the index folder ``index`` (default ``index_dir``)."""
    root = Path(index) if index is not None else settings.index_dir
    if settings.store == "milvus":
        from rag.index.milvus_store import MilvusStore

        uri = settings.milvus_uri or str(root / "milvus.db")
        return MilvusStore.open(root, uri, settings.milvus_token.get_secret_value())
    from rag.index.local_store import LocalStore

    return LocalStore.open(root)


def alignment(vectors: np.ndarray, other: np.ndarray) -> float:
    """How closely two articles' chunks match: the mean best-match cosine, the weaker direction.

    Two articles are near-duplicates when, in both directions, each chunk finds a close
    counterpart in the other. Topic alone is not enough: two different Nato stories align at
    ~0.89 with multilingual-e5-small, a rewrite at ~0.93.
    """
    sim = vectors @ other.T
    return min(float(sim.max(axis=1).mean()), float(sim.max(axis=0).mean()))
