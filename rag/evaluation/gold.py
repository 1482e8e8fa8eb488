"""Gold question files (``tests/data/seeds_qa.jsonl`` format): loading, running them, scoring.

A question is correct when it is answerable and the answer holds every key-fact group, or when
it is unanswerable and the system abstained. Retrieval is scored by source article: a passage
counts when its doc id without the ``#n`` part, or one of its collapsed duplicates, is a source.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from rag.answer.followup import Turn
from rag.errors import RagError
from rag.evaluation.metrics import (
    abstention_precision_recall,
    citation_precision,
    citation_recall,
    first_relevant_rank,
    key_fact_hit,
    mean,
    token_f1,
)
from rag.evaluation.report import write_outputs
from rag.index.local_store import FORMAT_VERSION
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.api import RAG
    from rag.types import Answer

HIT_KS = (1, 3, 5)


class GoldFormatError(RagError, ValueError):
    """A gold file line that is not a valid question; the message names the file and line."""


@dataclass
class GoldItem:
    """One gold question; ``key_facts`` is a list of groups of alternative strings."""

    id: str
    question: str
    answer: str
    key_facts: list[list[str]]
    sources: list[str]
    type: str
    answerable: bool
    history: list[Turn] = field(default_factory=list)


def _string_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def _parse_item(row: object, where: str) -> GoldItem:
    if not isinstance(row, dict):
        raise GoldFormatError(f"{where}: expected a JSON object, got {type(row).__name__}")

    def fail(reason: str) -> GoldFormatError:
        return GoldFormatError(f"{where} (id {row.get('id', '?')!r}): {reason}")

    for key in ("id", "question", "type"):
        if not isinstance(row.get(key), str) or not row[key].strip():
            raise fail(f"'{key}' must be a non-empty string")
    if not isinstance(row.get("answer"), str):
        raise fail("'answer' must be a string")
    if not isinstance(row.get("answerable"), bool):
        raise fail("'answerable' must be true or false")
    key_facts = row.get("key_facts")
    if not isinstance(key_facts, list) or not all(_string_list(g) and g for g in key_facts):
        raise fail("'key_facts' must be a list of non-empty lists of non-empty strings")
    if not _string_list(row.get("sources")):
        raise fail("'sources' must be a list of file names")
    if row["answerable"] and not key_facts:
        raise fail("an answerable question needs at least one key-fact group")
    history = row.get("history", [])
    if not isinstance(history, list) or not all(
        isinstance(t, dict) and t.get("role") in ("user", "assistant") and isinstance(t.get("content"), str)
        for t in history
    ):
        raise fail("'history' must be a list of {role: user|assistant, content: string}")
    return GoldItem(
        id=row["id"],
        question=row["question"],
        answer=row["answer"],
        key_facts=key_facts,
        sources=row["sources"],
        type=row["type"],
        answerable=row["answerable"],
        history=[Turn(role=t["role"], content=t["content"]) for t in history],
    )


def load_gold(path: str | Path) -> list[GoldItem]:
    """Read and validate a gold JSONL file; raises ``GoldFormatError`` naming the bad line.

    Blank lines are skipped; ids must be unique; unknown fields are ignored.
    """
    path = Path(path)
    items: list[GoldItem] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldFormatError(f"{where}: invalid JSON ({exc.msg})") from exc
        item = _parse_item(row, where)
        if item.id in seen:
            raise GoldFormatError(f"{where}: id {item.id!r} already used on line {seen[item.id]}")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise GoldFormatError(f"{path}: no questions")
    return items


def cached_index_dir(kind: str, key: bytes, settings: Settings) -> Path:
    """``<model_cache_dir>/<kind>-<hash>``: one cached index per ``key``, embedding model, chunking and index format."""
    digest = hashlib.sha256(key)
    digest.update(f"\n{settings.embedding_model}\n{settings.chunk_tokens}/{settings.chunk_overlap_tokens}".encode())
    digest.update(f"\n{settings.store} format {FORMAT_VERSION}".encode())  # an older index is built anew
    return settings.model_cache_dir / f"{kind}-{digest.hexdigest()[:16]}"


def corpus_index(paths: Sequence[str | Path], settings: Settings) -> Path:
    """The cached index of these files and folders (``rag eval --corpus``); adding to it skips unchanged files."""
    return cached_index_dir("corpus", "\n".join(sorted(str(Path(p).resolve()) for p in paths)).encode(), settings)


def article_id(doc_id: str) -> str:
    """The source file name of a doc id: ``004_x.txt#1`` → ``004_x.txt``."""
    return doc_id.split("#", 1)[0]


def _row(item: GoldItem, ans: Answer, latency_ms: float) -> dict[str, Any]:
    cited = [{article_id(c.doc_id), *map(article_id, c.also_in)} for c in ans.citations]
    ranked = [{article_id(p.doc_id), *map(article_id, p.duplicates)} for p in ans.passages]
    has_facts = key_fact_hit(ans.text, item.key_facts)
    correct = (not ans.abstained and has_facts) if item.answerable else ans.abstained
    return {
        "id": item.id,
        "type": item.type,
        "question": item.question,
        "standalone_question": ans.standalone_question,
        "answer": ans.text,
        "short_answer": ans.short_answer,
        "abstained": ans.abstained,
        "answerable": item.answerable,
        "correct": correct,
        "expected": item.answer,
        "sources": item.sources,
        "cited_docs": list(dict.fromkeys(c.doc_id for c in ans.citations)),
        "retrieved_docs": [p.doc_id for p in ans.passages],
        "gold_rank": first_relevant_rank(ranked, item.sources) if item.sources else None,
        "token_f1": token_f1(ans.text, item.answer) if item.answerable else None,
        "citation_precision": citation_precision(cited, item.sources) if item.answerable else None,
        "citation_recall": citation_recall(cited, item.sources) if item.answerable else None,
        "latency_ms": round(latency_ms, 1),
    }


def summarize_gold(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The summary figures over per-question rows (as ``run_gold`` makes them), without ``by_type``.

    Key-fact accuracy, token F1 and citation figures are over answerable questions; retrieval
    (hit@k, MRR over the returned passages) over answerable questions that name sources;
    ``accuracy`` counts unanswerable questions as correct when the system abstained.
    """
    answerable = [r for r in rows if r["answerable"]]
    with_sources = [r for r in answerable if r["sources"]]
    abstained = [r["abstained"] for r in rows]
    precision, recall = abstention_precision_recall(abstained, [not r["answerable"] for r in rows])
    latencies = [r["latency_ms"] for r in rows]
    summary: dict[str, Any] = {
        "n": len(rows),
        "n_answerable": len(answerable),
        "accuracy": mean(r["correct"] for r in rows),
        "key_fact_accuracy": mean(r["correct"] for r in answerable),
        "abstention_rate": mean(abstained),
        "abstention_precision": precision,
        "abstention_recall": recall,
        "citation_precision": mean(r["citation_precision"] for r in answerable),
        "citation_recall": mean(r["citation_recall"] for r in answerable),
        **{
            f"hit_at_{k}": mean(r["gold_rank"] is not None and r["gold_rank"] <= k for r in with_sources)
            for k in HIT_KS
        },
        "mrr": mean(1 / r["gold_rank"] if r["gold_rank"] else 0.0 for r in with_sources),
        "token_f1": mean(r["token_f1"] for r in answerable),
        "latency_p50_ms": float(np.percentile(latencies, 50)) if latencies else None,
        "latency_p95_ms": float(np.percentile(latencies, 95)) if latencies else None,
    }
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in summary.items()}


def run_gold(
    rag: RAG,
    path: str | Path,
    out_dir: Path | None = None,
    progress: bool = True,
    limit: int | None = None,
) -> dict[str, Any]:
    """Ask every gold question (with its history), score it, and return the summary.

    ``limit`` keeps the first N questions. With ``out_dir``, writes ``summary.json``,
    ``questions.jsonl``, ``questions.csv`` and ``report.md`` with its plots there.
    """
    path = Path(path)
    items = load_gold(path)[:limit]
    rows = []
    for item in tqdm(items, desc="gold questions", unit="q", disable=not progress):
        started = time.perf_counter()
        ans = rag.ask(item.question, history=item.history or None)
        rows.append(_row(item, ans, (time.perf_counter() - started) * 1e3))
    summary: dict[str, Any] = {"gold_file": str(path), **summarize_gold(rows)}
    types = dict.fromkeys(r["type"] for r in rows)
    summary["by_type"] = {t: summarize_gold([r for r in rows if r["type"] == t]) for t in types}
    if out_dir is not None:
        write_outputs(summary, rows, Path(out_dir), f"Gold evaluation: {path.name}")
    return summary
