"""GPS fixes reach a dashboard as one script call into the page's fleet store.

The script is run here by a real JavaScript engine (the bun that `make install` puts in
.tools/bin), once before the store's module has loaded (the fixes wait in a queue) and once
after (the store receives them): both must see the same rows, formatted like the fleet rows.
"""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

from logistics_ai.services.live_updates import StaffDelta
from state.live import positions_script

BUN = Path(__file__).resolve().parents[2] / ".tools" / "bin" / "bun"

DELTA = StaffDelta(
    day=date(2026, 11, 30),
    positions={7: (41.901234, -87.654321), 9: (41.8, -87.7)},
    position_at={7: 1764504000.25, 9: 1764504001.5},
)
EXPECTED = [[7, "41.90123", "-87.65432", 1764504000.25], [9, "41.80000", "-87.70000", 1764504001.5]]


def run_js(prelude: str, script: str, result: str) -> object:
    program = (
        f"globalThis.window = {{}};\n{prelude}\n{script};\nconsole.log(JSON.stringify({result}));"
    )
    out = subprocess.run(
        [str(BUN), "-e", program], capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(out.stdout)


def test_fixes_wait_in_the_queue_until_the_store_has_loaded() -> None:
    script = positions_script(DELTA)
    assert run_js("", script, "window.laiFleetQueue") == [EXPECTED]
    # A second push before the store loads queues behind the first.
    assert run_js("", f"{script};{script}", "window.laiFleetQueue.length") == 2


def test_a_loaded_store_receives_the_rows() -> None:
    prelude = "const got = []; window.laiFleet = { push(rows) { got.push(rows); } };"
    assert run_js(prelude, positions_script(DELTA), "[got, window.laiFleetQueue ?? null]") == [
        [EXPECTED],
        None,
    ]


def test_a_fix_without_a_time_is_taken_as_current() -> None:
    untimed = StaffDelta(day=date(2026, 11, 30), positions={3: (41.9, -87.6)})
    queued = run_js("", positions_script(untimed), "window.laiFleetQueue")
    assert isinstance(queued, list) and len(queued) == 1
    (driver, lat, lng, at) = queued[0][0]
    assert (driver, lat, lng) == (3, "41.90000", "-87.60000")
    assert at > DELTA.position_at[9]  # later than any fix of the fixed delta above
