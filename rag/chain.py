"""The question-answering chain as a LangChain Runnable: condense → retrieve → answer."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig, RunnableSerializable
from pydantic import ConfigDict

from rag.answer.extractive import ExtractiveAnswerer
from rag.answer.followup import Turn, previous_answer, standalone_question
from rag.answer.llm import LLMAnswerer
from rag.answer.question import analyse
from rag.index.store import IndexStore
from rag.search.retrieval import NewsRetriever
from rag.types import Answer, Citation, Filters


class ChainInput(TypedDict, total=False):
    question: str
    history: Sequence[Turn]
    top_k: int
    """Passages to retrieve for this question (default: the retriever's ``k``)."""
    filters: Filters
    """Only articles these admit (date range, sources)."""


class NewsQAChain(RunnableSerializable[ChainInput, Answer]):
    """``invoke``/``batch``/``stream`` over ``{"question", "history"}``; ``stream`` yields growing Answers.

    With an LLM configured the answer text streams token by token and its citations are checked
    against the retrieved passages; otherwise the extractive answerer answers in one step.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)
    retriever: NewsRetriever
    extractive: ExtractiveAnswerer
    index: Callable[[], IndexStore]
    """The current index; each question takes one snapshot of it, so retrieval and answering read the same."""
    llm: LLMAnswerer | None = None

    def invoke(self, input: ChainInput, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:
        *_, answer = self.stream(input, config, **kwargs)
        return answer

    def stream(self, input: ChainInput, config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[Answer]:
        t0 = time.perf_counter()
        question = input["question"].strip()
        history = list(input.get("history") or [])
        standalone = self.llm.condense(question, history) if self.llm and history else None
        standalone = standalone or standalone_question(question, history)
        t1 = time.perf_counter()
        store = self.index()
        search = self.retriever.search
        passages = search.search(standalone, input.get("top_k") or self.retriever.k, input.get("filters"), store)
        t2 = time.perf_counter()
        q = analyse(standalone, *search.reference(store), previous_answer(question, history))

        def finish(text: str, short: str | None, abstained: bool, citations: list[Citation], final: bool) -> Answer:
            now = time.perf_counter()
            timings = (
                {
                    "condense": (t1 - t0) * 1e3,
                    "retrieve": (t2 - t1) * 1e3,
                    "answer": (now - t2) * 1e3,
                    "total": (now - t0) * 1e3,
                }
                if final
                else {}
            )
            return Answer(
                question,
                text,
                short,
                abstained,
                citations,
                passages,
                standalone,
                {k: round(v, 1) for k, v in timings.items()},
            )

        if self.llm is None:
            draft = self.extractive.answer(q, passages, store)
            yield finish(draft.text, draft.short_answer, draft.abstained, draft.citations, True)
            return
        gate = self.extractive.answer(q, passages, store)
        if gate.abstained:
            yield finish(gate.text, None, True, [], True)
            return
        text = ""
        for delta in self.llm.stream(standalone, passages):
            text += delta
            yield finish(text, None, False, [], False)
        draft = self.llm.finalize(text, passages)
        yield finish(draft.text, gate.short_answer, draft.abstained, draft.citations, True)
