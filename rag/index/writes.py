"""From files to the index: parse, chunk, embed what changed, commit in batches (each atomic)."""

from __future__ import annotations

import gc
import hashlib
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from rag.embedding import Embedder
from rag.index.store import ArticleSentences, FileUpdate, IndexStore
from rag.ingest import IngestError, chunk_article, find_files, read_articles, sentence_spans
from rag.settings import Settings
from rag.types import Chunk


@dataclass
class IndexReport:
    """What one indexing run did. ``errors`` holds one line per file that could not be read."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    n_chunks: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.removed)} removed, {len(self.errors)} failed; {self.n_chunks} chunks in the index "
            f"({self.seconds:.1f} s)"
        )


def embedding_text(title: str, text: str) -> str:
    """What gets embedded for a chunk: the article title gives every chunk its story's context."""
    return f"{title}\n{text}" if title and not text.startswith(title) else text


def add_files(
    store: IndexStore,
    paths: Iterable[str | Path],
    settings: Settings,
    embedder: Embedder,
    progress: bool = True,
) -> tuple[IndexStore, IndexReport]:
    """Index new and changed files under ``paths``; unchanged files cost one hash each.

    Files are committed in batches of ``settings.index_batch_files``: a run that is stopped keeps every
    batch it finished, and running it again continues with the files still missing. The next batch is
    read and chunked while the current one is embedded.
    """
    started = time.perf_counter()
    report = IndexReport()
    files: list[Path] = []
    for path in paths:
        try:
            files.extend(find_files([path]))
        except IngestError as exc:
            report.errors.append(str(exc))
    known = store.file_hashes([path.name for path in files])
    work: list[tuple[Path, str]] = []
    for path in files:
        try:
            file_hash = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            report.errors.append(f"{path}: cannot read ({exc.strerror})")
            continue
        if known.get(path.name) == file_hash:
            report.unchanged.append(path.name)
        else:
            work.append((path, file_hash))
    size = max(1, settings.index_batch_files)
    batches = [work[i : i + size] for i in range(0, len(work), size)]
    bar = tqdm(total=len(work), unit="file", desc="Indexing", disable=not progress or not work, file=sys.stderr)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as reader:
        ahead = reader.submit(_read, batches[0], settings) if batches else None
        for n in range(len(batches)):
            assert ahead is not None
            with _collector_paused():  # a batch at a time: the collector runs between batches
                updates, errors = ahead.result()
                ahead = reader.submit(_read, batches[n + 1], settings) if n + 1 < len(batches) else None
                report.errors.extend(errors)
                if updates:
                    _embed(updates, settings, embedder, progress and len(batches) == 1)
                    store = commit(store, updates, [], settings, embedder)
            for u in updates:
                (report.updated if u.file in known else report.added).append(u.file)
            bar.update(len(batches[n]))
            bar.set_postfix(chunks=store.n_chunks, refresh=False)
    bar.close()
    report.n_chunks = store.n_chunks
    report.seconds = time.perf_counter() - started
    return store, report


def _read(batch: Sequence[tuple[Path, str]], settings: Settings) -> tuple[list[FileUpdate], list[str]]:
    """Parse and chunk a batch of files: the updates to embed, and one line for each file refused."""
    updates: list[FileUpdate] = []
    errors: list[str] = []
    for path, file_hash in batch:
        try:
            articles = read_articles(path)
        except IngestError as exc:
            errors.append(str(exc))
            continue
        largest = max(articles, key=lambda a: len(a.body), default=None)
        if largest is not None and len(largest.body.encode()) > settings.max_article_mb * 1024 * 1024:
            size = len(largest.body.encode()) / 1024 / 1024
            errors.append(
                f"{path}: article {largest.doc_id!r} has {size:.1f} MB of text, more than max_article_mb "
                f"({settings.max_article_mb:g} MB): not indexed (split it, or raise RAG_MAX_ARTICLE_MB)"
            )
            continue
        chunks = [chunk_article(a, settings.chunk_tokens, settings.chunk_overlap_tokens) for a in articles]
        repetitive = next((problem for a, cs in zip(articles, chunks) if (problem := _repetitive(a.doc_id, cs))), None)
        if repetitive:
            errors.append(f"{path}: {repetitive}: not indexed (a log or a broken export, not an article)")
            continue
        hashes = [hashlib.sha256(f"{a.title}\n{a.date}\n{a.body}".encode()).hexdigest() for a in articles]
        updates.append(FileUpdate(path.name, file_hash, articles, chunks, [], hashes))
    return updates, errors


def _embed(updates: Sequence[FileUpdate], settings: Settings, embedder: Embedder, progress: bool) -> None:
    """Fill in the vectors of the updates' chunks and sentences."""
    spans = [[sentence_spans(a.body, settings.chunk_tokens) for a in u.articles] for u in updates]
    texts = [embedding_text(a.title, c.text) for u in updates for a, cs in zip(u.articles, u.chunks) for c in cs]
    sentences = [a.body[s:e] for u, ss in zip(updates, spans) for a, sp in zip(u.articles, ss) for s, e in sp]
    # one call: sentence-transformers sorts all texts by length, so short sentences batch together
    vectors = embedder.embed_passages(texts + sentences, settings.embed_batch_size, progress=progress)
    chunk_vectors, sentence_vectors = vectors[: len(texts)], vectors[len(texts) :]
    offset = sentence_offset = 0
    for u, article_spans in zip(updates, spans):
        for cs, sp in zip(u.chunks, article_spans):
            u.vectors.append(chunk_vectors[offset : offset + len(cs)])
            offset += len(cs)
            u.sentences.append(ArticleSentences(sp, sentence_vectors[sentence_offset : sentence_offset + len(sp)]))
            sentence_offset += len(sp)


def add_embedded(
    store: IndexStore, updates: Sequence[FileUpdate], settings: Settings, embedder: Embedder, group_duplicates: bool
) -> tuple[IndexStore, IndexReport]:
    """Write articles embedded elsewhere in one commit; each update replaces its file."""
    started = time.perf_counter()
    known = store.file_hashes([u.file for u in updates])
    store = commit(store, updates, [], settings, embedder, group_duplicates)
    report = IndexReport(
        added=[u.file for u in updates if u.file not in known], updated=[u.file for u in updates if u.file in known]
    )
    report.n_chunks = store.n_chunks
    report.seconds = time.perf_counter() - started
    return store, report


REPETITIVE_MIN_CHUNKS = 50
"""Articles with at least this many chunks are checked for repeating themselves."""


def _repetitive(doc_id: str, chunks: Sequence[Chunk]) -> str | None:
    """Why an article is degenerate, if it is: most of its chunks say the same (thousands of identical
    lines would fill the index with copies and cost minutes of embedding)."""
    if len(chunks) < REPETITIVE_MIN_CHUNKS:
        return None
    distinct = len({c.text for c in chunks})
    if distinct * 2 > len(chunks):
        return None
    return f"article {doc_id!r} repeats itself ({len(chunks)} chunks, {distinct} different)"


def remove_docs(
    store: IndexStore, names: Sequence[str], settings: Settings, embedder: Embedder
) -> tuple[IndexStore, IndexReport]:
    """Remove documents by doc id, or all documents of a file by its file name."""
    started = time.perf_counter()
    report = IndexReport()
    doomed: list[str] = []
    for name in names:
        ids = store.docs_of(name)
        if ids:
            doomed.extend(ids)
            report.removed.extend(ids)
        else:
            report.errors.append(f"{name}: no such document in {store.root}")
    if doomed:
        store = commit(store, [], doomed, settings, embedder)
    report.n_chunks = store.n_chunks
    report.seconds = time.perf_counter() - started
    return store, report


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while writing. With the index and the embedder loaded, each
    full pass over the heap took about 0.1 s and a small write triggered half a dozen (SQLite rows, term
    lists): adding one article to the news index took 1.6 s instead of 0.8 s. A write's own objects are
    freed by reference counting; cycles wait for the next pass after it."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def commit(
    store: IndexStore,
    updates: Sequence[FileUpdate],
    removed: Sequence[str],
    settings: Settings,
    embedder: Embedder,
    group_duplicates: bool = True,
) -> IndexStore:
    """Write embedded ``updates`` and remove ``removed`` doc ids in one atomic step; the new store.
    ``group_duplicates=False`` skips looking for retold stories (a nearest-neighbour search per article)."""
    with _collector_paused():
        return store.commit(
            list(updates),
            list(removed),
            model=embedder.name,
            dim=embedder.dim,
            chunking=(settings.chunk_tokens, settings.chunk_overlap_tokens),
            duplicate_threshold=settings.duplicate_threshold if group_duplicates else 2.0,  # above 1: never
        )
