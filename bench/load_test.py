"""Load test of the web chat on loopback: N concurrent gradio_client users × M questions each.

    .venv/bin/python bench/load_test.py [--users 20] [--questions 10] [--max-seconds 600]

Starts the real app (index of seeds/ in a temporary folder) on a free 127.0.0.1 port, lets every
user ask the seed questions through the ``/ask`` endpoint and prints one JSON line: requests,
errors (exceptions, timeouts, "⚠️" answers), wrong answers (expected fact missing), latency
p50/p95/max and throughput. Bounded: each request has a timeout and no request starts after
--max-seconds. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from gradio_client import Client

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.webserver import running_app  # noqa: E402

QUESTIONS = [  # (question, a fragment the answer must contain)
    ("Wie viel Hilfe wurde 2024 zugesagt?", "50 Milliarden"),
    (
        "Wie viel Sicherheitsunterstützung haben die Alliierten in den ersten drei Monaten 2025 zugesagt?",
        "20 Milliarden",
    ),
    ("Von wo aus wird die Militärhilfe der Nato koordiniert?", "Wiesbaden"),
    ("Wer vertritt Marco Rubio beim Nato-Außenministertreffen?", "Landau"),
    ("Wie viele Soldaten verliert Russland laut Rutte pro Monat?", "20.000"),
    ("Welche Länder wollen laut Rutte mehr Mittel für die Ukraine bereitstellen?", "Norwegen"),
    ("Wie viele Länder sind laut Blinken bereit, Kiew zu helfen?", "50 Länder"),
    ("Wann traf sich Blinken mit Rutte in Brüssel?", "13. November"),
    ("Wie heißt das neue Verteidigungskonzept der Nato an der Grenze zu Russland?", "Eastern Flank"),
    ("Wer hat die Fußball-Weltmeisterschaft 2014 gewonnen?", "Keine Angabe"),
]


@dataclass
class UserResult:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wrong: int = 0


def user(url: str, uid: int, n: int, deadline: float, timeout_s: float) -> UserResult:
    result = UserResult()
    try:
        client = Client(url, verbose=False)
    except Exception as exc:
        result.errors.append(f"connect: {exc!r}")
        return result
    for i in range(n):
        if time.monotonic() > deadline:
            break
        question, expected = QUESTIONS[(uid + i) % len(QUESTIONS)]
        start = time.perf_counter()
        try:
            answer, _sources = client.submit(question, "", api_name="/ask").result(timeout=timeout_s)
            if answer.startswith("⚠️"):
                result.errors.append(answer[:120])
            elif expected not in answer:
                result.wrong += 1
        except Exception as exc:  # a timeout or a server error: counted, the run goes on
            result.errors.append(repr(exc)[:120])
        result.latencies_ms.append((time.perf_counter() - start) * 1e3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--questions", type=int, default=10, help="questions per user")
    parser.add_argument("--max-seconds", type=float, default=600, help="no request starts after this")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per request")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_app(Path(tmp) / "index") as url:
        assert url.startswith("http://127.0.0.1:")
        Client(url, verbose=False).predict(QUESTIONS[0][0], "", api_name="/ask")  # warm-up, not timed
        start = time.monotonic()
        deadline = start + args.max_seconds
        with ThreadPoolExecutor(args.users) as pool:
            results = list(
                pool.map(lambda uid: user(url, uid, args.questions, deadline, args.timeout), range(args.users))
            )
        wall = time.monotonic() - start
    latencies = [x for r in results for x in r.latencies_ms]
    errors = [e for r in results for e in r.errors]
    out = {
        "users": args.users,
        "questions_per_user": args.questions,
        "requests": len(latencies),
        "errors": len(errors),
        "wrong_answers": sum(r.wrong for r in results),
        "latency_p50_ms": round(float(np.percentile(latencies, 50))) if latencies else None,
        "latency_p95_ms": round(float(np.percentile(latencies, 95))) if latencies else None,
        "latency_max_ms": round(max(latencies)) if latencies else None,
        "wall_s": round(wall, 1),
        "throughput_per_s": round(len(latencies) / wall, 2) if wall else None,
    }
    print(json.dumps(out))
    for e in sorted(set(errors))[:5]:
        print("error:", e, file=sys.stderr)


if __name__ == "__main__":
    main()
