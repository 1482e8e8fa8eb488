"""BM25 over chunk terms (``rag.text.lexical.terms``) kept in segments, scored with the statistics of all of them.

Each segment of the local index holds the postings of its own chunks (``Postings``: for each term the
chunks that have it and how often, each chunk's length), written once as ``.npy`` arrays without pickle
and read back memory-mapped (a server keeps only the pages its queries touch). ``LexicalIndex`` scores a
query over all segments with the corpus-wide statistics (chunk count, document frequency, mean length)
of the chunks still alive, so a chunk scores the same whichever segment holds it: Lucene's BM25 (k1 1.2,
b 0.75), the variant bm25s computes.
"""

from __future__ import annotations

import json
import math
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from rag.text.lexical import stem, terms, word_parts, words

_K1, _B = 1.2, 0.75


def vocabulary_of(texts: Iterable[str]) -> set[str]:
    """Stems of the texts' words and of their hyphenated parts: what compounds are split against."""
    return {stem(p) for t in texts for w in set(words(t)) for p in word_parts(w)}


def chunk_terms(
    texts: Sequence[str],
    times: Sequence[Sequence[str]],
    vocabulary: set[str],
    expanded: dict[str, list[str]] | None = None,
) -> list[list[str]]:
    """Index terms of each chunk (``rag.text.lexical.terms``); each distinct word is split once (``expanded``:
    the words split so far, shared between calls)."""
    seen: dict[str, list[str]] = {} if expanded is None else expanded
    return [terms(text, vocabulary, tm, seen) for text, tm in zip(texts, times, strict=True)]


class Postings:
    """One segment's postings in CSC layout: ``rows[indptr[t]:indptr[t+1]]`` are the chunks (rows of
    ``ids``) with term ``t``, ``tf`` how often; ``lengths`` the number of terms of each chunk."""

    def __init__(
        self,
        term_index: dict[str, int],
        indptr: np.ndarray,
        rows: np.ndarray,
        tf: np.ndarray,
        lengths: np.ndarray,
        ids: np.ndarray,
        vocabulary: set[str],
    ) -> None:
        self.term_index = term_index
        self.indptr, self.rows, self.tf, self.lengths, self.ids = indptr, rows, tf, lengths, ids
        self.vocabulary = vocabulary

    @classmethod
    def build(cls, chunks: Iterable[tuple[int, Sequence[str]]], vocabulary: set[str]) -> Postings:
        """The postings of chunks given as (id, terms worked out by ``chunk_terms``), read once, one chunk at
        a time into flat arrays: never a list of every chunk's terms (a million chunks fit in a few GB).
        ``vocabulary``: the stems of these chunks' own words (the index's vocabulary is the union over its
        segments: what new compounds are split against)."""
        term_index: dict[str, int] = {}
        ids, lengths, posting_terms, posting_rows, posting_tf = (array(c) for c in "qiiii")
        for row, (chunk_id, found) in enumerate(chunks):
            ids.append(chunk_id)
            lengths.append(len(found))
            for term, count in Counter(found).items():
                posting_terms.append(term_index.setdefault(term, len(term_index)))
                posting_rows.append(row)
                posting_tf.append(count)
        terms_of = np.frombuffer(posting_terms, dtype=np.int32)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(terms_of, minlength=len(term_index)))]).astype(np.int64)
        rows, tf = _by_term(
            terms_of, indptr, np.frombuffer(posting_rows, np.int32), np.frombuffer(posting_tf, np.int32)
        )
        return cls(
            term_index,
            indptr,
            rows,
            tf,
            np.frombuffer(lengths, dtype=np.int32).copy(),
            np.frombuffer(ids, dtype=np.int64).copy(),
            vocabulary,
        )

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("indptr", "rows", "tf", "lengths", "ids"):
            np.save(folder / f"{name}.npy", getattr(self, name), allow_pickle=False)
        (folder / "terms.json").write_text(json.dumps(list(self.term_index), ensure_ascii=False), encoding="utf-8")
        (folder / "compound_vocabulary.json").write_text(json.dumps(sorted(self.vocabulary)), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Postings:
        arrays = {n: np.load(folder / f"{n}.npy", mmap_mode="r") for n in ("indptr", "rows", "tf", "lengths", "ids")}
        names = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
        vocabulary = set(json.loads((folder / "compound_vocabulary.json").read_text(encoding="utf-8")))
        return cls({t: i for i, t in enumerate(names)}, vocabulary=vocabulary, **arrays)

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows, term frequencies) of the chunks with ``term``."""
        t = self.term_index.get(term)
        if t is None:
            return np.zeros(0, np.int32), np.zeros(0, np.int32)
        lo, hi = int(self.indptr[t]), int(self.indptr[t + 1])
        return np.asarray(self.rows[lo:hi]), np.asarray(self.tf[lo:hi])


def _by_term(
    terms_of: np.ndarray, indptr: np.ndarray, rows: np.ndarray, tf: np.ndarray, step: int = 1 << 22
) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` and ``tf`` ordered by term, each term's chunks in row order. A range of terms with about
    ``step`` postings is sorted at a time, so the sort order is never held for all of them (for 45M
    postings, 1M chunks, that would be 360 MB of int64)."""
    out_rows, out_tf = np.empty_like(rows), np.empty_like(tf)
    lo, n_terms = 0, len(indptr) - 1
    while lo < n_terms:
        hi = max(lo + 1, int(np.searchsorted(indptr, indptr[lo] + step, side="right")) - 1)
        hi = min(hi, n_terms)
        picked = np.flatnonzero((terms_of >= lo) & (terms_of < hi))
        picked = picked[np.argsort(terms_of[picked], kind="stable")]
        out_rows[indptr[lo] : indptr[hi]] = rows[picked]
        out_tf[indptr[lo] : indptr[hi]] = tf[picked]
        lo = hi
    return out_rows, out_tf


class LexicalIndex:
    """BM25 over several segments' postings; ``alive[i]`` marks the rows of segment i still in the index
    (a deleted or replaced article's chunks stay in their segment until it is merged)."""

    def __init__(self, parts: Sequence[tuple[Postings, np.ndarray]]) -> None:
        self._parts = list(parts)
        self.vocabulary: set[str] = set().union(*(p.vocabulary for p, _ in self._parts))
        self.n_chunks = sum(int(alive.sum()) for _, alive in self._parts)
        total = sum(float(np.asarray(p.lengths)[alive].sum()) for p, alive in self._parts)
        self._mean_length = total / self.n_chunks if self.n_chunks else 1.0

    @classmethod
    def build(cls, texts: Sequence[str], times: Sequence[Sequence[str]], ids: Sequence[int]) -> LexicalIndex:
        """The index of these chunks (one segment), their compounds split against their own vocabulary."""
        vocabulary = vocabulary_of(texts)
        postings = Postings.build(zip(ids, chunk_terms(texts, times, vocabulary), strict=True), vocabulary)
        return cls([(postings, np.ones(len(ids), dtype=bool))])

    def _df(self, term: str) -> int:
        return sum(int(alive[p.postings(term)[0]].sum()) for p, alive in self._parts)

    def idf(self, term: str) -> float:
        """Rarity of an index term in [0, 1]: log-scaled inverse chunk frequency; 1 for a term no chunk has."""
        n = self.n_chunks
        df = self._df(term) if n else 0
        if not df:
            return 1.0
        return math.log((n + 1) / (df + 1)) / math.log(n + 1)

    def search(self, query: str, k: int, admitted: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(chunk id, BM25 score) pairs, best first; empty when no query term is in the corpus.

        ``admitted`` (chunk ids) restricts the ranking to those chunks."""
        wanted = list(dict.fromkeys(terms(query, self.vocabulary)))
        postings = [{t: p.postings(t) for t in wanted} for p, _ in self._parts]  # each read once per query
        n = self.n_chunks
        dfs = {
            t: sum(int(alive[by_term[t][0]].sum()) for by_term, (_, alive) in zip(postings, self._parts))
            for t in wanted
        }
        idf = {t: math.log1p((n - df + 0.5) / (df + 0.5)) for t, df in dfs.items() if df}
        if not idf:
            return []
        found: list[tuple[float, int]] = []
        for (part, alive), part_postings in zip(self._parts, postings, strict=True):
            scores = np.zeros(len(part.ids), dtype=np.float32)
            for term, weight in idf.items():
                rows, tf = part_postings[term]
                if len(rows):
                    f = tf.astype(np.float32)
                    norm = _K1 * ((1 - _B) + _B * np.asarray(part.lengths[rows], dtype=np.float32) / self._mean_length)
                    scores[rows] += np.float32(weight) * f / (norm + f)
            hit = np.flatnonzero(scores)  # only the chunks with a query term, not the whole segment
            hit = hit[alive[hit]]
            if admitted is not None:
                hit = hit[np.isin(part.ids[hit], admitted)]
            best = hit[np.argsort(-scores[hit], kind="stable")[:k]]
            found += [(float(scores[r]), int(part.ids[r])) for r in best]
        found.sort(key=lambda x: -x[0])
        return [(chunk_id, score) for score, chunk_id in found[:k]]
