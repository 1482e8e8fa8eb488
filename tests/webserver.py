"""Starts the real web chat on a free loopback port for the UI tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rag.api import RAG
from rag.app.server import running_server
from rag.settings import Settings

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_app(index_dir: Path) -> Iterator[str]:
    """The web chat and the API over a fresh index of seeds/ at ``index_dir``; yields its URL."""
    settings = Settings(index_dir=index_dir, server_host="127.0.0.1")
    rag = RAG.build([SEEDS], index=index_dir, settings=settings)
    with running_server(rag, settings, free_port()) as url:
        yield url
