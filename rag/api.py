"""The Python API: one ``RAG`` object that indexes, answers and manages documents.

The web chat and the CLI use this same object. The embedding model and the index are loaded
once per process and shared by all questions; a write swaps in a new view of the index (a new
manifest of segments) atomically, so questions in flight keep their consistent view.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from rag.answer.extractive import ExtractiveAnswerer
from rag.answer.followup import Turn
from rag.answer.selector import Selector
from rag.chain import ChainInput, NewsQAChain
from rag.embedding import Embedder, get_embedder
from rag.index.store import DocInfo, FileUpdate, IndexStore, open_store
from rag.index.writes import IndexReport, add_embedded, add_files, remove_docs
from rag.search.retrieval import HybridSearch, NewsRetriever
from rag.settings import Settings
from rag.types import Answer, Filters, Passage


class RAG:
    """Question answering over an index of news articles.

    Example:
        >>> rag = RAG.build(["seeds/"], index="index")
        >>> ans = rag.ask("Wie viel Hilfe wurde 2024 zugesagt?")
        >>> ans.short_answer, [c.doc_id for c in ans.citations]
    """

    def __init__(self, store: IndexStore, embedder: Embedder, settings: Settings) -> None:
        self.settings = settings
        self._store = store
        self._embedder = embedder
        self._write_lock = threading.Lock()
        self._search = HybridSearch(lambda: self._store, embedder, settings)
        self.retriever = NewsRetriever(search=self._search, k=settings.top_k)
        """The LangChain retriever (``BaseRetriever``) over this index."""
        self.chain = NewsQAChain(
            retriever=self.retriever,
            extractive=ExtractiveAnswerer(embedder, Selector.load, settings.abstain_threshold),
            index=lambda: self._store,
            llm=_llm(settings),
        )
        """The whole chain as a LangChain ``Runnable`` over ``{"question", "history"}``."""

    @classmethod
    def open(cls, index: str | Path | None = None, settings: Settings | None = None) -> RAG:
        """Open the index at ``index`` (default: ``settings.index_dir``) in the store the settings choose
        (``store``: local files or Milvus); it may not exist yet."""
        settings = settings or Settings()
        store = open_store(settings, Path(index) if index is not None else None)
        store.check_model(settings.embedding_model, settings.chunk_tokens, settings.chunk_overlap_tokens)
        return cls(
            store,
            get_embedder(
                settings.embedding_model, settings.model_cache_dir, settings.query_engine, settings.embedding_precision
            ),
            settings,
        )

    @classmethod
    def build(
        cls,
        paths: Sequence[str | Path],
        index: str | Path | None = None,
        settings: Settings | None = None,
        progress: bool = False,
    ) -> RAG:
        """Open (or create) the index and add the files and folders in ``paths`` to it."""
        rag = cls.open(index, settings)
        report = rag.add(paths, progress=progress)
        if report.errors and progress:
            print("\n".join(report.errors), file=sys.stderr)
        return rag

    @property
    def store(self) -> IndexStore:
        """The index as it stands now (a write replaces it; a reader holding it keeps a consistent view)."""
        return self._store

    @property
    def embedder(self) -> Embedder:
        """Embeds passages and questions with this index's model."""
        return self._embedder

    @property
    def index_dir(self) -> Path:
        return self._store.root

    def ask(
        self,
        question: str,
        history: Sequence[Turn] | None = None,
        top_k: int | None = None,
        filters: Filters | None = None,
    ) -> Answer:
        """Answer ``question`` (with earlier turns ``history``) from the indexed articles, with citations;
        ``top_k`` passages are read (default: ``settings.top_k``), from the articles ``filters`` admit."""
        *_, answer = self.stream(question, history, top_k, filters)
        return answer

    def stream(
        self,
        question: str,
        history: Sequence[Turn] | None = None,
        top_k: int | None = None,
        filters: Filters | None = None,
    ) -> Iterator[Answer]:
        """Like ``ask``, yielding the answer as it grows; the last item is complete."""
        chain_input: ChainInput = {"question": _checked(question), "history": list(history or [])}
        if top_k is not None:
            if not 1 <= top_k <= 50:
                raise ValueError("top_k muss zwischen 1 und 50 liegen.")
            chain_input["top_k"] = top_k
        if filters is not None:
            chain_input["filters"] = filters
        yield from self.chain.stream(chain_input)

    def retrieve(self, question: str, k: int | None = None) -> list[Passage]:
        """The ``k`` best passages for ``question`` (near-duplicate stories collapsed)."""
        return self._search.search(_checked(question), k)

    def add(self, paths: Sequence[str | Path], progress: bool = False) -> IndexReport:
        """Index new and changed files; unreadable files are reported in ``errors``, the rest go in."""
        with self._write_lock:
            self._store, report = add_files(self._store, paths, self.settings, self._embedder, progress)
        return report

    def add_embedded(self, updates: Sequence[FileUpdate], group_duplicates: bool = True) -> IndexReport:
        """Write articles whose chunks and sentences the caller embedded already (with ``embedder``):
        a corpus embedded elsewhere, or a synthetic one for a benchmark. Each update replaces its file;
        ``group_duplicates=False`` skips looking for retold stories (one vector search per article)."""
        with self._write_lock:
            self._store, report = add_embedded(self._store, updates, self.settings, self._embedder, group_duplicates)
        return report

    def remove(self, doc_ids: Sequence[str]) -> IndexReport:
        """Remove documents by id (``004_x.txt#1``), or every document of a file by its file name."""
        with self._write_lock:
            self._store, report = remove_docs(self._store, doc_ids, self.settings, self._embedder)
        return report

    def optimize(self) -> None:
        """Compact the index: merge the local store's segments into one, leaving removed and replaced
        articles out (writes merge small segments by themselves; this is for after large removals)."""
        with self._write_lock:
            self._store = self._store.optimize()

    def documents(self) -> list[DocInfo]:
        """Every indexed document with title, date, source, chunk count and near-duplicates."""
        return self._store.documents()


def _checked(question: str) -> str:
    q = (question or "").strip()
    if not q:
        raise ValueError("Bitte eine Frage eingeben.")
    if len(q) > 2000:
        raise ValueError("Die Frage ist zu lang (höchstens 2000 Zeichen).")
    return q


def _llm(settings: Settings):  # type: ignore[no-untyped-def]
    if settings.answer_backend != "llm":
        return None
    from rag.answer.llm import LLMAnswerer

    return LLMAnswerer(settings)
