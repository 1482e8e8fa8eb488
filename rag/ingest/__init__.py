"""From article files to clean articles and token-bounded chunks (times: ``rag.text.timeexpr``)."""

from __future__ import annotations

from rag.ingest.chunking import chunk_article, count_tokens, sentence_spans, split_sentences
from rag.ingest.formats import IngestError, find_files, read_articles
from rag.ingest.parse import normalize_date, parse_news_text

__all__ = [
    "IngestError",
    "chunk_article",
    "count_tokens",
    "find_files",
    "normalize_date",
    "parse_news_text",
    "read_articles",
    "sentence_spans",
    "split_sentences",
]
