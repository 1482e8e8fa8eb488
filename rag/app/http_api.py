"""JSON routes beside the web chat, so any program gets the answers with their sources.

``/api/v1``: ``POST ask`` (``top_k`` passages, ``filters`` by date and source; answer, short answer, abstention, numbered citations with quotes; with
``"stream": true`` as Server-Sent Events ending in the same object), ``GET/POST documents``,
``DELETE documents/{doc_id}``, ``GET health``. ``/v1``: ``POST chat/completions`` and ``GET models``
in the OpenAI format, streamed or not: the answer text keeps its ``[n]`` markers and ends with a
sources block, and the citations travel in the extra field ``citations``.

Every route answers errors as ``{"error": {"code", "message", "type"}}``, requires the bearer
token when ``server_api_key`` is set, and is rate-limited per client; request bodies are size-limited.
"""

from __future__ import annotations

import json
import logging
import secrets
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from rag.answer.followup import Turn
from rag.api import RAG
from rag.app.uploads import Uploads
from rag.errors import RagError
from rag.settings import Settings
from rag.types import Answer, Filters

log = logging.getLogger(__name__)

MODEL_ID = "nachrichten-rag"
"""The name under which OpenAI clients see the news archive."""
MAX_JSON_BYTES = 256 * 1024
MAX_FILES = 20


class ApiError(Exception):
    """An error a client caused or must know about: HTTP status, stable code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class TurnIn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)


class FiltersIn(BaseModel):
    date_from: str | None = Field(default=None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    date_to: str | None = Field(default=None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    sources: list[str] = Field(default_factory=list, max_length=50)
    period: str | None = Field(default=None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")


class AskIn(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    history: list[TurnIn] = Field(default_factory=list, max_length=50)
    top_k: int | None = Field(default=None, ge=1, le=50)
    filters: FiltersIn | None = None
    stream: bool = False


class ChatMessage(BaseModel):
    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatIn(BaseModel):
    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: bool = False


def answer_json(ans: Answer) -> dict[str, Any]:
    """An answer as JSON; a citation's ``start``/``end`` locate its quote inside its ``passage``."""
    return {
        "answer": ans.text,
        "short_answer": ans.short_answer,
        "abstained": ans.abstained,
        "citations": [
            {
                "n": c.n,
                "doc_id": c.doc_id,
                "title": c.title,
                "date": c.date,
                "source": c.source,
                "quote": c.quote,
                "passage": c.passage,
                "start": c.quote_start,
                "end": c.quote_start + len(c.quote) if c.quote_start >= 0 else -1,
                "score": c.score,
                "also_in": list(c.also_in),
            }
            for c in ans.citations
        ],
        "standalone_question": ans.standalone_question,
        "timings": ans.timings_ms,
    }


def sources_block(ans: Answer) -> str:
    """The citations as text after an OpenAI answer, for chat front ends that show only the text."""
    if not ans.citations:
        return ""
    lines = [f"[{c.n}] {c.title} ({c.date or 'ohne Datum'}) – {c.doc_id}" for c in ans.citations]
    return "\n\nQuellen:\n" + "\n".join(lines)


class _RateLimit:
    """At most ``per_minute`` requests per client address in any sliding minute."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            seen = self._seen.setdefault(client, deque())
            while seen and now - seen[0] > 60.0:
                seen.popleft()
            if len(seen) >= self.per_minute:
                return False
            seen.append(now)
            return True


def _error(status: int, code: str, message: str) -> JSONResponse:
    kind = "invalid_request_error" if status < 500 else "server_error"
    return JSONResponse({"error": {"code": code, "message": message, "type": kind}}, status_code=status)


def _sse(items: Iterator[dict[str, Any]]) -> Iterator[str]:
    for item in items:
        yield f"data: {json.dumps(item, ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"


def _conversation(messages: list[ChatMessage]) -> tuple[str, list[Turn]]:
    """The last user message as the question, the user/assistant messages before it as history."""

    def text(m: ChatMessage) -> str:
        if isinstance(m.content, list):
            return " ".join(str(part.get("text", "")) for part in m.content if part.get("type") == "text")
        return m.content or ""

    turns = [m for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise ApiError(400, "no_question", "Die letzte Nachricht muss eine Frage (role: user) sein.")
    history: list[Turn] = [{"role": m.role, "content": text(m)} for m in turns[:-1]]
    return text(turns[-1]), history


def api_app(rag: RAG, settings: Settings) -> FastAPI:
    """A FastAPI app with the JSON and OpenAI routes over ``rag`` (the web chat is mounted beside them)."""
    app = FastAPI(title="Nachrichten-RAG API", version="1", docs_url="/api/docs", openapi_url="/api/v1/openapi.json")
    uploads = Uploads(rag, settings.max_upload_mb)
    limiter = _RateLimit(settings.server_rate_limit)
    key = settings.server_api_key.get_secret_value()

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Any:
        path = request.url.path
        if not (path.startswith("/api/v1/") or path.startswith("/v1/")):
            return await call_next(request)
        if key:
            given = request.headers.get("authorization", "")
            if not secrets.compare_digest(given.encode(), f"Bearer {key}".encode()):
                return _error(401, "unauthorized", "Fehlender oder falscher API-Schlüssel (Authorization: Bearer …).")
        if not limiter.allow(request.client.host if request.client else "?"):
            return _error(
                429, "rate_limited", f"Zu viele Anfragen (höchstens {settings.server_rate_limit} pro Minute)."
            )
        limit = MAX_FILES * settings.max_upload_mb * 1024 * 1024 if path == "/api/v1/documents" else MAX_JSON_BYTES
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return _error(413, "too_large", f"Die Anfrage ist zu groß (höchstens {limit // 1024} KB).")
        if request.method == "POST" and path != "/api/v1/documents":
            # JSON whatever the header says: `curl -d '{…}'` sends it as a form
            headers = [(k, v) for k, v in request.scope["headers"] if k != b"content-type"]
            request.scope["headers"] = [*headers, (b"content-type", b"application/json")]
        return await call_next(request)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return _error(422, "invalid_request", problems)

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> JSONResponse:
        log.exception("request failed: %s", request.url.path)
        own = isinstance(exc, RagError)  # its messages are written for people
        return _error(
            500, "internal_error", str(exc) if own else f"Die Anfrage ist fehlgeschlagen ({type(exc).__name__})."
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, "http_" + str(exc.status_code), str(exc.detail))

    def answer(
        question: str, history: list[Turn], top_k: int | None = None, filters: Filters | None = None
    ) -> Iterator[Answer]:
        try:
            yield from rag.stream(question, history, top_k, filters)
        except ValueError as exc:  # empty or too long: rag's message is meant for people
            raise ApiError(400, "invalid_question", str(exc)) from exc

    def final(question: str, history: list[Turn], top_k: int | None = None, filters: Filters | None = None) -> Answer:
        *_, last = answer(question, history, top_k, filters)
        return last

    @app.post("/api/v1/ask", response_model=None)
    def ask(body: AskIn) -> dict[str, Any] | StreamingResponse:
        """The answer with numbered citations; ``stream``: Server-Sent Events, the last one complete."""
        history: list[Turn] = [{"role": t.role, "content": t.content} for t in body.history]
        f = body.filters
        filters = Filters(f.date_from, f.date_to, tuple(f.sources), f.period) if f else None
        if not body.stream:
            return answer_json(final(body.question, history, body.top_k, filters))
        answers = answer(body.question, history, body.top_k, filters)
        first = next(answers)  # errors in the question surface as JSON, not inside the stream
        events = (answer_json(a) for a in (first, *answers))
        return StreamingResponse(_sse(events), media_type="text/event-stream")

    @app.get("/api/v1/documents")
    def documents() -> list[dict[str, Any]]:
        return [asdict(d) for d in rag.documents()]

    @app.post("/api/v1/documents")
    def upload(files: list[UploadFile]) -> dict[str, Any]:
        """Add articles (multipart field ``files``); each file's outcome is reported, the rest go in."""
        if len(files) > MAX_FILES:
            raise ApiError(413, "too_many_files", f"Höchstens {MAX_FILES} Dateien je Anfrage.")
        with tempfile.TemporaryDirectory() as tmp:
            received = []
            for i, f in enumerate(files):
                path = Path(tmp) / str(i)
                path.write_bytes(f.file.read())
                received.append((f.filename or "upload.txt", path))
            outcomes, report = uploads.add(received)
        return {"files": [asdict(o) for o in outcomes], "n_chunks": report.n_chunks if report else None}

    @app.delete("/api/v1/documents/{doc_id}")
    def delete(doc_id: str) -> dict[str, Any]:
        report = uploads.remove([doc_id])
        if not report.removed:
            raise ApiError(404, "not_found", f"Kein Dokument {doc_id!r} im Index.")
        return {"removed": report.removed}

    @app.get("/api/v1/health")
    def health() -> dict[str, Any]:
        docs = rag.documents()
        return {
            "status": "ok",
            "documents": len(docs),
            "chunks": sum(d.n_chunks for d in docs),
            "model": settings.embedding_model,
            "store": settings.store,
            "backend": settings.answer_backend,
        }

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "local"}]}

    @app.post("/v1/chat/completions", response_model=None)
    def chat(body: ChatIn) -> dict[str, Any] | StreamingResponse:
        """OpenAI chat completion: the answer text with [n] markers and a sources block; ``citations`` extra."""
        question, history = _conversation(body.messages)
        created, ident = int(time.time()), f"chatcmpl-{uuid.uuid4().hex}"
        if not body.stream:
            ans = final(question, history)
            return {
                "id": ident,
                "object": "chat.completion",
                "created": created,
                "model": MODEL_ID,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": ans.text + sources_block(ans)},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "citations": answer_json(ans)["citations"],
                "abstained": ans.abstained,
            }
        answers = answer(question, history)
        first = next(answers)

        def chunks() -> Iterator[dict[str, Any]]:
            def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
                choice = {"index": 0, "delta": delta, "finish_reason": finish}
                return {"id": ident, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
                        "choices": [choice], **extra}  # fmt: skip

            yield chunk({"role": "assistant", "content": ""})
            sent, last = "", first
            for ans in (first, *answers):
                last = ans
                if ans.text.startswith(sent) and len(ans.text) > len(sent):
                    yield chunk({"content": ans.text[len(sent) :]})
                    sent = ans.text
            tail = sources_block(last) if last.text.startswith(sent) else ""
            yield chunk({"content": tail} if tail else {})
            yield chunk({}, "stop", citations=answer_json(last)["citations"], abstained=last.abstained)

        return StreamingResponse(_sse(chunks()), media_type="text/event-stream")

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]

    @app.api_route("/api/v1/{rest:path}", methods=methods, include_in_schema=False)
    @app.api_route("/v1/{rest:path}", methods=methods, include_in_schema=False)
    def unknown(rest: str) -> None:  # not the web chat's business: a JSON 404
        raise ApiError(404, "not_found", "Diese Route gibt es nicht; siehe /api/docs.")

    return app
