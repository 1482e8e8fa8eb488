"""The public contract of ``import rag``: these names, importable without loading anything heavy."""

from __future__ import annotations

import subprocess
import sys

import rag

PUBLIC = {
    "RAG", "Answer", "Citation", "DocInfo", "FileUpdate", "Filters", "IndexReport", "IngestError", "LLMError", "Passage",
    "RagError", "Settings", "StoreError", "Turn",
}  # fmt: skip


def test_the_public_names_are_pinned_and_resolve() -> None:
    assert set(rag.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(rag, name).__name__ == name
    for error in ("IngestError", "LLMError", "StoreError"):
        assert issubclass(getattr(rag, error), rag.RagError)


def test_importing_rag_loads_no_model_library() -> None:
    code = "import sys, rag; rag.Filters; rag.Settings; print(sorted(m for m in ('torch', 'sentence_transformers', 'faiss', 'pymilvus') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
