"""Prefect flows: thin wrappers that call ``pipeline`` steps and nothing else."""

from flows.env import configure_prefect_env

__all__ = ["configure_prefect_env"]
