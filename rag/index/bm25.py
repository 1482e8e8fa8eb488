"""BM25 over chunk terms (``rag.text.lexical.terms``): built with bm25s, saved without pickle."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from rag.text.lexical import stem, terms, time_terms, word_parts, word_terms, words


class LexicalIndex:
    """BM25 over chunk terms; rebuilt as a whole on every write, saved with bm25s (no pickle)."""

    def __init__(self, bm25: bm25s.BM25, ids: np.ndarray, vocabulary: set[str]) -> None:
        self._bm25 = bm25
        self._ids = ids
        self.vocabulary = vocabulary

    @classmethod
    def build(cls, texts: Sequence[str], times: Sequence[Sequence[str]], ids: Sequence[int]) -> LexicalIndex:
        tokens = [words(t) for t in texts]
        vocabulary = {stem(p) for w in set().union(*tokens) for p in word_parts(w)}
        expanded: dict[str, list[str]] = {}  # each distinct word is split once against this vocabulary
        corpus = [
            [t for w in ws for t in (expanded.get(w) or expanded.setdefault(w, word_terms(w, vocabulary)))]
            + time_terms(tm)
            for ws, tm in zip(tokens, times, strict=True)
        ]
        bm25 = bm25s.BM25(k1=1.2, b=0.75)
        if corpus:
            bm25.index(corpus, show_progress=False)
        return cls(bm25, np.asarray(ids, dtype=np.int64), vocabulary)

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
        bm25 = bm25s.BM25.load(str(folder), show_progress=False) if len(ids) else bm25s.BM25()
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
