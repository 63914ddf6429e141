"""A tab whose state lock is busy holds up only its own live writes, which keep their order,
and the deltas that queued up meanwhile go in together, in one write."""

from __future__ import annotations

import asyncio
from datetime import date

from logistics_ai.models import Shipment
from logistics_ai.services import live_board, live_updates
from state.customer import CustomerState
from state.dispatch import DispatchKpiState, DispatchState
from state.live import StateWrites, written_states

STAFF = live_updates.Watcher(live_updates.Audience.staff(), "fingerprint", "session")


def test_a_busy_tab_holds_up_only_its_own_writes_which_then_go_in_together() -> None:
    async def scenario() -> list[tuple[str, list[object]]]:
        writes_done: list[tuple[str, list[object]]] = []
        lock_held = asyncio.Event()  # tab A's own event holds its state lock until set

        async def write(token: str, _watcher: live_updates.Watcher, deltas: list[object]) -> bool:
            if deltas == ["a1"]:
                await lock_held.wait()
            writes_done.append((token, list(deltas)))
            return True

        writes = StateWrites(write)
        writes.queue("tab-a", STAFF, "a1")
        await asyncio.sleep(0.01)  # a1's write has started and waits for the lock
        writes.queue("tab-a", STAFF, "a2")
        writes.queue("tab-b", STAFF, "b1")
        writes.queue("tab-a", STAFF, "a3")
        await asyncio.sleep(0.05)
        assert writes_done == [("tab-b", ["b1"])]  # B did not wait for A's lock
        lock_held.set()
        await asyncio.sleep(0.05)
        return writes_done

    assert asyncio.run(scenario()) == [
        ("tab-b", ["b1"]),
        ("tab-a", ["a1"]),
        ("tab-a", ["a2", "a3"]),  # queued during a1's write: one write, in order
    ]


def test_deltas_of_different_registrations_are_never_written_together() -> None:
    again = live_updates.Watcher(live_updates.Audience.staff(), "other-user", "s2")

    async def scenario() -> list[tuple[str, list[object]]]:
        seen: list[tuple[str, list[object]]] = []

        async def write(_token: str, watcher: live_updates.Watcher, deltas: list[object]) -> bool:
            seen.append((watcher.fingerprint, list(deltas)))
            return True

        writes = StateWrites(write)
        for watcher, delta in ((STAFF, "x1"), (STAFF, "x2"), (again, "y1"), (STAFF, "x3")):
            writes.queue("tab-e", watcher, delta)
        await asyncio.sleep(0.05)
        return seen

    assert asyncio.run(scenario()) == [
        ("fingerprint", ["x1", "x2"]),
        ("other-user", ["y1"]),
        ("fingerprint", ["x3"]),
    ]


def test_a_tab_no_longer_entitled_is_unregistered_unless_it_registered_again() -> None:
    async def scenario() -> tuple[bool, bool]:
        async def write(token: str, _watcher: live_updates.Watcher, _deltas: list[object]) -> bool:
            if token == "tab-d":
                raise RuntimeError("state manager unreachable")
            return False  # tab-c: refused

        writes = StateWrites(write)
        live_updates.watch("tab-c", STAFF)
        writes.queue("tab-c", STAFF, "c1")
        live_updates.watch("tab-d", STAFF)
        again = live_updates.Watcher(live_updates.Audience.staff(), "new-fingerprint", "s2")
        writes.queue("tab-d", STAFF, "d1")
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


def test_a_dashboard_write_loads_only_the_states_its_deltas_change() -> None:
    day = date(2026, 11, 30)
    kpis = live_board.Kpis(open=3, in_transit=1, delivered_today=2, on_time_today=2, late_risk=0)
    row = Shipment(id=7)
    tiles_only = live_updates.StaffDelta(day=day, kpis=kpis)
    rows_only = live_updates.StaffDelta(day=day, shipments=[row])
    assert written_states("staff", [tiles_only]) == [DispatchKpiState]
    assert written_states("staff", [rows_only]) == [DispatchState]
    assert written_states("staff", [rows_only, tiles_only]) == [DispatchState, DispatchKpiState]
    assert written_states("staff", [live_updates.StaffDelta(day=day)]) == []
    customer = live_updates.CustomerDelta([row])
    assert written_states("customer", [customer]) == [CustomerState]
