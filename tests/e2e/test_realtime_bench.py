"""`bench realtime` for real, small: 2 dashboards, 3 drivers, 8 s of driving.

The bench starts its own production app (throwaway database, Redis prefix), so this needs no
fixture of this folder. It checks what the benchmark measures, not how fast: every position
the simulator got accepted reached both dashboards' DOM, nothing went backwards, the socket
that was cut comes back to the database's truth, and a reloaded dashboard shows it too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e


def test_small_realtime_run_sees_every_change_in_order(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "logistics_ai",
            "bench",
            "realtime",
            "--dashboards",
            "2",
            "--drivers",
            "3",
            "--seconds",
            "8",
            "--json",
            "--logs",
            str(tmp_path),
            "--trace",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout[run.stdout.index("{") :])
    assert report["posts"]["positions"] >= 3, report["simulator"]
    assert report["drivers_on_screen"]["min"] >= 3
    positions = report["kinds"]["positions"]
    # Both dashboards hold every driver; each accepted, changed position must show in both.
    assert positions["posted"] >= 2 * 3, positions
    assert positions["lost"] == 0 and positions["out_of_order"] == 0, positions
    assert report["lost"] == 0 and report["out_of_order"] == 0, report["kinds"]
    assert report["latency_ms"]["samples"] == sum(k["shown"] for k in report["kinds"].values())
    assert report["reconnect"]["stale_values_before"] > 0, report["reconnect"]
    assert report["reconnect"]["truth_after_restore_s"] is not None, report["reconnect"]
    assert report["reconnect"]["reload_truth_s"] is not None, report["reconnect"]
    assert report["event_handling_ms"]["probes"] >= 1
    assert report["event_handling_ms"]["timeouts"] == 0
    # The floor ran first with the same pages and observer: every fix it accepted showed on
    # both pages, in order; and the CPU of the drive is split by part of the machine.
    floor = report["floor"]
    assert floor["posts"]["positions"] >= 3, floor["generator"]
    assert floor["kinds"]["positions"]["posted"] == 2 * floor["posts"]["positions"], floor
    assert floor["lost"] == 0 and floor["out_of_order"] == 0, floor["kinds"]
    assert floor["latency_ms"]["samples"] == floor["kinds"]["positions"]["shown"]
    assert report["product_to_floor"]["p95"] is not None
    assert {"renderers", "app", "simulator", "machine"} <= set(report["cpu_cores"])
    assert {"renderers", "floor server", "generator"} <= set(floor["cpu_cores"])
    # --logs keeps the raw material, and a dashboard's CPU profile and trace over the drive.
    kept = {p.name for p in tmp_path.iterdir()}
    assert {
        "app.log",
        "simulator.log",
        "posts.jsonl",
        "samples.json",
        "dashboard.cpuprofile",
        "dashboard.trace.json",
    } <= kept
    # The trace names the page's own work: its renderer's tasks ran, and painted.
    traced = dict(report["page_trace_ms"])
    assert traced.get("RunTask", 0) > 0 and traced.get("Paint", 0) > 0, traced
    profile = json.loads((tmp_path / "dashboard.cpuprofile").read_text())
    assert profile["nodes"] and profile["samples"]
    scripts = report["page_profile"]["scripts"]
    assert scripts and 0 < sum(share for _, share in scripts) <= 1.0001, scripts
