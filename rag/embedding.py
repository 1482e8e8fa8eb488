"""Sentence embeddings through sentence-transformers, loaded once and shared."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from rag.settings import DEFAULT_EMBEDDING_MODEL

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

_LOCK = threading.Lock()
_SMALL_BATCH = 64
_QUERY_CACHE = 256
_CORES = max(1, len(os.sched_getaffinity(0)))
_LOADED: dict[str, Embedder] = {}


class Embedder:
    """L2-normalised query and passage vectors from one sentence-transformers model.

    Models that define ``query``/``passage`` prompts (the e5 family) get them; others embed the
    text as it is.
    """

    def __init__(self, model: SentenceTransformer, name: str) -> None:
        self._model = model
        self.name = name
        self.dim = int(model.get_embedding_dimension() or 0)
        prompts = model.prompts or {}
        self._query_prompt = "query" if "query" in prompts else None
        self._passage_prompt = "passage" if "passage" in prompts else None
        self._encode_lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self._query_cache: dict[str, np.ndarray] = {}

    def _encode(self, texts: Sequence[str], prompt: str | None, batch_size: int, progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._encode_lock:  # one batch at a time: fastest on few cores, and thread-safe
            # A question's few short texts run ~40x faster on one thread than on two when the other
            # core is busy (OpenMP workers spin-wait); bulk indexing gets every core.
            torch.set_num_threads(1 if len(texts) <= _SMALL_BATCH else _CORES)
            vectors = self._model.encode(
                list(texts),
                prompt_name=prompt,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return np.asarray(vectors, dtype=np.float32)

    def embed_passages(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        return self._encode(texts, self._passage_prompt, batch_size, progress)

    def embed_queries(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        return self._encode(texts, self._query_prompt, batch_size, False)

    def embed_query(self, text: str) -> np.ndarray:
        """One question's vector; retrieval and answer selection of one question share it (cached)."""
        with self._cache_lock:
            cached = self._query_cache.get(text)
        if cached is not None:
            return cached
        vector = self._encode([text], self._query_prompt, 1, False)[0]
        with self._cache_lock:
            self._query_cache[text] = vector
            while len(self._query_cache) > _QUERY_CACHE:
                self._query_cache.pop(next(iter(self._query_cache)))
        return vector


def resolve_model_path(name: str, cache_dir: Path) -> str:
    """The folder or hub name that sentence-transformers loads for a configured model name."""
    if name == DEFAULT_EMBEDDING_MODEL:
        from rag.e5_model import ensure_e5_folder

        return str(ensure_e5_folder(cache_dir / DEFAULT_EMBEDDING_MODEL))
    return name


def get_embedder(name: str, cache_dir: Path) -> Embedder:
    """The process-wide embedder for ``name``; the model is loaded on first use only."""
    with _LOCK:
        if name not in _LOADED:
            from sentence_transformers import SentenceTransformer

            model = SentenceTransformer(resolve_model_path(name, cache_dir), device="cpu")
            _LOADED[name] = Embedder(model, name)
        return _LOADED[name]
