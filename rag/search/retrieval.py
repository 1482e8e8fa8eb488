"""Hybrid retrieval: dense (FAISS) and German BM25 fused by reciprocal rank, time-aware, de-duplicated."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag.embedding import Embedder
from rag.index.store import IndexStore
from rag.settings import Settings
from rag.text.lexical import is_english, names_and_numbers
from rag.text.timeexpr import resolve_times, times_overlap, with_resolved_times
from rag.types import Filters, Passage


def question_times(question: str, reference_date: str | None = None) -> list[str]:
    """Times a question names ("2024", "Dezember 2025", "im Jahr vor 2025"; "letztes Jahr" given a reference)."""
    return sorted({m.value for m in resolve_times(question, reference_date)})


def time_reference(store: IndexStore) -> tuple[str, str]:
    """The date relative times in questions count from, and how to name it: the newest article's date, else today."""
    newest = store.newest_date()
    if newest:
        return newest, f"das neueste Artikeldatum ({newest})"
    today = dt.date.today().isoformat()
    return today, f"heute ({today})"


class HybridSearch:
    """Ranks chunks for a question in the index snapshot it is given (else the current one)."""

    def __init__(self, store: Callable[[], IndexStore], embedder: Embedder, settings: Settings) -> None:
        self._store = store
        self._embedder = embedder
        self._settings = settings

    def reference(self, store: IndexStore | None = None) -> tuple[str, str]:
        """See ``time_reference``: for ``store`` (default: the current index)."""
        return time_reference(store or self._store())

    def search(
        self, question: str, k: int | None = None, filters: Filters | None = None, store: IndexStore | None = None
    ) -> list[Passage]:
        """The ``k`` best passages, near-duplicate stories collapsed, from the articles ``filters`` admit,
        in ``store`` (one question's snapshot of the index; default: the current one)."""
        s = self._settings
        k = k or s.top_k
        store = store or self._store()
        if store.n_chunks == 0:
            return []
        query = self._embedder.embed_query(question)
        fused: dict[int, float] = {}
        reference = time_reference(store)[0]
        english = is_english(question)
        lexical_weight = s.weight_lexical * (s.lexical_weight_english if english else 1.0)
        lexical_query = " ".join(names_and_numbers(question)) if english else with_resolved_times(question, reference)
        lexical_hits = store.search_lexical(lexical_query, s.k_lexical, filters) if lexical_weight else []
        for weight, hits in (
            (s.weight_dense, store.search_dense(query, s.k_dense, filters)),
            (lexical_weight, lexical_hits),
        ):
            for rank, (chunk_id, _score) in enumerate(hits, start=1):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (s.rrf_k + rank)
        rows = store.chunks(list(fused))
        wanted = question_times(question, reference)
        if wanted:
            for chunk_id, stored in rows.items():
                times = [*stored.chunk.times, *([stored.date] if stored.date else [])]
                if any(times_overlap(w, t) for w in wanted for t in times):
                    fused[chunk_id] += s.time_boost / (s.rrf_k + 1)
        passages: list[Passage] = []
        group_docs: dict[str, Passage] = {}
        for chunk_id in sorted(fused, key=fused.__getitem__, reverse=True):
            row = rows.get(chunk_id)
            if row is None:
                continue
            first = group_docs.get(row.dup_group)
            if first is not None and first.doc_id != row.chunk.doc_id:
                if row.chunk.doc_id not in first.duplicates:
                    merged = replace(first, duplicates=(*first.duplicates, row.chunk.doc_id))
                    passages[passages.index(first)] = merged
                    group_docs[row.dup_group] = merged
                continue
            passage = Passage(
                chunk_id=row.chunk.chunk_id,
                doc_id=row.chunk.doc_id,
                title=row.title,
                date=row.date,
                source=row.source,
                text=row.chunk.text,
                start=row.chunk.start,
                end=row.chunk.end,
                score=fused[chunk_id],
                times=row.chunk.times,
            )
            passages.append(passage)
            group_docs.setdefault(row.dup_group, passage)
            if len(passages) >= k:
                break
        return passages


def to_document(p: Passage) -> Document:
    """A LangChain Document whose metadata carries everything needed to cite the passage."""
    return Document(
        page_content=p.text,
        id=p.chunk_id,
        metadata={
            "chunk_id": p.chunk_id,
            "doc_id": p.doc_id,
            "title": p.title,
            "date": p.date,
            "source": p.source,
            "start": p.start,
            "end": p.end,
            "score": p.score,
            "times": list(p.times),
            "duplicates": list(p.duplicates),
        },
    )


class NewsRetriever(BaseRetriever):
    """LangChain retriever over the hybrid search; ``k`` passages after duplicate collapse (``invoke(q, k=3,
    filters=Filters(…))`` overrides it and restricts the articles for one call)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    search: HybridSearch
    k: int = 5

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        filters: Filters | None = None,
    ) -> list[Document]:
        return [to_document(p) for p in self.search.search(query, self.k if k is None else k, filters)]
