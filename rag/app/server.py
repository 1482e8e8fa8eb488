"""The server process: the JSON and OpenAI routes (``rag.app.http_api``) and the web chat (``rag.app.webapp``)
on one FastAPI app, run by uvicorn; ``serve`` opens (and on first start builds) the index first."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import gradio as gr
import uvicorn
from fastapi import FastAPI

from rag.api import RAG
from rag.app.http_api import api_app
from rag.app.webapp import build_app
from rag.settings import Settings


def auth_pair(settings: Settings) -> tuple[str, str] | None:
    """``server_auth`` ("user:password") as Gradio's auth pair; None when unset."""
    if not settings.server_auth:
        return None
    user, sep, password = settings.server_auth.partition(":")
    if not (sep and user and password):
        raise ValueError("RAG_SERVER_AUTH muss die Form nutzer:passwort haben")
    return user, password


def server_app(rag: RAG, settings: Settings, port: int) -> FastAPI:
    """The JSON and OpenAI routes (``rag.app.http_api``) with the web chat mounted beside them on one app."""
    demo = build_app(rag, settings).queue(default_concurrency_limit=settings.concurrency_limit)
    app: FastAPI = gr.mount_gradio_app(
        api_app(rag, settings),
        demo,
        path="/",
        server_name=settings.server_host,
        server_port=port,
        auth=auth_pair(settings),
        max_file_size=f"{settings.max_upload_mb}mb",
    )
    return app


@contextmanager
def running_server(rag: RAG, settings: Settings, port: int | None = None) -> Iterator[str]:
    """Serve ``server_app`` on ``settings.server_host`` in a background thread; yields its URL."""
    port = settings.server_port if port is None else port
    app = server_app(rag, settings, port)
    server = uvicorn.Server(uvicorn.Config(app, host=settings.server_host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="web-server", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise OSError(f"Der Server konnte nicht starten (Port {port} belegt?)")
        time.sleep(0.05)
    try:
        yield f"http://{settings.server_host}:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def serve(settings: Settings) -> None:
    """Open (and on first start build) the index of ``settings.corpus_dir``, then run the web chat and the API."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "sentence_transformers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    auth_pair(settings)  # fail early on a malformed RAG_SERVER_AUTH
    print(f"Öffne den Index {settings.index_dir.resolve()} …", flush=True)
    rag = RAG.open(settings.index_dir, settings)
    n_docs = len(rag.documents())
    corpus = settings.corpus_dir
    if corpus.is_dir():
        if n_docs == 0:
            print(f"Der Index ist leer: baue ihn einmalig aus {corpus.resolve()} auf …", flush=True)
        else:
            print(f"{n_docs} Dokumente im Index; prüfe {corpus} auf neue oder geänderte Artikel …", flush=True)
        report = rag.add([corpus], progress=True)
        print(report.summary(), flush=True)
        for error in report.errors:
            print(f"  Fehler: {error}", flush=True)
    elif n_docs == 0:
        print(f"Hinweis: {corpus} fehlt und der Index ist leer – Artikel im Tab „Dokumente“ hochladen.", flush=True)
    with running_server(rag, settings) as url:
        print(f"Web-Chat läuft: {url}  (JSON-API: {url}api/docs; Strg+C beendet)", flush=True)
        if settings.server_host in ("0.0.0.0", "::"):
            print(f"Im Browser auf diesem Rechner: http://127.0.0.1:{settings.server_port}/", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
