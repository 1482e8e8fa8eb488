"""Evaluation: gold question files, SQuAD-format benchmarks, metrics and reports.

Importing this package is cheap; ``run_squad`` loads the RAG stack when called and ``run_gold``
takes an opened ``RAG``.
"""

from __future__ import annotations

from rag.evaluation.gold import GoldFormatError, GoldItem, load_gold, run_gold, summarize_gold
from rag.evaluation.metrics import (
    abstention_precision_recall,
    citation_precision,
    citation_recall,
    exact_match,
    hit_at_k,
    key_fact_hit,
    normalize,
    reciprocal_rank,
    squad_f1,
    squad_normalize,
    token_f1,
)
from rag.evaluation.report import write_report
from rag.evaluation.squad import load_squad, run_squad

__all__ = [
    "GoldFormatError",
    "GoldItem",
    "abstention_precision_recall",
    "citation_precision",
    "citation_recall",
    "exact_match",
    "hit_at_k",
    "key_fact_hit",
    "load_gold",
    "load_squad",
    "normalize",
    "reciprocal_rank",
    "run_gold",
    "run_squad",
    "squad_f1",
    "squad_normalize",
    "summarize_gold",
    "token_f1",
    "write_report",
]
