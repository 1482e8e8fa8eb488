"""Nachrichten-RAG: answers with citations from German news articles.

Importing ``rag`` is cheap; the index loads on ``RAG.open``/``RAG.build``, the embedding model when
passages are embedded.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "RAG",
    "Answer",
    "Citation",
    "DocInfo",
    "FileUpdate",
    "Filters",
    "IndexReport",
    "IngestError",
    "LLMError",
    "Passage",
    "RagError",
    "Settings",
    "StoreError",
    "Turn",
]

if TYPE_CHECKING:
    from rag.answer.followup import Turn
    from rag.answer.llm import LLMError
    from rag.api import RAG
    from rag.errors import RagError
    from rag.index.store import DocInfo, FileUpdate, StoreError
    from rag.index.writes import IndexReport
    from rag.ingest.formats import IngestError
    from rag.settings import Settings
    from rag.types import Answer, Citation, Filters, Passage

_HOMES = {
    "RAG": "rag.api",
    "Settings": "rag.settings",
    "Answer": "rag.types",
    "Citation": "rag.types",
    "Filters": "rag.types",
    "Passage": "rag.types",
    "DocInfo": "rag.index.store",
    "FileUpdate": "rag.index.store",
    "StoreError": "rag.index.store",
    "IndexReport": "rag.index.writes",
    "IngestError": "rag.ingest.formats",
    "LLMError": "rag.answer.llm",
    "RagError": "rag.errors",
    "Turn": "rag.answer.followup",
}


def __getattr__(name: str) -> Any:
    """Each public name is imported from its module on first use."""
    if name not in _HOMES:
        raise AttributeError(name)
    return getattr(importlib.import_module(_HOMES[name]), name)
