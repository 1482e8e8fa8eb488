"""The Gradio web chat: streaming answers, clickable citations, a sources panel, document management.

It drives the same ``RAG`` object as scripts and the CLI; there is no second pipeline.
"""

from __future__ import annotations

import html
import json
import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from rag.api import RAG
from rag.followup import Turn
from rag.ingest.formats import SUPPORTED
from rag.settings import Settings
from rag.types import Answer

log = logging.getLogger(__name__)

EXAMPLES = [
    "Wie viel Hilfe wurde 2024 zugesagt?",
    "Wer vertritt Marco Rubio beim Nato-Außenministertreffen?",
    "Welche Länder wollen laut Rutte mehr Mittel für die Ukraine bereitstellen?",
    "Wie heißt das neue Verteidigungskonzept der Nato an der Grenze zu Russland?",
    "Wer hat die Fußball-Weltmeisterschaft 2014 gewonnen?",
]
ABSTAIN_BADGE = "ℹ️ **Keine Angabe in den Artikeln**"
CSS = """
.quelle { border-left: 4px solid #2563eb; padding: 6px 10px; margin: 8px 0; background: #f8fafc; }
.quelle.naechste { border-left-color: #9ca3af; }
.quelle mark { background: #fde68a; }
.quelle .meta { color: #475569; font-size: 0.9em; }
"""


def render_answer(ans: Answer) -> str:
    """Answer text as Markdown with [n] linked to the sources panel; abstentions marked as such."""
    text = re.sub(r"\[(\d+)\]", r'<a href="#quelle-\1">[\1]</a>', html.escape(ans.text, quote=False))
    parts = [f"{ABSTAIN_BADGE}\n\n{text}" if ans.abstained else text]
    if ans.standalone_question.strip() != ans.question.strip():
        parts.append(f"*Verstanden als: {html.escape(ans.standalone_question)}*")
    return "\n\n".join(parts)


def render_sources(ans: Answer) -> str:
    """The cited passages with the quoted sentence highlighted, or the closest passages after an abstention."""
    if ans.abstained:
        if not ans.passages:
            return "<p>Keine passenden Passagen gefunden.</p>"
        items = [
            f'<div class="quelle naechste"><div class="meta"><b>{html.escape(p.title)}</b> · '
            f"{p.date or 'ohne Datum'} · {html.escape(p.source or 'Quelle unbekannt')} · {html.escape(p.doc_id)}</div>"
            f"<p>{html.escape(p.text)}</p></div>"
            for p in ans.passages[:3]
        ]
        return "<h4>Nächstliegende Passagen</h4>" + "".join(items)
    items = []
    for c in ans.citations:
        passage = c.passage
        if c.quote_start >= 0:
            end = c.quote_start + len(c.quote)
            body = (
                html.escape(passage[: c.quote_start])
                + f"<mark>{html.escape(passage[c.quote_start : end])}</mark>"
                + html.escape(passage[end:])
            )
        else:
            body = html.escape(passage)
        also = f" · auch in: {html.escape(', '.join(c.also_in))}" if c.also_in else ""
        items.append(
            f'<div class="quelle" id="quelle-{c.n}"><div class="meta"><b>[{c.n}] {html.escape(c.title)}</b> · '
            f"{c.date or 'ohne Datum'} · {html.escape(c.source or 'Quelle unbekannt')} · {html.escape(c.doc_id)}"
            f"{also}</div><p>{body}</p></div>"
        )
    return "<h4>Quellen</h4>" + "".join(items) if items else ""


def _turns(chat: list[dict[str, Any]]) -> list[Turn]:
    """Earlier turns as plain text for the conversation (citation links and badges removed)."""
    out: list[Turn] = []
    for m in chat:
        content = m.get("content")
        if isinstance(content, str):
            plain = re.sub(r"<[^>]+>", "", content.replace(ABSTAIN_BADGE, "")).strip()
            out.append({"role": m["role"], "content": html.unescape(plain)})
    return out


def _safe_name(name: str) -> str:
    base = re.sub(r"[^\w.-]", "_", Path(name).name).lstrip(".")
    return base or "upload.txt"


class ChatApp:
    """Event handlers over one shared ``RAG``."""

    def __init__(self, rag: RAG, settings: Settings) -> None:
        self.rag = rag
        self.settings = settings
        self.uploads = Path(rag.index_dir) / "uploads"

    def stream(self, question: str, history: list[Turn]) -> Iterator[tuple[str, str]]:
        """(answer Markdown, sources HTML) as the answer grows; errors become a friendly message."""
        try:
            for ans in self.rag.stream(question, history=history):
                yield render_answer(ans), render_sources(ans)
        except ValueError as exc:
            yield f"⚠️ {exc}", ""
        except Exception as exc:  # the UI must survive anything (an LLM server down, …)
            log.exception("answering failed")
            yield f"⚠️ Die Antwort ist fehlgeschlagen: {exc}", ""

    def ask(self, question: str, history_json: str) -> tuple[str, str]:
        """One complete answer: ``history_json`` is a JSON list of {role, content} turns."""
        try:
            history = json.loads(history_json) if history_json and history_json.strip() else []
        except json.JSONDecodeError:
            return "⚠️ Der Gesprächsverlauf ist kein gültiges JSON.", ""
        *_, last = self.stream(question, history)
        return last

    def chat(self, question: str, chat: list[dict[str, Any]]) -> Iterator[tuple[list[dict[str, Any]], str, str]]:
        history = _turns(chat)
        chat = [*chat, {"role": "user", "content": question}, {"role": "assistant", "content": "…"}]
        for answer, sources in self.stream(question, history):
            chat[-1] = {"role": "assistant", "content": answer}
            yield chat, sources, ""

    def documents(self) -> list[list[Any]]:
        return [
            [d.doc_id, d.title, d.date or "", d.source or "", d.n_chunks, ", ".join(d.duplicates)]
            for d in self.rag.documents()
        ]

    def _refresh(self, message: str) -> tuple[str, list[list[Any]], Any]:
        ids = [d.doc_id for d in self.rag.documents()]
        return message, self.documents(), gr.update(choices=ids, value=[])

    def upload(self, files: list[str] | None, progress: gr.Progress | None = None) -> tuple[str, list[list[Any]], Any]:
        """Copy uploads (names sanitised, size and type checked) into the index folder and add them."""
        lines, accepted = [], []
        limit = self.settings.max_upload_mb * 1024 * 1024
        self.uploads.mkdir(parents=True, exist_ok=True)
        for raw in files or []:
            source = Path(raw)
            name = _safe_name(source.name)
            if Path(name).suffix.lower() not in SUPPORTED:
                lines.append(f"❌ {name}: Dateityp nicht unterstützt ({', '.join(SUPPORTED)})")
            elif source.stat().st_size > limit:
                lines.append(f"❌ {name}: größer als {self.settings.max_upload_mb} MB")
            else:
                target = self.uploads / name
                shutil.copyfile(source, target)
                accepted.append(target)
        if accepted:
            if progress is not None:
                progress(0.1, desc=f"Indexiere {len(accepted)} Datei(en) …")
            report = self.rag.add(accepted)
            lines += [f"✅ {n}: hinzugefügt" for n in report.added] + [f"✅ {n}: aktualisiert" for n in report.updated]
            lines += [f"= {n}: unverändert" for n in report.unchanged]
            for error in report.errors:
                lines.append(f"❌ {Path(error.split(':', 1)[0]).name}: {error.split(':', 1)[-1].strip()}")
                broken = self.uploads / Path(error.split(":", 1)[0]).name
                broken.unlink(missing_ok=True)
        return self._refresh("\n\n".join(lines) or "Keine Datei ausgewählt.")

    def delete(self, doc_ids: list[str] | None) -> tuple[str, list[list[Any]], Any]:
        if not doc_ids:
            return self._refresh("Keine Dokumente ausgewählt.")
        report = self.rag.remove(doc_ids)
        lines = [f"🗑️ {d}: entfernt" for d in report.removed] + [f"❌ {e}" for e in report.errors]
        return self._refresh("\n\n".join(lines))


def build_app(rag: RAG, settings: Settings) -> gr.Blocks:
    """The web chat over ``rag``: tabs Fragen, Dokumente, Einstellungen."""
    app = ChatApp(rag, settings)
    with gr.Blocks(title="Nachrichten-RAG") as demo:
        gr.Markdown("# Nachrichten-RAG\nFragen an die Artikel – jede Aussage mit Quelle.")
        with gr.Tab("Fragen"):
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(label="Gespräch", height=480, elem_id="chat", sanitize_html=False)
                    question = gr.Textbox(placeholder="Frage eingeben, z. B. „Wie viel Hilfe wurde 2024 zugesagt?“",
                                          label="Frage", elem_id="frage", submit_btn=True)  # fmt: skip
                    gr.Examples(EXAMPLES, inputs=question, label="Beispielfragen")
                    clear = gr.Button("Neues Gespräch", size="sm")
                with gr.Column(scale=2):
                    sources = gr.HTML("<p>Die Quellen der Antwort erscheinen hier.</p>", elem_id="quellen")
            question.submit(app.chat, [question, chatbot], [chatbot, sources, question], api_name="chat")
            clear.click(lambda: ([], ""), None, [chatbot, sources])
            hidden_q, hidden_h = gr.Textbox(visible=False), gr.Textbox(visible=False)
            hidden_a, hidden_s = gr.Markdown(visible=False), gr.HTML(visible=False)
            gr.Button(visible=False).click(app.ask, [hidden_q, hidden_h], [hidden_a, hidden_s], api_name="ask")
        with gr.Tab("Dokumente"):
            files = gr.File(label="Artikel hochladen", file_count="multiple", file_types=list(SUPPORTED))
            upload = gr.Button("Hinzufügen", variant="primary")
            status = gr.Markdown()
            table = gr.Dataframe(app.documents(), headers=["Doc-ID", "Titel", "Datum", "Quelle", "Chunks", "Duplikate"],
                                 interactive=False, label="Dokumente")  # fmt: skip
            chosen = gr.Dropdown([d.doc_id for d in rag.documents()], multiselect=True, label="Dokumente auswählen")
            delete = gr.Button("Löschen", variant="stop")
            upload.click(app.upload, files, [status, table, chosen], api_name="upload")
            delete.click(app.delete, chosen, [status, table, chosen], api_name="delete")
            gr.Button(visible=False).click(app.documents, None, table, api_name="documents")
        with gr.Tab("Einstellungen"):
            backend = settings.answer_backend if settings.answer_backend == "extractive" else (
                f"llm ({settings.llm_model} @ {settings.llm_base_url})")  # fmt: skip
            gr.Markdown(
                f"| Einstellung | Wert |\n|---|---|\n| Antwort | {backend} |\n| Passagen | {settings.top_k} |\n"
                f"| Einbettungsmodell | {settings.embedding_model} |\n| Index | {rag.index_dir} |\n\n"
                "Ändern über Umgebungsvariablen oder `rag.toml`, dann neu starten: `RAG_ANSWER_BACKEND=llm`, "
                "`RAG_LLM_BASE_URL`, `RAG_LLM_MODEL`, `RAG_TOP_K`, `GRADIO_SERVER_NAME`, `GRADIO_SERVER_PORT`, "
                "`RAG_SERVER_AUTH=nutzer:passwort`."
            )
    return demo


def launch_kwargs(settings: Settings) -> dict[str, Any]:
    auth = tuple(settings.server_auth.split(":", 1)) if settings.server_auth else None
    return {
        "server_name": settings.server_host,
        "server_port": settings.server_port,
        "auth": auth,
        "max_file_size": f"{settings.max_upload_mb}mb",
        "css": CSS,
    }


def serve(settings: Settings) -> None:
    """Open (and on first start build) the index of ``settings.corpus_dir``, then run the web chat."""
    print(f"Öffne den Index {settings.index_dir} …", flush=True)
    rag = RAG.open(settings.index_dir, settings)
    if settings.corpus_dir.exists():
        print(f"Indexiere neue oder geänderte Artikel aus {settings.corpus_dir} …", flush=True)
        report = rag.add([settings.corpus_dir], progress=True)
        print(report.summary(), flush=True)
        for error in report.errors:
            print(f"  Fehler: {error}", flush=True)
    demo = build_app(rag, settings).queue(default_concurrency_limit=settings.concurrency_limit)
    print(f"Web-Chat: http://{settings.server_host}:{settings.server_port}", flush=True)
    demo.launch(**launch_kwargs(settings))
