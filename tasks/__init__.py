"""The pipeline's steps: plain Python, no orchestration imports (see flows/ for that)."""
