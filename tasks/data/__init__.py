"""Stage data: the input contract read, validated (GX), curated (clean, dedupe, redact, chunk)."""
