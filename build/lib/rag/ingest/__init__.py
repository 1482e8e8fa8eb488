"""From article files to clean articles, resolved times and token-bounded chunks."""

from __future__ import annotations

from rag.ingest.chunking import chunk_article, count_tokens, sentence_spans, split_sentences
from rag.ingest.formats import IngestError, find_files, read_articles
from rag.ingest.parse import normalize_date, parse_news_text
from rag.ingest.timeexpr import resolve_times, time_interval, times_overlap, with_resolved_times

__all__ = [
    "IngestError",
    "chunk_article",
    "count_tokens",
    "find_files",
    "normalize_date",
    "parse_news_text",
    "read_articles",
    "resolve_times",
    "sentence_spans",
    "split_sentences",
    "time_interval",
    "times_overlap",
    "with_resolved_times",
]
