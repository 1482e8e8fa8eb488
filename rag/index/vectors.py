"""The FAISS index type, chosen by corpus size.

Up to ``EXACT_LIMIT`` chunks (per segment of the local index) an exact inner-product index is fast
enough (a few ms per query on 2 cores) and has perfect recall. Beyond it, an inverted-file index with
8-bit scalar quantisation (IVF-SQ8) keeps memory at a quarter and search time nearly flat. Ids are the
chunk ids in both; an IVF index keeps a map from id to vector, so a narrow filtered search scores the
admitted vectors exactly.
"""

from __future__ import annotations

import math
import mmap
from pathlib import Path

import faiss
import numpy as np

_CORES = faiss.omp_get_max_threads()
faiss.omp_set_num_threads(1)
"""Searches run one question at a time, where FAISS's OpenMP threads only add their wake-up: beside
torch's thread pool a single search took 10–200 ms instead of under 1 ms (news index, 2 cores).
Building a large index (``build``) uses every core."""

EXACT_LIMIT = 200_000
PROBE_FRACTION = 5
"""Search one in five inverted lists (at least 16): on real embeddings (30,270 news chunk and sentence
vectors, 392 training questions) recall@10 against exact search is 0.968, where one in ten gave 0.944."""
EXACT_FILTERED = 20_000
"""A filtered search over at most this many admitted chunks scores them exactly (IVF would miss those
outside its probed lists)."""


def kind_for(n: int) -> str:
    return "flat" if n <= EXACT_LIMIT else "ivf-sq8"


def kind_of(index: faiss.Index) -> str:
    return "ivf-sq8" if isinstance(faiss.downcast_index(index), faiss.IndexIVF) else "flat"


def empty(dim: int) -> faiss.Index:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def load(path: Path) -> faiss.Index:
    """An index written by ``faiss.write_index``, ready to search. An exact index is memory-mapped, not
    read into memory: pages a search touches are shared page cache, and a process that only writes (a
    merge reading the stored float16 vectors instead) never loads them; an IVF index is read in whole."""
    return tune(faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC))


def tune(index: faiss.Index) -> faiss.Index:
    """Set search-time parameters that the index file does not keep."""
    if kind_of(index) == "ivf-sq8":
        ivf = faiss.extract_index_ivf(index)
        ivf.nprobe = max(16, ivf.nlist // PROBE_FRACTION)
    return index


def search(index: faiss.Index, query: np.ndarray, k: int, ids: np.ndarray | None = None) -> list[tuple[int, float]]:
    """(id, inner product) of the ``k`` nearest vectors, best first; only among ``ids`` when given."""
    params: faiss.SearchParameters | None = None
    if ids is not None:
        selector = faiss.IDSelectorBatch(len(ids), faiss.swig_ptr(np.ascontiguousarray(ids, dtype=np.int64)))
        if kind_of(index) == "ivf-sq8" and len(ids) <= EXACT_FILTERED:
            # a narrow filter could fall outside the probed lists: score the admitted vectors exactly
            vectors = np.vstack([index.reconstruct(int(i)) for i in ids])
            scores = vectors @ query.astype(np.float32).ravel()
            best = np.argsort(-scores)[:k]
            return [(int(ids[i]), float(scores[i])) for i in best]
        if kind_of(index) == "ivf-sq8":
            params = faiss.SearchParametersIVF()
            params.nprobe = faiss.extract_index_ivf(index).nprobe
        else:
            params = faiss.SearchParameters()
        params.sel = selector
    scores, found = index.search(query.reshape(1, -1).astype(np.float32), k, params=params)
    return [(int(i), float(s)) for i, s in zip(found[0], scores[0]) if i >= 0]


def build(vectors: np.ndarray, ids: np.ndarray) -> faiss.Index:
    """A new index of the type suited to ``len(vectors)`` holding ``vectors`` (any float array, e.g. a
    memory-mapped float16 file) under ``ids``, added a batch at a time: never a float32 copy of them all."""
    dim = vectors.shape[1]
    if kind_for(len(vectors)) == "flat":
        index = empty(dim)
        _add(index, vectors, ids)
        return index
    nlist = int(4 * math.sqrt(len(vectors)))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    index.own_fields = True
    quantizer.this.disown()  # type: ignore[attr-defined]
    index.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]  # reconstruct by id
    sample = np.sort(np.random.default_rng(0).choice(len(vectors), min(len(vectors), 64 * nlist), replace=False))
    faiss.omp_set_num_threads(_CORES)
    try:
        index.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))
        _add(index, vectors, ids)
    finally:
        faiss.omp_set_num_threads(1)
    return tune(index)


def _add(index: faiss.Index, vectors: np.ndarray, ids: np.ndarray, batch: int = 65_536) -> None:
    for i in range(0, len(vectors), batch):
        part = np.ascontiguousarray(vectors[i : i + batch], dtype=np.float32)
        index.add_with_ids(part, np.ascontiguousarray(ids[i : i + batch], dtype=np.int64))
        release_pages(vectors)


def release_pages(array: np.ndarray) -> None:
    """Unmap the pages a memory-mapped array (``np.memmap``, e.g. a segment's ``vectors.npy``) has touched:
    they stay in the page cache, written back if changed, but stop counting as this process's memory
    (a merge of 1M chunks reads and writes 1.5 GB of them). Other arrays: nothing to do."""
    mapped = getattr(array, "_mmap", None)  # numpy.memmap keeps its mmap.mmap here, views share it
    if mapped is not None:
        mapped.flush()
        mapped.madvise(mmap.MADV_DONTNEED)
