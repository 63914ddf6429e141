"""Event-loop stall detector: how late the loop runs, and what held it when it stalls.

Every page, websocket push and API request of a worker process shares one event loop, so a
call that blocks it (a database query, Argon2, a sync HTTP call in an async handler) delays
all of them. `watch_event_loop` runs as a lifespan task: a heartbeat on the loop records how
late each tick runs (`lai_event_loop_lag_seconds`), and a watchdog thread, which keeps running
while the loop is stuck, logs the loop thread's stack once per stall longer than
`STALL_SECONDS`, so the culprit is named in the logs rather than guessed from latencies, and
how long it was held in all once the loop runs again.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import traceback

from loguru import logger

from logistics_ai.observability.metrics import LOOP_LAG, LOOP_STALLS

TICK_SECONDS = 0.05
STALL_SECONDS = 0.25
STACK_FRAMES = 12  # the innermost frames are the ones that block


class _Heartbeat:
    """Shared between the loop (writes) and the watchdog thread (reads): a float store and
    load are atomic under the GIL, so no lock is needed."""

    def __init__(self) -> None:
        self.at = time.monotonic()
        self.running = True


def _watchdog(beat: _Heartbeat, loop_thread: int) -> None:
    stalled_at: float | None = None  # the last heartbeat before the stall being reported
    while beat.running:
        time.sleep(TICK_SECONDS)
        last = beat.at
        if stalled_at is not None and last != stalled_at:
            # The loop ran again: how long it was held in all (less the tick it waited for).
            held_ms = max(0.0, last - stalled_at - TICK_SECONDS) * 1000
            logger.warning("event loop held for {:.0f} ms in all", held_ms)
            stalled_at = None
        held = time.monotonic() - last
        if stalled_at is not None or held < STALL_SECONDS:
            continue
        stalled_at = last
        LOOP_STALLS.inc()
        frame = sys._current_frames().get(loop_thread)
        stack = "".join(traceback.format_stack(frame, limit=STACK_FRAMES)) if frame else "?"
        logger.warning(
            "event loop held for {:.0f} ms so far; the loop thread is in:\n{}", held * 1000, stack
        )


async def watch_event_loop() -> None:
    """Lifespan task: measure the loop's lag until cancelled (the process stops)."""
    beat = _Heartbeat()
    watchdog = threading.Thread(
        target=_watchdog, args=(beat, threading.get_ident()), name="loop-watchdog", daemon=True
    )
    watchdog.start()
    try:
        while True:
            started = time.monotonic()
            await asyncio.sleep(TICK_SECONDS)
            now = time.monotonic()
            LOOP_LAG.observe(max(0.0, now - started - TICK_SECONDS))
            beat.at = now
    finally:
        beat.running = False
