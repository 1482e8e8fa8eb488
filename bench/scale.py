"""One corpus size in one store, in its own process so peak memory is this size's alone (``bench.py``
runs it once per size and store):

    .venv/bin/python bench/scale.py 1000000 --pool bench/out/sentence_pool.npy [--store milvus]

The corpus is synthetic but made of real German text (see ``bench.py``) and written in ``SCALE_PARTS``
commits, as ``rag index`` commits batch by batch; the seed articles are indexed for real beside it.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench import ROOT, gold, pct


def peak_rss_of_this_program(field: str = "VmHWM") -> int:
    """Peak resident memory in MB since this program started (VmHWM; ``VmRSS``: now). Not ``ru_maxrss``:
    Linux carries the forking parent's peak across exec into it, so every size reported the bench's own 3 GB."""
    status = Path("/proc/self/status").read_text()
    return round(int(re.search(rf"{field}:\s+(\d+) kB", status).group(1)) / 1024)  # type: ignore[union-attr]


_SERVE = """
import json, sys
from pathlib import Path
from rag.api import RAG
sys.path.insert(0, {bench!r})
from bench import gold
from scale import peak_rss_of_this_program
rag = RAG.open(Path({index!r}))
for g in gold() * 2:
    rag.retrieve(g["question"], 5)
print(peak_rss_of_this_program())
"""
"""A fresh process that opens the index and answers the retrieval questions: its peak is what serving costs."""


def synthetic_corpus(n: int, sentences: list[str], vectors: np.ndarray, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(sentences), size=(n, 3))
    texts = []
    for row in picks:
        text = " ".join(sentences[i] for i in row)
        text = re.sub(r"\b\d{1,3}\b", lambda m: str(int(m.group(0)) + int(rng.integers(1, 9))), text)
        text = re.sub(r"\b(19|20)\d\d\b", lambda m: str(int(rng.integers(1990, 2030))), text)
        texts.append(text)
    vecs = vectors[picks].mean(axis=1) + rng.normal(scale=0.01, size=(n, vectors.shape[1])).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return texts, vecs.astype(np.float32)


SCALE_PARTS = 10
"""A scale run writes its corpus in this many commits, as ``rag index`` commits batch by batch: the last
one merges all of them into one segment, the largest merge an index of that size makes."""


def scale_run(n: int, pool_file: Path, store: str) -> dict:
    """One corpus size in one store, in its own process so peak memory is this size's alone. The corpus is
    written in ``SCALE_PARTS`` commits, each generated just before it is written (a bulk ``rag index`` holds
    one batch of files at a time, too)."""
    import faiss

    from rag.api import RAG
    from rag.index import vectors as vector_index
    from rag.settings import Settings

    pool = np.load(pool_file)
    sentences = json.loads(pool_file.with_suffix(".json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        rag = RAG.build([ROOT / "seeds"], index=Path(tmp) / "index", settings=Settings(store=store))
        # synthetic stories are no rewrites of each other: duplicate grouping off, as for a bulk load
        writer = RAG.open(Path(tmp) / "index", rag.settings.model_copy(update={"duplicate_threshold": 2.0}))
        bounds = np.linspace(0, n, SCALE_PARTS + 1, dtype=int)
        part_s = []
        for k, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
            update = _synthetic_update(f"synthetic-{k}.jsonl", int(lo), int(hi - lo), pool, sentences)
            start = time.perf_counter()
            writer.add_embedded([update])
            part_s.append(time.perf_counter() - start)
            del update
        rag = RAG.open(Path(tmp) / "index", rag.settings)
        one = Path(tmp) / "eine-meldung.txt"
        one.write_text("Neue Brücke in Linz\n\nDie neue Brücke in Linz kostet 12 Millionen Euro.", encoding="utf-8")
        rag.add([one])  # the first write also loads the passage model: time the second
        one.write_text(one.read_text(encoding="utf-8") + " Sie wird 2027 eröffnet.", encoding="utf-8")
        start = time.perf_counter()
        rag.add([one])
        add_one_s = time.perf_counter() - start
        questions = gold()
        latencies, hits = [], 0
        for g in questions * 3:
            t0 = time.perf_counter()
            passages = rag.retrieve(g["question"], 5)
            latencies.append((time.perf_counter() - t0) * 1e3)
            hits += any(p.doc_id.split("#")[0] in g["sources"] for p in passages)
        peak_rss_mb = peak_rss_of_this_program()
        serve = _SERVE.format(bench=str(Path(__file__).parent), index=str(Path(tmp) / "index"))
        serve_rss_mb = int(
            subprocess.run([sys.executable, "-c", serve], capture_output=True, text=True, check=True).stdout.split()[-1]
        )
        segments = getattr(rag.store, "segments", [])
        row = {
            "store": store,
            "chunks": n,
            "index_type": "+".join(sorted({s.meta["vector_index"] for s in segments})) or None,
            "build_s": round(sum(part_s), 1),
            "last_part_s": round(part_s[-1], 1),
            "add_one_article_s": round(add_one_s, 2),
            "query_p50_ms": round(pct(latencies, 50), 1),
            "query_p95_ms": round(pct(latencies, 95), 1),
            "seed_hit_at_5": round(hits / len(latencies), 3),
            "peak_rss_mb": peak_rss_mb,
            "serve_peak_rss_mb": serve_rss_mb,
        }
        if store != "local":
            return row
        # exact vs compressed on the same vectors: the synthetic ones the index stores
        vecs = np.vstack([s.stored_vectors(s.ids) for s in segments])
        queries = rag.embedder.embed_queries([g["question"] for g in questions])
        flat = faiss.IndexFlatIP(vecs.shape[1])
        flat.add(vecs)
        saved = vector_index.EXACT_LIMIT
        vector_index.EXACT_LIMIT = 0
        ivf = vector_index.build(vecs, np.arange(len(vecs), dtype=np.int64))
        vector_index.EXACT_LIMIT = saved
        t0 = time.perf_counter()
        _, exact = flat.search(queries, 10)
        flat_ms = (time.perf_counter() - t0) * 1e3 / len(queries)
        t0 = time.perf_counter()
        _, approx = ivf.search(queries, 10)
        ivf_ms = (time.perf_counter() - t0) * 1e3 / len(queries)
        recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, approx)]))
    return row | {
        "flat_search_ms": round(flat_ms, 2),
        "ivf_sq8_search_ms": round(ivf_ms, 2),
        "ivf_sq8_recall_at_10": round(recall, 3),
    }


def _synthetic_update(name: str, start: int, n: int, pool: np.ndarray, sentences: list[str]):  # -> FileUpdate
    from rag.index.store import FileUpdate
    from rag.types import Article, Chunk

    texts, vecs = synthetic_corpus(n, sentences, pool, seed=start)
    articles = [Article(f"syn-{start + i}.txt", f"Meldung {start + i}", t) for i, t in enumerate(texts)]
    chunks = [[Chunk(a.doc_id, 0, a.body, 0, len(a.body), 0)] for a in articles]
    return FileUpdate(name, name, articles, chunks, [vecs[i : i + 1] for i in range(n)], ["x"] * n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chunks", type=int)
    parser.add_argument("--pool", type=Path, required=True, help="sentence pool written by bench.py (.npy and .json)")
    parser.add_argument("--store", default="local", choices=("local", "milvus"))
    args = parser.parse_args()
    print(json.dumps(scale_run(args.chunks, args.pool, args.store)))


if __name__ == "__main__":
    main()
