"""A tab whose state lock is busy holds up only its own live writes, which keep their order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from logistics_ai.services import live_updates
from state.live import StateWrites

STAFF = live_updates.Watcher(live_updates.Audience.staff(), "fingerprint", "session")


def test_a_busy_tab_holds_up_only_its_own_writes_in_order() -> None:
    async def scenario() -> list[str]:
        applied: list[str] = []
        lock_held = asyncio.Event()  # tab A's own event holds its state lock until set

        def write(name: str, wait: asyncio.Event | None = None) -> Callable[[], Awaitable[bool]]:
            async def apply() -> bool:
                if wait is not None:
                    await wait.wait()
                applied.append(name)
                return True

            return apply

        writes = StateWrites()
        writes.queue("tab-a", STAFF, write("a1", lock_held))
        writes.queue("tab-a", STAFF, write("a2"))
        writes.queue("tab-b", STAFF, write("b1"))
        await asyncio.sleep(0.05)
        assert applied == ["b1"]  # B did not wait for A's lock
        lock_held.set()
        await asyncio.sleep(0.05)
        return applied

    assert asyncio.run(scenario()) == ["b1", "a1", "a2"]


def test_a_tab_no_longer_entitled_is_unregistered_unless_it_registered_again() -> None:
    async def scenario() -> tuple[bool, bool]:
        async def refused() -> bool:
            return False

        async def fails() -> bool:
            raise RuntimeError("state manager unreachable")

        writes = StateWrites()
        live_updates.watch("tab-c", STAFF)
        writes.queue("tab-c", STAFF, refused)
        live_updates.watch("tab-d", STAFF)
        again = live_updates.Watcher(live_updates.Audience.staff(), "new-fingerprint", "s2")
        writes.queue("tab-d", STAFF, fails)
        live_updates.watch("tab-d", again)  # re-registered (a reload) before the write ran
        await asyncio.sleep(0.05)
        return live_updates.WATCHERS.get("tab-c") is None, live_updates.WATCHERS.get(
            "tab-d"
        ) == again

    try:
        assert asyncio.run(scenario()) == (True, True)
    finally:
        live_updates.unwatch("tab-c")
        live_updates.unwatch("tab-d")
