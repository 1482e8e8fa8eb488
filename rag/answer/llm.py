"""Answers from any OpenAI-compatible chat endpoint (llama.cpp server, Ollama, vLLM, OpenAI).

The model sees numbered passages and must cite them as [n]. Its output is checked: markers
that point to no passage are removed, the cited passages are renumbered in order of first
use, and each citation quotes the passage sentence closest to the claim it supports.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import openai

from rag.answer.extractive import ABSTAIN_TEXT, Draft
from rag.followup import Turn
from rag.ingest import resolve_times, split_sentences
from rag.lexical import stem, words
from rag.settings import Settings
from rag.types import Citation, Passage

_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
UNCITED_NOTE = "(Hinweis: Diese Antwort nennt keine gültige Quelle – bitte prüfen.)"


class LLMError(RuntimeError):
    """The language model server failed; the message is meant for the user."""


class LLMAnswerer:
    """Streams an answer from the configured endpoint and validates its citations."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client = openai.OpenAI(
            base_url=settings.llm_base_url,
            api_key=settings.api_key() or "not-needed",
            timeout=settings.llm_timeout_s,
            max_retries=0,
        )
        self._system = (settings.prompts_dir / "answer_de.md").read_text(encoding="utf-8")
        self._condense = (settings.prompts_dir / "condense_de.md").read_text(encoding="utf-8")

    def _chat(self, messages: list[dict[str, str]], max_tokens: int) -> Iterator[str]:
        url = self._settings.llm_base_url
        try:
            stream = self._client.chat.completions.create(
                model=self._settings.llm_model,
                messages=messages,  # type: ignore[arg-type]
                stream=True,
                temperature=0.0,
                max_tokens=max_tokens,
            )
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:  # type: ignore[union-attr]
                    yield chunk.choices[0].delta.content  # type: ignore[union-attr]
        except openai.APITimeoutError as exc:
            raise LLMError(
                f"Das Sprachmodell unter {url} hat nicht innerhalb von "
                f"{self._settings.llm_timeout_s:.0f} s geantwortet."
            ) from exc
        except openai.APIConnectionError as exc:
            raise LLMError(f"Das Sprachmodell unter {url} ist nicht erreichbar. Läuft der Server?") from exc
        except openai.APIStatusError as exc:
            raise LLMError(f"Das Sprachmodell unter {url} meldet Fehler {exc.status_code}: {exc.message}") from exc

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        """Token deltas of the answer to ``question`` from ``passages``."""
        blocks = []
        for n, p in enumerate(passages, start=1):
            notes = "; ".join(f"„{m.text}“ = {m.value}" for m in resolve_times(p.text, p.date) if m.text != m.value)
            header = f"[{n}] {p.title} ({p.date or 'ohne Datum'}{'; ' + notes if notes else ''})"
            blocks.append(f"{header}\n{p.text}")
        user = "Auszüge:\n\n" + "\n\n".join(blocks) + f"\n\nFrage: {question}"
        messages = [{"role": "system", "content": self._system}, {"role": "user", "content": user}]
        yield from self._chat(messages, self._settings.llm_max_tokens)

    def condense(self, question: str, history: Sequence[Turn]) -> str | None:
        """The follow-up rewritten as a standalone question, or None if the model gives nothing usable."""
        turns = "\n".join(f"{t['role']}: {t['content']}" for t in history[-6:])
        messages = [
            {"role": "system", "content": self._condense},
            {"role": "user", "content": f"Verlauf:\n{turns}\n\nLetzte Frage: {question}"},
        ]
        text = "".join(self._chat(messages, 80)).strip().splitlines()
        first = text[0].strip(' "„“') if text else ""
        return first if 3 <= len(first) <= 300 else None

    def finalize(self, text: str, passages: Sequence[Passage]) -> Draft:
        return validate_citations(text, passages)


def validate_citations(text: str, passages: Sequence[Passage]) -> Draft:
    """Drop markers that point to no passage, renumber the rest, quote the supporting sentences."""
    text = text.strip()
    if ABSTAIN_TEXT.rstrip(".") in text or not text:
        return Draft(ABSTAIN_TEXT, None, True, [], 0.0)
    order: list[int] = []

    def renumber(match: re.Match[str]) -> str:
        valid = [int(x) for x in re.split(r"\s*[,;]\s*", match.group(1)) if 1 <= int(x) <= len(passages)]
        for n in valid:
            if n not in order:
                order.append(n)
        return "".join(f"[{order.index(n) + 1}]" for n in dict.fromkeys(valid))

    cleaned = re.sub(r"\s+([.,;:])", r"\1", _MARKER.sub(renumber, text)).strip()
    citations = [_quote(new, passages[old - 1], cleaned, new) for new, old in enumerate(order, start=1)]
    if not citations:
        cleaned = f"{cleaned}\n\n{UNCITED_NOTE}"
    return Draft(cleaned, None, False, citations, 1.0 if citations else 0.0)


def _quote(n: int, p: Passage, answer: str, marker: int) -> Citation:
    """Cite the sentence of ``p`` that shares most words with the answer sentence carrying ``[marker]``."""
    claim = " ".join(s for s in re.split(r"(?<=[.!?])\s+", answer) if f"[{marker}]" in s) or answer
    claim_terms = {stem(w) for w in words(claim)}
    spans = split_sentences(p.text) or [(0, len(p.text))]
    start, end = max(spans, key=lambda se: len(claim_terms & {stem(w) for w in words(p.text[se[0] : se[1]])}))
    return Citation(
        n=n,
        doc_id=p.doc_id,
        title=p.title,
        date=p.date,
        source=p.source,
        quote=p.text[start:end],
        score=round(p.score, 4),
        passage=p.text,
        quote_start=start,
        also_in=p.duplicates,
    )
