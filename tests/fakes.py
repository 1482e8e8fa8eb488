"""A small deterministic stand-in for the embedding model, for the fast test tier (no torch, no weights).

Each word stem gets a fixed pseudo-random direction (from its hash); a text's vector is the normalised
sum of its words' directions. Texts that share words are close, others nearly orthogonal: enough for
retrieval, fusion, answer selection and the chain to run exactly as with the real model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from rag.text.lexical import stem, words


class HashEmbedder:
    name = "hash-bag-of-words"
    dim = 64

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for word in words(text):
            seed = int.from_bytes(hashlib.sha256(stem(word).encode()).digest()[:8], "little")
            vector += np.random.default_rng(seed).normal(size=self.dim).astype(np.float32)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def embed_passages(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        return np.vstack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_queries(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        return self.embed_passages(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)
