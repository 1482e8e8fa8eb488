"""The ``rag`` command: index, docs, remove, optimize, ask, eval, serve."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from rag.errors import RagError
from rag.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rag", description="Fragen an deutsche Nachrichtenartikel, mit Quellen.")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_index(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--index", type=Path, default=None, help="index folder (default: settings.index_dir, 'index')")
        p.add_argument(
            "--store", choices=("local", "milvus"), default=None, help="where the index lives (default: settings.store)"
        )
        return p

    p = with_index(sub.add_parser("index", help="add or update files and folders in the index"))
    p.add_argument("paths", nargs="+", type=Path)
    p = with_index(sub.add_parser("docs", help="list the indexed documents"))
    p.add_argument("--json", action="store_true")
    p = with_index(sub.add_parser("remove", help="remove documents (doc id, or file name for all its documents)"))
    p.add_argument("doc_ids", nargs="+")
    with_index(sub.add_parser("optimize", help="merge the index's segments into one, leaving removed articles out"))
    p = with_index(sub.add_parser("ask", help="answer a question with citations"))
    p.add_argument("question")
    p.add_argument("--history", type=Path, help="JSON file: [{role, content}, …] of earlier turns")
    p.add_argument("--json", action="store_true")
    p = with_index(sub.add_parser("eval", help="evaluate against a gold Q&A file, or a SQuAD file with --squad"))
    p.add_argument("gold", nargs="?", type=Path)
    p.add_argument(
        "--corpus", type=Path, nargs="+", help="files and folders the gold file asks about: indexed first (cached)"
    )
    p.add_argument("--squad", type=Path, help="SQuAD-format file: index its paragraphs and ask all questions")
    p.add_argument("--questions", type=Path, help="with --squad: ask this parallel file's questions (XQuAD English)")
    p.add_argument(
        "--half", choices=("train", "test"), help="with --squad: only the questions of one half of the articles"
    )
    p.add_argument("--limit", type=int, default=None, help="only the first N questions")
    p.add_argument("--out", type=Path, default=None, help="folder for summary, per-question table and report")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    sub.add_parser("train-selector", help="retrain the answer selector (rag/answer/selector.json)", add_help=False)
    p = with_index(sub.add_parser("serve", help="start the web chat"))
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)

    args, rest = parser.parse_known_args(argv)
    if args.command == "train-selector":
        from rag.answer.training import main as train

        return train(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    settings = Settings()
    if getattr(args, "store", None):
        settings = settings.model_copy(update={"store": args.store})
    try:
        return _COMMANDS[args.command](args, settings)
    except (RagError, ValueError, OSError) as exc:  # written for people: no traceback
        print(f"rag {args.command}: {exc}", file=sys.stderr)
        return 2


def _open(args: argparse.Namespace, settings: Settings):  # type: ignore[no-untyped-def]
    from rag.api import RAG

    return RAG.open(args.index, settings)


def _index(args: argparse.Namespace, settings: Settings) -> int:
    rag = _open(args, settings)
    report = rag.add(args.paths, progress=True)
    for line in report.errors:
        print(f"error: {line}", file=sys.stderr)
    print(report.summary())
    return 1 if report.errors else 0


def _docs(args: argparse.Namespace, settings: Settings) -> int:
    from rag.index.store import open_store

    docs = open_store(settings, args.index).documents()
    if args.json:
        print(json.dumps([asdict(d) for d in docs], ensure_ascii=False, indent=1))
        return 0
    for d in docs:
        dup = f"  (≈ {', '.join(d.duplicates)})" if d.duplicates else ""
        print(f"{d.doc_id:32} {d.date or '—':10} {d.n_chunks:3} chunks  {d.title[:70]}{dup}")
    print(f"{len(docs)} documents")
    return 0


def _remove(args: argparse.Namespace, settings: Settings) -> int:
    report = _open(args, settings).remove(args.doc_ids)
    for line in report.errors:
        print(f"error: {line}", file=sys.stderr)
    print(report.summary())
    return 1 if report.errors else 0


def _optimize(args: argparse.Namespace, settings: Settings) -> int:
    rag = _open(args, settings)
    rag.optimize()
    print(f"{len(rag.documents())} documents, {rag.store.n_chunks} chunks")
    return 0


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    history = json.loads(args.history.read_text(encoding="utf-8")) if args.history else None
    ans = _open(args, settings).ask(args.question, history=history)
    if args.json:
        out = {
            "answer": ans.text,
            "short_answer": ans.short_answer,
            "abstained": ans.abstained,
            "standalone_question": ans.standalone_question,
            "citations": [
                {"n": c.n, "doc_id": c.doc_id, "title": c.title, "date": c.date, "quote": c.quote, "score": c.score}
                for c in ans.citations
            ],
            "timings_ms": ans.timings_ms,
        }
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    print(ans.text)
    for c in ans.citations:
        print(f"[{c.n}] {c.title} ({c.date or 'ohne Datum'}) — {c.doc_id}")
    return 0


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from rag.evaluation import run_gold, run_squad

    if args.squad is not None:
        summary = run_squad(
            args.squad, settings, args.out, args.index, args.limit, questions_from=args.questions, half=args.half
        )
    elif args.gold is not None and args.corpus:
        from rag.api import RAG
        from rag.evaluation.gold import corpus_index

        index = args.index or corpus_index(args.corpus, settings)
        summary = run_gold(
            RAG.build(args.corpus, index, settings, progress=True), args.gold, args.out, limit=args.limit
        )
    elif args.gold is not None:
        summary = run_gold(_open(args, settings), args.gold, args.out, limit=args.limit)
    else:
        raise ValueError("give a gold file, or --squad FILE")
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=1))
    else:
        for key, value in summary.items():
            if not isinstance(value, dict):
                print(f"{key:28} {value}")
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from rag.app.server import serve

    update = {k: v for k, v in {"server_host": args.host, "server_port": args.port}.items() if v is not None}
    if args.index is not None:
        update["index_dir"] = args.index
    serve(settings.model_copy(update=update))
    return 0


_COMMANDS = {
    "index": _index,
    "docs": _docs,
    "remove": _remove,
    "optimize": _optimize,
    "ask": _ask,
    "eval": _eval,
    "serve": _serve,
}

if __name__ == "__main__":
    raise SystemExit(main())
