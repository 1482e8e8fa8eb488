"""The index: the store contract and its local and Milvus stores, vectors, BM25, and writes."""
