"""Stage index: curated chunks into Qdrant (sync, versions, embedder), and the search over it."""
