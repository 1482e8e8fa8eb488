"""BM25 over chunk terms (``rag.text.lexical.terms``): built with bm25s, saved without pickle, read back
memory-mapped (a server keeps only the pages its queries touch)."""

from __future__ import annotations

import json
import math
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import bm25s
import numpy as np

from rag.text.lexical import stem, terms, time_terms, word_parts, word_terms, words

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
    return [
        [t for w in words(text) for t in (seen.get(w) or seen.setdefault(w, word_terms(w, vocabulary)))]
        + time_terms(tm)
        for text, tm in zip(texts, times, strict=True)
    ]


class LexicalIndex:
    """BM25 over chunk terms, saved with bm25s (no pickle). A chunk's terms are worked out once, when it is
    written, against the vocabulary of that moment; BM25 statistics are recomputed over all chunks."""

    def __init__(self, bm25: bm25s.BM25, ids: np.ndarray, vocabulary: set[str]) -> None:
        self._bm25 = bm25
        self._ids = ids
        self.vocabulary = vocabulary

    @classmethod
    def build(cls, texts: Sequence[str], times: Sequence[Sequence[str]], ids: Sequence[int]) -> LexicalIndex:
        """The index of these chunks, their compounds split against their own vocabulary."""
        vocabulary = vocabulary_of(texts)
        return cls.from_terms(zip(ids, chunk_terms(texts, times, vocabulary), strict=True), vocabulary)

    @classmethod
    def from_terms(cls, chunks: Iterable[tuple[int, Sequence[str]]], vocabulary: set[str]) -> LexicalIndex:
        """The index of chunks (id, terms worked out before by ``chunk_terms``, e.g. by earlier writes).

        ``chunks`` is read once, one chunk at a time: the BM25 matrix is assembled in flat arrays, never
        from a list of every chunk's terms (a million chunks fit in a few GB). The scores are bm25s's
        own (Lucene BM25, k1 1.2, b 0.75), in its matrix layout, so bm25s searches, saves and loads them.
        """
        term_ids: dict[str, int] = {}
        ids, lengths, posting_terms, posting_chunks, posting_tf = (array(c) for c in "qiiii")
        for row, (chunk_id, found) in enumerate(chunks):
            ids.append(chunk_id)
            lengths.append(len(found))
            for term, count in Counter(found).items():
                posting_terms.append(term_ids.setdefault(term, len(term_ids)))
                posting_chunks.append(row)
                posting_tf.append(count)
        bm25 = bm25s.BM25(k1=_K1, b=_B)
        if ids:
            term_ids.setdefault("", len(term_ids))  # bm25s's empty token: what a query without known terms scores
            terms_of = np.frombuffer(posting_terms, dtype=np.int32)
            chunk_of = np.frombuffer(posting_chunks, dtype=np.int32)
            tf = np.frombuffer(posting_tf, dtype=np.int32).astype(np.float32)
            length = np.frombuffer(lengths, dtype=np.int32).astype(np.float32)
            df = np.bincount(terms_of, minlength=len(term_ids))
            idf = np.log1p((len(ids) - df + 0.5) / (df + 0.5)).astype(np.float32)
            norm = _K1 * ((1 - _B) + _B * length / max(float(length.mean()), 1e-9))
            scores = idf[terms_of] * tf / (norm[chunk_of] + tf)
            order = np.argsort(terms_of, kind="stable")  # by term, each term's chunks in order: CSC
            bm25.scores = {
                "data": scores[order],
                "indices": chunk_of[order],
                "indptr": np.concatenate([[0], np.cumsum(df)]).astype(np.int64),
                "num_docs": len(ids),
            }
            bm25.vocab_dict = term_ids
            bm25.unique_token_ids_set = set(term_ids.values())
            bm25.nonoccurrence_array = None  # what bm25s.BM25.index leaves for Lucene BM25
        return cls(bm25, np.frombuffer(ids, dtype=np.int64).copy(), vocabulary)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if len(self._ids):
            self._bm25.save(str(folder), show_progress=False)
        np.save(folder / "chunk_ids.npy", self._ids, allow_pickle=False)
        (folder / "compound_vocabulary.json").write_text(json.dumps(sorted(self.vocabulary)), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        ids = np.load(folder / "chunk_ids.npy", allow_pickle=False)
        vocabulary = set(json.loads((folder / "compound_vocabulary.json").read_text(encoding="utf-8")))
        bm25 = bm25s.BM25.load(str(folder), mmap=True, show_progress=False) if len(ids) else bm25s.BM25()
        return cls(bm25, ids, vocabulary)

    def idf(self, term: str) -> float:
        """Rarity of an index term in [0, 1]: log-scaled inverse chunk frequency; 1 for a term no chunk has."""
        n = len(self._ids)
        index = self._bm25.vocab_dict.get(term) if n else None
        if index is None:
            return 1.0
        indptr = self._bm25.scores["indptr"]
        df = int(indptr[index + 1] - indptr[index])
        return math.log((n + 1) / (df + 1)) / math.log(n + 1)

    def search(self, query: str, k: int, admitted: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(chunk id, BM25 score) pairs, best first; empty when no query term is in the corpus.

        ``admitted`` (chunk ids) restricts the ranking to those chunks."""
        known = self._bm25.vocab_dict if len(self._ids) else {}
        q = [t for t in dict.fromkeys(terms(query, self.vocabulary)) if t in known]
        if not q:
            return []
        mask = None if admitted is None else np.isin(self._ids, admitted).astype(np.float32)
        k = min(k, len(self._ids))
        docs, scores = self._bm25.retrieve([q], k=k, show_progress=False, n_threads=1, weight_mask=mask)
        return [(int(self._ids[d]), float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]
