"""Load test of the web chat on loopback: N concurrent gradio_client users × M questions each.

    .venv/bin/python bench/load_test.py [--users 20] [--questions 10]

Prints errors, latency p50/p95/max and throughput; asserts nothing. Bounded: every request has
a timeout and the run stops after --max-seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from gradio_client import Client

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.webserver import running_app  # noqa: E402

QUESTIONS = [
    "Wie viel Hilfe wurde 2024 zugesagt?",
    "Wie viel Sicherheitsunterstützung haben die Alliierten in den ersten drei Monaten 2025 zugesagt?",
    "Von wo aus wird die Militärhilfe der Nato koordiniert?",
    "Wer vertritt Marco Rubio beim Nato-Außenministertreffen?",
    "Wie viele Soldaten verliert Russland laut Rutte pro Monat?",
    "Welche Länder wollen laut Rutte mehr Mittel für die Ukraine bereitstellen?",
    "Wie viele Länder sind laut Blinken bereit, Kiew zu helfen?",
    "Wann traf sich Blinken mit Rutte in Brüssel?",
    "Wie heißt das neue Verteidigungskonzept der Nato an der Grenze zu Russland?",
    "Wer hat die Fußball-Weltmeisterschaft 2014 gewonnen?",
]


def user(url: str, n: int, deadline: float) -> tuple[list[float], int]:
    client = Client(url, verbose=False)
    latencies, errors = [], 0
    for i in range(n):
        if time.time() > deadline:
            break
        start = time.perf_counter()
        try:
            answer, _ = client.predict(QUESTIONS[i % len(QUESTIONS)], "", api_name="/ask")
            errors += answer.startswith("⚠️")
        except Exception:
            errors += 1
        latencies.append((time.perf_counter() - start) * 1e3)
    return latencies, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--max-seconds", type=float, default=900)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_app(Path(tmp) / "index") as url:
        start = time.time()
        deadline = start + args.max_seconds
        with ThreadPoolExecutor(args.users) as pool:
            results = list(pool.map(lambda _: user(url, args.questions, deadline), range(args.users)))
        wall = time.time() - start
    latencies = [x for lat, _ in results for x in lat]
    out = {
        "users": args.users,
        "requests": len(latencies),
        "errors": sum(e for _, e in results),
        "latency_p50_ms": round(float(np.percentile(latencies, 50))),
        "latency_p95_ms": round(float(np.percentile(latencies, 95))),
        "latency_max_ms": round(max(latencies)),
        "throughput_per_s": round(len(latencies) / wall, 2),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
