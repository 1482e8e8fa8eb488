"""SQuAD-format benchmarks (e.g. XQuAD-de): index every paragraph as a document, ask every question.

Scores retrieval of the gold paragraph (recall@k, MRR@10 over ``Answer.passages``), the short
answer against the gold spans (official SQuAD v1.1 EM/F1), and whether the full answer text
contains a gold answer.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from rag.evaluation.gold import cached_index_dir
from rag.evaluation.metrics import (
    contains_fact,
    exact_match,
    first_relevant_rank,
    mean,
    normalize,
    squad_f1,
)
from rag.evaluation.report import write_outputs
from rag.settings import Settings

RECALL_KS = (1, 3, 5, 10)


HALVES = ("train", "test")  # also spelled out in ``rag eval --half``, which must not import this module
"""XQuAD has no training split: the selector is fitted on the even-numbered articles ("train") and
reported on the odd-numbered ones ("test")."""


@dataclass(frozen=True)
class SquadQuestion:
    """One question with its gold answer texts, the index of its paragraph and of its article."""

    id: str
    question: str
    answers: tuple[str, ...]
    paragraph: int
    article: int


def load_squad(
    path: str | Path, questions_from: str | Path | None = None
) -> tuple[list[tuple[str, str]], list[SquadQuestion]]:
    """Paragraphs as ``(article title, context)`` and questions, in file order, from a SQuAD v1.1 file.

    ``questions_from``: a parallel file (same question ids, e.g. XQuAD English) whose question
    texts are asked instead; answers and paragraphs stay those of ``path``.
    """
    paragraphs, questions = _read_squad(Path(path))
    if questions_from is None:
        return paragraphs, questions
    asked = {q.id: q.question for q in _read_squad(Path(questions_from))[1]}
    missing = [q.id for q in questions if q.id not in asked]
    if missing:
        raise ValueError(f"{questions_from}: {len(missing)} question ids of {path} are missing (e.g. {missing[0]})")
    return paragraphs, [SquadQuestion(q.id, asked[q.id], q.answers, q.paragraph, q.article) for q in questions]


def _read_squad(path: Path) -> tuple[list[tuple[str, str]], list[SquadQuestion]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
        paragraphs: list[tuple[str, str]] = []
        questions: list[SquadQuestion] = []
        for number, article in enumerate(data):
            for para in article["paragraphs"]:
                if not para["context"].strip():
                    raise ValueError(f"empty context in article {article['title']!r}")
                for qa in para["qas"]:
                    answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                    questions.append(SquadQuestion(qa["id"], qa["question"], answers, len(paragraphs), number))
                paragraphs.append((article["title"], para["context"]))
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a SQuAD v1.1 file ({type(exc).__name__}: {exc})") from exc
    return paragraphs, questions


def in_half(q: SquadQuestion, half: str | None) -> bool:
    """Whether the question's article belongs to ``half`` (``train``: even articles, ``test``: odd; None: all)."""
    if half not in (None, *HALVES):
        raise ValueError(f"half must be one of {HALVES}, not {half!r}")
    return half is None or (q.article % 2 == 0) == (half == "train")


def paragraph_doc_id(path: str | Path, paragraph: int) -> str:
    """The doc id of paragraph ``paragraph`` (0-based) once the file is indexed: ``<stem>.jsonl#<n+1>``."""
    return f"{Path(path).stem}.jsonl#{paragraph + 1}"


def squad_rag(path: str | Path, settings: Settings, index_dir: str | Path | None = None, progress: bool = True):  # type: ignore[no-untyped-def]
    """A ``RAG`` over the file's paragraphs, one document each (cached in ``default_index_dir``)."""
    from rag.api import RAG  # deferred: the metrics and report modules do not need torch

    path = Path(path)
    paragraphs, _ = _read_squad(path)
    index = Path(index_dir) if index_dir is not None else default_index_dir(path, settings)
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / f"{path.stem}.jsonl"
        docs.write_text(_paragraph_lines(paragraphs), encoding="utf-8")
        return RAG.build([docs], index=index, settings=settings, progress=progress)


def default_index_dir(path: str | Path, settings: Settings) -> Path:
    """One cached index per file content, embedding model and chunking."""
    return cached_index_dir("squad", Path(path).read_bytes(), settings)


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
    questions_from: str | Path | None = None,
    half: str | None = None,
) -> dict[str, Any]:
    """Index the file's paragraphs (cached), ask its first ``limit`` questions (all when None), score them.

    ``questions_from`` asks a parallel file's questions (XQuAD English over the German paragraphs);
    ``half`` keeps the questions of one half of the articles (see ``HALVES``).

    Retrieval is scored on the 10 best passages (``RAG.retrieve``), the answer as ``RAG.ask`` gives
    it (reading ``top_k`` passages, as users get it). Doc ids are ``<file stem>.jsonl#<line>`` with
    line i+1 holding paragraph i.
    """
    path = Path(path)
    paragraphs, questions = load_squad(path, questions_from)
    questions = [q for q in questions if in_half(q, half)][:limit]
    rag = squad_rag(path, settings, index_dir, progress)

    rows: list[dict[str, Any]] = []
    for q in tqdm(questions, desc="squad questions", unit="q", disable=not progress):
        started = time.perf_counter()
        ans = rag.ask(q.question)
        latency_ms = (time.perf_counter() - started) * 1e3
        short = ans.short_answer or ""
        text = normalize(ans.text)
        ranked = [{p.doc_id, *p.duplicates} for p in rag.retrieve(q.question, RECALL_KS[-1])]
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
                "gold_rank": first_relevant_rank(ranked, [paragraph_doc_id(path, q.paragraph)]),
                "n_passages": len(ranked),
                "retrieved_docs": [p.doc_id for p in ans.passages],
                "latency_ms": round(latency_ms, 1),
            }
        )
    summary = {
        "squad_file": str(path),
        "questions_from": str(questions_from) if questions_from else None,
        "half": half,
        "index_dir": str(rag.index_dir),
        "top_k": settings.top_k,
        **summarize_squad(rows),
        "n_paragraphs": len(paragraphs),
    }
    summary["notes"] = _notes(rows)
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
        "latency_p50_ms": float(np.percentile(latencies, 50)) if latencies else None,
        "latency_p95_ms": float(np.percentile(latencies, 95)) if latencies else None,
    }
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in summary.items()}


def _notes(rows: list[dict[str, Any]]) -> list[str]:
    notes = []
    fewest = min((r["n_passages"] for r in rows), default=RECALL_KS[-1])
    if fewest < RECALL_KS[-1]:
        short = sum(r["n_passages"] < RECALL_KS[-1] for r in rows)
        notes.append(
            f"{short} questions got fewer than {RECALL_KS[-1]} passages (fewest: {fewest}); "
            f"their recall@{RECALL_KS[-1]} counts only the passages returned."
        )
    return notes
