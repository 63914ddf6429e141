"""`bench realtime`'s observer (loadtests/realtime_observer.js) in a real Chromium page.

The bench fetches a page's records once, after the drive: until then they stay in the page.
Every change made meanwhile must come back from that one fetch, in the order it happened.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page

from loadtests.realtime_bench import OBSERVER_JS, TAKE_JS

pytestmark = pytest.mark.e2e

PAGE = """<ul>
  <li data-driver-id="1" data-lat="41.00000" data-lng="-87.00000" data-status="on_route"></li>
  <li data-driver-id="2" data-lat="42.00000" data-lng="-88.00000" data-status="on_route"></li>
</ul>"""

MOVES = 3000  # a 30 s drive's worth of fixes for one 10 x 100 dashboard, and more


def test_one_fetch_after_the_drive_returns_every_change_in_order(page: Page) -> None:
    page.add_init_script(script=OBSERVER_JS)
    page.goto("about:blank")
    page.set_content(PAGE)
    baseline = page.evaluate("window.__lai.start()")
    assert baseline["p"] == {"1": "41.00000,-87.00000", "2": "42.00000,-88.00000"}
    # One move at a time, as fixes arrive: the observer's callback (a microtask) records each
    # before the next move is made.
    page.evaluate(
        """async moves => {
            const items = document.querySelectorAll("li");
            for (let n = 1; n <= moves; n++) {
                const li = items[n % 2];
                li.setAttribute("data-lat", (41 + n / 1e5).toFixed(5));
                if (n === moves) li.setAttribute("data-status", "on_break");
                await null;
            }
        }""",
        MOVES,
    )
    taken = _fetch(page)
    positions = [r for r in taken["records"] if r[1] == "p"]
    assert len(positions) == MOVES
    assert [float(value.split(",")[0]) for _, _, _, value in positions] == [
        round(41 + n / 1e5, 5) for n in range(1, MOVES + 1)
    ]
    assert [r[2] for r in positions[:4]] == ["2", "1", "2", "1"]
    times = [t for t, _, _, _ in taken["records"]]
    assert times == sorted(times)
    assert [r[1:] for r in taken["records"] if r[1] == "d"] == [["d", "1", "on_break"]]
    # Taken once: the page keeps nothing more.
    assert _fetch(page)["records"] == []


def _fetch(page: Page) -> dict[str, Any]:
    """What the bench's `_take` reads from a page: one JSON text."""
    taken: dict[str, Any] = json.loads(page.evaluate(TAKE_JS))
    return taken
