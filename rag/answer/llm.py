"""Answers from any OpenAI-compatible chat endpoint (llama.cpp server, Ollama, vLLM, OpenAI).

The model sees numbered passages and must cite them as [n]. Its output is checked: markers
that point to no passage are removed, the cited passages are renumbered in order of first
use, and each citation quotes the passage sentence closest to the claim it supports.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from rag.answer.extractive import ABSTAIN_TEXT, Draft
from rag.answer.followup import Turn
from rag.errors import RagError
from rag.ingest import split_sentences
from rag.settings import Settings
from rag.text.lexical import stem, words
from rag.text.timeexpr import resolve_times
from rag.types import Citation, Passage

if TYPE_CHECKING:  # the client library loads with the first LLMAnswerer: most runs answer without one
    from openai.types.chat import ChatCompletionMessageParam

_MARKER = re.compile(r"[ \t]*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_CONDENSE_MAX_TOKENS = 80
UNCITED_NOTE = "(Hinweis: Diese Antwort nennt keine gültige Quelle – bitte prüfen.)"


class LLMError(RagError, RuntimeError):
    """The language model server failed; the message is meant for the user."""


class LLMAnswerer:
    """Streams an answer from the configured endpoint and validates its citations."""

    def __init__(self, settings: Settings) -> None:
        import openai

        self._settings = settings
        self._client = openai.OpenAI(
            base_url=settings.llm_base_url,
            api_key=settings.api_key() or "not-needed",
            timeout=settings.llm_timeout_s,
            max_retries=0,
        )
        self._instructions = (settings.prompts_dir / "answer_de.md").read_text(encoding="utf-8").strip()
        self._condense = (settings.prompts_dir / "condense_de.md").read_text(encoding="utf-8").strip()

    def _chat(self, instructions: str, content: str, max_tokens: int) -> Iterator[str]:
        """Token deltas of the reply to one user turn.

        The instructions go into that user turn rather than a system message: templates of base
        and small models (Gemma) have no system role, and chat models follow them there as well.
        """
        import httpx
        import openai

        messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": f"{instructions}\n\n{content}"}]
        url = self._settings.llm_base_url
        try:
            stream = self._client.chat.completions.create(
                model=self._settings.llm_model,
                messages=messages,
                stream=True,
                temperature=0.0,
                max_completion_tokens=max_tokens,  # ``max_tokens`` is deprecated; OpenAI's newer models reject it
            )
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except (openai.APITimeoutError, httpx.TimeoutException) as exc:  # the latter: a stream stalling midway
            raise LLMError(
                f"Das Sprachmodell unter {url} hat nicht innerhalb von {self._settings.llm_timeout_s:g} s geantwortet."
            ) from exc
        except (openai.APIConnectionError, httpx.TransportError) as exc:
            raise LLMError(f"Das Sprachmodell unter {url} ist nicht erreichbar. Läuft der Server?") from exc
        except openai.APIStatusError as exc:
            raise LLMError(f"Das Sprachmodell unter {url} meldet Fehler {exc.status_code}: {exc.message}") from exc
        except openai.APIError as exc:  # an error event inside the stream
            raise LLMError(f"Das Sprachmodell unter {url} meldet einen Fehler: {exc.message}") from exc

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        """Token deltas of the answer to ``question`` from ``passages``."""
        blocks = []
        for n, p in enumerate(passages, start=1):
            notes = "; ".join(f"„{m.text}“ = {m.value}" for m in resolve_times(p.text, p.date) if m.text != m.value)
            header = f"[{n}] {p.title} ({p.date or 'ohne Datum'}{'; ' + notes if notes else ''})"
            blocks.append(f"{header}\n{p.text}")
        content = "Auszüge:\n\n" + "\n\n".join(blocks) + f"\n\nFrage: {question}"
        yield from self._chat(self._instructions, content, self._settings.llm_max_tokens)

    def condense(self, question: str, history: Sequence[Turn]) -> str | None:
        """The follow-up rewritten as a standalone question, or None if the model gives nothing usable."""
        turns = "\n".join(f"{t['role']}: {t['content']}" for t in history[-6:])
        content = f"Verlauf:\n{turns}\n\nLetzte Frage: {question}"
        lines = "".join(self._chat(self._condense, content, _CONDENSE_MAX_TOKENS)).strip().splitlines()
        first = lines[0].strip(' "„“') if lines else ""
        return first if 3 <= len(first) <= 300 else None

    def finalize(self, text: str, passages: Sequence[Passage]) -> Draft:
        """The streamed ``text`` with its citations checked against ``passages``."""
        return validate_citations(text, passages)


def validate_citations(text: str, passages: Sequence[Passage]) -> Draft:
    """Drop markers that point to no passage, renumber the rest, quote the supporting sentences."""
    text = text.strip()
    if not text or ABSTAIN_TEXT.rstrip(".") in text:
        return Draft(ABSTAIN_TEXT, None, True, [])
    order: list[int] = []

    def renumber(match: re.Match[str]) -> str:
        valid = [int(x) for x in re.split(r"\s*[,;]\s*", match.group(1)) if 1 <= int(x) <= len(passages)]
        for n in valid:
            if n not in order:
                order.append(n)
        return " " + "".join(f"[{order.index(n) + 1}]" for n in dict.fromkeys(valid)) if valid else ""

    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", _MARKER.sub(renumber, text)).strip()
    citations = [_quote(n, passages[old - 1], cleaned) for n, old in enumerate(order, start=1)]
    if not citations:
        return Draft(f"{cleaned}\n\n{UNCITED_NOTE}", None, False, [])
    return Draft(cleaned, None, False, citations)


def _quote(n: int, p: Passage, answer: str) -> Citation:
    """Cite the sentence of ``p`` that shares most words with the answer sentences carrying ``[n]``."""
    claim = " ".join(s for s in re.split(r"(?<=[.!?])\s+", answer) if f"[{n}]" in s) or answer
    claim_terms = {stem(w) for w in words(claim)}
    spans = split_sentences(p.text) or [(0, len(p.text))]
    start, end = max(spans, key=lambda se: len(claim_terms & {stem(w) for w in words(p.text[se[0] : se[1]])}))
    return Citation.of(n, p, start, end, p.score)
