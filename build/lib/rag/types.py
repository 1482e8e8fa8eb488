"""Small typed values that cross module boundaries: articles, chunks, passages, answers."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TimeMention:
    """A time expression in an article body, resolved against the article's date.

    ``value`` is ISO-like with its precision kept: ``2024``, ``2025-Q1``, ``2025-04``,
    ``2025-12-03``; a week is ``2025-W14``.
    """

    start: int
    end: int
    text: str
    value: str


@dataclass(frozen=True)
class Article:
    """One news article as parsed from a file: metadata apart from the body text.

    ``body`` is the cleaned text that gets chunked and embedded; chunk offsets point into it.
    ``date`` keeps its precision (``2025-04`` stays a month) and is None when unknown.
    """

    doc_id: str
    title: str
    body: str
    date: str | None = None
    source: str | None = None
    url: str | None = None
    path: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """A token-bounded piece of an article, aligned to sentence borders."""

    doc_id: str
    seq: int
    text: str
    start: int
    end: int
    n_tokens: int
    times: tuple[str, ...] = ()

    @property
    def chunk_id(self) -> str:
        return f"{self.doc_id}::{self.seq}"


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its article metadata and retrieval score."""

    chunk_id: str
    doc_id: str
    title: str
    date: str | None
    source: str | None
    text: str
    start: int
    end: int
    score: float
    times: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()
    """Doc ids of near-duplicate stories collapsed into this passage."""


@dataclass(frozen=True)
class Filters:
    """Which passages a question may be answered from: articles dated in a range (ISO prefixes, both
    ends included: ``date_from="2024"``, ``date_to="2025-06"``), from these sources, and passages
    about ``period`` (an ISO year, month or day: the article's date or a time the passage names,
    resolved against that date, falls in it: „im vergangenen Jahr“ in an April 2025 article is in
    ``"2024"``). Articles without a date fail a date filter."""

    date_from: str | None = None
    date_to: str | None = None
    sources: tuple[str, ...] = ()
    period: str | None = None

    def __bool__(self) -> bool:
        return bool(self.date_from or self.date_to or self.sources or self.period)


@dataclass(frozen=True)
class Citation:
    """A numbered reference from an answer to the passage that supports it."""

    n: int
    doc_id: str
    title: str
    date: str | None
    source: str | None
    quote: str
    score: float
    passage: str
    quote_start: int
    """Offset of ``quote`` inside ``passage`` (for highlighting), -1 if not found."""
    also_in: tuple[str, ...] = ()

    @classmethod
    def of(cls, n: int, passage: Passage, quote_start: int, quote_end: int, score: float) -> Citation:
        """Citation ``[n]`` of ``passage`` quoting its text between the two offsets."""
        return cls(
            n=n,
            doc_id=passage.doc_id,
            title=passage.title,
            date=passage.date,
            source=passage.source,
            quote=passage.text[quote_start:quote_end],
            score=round(score, 4),
            passage=passage.text,
            quote_start=quote_start,
            also_in=passage.duplicates,
        )


@dataclass
class Answer:
    """What ``RAG.ask`` returns."""

    question: str
    text: str
    short_answer: str | None
    abstained: bool
    citations: list[Citation]
    passages: list[Passage]
    standalone_question: str
    timings_ms: dict[str, float] = field(default_factory=dict)
