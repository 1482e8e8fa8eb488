"""Hybrid retrieval: dense and lexical search fused, time-aware, near-duplicates collapsed."""
