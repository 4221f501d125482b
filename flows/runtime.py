"""Process-wide settings for everything we start: offline, no telemetry, quiet."""

from __future__ import annotations

import os

# The machines this runs on have no internet: telemetry calls fail or hang, and a model hub
# lookup must never happen at run time.
OFFLINE_DEFAULTS = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DVC_NO_ANALYTICS": "1",
    "GX_ANALYTICS_ENABLED": "false",
    "TOKENIZERS_PARALLELISM": "false",
    "TQDM_MININTERVAL": "2",
}


def configure_environment() -> None:
    """Set the defaults a user has not set already."""
    for key, value in OFFLINE_DEFAULTS.items():
        os.environ.setdefault(key, value)
