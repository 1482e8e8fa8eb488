"""Nachrichten-RAG: answers with citations from German news articles.

Importing ``rag`` is cheap; the embedding model and index load on ``RAG.open``/``RAG.build``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["RAG", "Answer", "Citation", "Filters", "Passage", "Settings"]

if TYPE_CHECKING:
    from rag.api import RAG
    from rag.settings import Settings
    from rag.types import Answer, Citation, Filters, Passage


def __getattr__(name: str) -> Any:
    if name == "RAG":
        from rag.api import RAG

        return RAG
    if name == "Settings":
        from rag.settings import Settings

        return Settings
    if name in ("Answer", "Citation", "Filters", "Passage"):
        from rag import types

        return getattr(types, name)
    raise AttributeError(name)
