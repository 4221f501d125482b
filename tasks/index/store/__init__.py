"""The Qdrant backends behind one interface: embedded qdrant-edge shards, or a server."""
