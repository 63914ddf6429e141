"""The event-loop stall detector names what held the loop, and only once per stall."""

from __future__ import annotations

import asyncio
import time

from loguru import logger

from logistics_ai.observability import loop_watch


def _hold_the_loop(seconds: float) -> None:
    time.sleep(seconds)  # what a sync database call inside an async handler would do


def test_a_stall_is_logged_once_with_the_blocking_call_and_counted() -> None:
    messages: list[str] = []
    sink = logger.add(lambda m: messages.append(str(m)), level="WARNING")
    stalls_before = loop_watch.LOOP_STALLS._value.get()
    lag_count_before = _lag_count()

    async def scenario() -> None:
        watcher = asyncio.create_task(loop_watch.watch_event_loop())
        await asyncio.sleep(0.2)  # a few normal ticks: no stall
        assert not messages
        _hold_the_loop(0.8)
        await asyncio.sleep(0.2)
        watcher.cancel()

    try:
        asyncio.run(scenario())
    finally:
        logger.remove(sink)
    stall_logs = [m for m in messages if "so far" in m]
    assert len(stall_logs) == 1, messages
    assert "_hold_the_loop" in stall_logs[0]
    ended = [m for m in messages if "in all" in m]
    assert len(ended) == 1, messages
    held_ms = float(ended[0].split("held for ")[1].split(" ms")[0])
    assert 700 <= held_ms <= 1500, ended
    assert loop_watch.LOOP_STALLS._value.get() == stalls_before + 1
    assert _lag_count() > lag_count_before
    assert _lag_sum_above(0.5)


def _lag_count() -> float:
    return next(
        s.value
        for m in loop_watch.LOOP_LAG.collect()
        for s in m.samples
        if s.name.endswith("_count")
    )


def _lag_sum_above(seconds: float) -> bool:
    total = next(
        s.value for m in loop_watch.LOOP_LAG.collect() for s in m.samples if s.name.endswith("_sum")
    )
    return total >= seconds
