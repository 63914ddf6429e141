"""Chaos figures: each measured value on its own line, in a file, and in the run's summary."""

from __future__ import annotations

import os

import pytest

FIGURES: list[str] = []


def figure(name: str, value: str) -> None:
    """A measured figure: printed on its own line (pytest -s, -rA) and repeated in the terminal
    summary of every run, so `make test` and the CI log show them without extra flags."""
    line = f"CHAOS FIGURE | {name}: {value}"
    print(line, flush=True)
    FIGURES.append(line)
    with open(os.environ.get("LAI_CHAOS_FIGURES", "/tmp/lai-chaos-figures.txt"), "a") as out:
        out.write(line + "\n")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("chaos figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
