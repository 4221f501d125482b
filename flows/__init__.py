"""Wiring only: Prefect flows and deployments, the `tandem` CLI, the demo."""
