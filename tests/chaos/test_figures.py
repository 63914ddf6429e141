"""The chaos figures reach the end of a plain pytest run (as `make test` and CI run it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.chaos.stack import ROOT


def test_figures_are_repeated_in_the_terminal_summary(tmp_path: Path) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "from tests.chaos.figures import figure\n\n\n"
        "def test_measures() -> None:\n    figure('probe gap', '1.5 s')\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.chaos.figures", str(probe)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "LAI_CHAOS_FIGURES": str(tmp_path / "figures.txt")},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.split("chaos figures", 1)
    assert len(summary) == 2, result.stdout  # -q captures the test's own print
    assert "CHAOS FIGURE | probe gap: 1.5 s" in summary[1]
    assert (tmp_path / "figures.txt").read_text() == "CHAOS FIGURE | probe gap: 1.5 s\n"
