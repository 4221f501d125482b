"""Stage copilot: prompt, generation, answering with sources, the registered MLflow model."""
