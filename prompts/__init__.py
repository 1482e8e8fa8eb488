"""The LLM prompts, shipped inside the package as ``rag.prompts`` (see pyproject.toml)."""
