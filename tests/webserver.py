"""Starts the real web chat on a free loopback port for the UI tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rag.api import RAG
from rag.settings import Settings
from rag.webapp import build_app

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_app(index_dir: Path) -> Iterator[str]:
    """The app over a fresh index of seeds/ at ``index_dir``; yields its URL."""
    settings = Settings(index_dir=index_dir)
    rag = RAG.build([SEEDS], index=index_dir, settings=settings)
    port = free_port()
    demo = build_app(rag, settings).queue(default_concurrency_limit=settings.concurrency_limit)
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()
