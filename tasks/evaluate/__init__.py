"""Stage evaluate: the configurations side by side, their metrics, and the promotion gate."""
