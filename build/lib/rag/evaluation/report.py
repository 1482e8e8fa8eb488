"""Evaluation outputs: summary JSON, per-question JSONL/CSV, and a Markdown report with plots."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

MAX_WRONG = 100
"""Wrong answers listed in the report; the full list is in ``questions.csv``."""
MAX_TEXT = 400
TYPE_COLUMNS = (
    ("n", "n"),
    ("accuracy", "accuracy"),
    ("key_fact_accuracy", "key facts"),
    ("hit_at_5", "hit@5"),
    ("mrr", "MRR"),
    ("citation_precision", "cit. precision"),
    ("citation_recall", "cit. recall"),
    ("token_f1", "token F1"),
)


def write_outputs(summary: dict[str, Any], rows: Sequence[dict[str, Any]], out_dir: Path, title: str) -> None:
    """Write ``summary.json``, ``questions.jsonl``, ``questions.csv`` and the report into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary_json = json.dumps(summary, ensure_ascii=False, indent=1)
    (out_dir / "summary.json").write_text(summary_json + "\n", encoding="utf-8")
    with (out_dir / "questions.jsonl").open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with (out_dir / "questions.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows({k: _csv_value(v) for k, v in row.items()} for row in rows)
    write_report(summary, rows, out_dir, title)


def _csv_value(value: object) -> object:
    if isinstance(value, list | tuple):
        return " | ".join(map(str, value))
    return "" if value is None else value


def _format(key: str, value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.1f}" if key.endswith("_ms") else f"{value:.3f}"
    return str(value)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _short(text: object) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= MAX_TEXT else flat[: MAX_TEXT - 1] + "…"


def _save(fig: Figure, path: Path) -> str:
    FigureCanvasAgg(fig)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path.name


def _latency_plot(rows: Sequence[dict[str, Any]], out_dir: Path) -> str | None:
    latencies = [r["latency_ms"] for r in rows if r.get("latency_ms") is not None]
    if not latencies:
        return None
    fig = Figure(figsize=(6, 3.5))
    ax = fig.add_subplot()
    ax.hist(latencies, bins=min(30, max(5, len(latencies) // 3)), color="#4878a8")
    ax.set_xlabel("latency per question (ms)")
    ax.set_ylabel("questions")
    ax.set_title("Latency")
    return _save(fig, out_dir / "latency.png")


def _type_plot(by_type: dict[str, dict[str, Any]], out_dir: Path) -> str:
    names = list(by_type)
    values = [by_type[t].get("accuracy") or 0.0 for t in names]
    fig = Figure(figsize=(max(5, 0.9 * len(names) + 2), 3.5))
    ax = fig.add_subplot()
    bars = ax.bar(range(len(names)), values, color="#59a14f")
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.bar_label(bars, labels=[f"n={by_type[t]['n']}" for t in names], fontsize=8)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("accuracy")
    ax.set_title("Accuracy by question type")
    return _save(fig, out_dir / "accuracy_by_type.png")


def _recall_plot(summary: dict[str, Any], out_dir: Path) -> str:
    ks = sorted(int(k.removeprefix("recall_at_")) for k in summary if k.startswith("recall_at_"))
    fig = Figure(figsize=(5, 3.5))
    ax = fig.add_subplot()
    ax.plot(ks, [summary[f"recall_at_{k}"] for k in ks], marker="o", color="#e15759")
    ax.set_xticks(ks)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("k (passages)")
    ax.set_ylabel("recall@k of the gold paragraph")
    ax.set_title("Retrieval recall@k")
    return _save(fig, out_dir / "recall_at_k.png")


def _wrong_answers(rows: Sequence[dict[str, Any]]) -> list[str]:
    wrong = [r for r in rows if r.get("correct") is False]
    lines = [f"## Wrong answers ({len(wrong)} of {len(rows)})", ""]
    for r in wrong[:MAX_WRONG]:
        expected = r.get("expected", "")
        if isinstance(expected, list):
            expected = " / ".join(map(str, expected))
        kind = f" ({r['type']})" if r.get("type") else ""
        got = "(abstained) " if r.get("abstained") else ""
        if r.get("short_answer"):
            got += f"**{_short(r['short_answer'])}** — "
        lines += [
            f"### {r.get('id', '?')}{kind}",
            "",
            f"- Question: {_short(r.get('question', ''))}",
            f"- Expected: {_short(expected)}",
            f"- Got: {got}{_short(r.get('answer', ''))}",
            "",
        ]
    if len(wrong) > MAX_WRONG:
        lines += [f"… and {len(wrong) - MAX_WRONG} more; see `questions.csv`.", ""]
    return lines


def write_report(summary: dict[str, Any], rows: Sequence[dict[str, Any]], out_dir: Path, title: str) -> Path:
    """Write ``report.md`` with the summary, per-type table, wrong answers and PNG plots; return its path.

    Plots: a latency histogram, plus accuracy by question type when the summary has ``by_type``,
    or a recall@k curve when it has ``recall_at_<k>`` figures (SQuAD runs).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"# {title}", "", f"Generated {datetime.now():%Y-%m-%d %H:%M}.", ""]
    lines += ["## Summary", "", "| metric | value |", "|---|---|"]
    scalars = {k: v for k, v in summary.items() if not isinstance(v, dict | list)}
    lines += [f"| {_cell(k)} | {_cell(_format(k, v))} |" for k, v in scalars.items()]
    lines.append("")
    if summary.get("notes"):
        lines += ["Notes:", "", *(f"- {n}" for n in summary["notes"]), ""]
    plots = [_latency_plot(rows, out_dir)]
    by_type = summary.get("by_type")
    if by_type:
        lines += ["## By question type", ""]
        lines.append("| type | " + " | ".join(label for _, label in TYPE_COLUMNS) + " |")
        lines.append("|---" * (len(TYPE_COLUMNS) + 1) + "|")
        for name, figures in by_type.items():
            cells = [_format(key, figures.get(key)) for key, _ in TYPE_COLUMNS]
            lines.append(f"| {_cell(name)} | " + " | ".join(cells) + " |")
        lines.append("")
        plots.append(_type_plot(by_type, out_dir))
    if any(k.startswith("recall_at_") for k in summary):
        plots.append(_recall_plot(summary, out_dir))
    lines += ["## Plots", "", *(f"![{Path(p).stem}]({p})" for p in plots if p), ""]
    lines += _wrong_answers(rows)
    path = out_dir / "report.md"
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return path
