"""Logs, metrics and traces. `install(api)` wires them into the API factory."""

from logistics_ai.observability.install import install

__all__ = ["install"]
