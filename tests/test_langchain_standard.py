"""LangChain conformance: the retriever passes langchain-tests' standard retriever suite, and the chain
behaves as LangChain documents for Runnables (invoke, batch, stream, astream)."""

from __future__ import annotations

import asyncio
import functools
import tempfile
from pathlib import Path
from typing import Any

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from rag.api import RAG
from rag.search.retrieval import NewsRetriever
from rag.settings import Settings
from rag.types import Answer
from tests.webserver import SEEDS

pytestmark = pytest.mark.slow


@functools.cache
def _seeds_rag() -> RAG:
    index = Path(tempfile.mkdtemp(prefix="lc-standard-")) / "index"
    return RAG.build([SEEDS], index=index, settings=Settings(index_dir=index))


class TestNewsRetrieverStandard(RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> type[NewsRetriever]:
        return NewsRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"search": _seeds_rag().retriever.search, "k": 5}

    @property
    def retriever_query_example(self) -> str:
        return "Wie viel Hilfe wurde 2024 zugesagt?"


def test_the_chain_is_a_runnable() -> None:
    chain = _seeds_rag().chain
    questions = [{"question": "Wie viel Hilfe wurde 2024 zugesagt?"}, {"question": "Wer ist Generalsekretär der Nato?"}]
    one = chain.invoke(questions[0])
    both = chain.batch(questions)
    assert isinstance(one, Answer) and [a.question for a in both] == [q["question"] for q in questions]
    assert both[0].text == one.text
    assert list(chain.stream(questions[0]))[-1].text == one.text

    async def collect() -> list[Answer]:
        return [a async for a in chain.astream(questions[0])]

    assert asyncio.run(collect())[-1].text == one.text
    assert asyncio.run(chain.ainvoke(questions[0])).text == one.text
