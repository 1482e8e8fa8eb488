"""The Gradio web chat: streaming answers, clickable citations, a sources panel, document management.

It drives the same ``RAG`` object as scripts and the CLI; there is no second pipeline. Every
handler catches its errors at this boundary and shows them as a message: the server keeps running.

API endpoints (for ``gradio_client``): ``/ask`` (question, history_json) → (answer Markdown, sources
HTML); ``/chat`` (question, chat) streams the conversation; ``/upload``, ``/delete``, ``/documents``.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from rag.answer.followup import Turn
from rag.api import RAG
from rag.app.uploads import Uploads
from rag.errors import RagError
from rag.index.store import DocInfo
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
THINKING = "⏳ *Suche in den Artikeln …*"
UNDERSTOOD = "Verstanden als:"
SOURCES_PLACEHOLDER = (
    '<p class="hinweis">Die Quellen der Antwort erscheinen hier. Klick auf [1] springt zur Quelle.</p>'
)
DOC_HEADERS = ["Doc-ID", "Titel", "Datum", "Quelle", "Chunks", "Duplikate"]

CSS = """
.quelle { border-left: 4px solid #2563eb; padding: 6px 10px; margin: 8px 0; background: #f8fafc; border-radius: 4px; }
.quelle.naechste { border-left-color: #9ca3af; }
.quelle mark { background: #fde68a; padding: 0 2px; }
.quelle .meta { color: #475569; font-size: 0.9em; }
.quelle p { margin: 4px 0 0 0; }
.hinweis { color: #64748b; }
"""

_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")
_MD_UNESCAPE = re.compile(r"\\([\\`*_\[\]#|~])")


def _md_text(text: str) -> str:
    """Plain article text safe inside Markdown: no HTML, no links or emphasis smuggled in by an article."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def render_answer(ans: Answer) -> str:
    """Answer text as Markdown with [n] linked to the sources panel; abstentions marked as such."""
    text = re.sub(r"\\\[(\d+)\\\]", r'<a href="#quelle-\1">[\1]</a>', _md_text(ans.text))
    parts = [f"{ABSTAIN_BADGE}\n\n{text}" if ans.abstained else text]
    if " ".join(ans.standalone_question.split()) != " ".join(ans.question.split()):
        parts.append(f"*{UNDERSTOOD} {_md_text(ans.standalone_question)}*")
    return "\n\n".join(parts)


def _meta(title: str, date: str | None, source: str | None, doc_id: str, also_in: tuple[str, ...] = ()) -> str:
    also = f" · auch in: {html.escape(', '.join(also_in))}" if also_in else ""
    return (
        f"<b>{html.escape(title)}</b><br>{html.escape(date or 'ohne Datum')} · "
        f"{html.escape(source or 'Quelle unbekannt')} · <code>{html.escape(doc_id)}</code>{also}"
    )


def render_sources(ans: Answer) -> str:
    """The cited passages with the quoted sentence highlighted, or the closest passages after an abstention."""
    if ans.abstained:
        if not ans.passages:
            return '<p class="hinweis">Keine passenden Passagen gefunden.</p>'
        items = [
            f'<div class="quelle naechste"><div class="meta">{_meta(p.title, p.date, p.source, p.doc_id, p.duplicates)}'
            f"</div><p>{html.escape(p.text)}</p></div>"
            for p in ans.passages[:3]
        ]
        return (
            "<h4>Nächstliegende Passagen</h4>"
            f'<p class="hinweis">Keine davon beantwortet die Frage „{html.escape(ans.standalone_question)}“; '
            "zur Orientierung.</p>" + "".join(items)
        )
    items = []
    for c in ans.citations:
        passage, start = c.passage, c.quote_start
        if c.quote and passage[max(start, 0) : start + len(c.quote)] != c.quote and c.quote in passage:
            start = passage.index(c.quote)  # an offset that does not fit: find the quote itself
        if start >= 0 and c.quote:
            end = start + len(c.quote)
            body = (
                html.escape(passage[:start])
                + f"<mark>{html.escape(passage[start:end])}</mark>"
                + html.escape(passage[end:])
            )
        else:
            body = html.escape(passage)
        items.append(
            f'<div class="quelle" id="quelle-{c.n}"><div class="meta">[{c.n}] '
            f"{_meta(c.title, c.date, c.source, c.doc_id, c.also_in)}</div><p>{body}</p></div>"
        )
    about = f'<p class="hinweis">zur Frage „{html.escape(ans.standalone_question)}“</p>'
    return "<h4>Quellen</h4>" + about + "".join(items) if items else ""


def _message_text(content: Any) -> str:
    """The text of a chat message: a string, or Gradio 6's list of ``{"type": "text", "text": …}`` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or "")
    if isinstance(content, list | tuple):
        return "\n".join(_message_text(part) for part in content)
    return ""


def _plain(markdown: str) -> str:
    lines = [
        line
        for line in markdown.replace(ABSTAIN_BADGE, "").splitlines()
        if not line.strip().startswith(f"*{UNDERSTOOD}")
    ]
    text = re.sub(r"<[^>]+>", "", "\n".join(lines))
    return html.unescape(_MD_UNESCAPE.sub(r"\1", text)).strip()


def _turns(chat: list[dict[str, Any]]) -> list[Turn]:
    """Earlier turns as plain text for the conversation; failed turns (⚠️) and placeholders are left out."""
    out: list[Turn] = []
    for m in chat:
        role, text = m.get("role"), _message_text(m.get("content"))
        if role not in ("user", "assistant"):
            continue
        if role == "assistant" and (text.startswith("⚠️") or text == THINKING):
            if out and out[-1]["role"] == "user":
                out.pop()
            continue
        out.append({"role": role, "content": _plain(text)})
    return out


def _table(docs: list[DocInfo]) -> list[list[Any]]:
    return [
        [d.doc_id, d.title, d.date or "ohne Datum", d.source or "", d.n_chunks, ", ".join(d.duplicates)] for d in docs
    ]


class ChatApp:
    """Event handlers over one shared ``RAG`` (thread-safe for questions; it serialises writes)."""

    def __init__(self, rag: RAG, settings: Settings) -> None:
        self.rag = rag
        self.settings = settings
        self.uploads = Uploads(rag, settings.max_upload_mb)

    # -- questions -------------------------------------------------------------------------------

    def stream(self, question: str, history: list[Turn]) -> Iterator[tuple[str, str]]:
        """(answer Markdown, sources HTML) as the answer grows; errors become a friendly message."""
        try:
            for ans in self.rag.stream(question, history=history):
                yield render_answer(ans), render_sources(ans)
        except ValueError as exc:  # empty or too long: rag's message is German and meant for people
            yield f"⚠️ {exc}", ""
        except Exception as exc:  # anything else (an LLM server down, …) must not take the server down
            log.exception("answering failed: %r", (question or "")[:200])
            own = isinstance(exc, RagError)  # its messages are written for people
            yield (f"⚠️ {exc}" if own else f"⚠️ Die Antwort ist fehlgeschlagen ({type(exc).__name__}: {exc})"), ""

    def ask(self, question: str, history_json: str = "") -> tuple[str, str]:
        """One complete answer: (answer Markdown, sources HTML); ``history_json`` is a JSON list of {role, content}."""
        try:
            history = json.loads(history_json) if history_json and history_json.strip() else []
            if not isinstance(history, list) or not all(isinstance(t, dict) for t in history):
                raise ValueError
        except ValueError:
            return "⚠️ Der Gesprächsverlauf muss eine JSON-Liste von {role, content} sein.", ""
        last = ("⚠️ Keine Antwort erhalten.", "")
        for item in self.stream(question, _turns(history)):
            last = item
        return last

    def chat(
        self, question: str, chat: list[dict[str, Any]] | None, sources_by_msg: dict[int, str] | None = None
    ) -> Iterator[tuple[list[dict[str, Any]], str, str, dict[int, str]]]:
        """Streams the conversation: (chat, sources panel, cleared question box, sources per answer)."""
        chat = list(chat or [])
        sources_by_msg = dict(sources_by_msg or {})
        history = _turns(chat)
        shown = _md_text(question or "")  # the chat renders HTML: what was typed is shown as text
        chat += [{"role": "user", "content": shown}, {"role": "assistant", "content": THINKING}]
        yield chat, '<p class="hinweis">Suche …</p>', "", sources_by_msg
        for answer, sources in self.stream(question, history):
            chat[-1] = {"role": "assistant", "content": answer}
            sources_by_msg[len(chat) - 1] = sources
            yield chat, sources, "", sources_by_msg

    @staticmethod
    def show_sources(sources_by_msg: dict[int, str] | None, evt: gr.SelectData) -> Any:
        """Clicking an earlier answer shows that answer's sources (its [n] links point there)."""
        index = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        for key in (index, str(index)):  # gr.State may round-trip int keys as strings
            if sources_by_msg and key in sources_by_msg:
                return sources_by_msg[key]
        return gr.skip()

    # -- documents -------------------------------------------------------------------------------

    def documents(self) -> list[list[Any]]:
        """The documents table: doc id, title, date, source, chunks, near-duplicates."""
        return _table(self.rag.documents())

    def refresh(self) -> tuple[list[list[Any]], Any]:
        """Table and delete choices from one snapshot of the index, so they always agree."""
        docs = self.rag.documents()
        choices = [(f"{d.doc_id} – {d.title[:60]}", d.doc_id) for d in docs]
        return _table(docs), gr.update(choices=choices, value=[])

    def _with_refresh(self, message: str) -> tuple[str, list[list[Any]], Any]:
        return (message, *self.refresh())

    def upload(
        self,
        files: list[str] | None,
        progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008
    ) -> tuple[str, list[list[Any]], Any]:
        """Copy uploads (names sanitised, size and type checked) into the upload folder and index them."""
        try:
            return self._with_refresh(self._upload(files or [], progress))
        except Exception as exc:
            log.exception("upload failed")
            return self._with_refresh(f"⚠️ Hochladen fehlgeschlagen: {exc}")

    def _upload(self, files: list[str], progress: gr.Progress) -> str:
        if not files:
            return "Keine Datei ausgewählt."
        progress(0.0, desc=f"Prüfe und indexiere {len(files)} Datei(en) …")
        outcomes, report = self.uploads.add([(Path(f).name, Path(f)) for f in files])
        lines = [
            _OUTCOME[o.status].format(name=o.name, message=o.message) if o.name else f"❌ {o.message}" for o in outcomes
        ]
        if report is not None:
            lines.append(f"Index: {len(self.rag.documents())} Dokumente, {report.n_chunks} Chunks.")
        return "\n\n".join(lines)

    def delete(self, doc_ids: list[str] | None) -> tuple[str, list[list[Any]], Any]:
        """Remove the chosen documents; an uploaded file goes too once none of its documents is left."""
        if not doc_ids:
            return self._with_refresh("Keine Dokumente ausgewählt.")
        try:
            report = self.uploads.remove(doc_ids)
            lines = [f"🗑️ {d}: entfernt" for d in report.removed] + [f"❌ {e}" for e in report.errors]
            return self._with_refresh("\n\n".join(lines))
        except Exception as exc:
            log.exception("delete failed")
            return self._with_refresh(f"⚠️ Löschen fehlgeschlagen: {exc}")


_OUTCOME = {
    "added": "✅ {name}: hinzugefügt",
    "updated": "✅ {name}: aktualisiert",
    "unchanged": "= {name}: unverändert (schon im Index)",
    "rejected": "❌ {name}: {message}",
    "failed": "❌ {name}: {message}",
}


def _settings_markdown(rag: RAG, settings: Settings) -> str:
    if settings.answer_backend == "llm":
        backend = f"OpenAI-kompatibler Endpunkt: Modell `{settings.llm_model}` unter `{settings.llm_base_url}`"
    else:
        backend = "Offline extraktiv (zitiert Sätze aus den Artikeln, kein Sprachmodell)"
    return (
        "### Aktuelle Einstellungen\n\n"
        "| Einstellung | Wert |\n|---|---|\n"
        f"| Antworten | {backend} |\n"
        f"| Passagen pro Frage (top_k) | {settings.top_k} |\n"
        f"| Einbettungsmodell | `{settings.embedding_model}` |\n"
        f"| Index | `{rag.index_dir}` |\n"
        f"| Gleichzeitige Anfragen | {settings.concurrency_limit} |\n"
        f"| Max. Dateigröße | {settings.max_upload_mb} MB |\n"
        f"| Anmeldung | {'ja' if settings.server_auth else 'nein'} |\n\n"
        "Die Einstellungen gelten für den ganzen Server. Ändern über Umgebungsvariablen oder eine "
        "`rag.toml` im Arbeitsverzeichnis, dann neu starten:\n\n"
        "```bash\n"
        "RAG_ANSWER_BACKEND=llm RAG_LLM_BASE_URL=http://127.0.0.1:8080/v1 RAG_LLM_MODEL=local \\\n"
        "RAG_TOP_K=5 rag serve\n"
        "```\n\n"
        "Weitere: `RAG_LLM_API_KEY`, `RAG_SERVER_AUTH=nutzer:passwort`, `RAG_MAX_UPLOAD_MB`, "
        "`RAG_CONCURRENCY_LIMIT`, `GRADIO_SERVER_NAME`, `GRADIO_SERVER_PORT`."
    )


def build_app(rag: RAG, settings: Settings) -> gr.Blocks:
    """The web chat over ``rag``: tabs Fragen, Dokumente, Einstellungen."""
    app = ChatApp(rag, settings)
    demo = gr.Blocks(title="Nachrichten-RAG")
    with demo:
        gr.Markdown("# Nachrichten-RAG\nFragen an die Nachrichtenartikel – jede Aussage mit Quelle.")
        with gr.Tab("Fragen"):
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        label="Gespräch",
                        height=480,
                        elem_id="chat",
                        sanitize_html=False,  # answers are escaped by render_answer; links must stay in-page
                        latex_delimiters=[],
                        buttons=["copy"],
                    )
                    question = gr.Textbox(
                        placeholder="Frage eingeben, z. B. „Wie viel Hilfe wurde 2024 zugesagt?“ – Rückfragen wie „Und für 2025?“ gehen auch",
                        label="Frage",
                        elem_id="frage",
                        submit_btn=True,
                        max_length=4000,
                    )
                    examples = gr.Examples(EXAMPLES, inputs=question, label="Beispielfragen", api_visibility="private")
                    clear = gr.Button("Neues Gespräch", size="sm")
                with gr.Column(scale=2):
                    sources = gr.HTML(SOURCES_PLACEHOLDER, elem_id="quellen", css_template=CSS, padding=True)
            sources_by_msg = gr.State({})
            chat_io = ([question, chatbot, sources_by_msg], [chatbot, sources, question, sources_by_msg])
            # Questions from the chat, the examples and the API share one concurrency limit.
            question.submit(app.chat, *chat_io, api_name="chat", concurrency_id="answer")
            examples.load_input_event.then(app.chat, *chat_io, api_visibility="private", concurrency_id="answer")
            chatbot.select(app.show_sources, sources_by_msg, sources, api_visibility="private", queue=False)

            def reset() -> tuple[list[Any], str, dict[int, str]]:
                return [], SOURCES_PLACEHOLDER, {}

            clear.click(reset, None, [chatbot, sources, sources_by_msg], api_visibility="private", queue=False)
            chatbot.clear(reset, None, [chatbot, sources, sources_by_msg], api_visibility="private", queue=False)
            gr.api(app.ask, api_name="ask", concurrency_id="answer")
        with gr.Tab("Dokumente"):
            gr.Markdown(
                f"Artikel hochladen ({', '.join(SUPPORTED)}; höchstens {settings.max_upload_mb} MB je Datei). "
                "Eine Datei gleichen Namens ersetzt ihre frühere Fassung."
            )
            files = gr.File(label="Artikel hochladen", file_count="multiple", file_types=list(SUPPORTED))
            upload = gr.Button("Hinzufügen", variant="primary")
            status = gr.Markdown()
            table = gr.Dataframe(
                headers=DOC_HEADERS,
                datatype=["str", "str", "str", "str", "number", "str"],
                column_widths=["20%", "40%", "10%", "10%", "6%", "14%"],
                interactive=False,
                wrap=True,
                show_search="search",
                label="Dokumente",
            )
            with gr.Row():
                chosen = gr.Dropdown(
                    [],
                    multiselect=True,
                    allow_custom_value=True,  # ids typed or sent by API clients; unknown ones are reported
                    label="Dokumente zum Löschen auswählen",
                    scale=4,
                )
                delete = gr.Button("Löschen", variant="stop", scale=1)
            upload.click(app.upload, files, [status, table, chosen], api_name="upload").then(
                lambda: None, None, files, api_visibility="private"
            )
            delete.click(app.delete, chosen, [status, table, chosen], api_name="delete")
            gr.api(app.documents, api_name="documents")
        with gr.Tab("Einstellungen"):
            gr.Markdown(_settings_markdown(rag, settings))
        demo.load(app.refresh, None, [table, chosen], api_visibility="private", queue=False)
    return demo
