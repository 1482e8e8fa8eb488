"""SQuAD-format benchmarks (e.g. XQuAD-de): index every paragraph as a document, ask every question.

Scores retrieval of the gold paragraph (recall@k, MRR@10 over ``Answer.passages``), the short
answer against the gold spans (official SQuAD v1.1 EM/F1), and whether the full answer text
contains a gold answer.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from rag.evaluation.metrics import (
    contains_fact,
    exact_match,
    first_relevant_rank,
    mean,
    normalize,
    percentile,
    squad_f1,
)
from rag.evaluation.report import write_outputs
from rag.settings import Settings

RECALL_KS = (1, 3, 5, 10)


@dataclass(frozen=True)
class SquadQuestion:
    """One question with its gold answer texts and the index of its paragraph."""

    id: str
    question: str
    answers: tuple[str, ...]
    paragraph: int


def load_squad(path: str | Path) -> tuple[list[tuple[str, str]], list[SquadQuestion]]:
    """Paragraphs as ``(article title, context)`` and questions, in file order, from a SQuAD v1.1 file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
        paragraphs: list[tuple[str, str]] = []
        questions: list[SquadQuestion] = []
        for article in data:
            for para in article["paragraphs"]:
                if not para["context"].strip():
                    raise ValueError(f"empty context in article {article['title']!r}")
                for qa in para["qas"]:
                    answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                    questions.append(SquadQuestion(qa["id"], qa["question"], answers, len(paragraphs)))
                paragraphs.append((article["title"], para["context"]))
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a SQuAD v1.1 file ({type(exc).__name__}: {exc})") from exc
    return paragraphs, questions


def default_index_dir(path: str | Path, settings: Settings) -> Path:
    """``<model_cache_dir>/squad-<hash>``: one cached index per file content, embedding model and chunking."""
    digest = hashlib.sha256(Path(path).read_bytes())
    chunking = f"{settings.chunk_tokens}/{settings.chunk_overlap_tokens}"
    digest.update(f"\n{settings.embedding_model}\n{chunking}".encode())
    return settings.model_cache_dir / f"squad-{digest.hexdigest()[:16]}"


def _paragraph_lines(paragraphs: list[tuple[str, str]]) -> str:
    """One JSONL line per paragraph; line i+1 holds paragraph i, titled "<article> (<n in article>)"."""
    lines: list[str] = []
    seen: dict[str, int] = {}
    for title, context in paragraphs:
        seen[title] = seen.get(title, 0) + 1
        row = {"title": f"{title.replace('_', ' ')} ({seen[title]})", "date": None, "text": context}
        lines.append(json.dumps(row, ensure_ascii=False) + "\n")
    return "".join(lines)


def run_squad(
    path: str | Path,
    settings: Settings,
    out_dir: Path | None,
    index_dir: str | Path | None = None,
    limit: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Index the file's paragraphs (cached), ask its first ``limit`` questions (all when None), score them.

    Answers are produced with ``top_k`` raised to at least 10 so that recall@10 can be read off
    ``Answer.passages``; when fewer passages come back, recall@10 counts what was returned (see
    ``notes``). Doc ids are ``<file stem>.jsonl#<line>`` with line i+1 holding paragraph i.
    """
    from rag.api import RAG  # deferred: the metrics and report modules do not need torch

    path = Path(path)
    paragraphs, questions = load_squad(path)
    questions = questions[:limit]
    index = Path(index_dir) if index_dir is not None else default_index_dir(path, settings)
    run_settings = settings.model_copy(update={"top_k": max(settings.top_k, RECALL_KS[-1])})
    name = f"{path.stem}.jsonl"
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / name
        docs.write_text(_paragraph_lines(paragraphs), encoding="utf-8")
        rag = RAG.build([docs], index=index, settings=run_settings, progress=progress)

    rows: list[dict[str, Any]] = []
    for q in tqdm(questions, desc="squad questions", unit="q", disable=not progress):
        started = time.perf_counter()
        ans = rag.ask(q.question)
        latency_ms = (time.perf_counter() - started) * 1e3
        short = ans.short_answer or ""
        text = normalize(ans.text)
        ranked = [{p.doc_id, *p.duplicates} for p in ans.passages]
        contains = any(contains_fact(text, normalize(a)) for a in q.answers)
        rows.append(
            {
                "id": q.id,
                "question": q.question,
                "paragraph": q.paragraph,
                "title": paragraphs[q.paragraph][0],
                "expected": list(q.answers),
                "short_answer": ans.short_answer,
                "answer": ans.text,
                "abstained": ans.abstained,
                "exact_match": exact_match(short, q.answers),
                "f1": round(squad_f1(short, q.answers), 4),
                "contains_gold": contains,
                "correct": contains,
                "gold_rank": first_relevant_rank(ranked, [f"{name}#{q.paragraph + 1}"]),
                "n_passages": len(ans.passages),
                "retrieved_docs": [p.doc_id for p in ans.passages],
                "latency_ms": round(latency_ms, 1),
            }
        )
    summary = {
        "squad_file": str(path),
        "index_dir": str(index),
        "top_k": run_settings.top_k,
        **summarize_squad(rows),
        "n_paragraphs": len(paragraphs),
    }
    summary["notes"] = _notes(rows, settings.top_k, run_settings.top_k)
    if out_dir is not None:
        write_outputs(summary, rows, Path(out_dir), f"SQuAD evaluation: {path.name}")
    return summary


def summarize_squad(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Recall@k and MRR@10 of the gold paragraph, EM/F1 of the short answer, containment, latency."""
    ranks = [r["gold_rank"] for r in rows]
    latencies = [r["latency_ms"] for r in rows]
    summary: dict[str, Any] = {
        "n": len(rows),
        **{f"recall_at_{k}": mean(rank is not None and rank <= k for rank in ranks) for k in RECALL_KS},
        "mrr_at_10": mean(1 / rank if rank and rank <= RECALL_KS[-1] else 0.0 for rank in ranks),
        "exact_match": mean(r["exact_match"] for r in rows),
        "f1": mean(r["f1"] for r in rows),
        "answer_contains_gold": mean(r["contains_gold"] for r in rows),
        "abstention_rate": mean(r["abstained"] for r in rows),
        "latency_p50_ms": percentile(latencies, 50) if latencies else None,
        "latency_p95_ms": percentile(latencies, 95) if latencies else None,
    }
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in summary.items()}


def _notes(rows: list[dict[str, Any]], configured_k: int, used_k: int) -> list[str]:
    notes = []
    if used_k != configured_k:
        notes.append(
            f"Answered with top_k={used_k} (settings: {configured_k}) to measure recall@{RECALL_KS[-1]}; "
            "EM/F1 are for the answerer reading that many passages."
        )
    fewest = min((r["n_passages"] for r in rows), default=used_k)
    if fewest < RECALL_KS[-1]:
        short = sum(r["n_passages"] < RECALL_KS[-1] for r in rows)
        notes.append(
            f"{short} questions got fewer than {RECALL_KS[-1]} passages (fewest: {fewest}); "
            f"their recall@{RECALL_KS[-1]} counts only the passages returned."
        )
    return notes
