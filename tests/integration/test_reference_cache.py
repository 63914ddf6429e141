"""Per-worker caches of depots and webhook subscribers: served without a query, and a change
through the ORM applies to the very next booking, on real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlmodel import Session, select

from logistics_ai.db import get_engine, session_scope
from logistics_ai.domain.errors import ValidationFailed
from logistics_ai.models import Depot, WebhookDelivery, WebhookEndpoint
from logistics_ai.services import reference_cache, shipments, webhooks
from tests.support import app_config
from tests.support.world import World, booking

ALLOW_PRIVATE = {"webhook_allow_private": "true"}
HOOK = {"url": "http://127.0.0.1:9/hook", "event_types": ["shipment.created"]}


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        seen.append(sql)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _book(world: World) -> None:
    with session_scope() as s:
        shipments.create_shipment(s, world.alice, booking())


def _deliveries(session: Session) -> int:
    session.expire_all()
    return len(session.exec(select(WebhookDelivery)).all())


def test_a_warm_booking_reads_neither_depots_nor_subscribers(world: World) -> None:
    _book(world)
    with statements() as seen:
        _book(world)
    assert not [s for s in seen if "FROM depots" in s or "FROM webhook_endpoints" in s], seen


def test_moving_the_depot_applies_to_the_next_booking(world: World) -> None:
    _book(world)  # the depot is cached
    with session_scope() as s:
        depot = s.exec(select(Depot)).one()
        depot.lat, depot.lon = 48.85, 2.35  # Paris: Chicago is out of the service area now
        s.add(depot)
    with pytest.raises(ValidationFailed) as refused:
        _book(world)
    assert "from our nearest depot" in str(refused.value.details)


def test_a_change_outside_the_orm_applies_within_the_ttl(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _book(world)
    with session_scope() as s:  # SQL by hand: no flush, no invalidation
        s.exec(text("UPDATE depots SET lat = 48.85, lon = 2.35"))  # type: ignore[call-overload]
    _book(world)  # still the cached depot: this worker has not seen the change
    later = reference_cache.time.monotonic() + shipments.DEPOT_POINTS.ttl_s + 1
    monkeypatch.setattr(reference_cache.time, "monotonic", lambda: later)
    with pytest.raises(ValidationFailed):
        _book(world)


def test_subscribing_pausing_and_deleting_apply_to_the_next_event(
    world: World, session: Session
) -> None:
    with app_config.configured(**ALLOW_PRIVATE):
        _book(world)  # no subscriber yet, and that is cached
        assert _deliveries(session) == 0
        with session_scope() as s:
            endpoint_id = webhooks.create_endpoint(s, world.admin, HOOK).endpoint.id
        _book(world)
        assert _deliveries(session) == 1
        # Paused: nothing; enabled again: delivered; deleted: nothing.
        for change, expected in (
            (webhooks.disable, 1),
            (webhooks.enable, 2),
            (webhooks.delete_endpoint, 2),
        ):
            with session_scope() as s:
                change(s, world.admin, endpoint_id)  # type: ignore[operator]
            _book(world)
            assert _deliveries(session) == expected, change


def test_a_subscriber_seen_inside_a_rolled_back_transaction_is_forgotten(
    world: World, session: Session
) -> None:
    with app_config.configured(**ALLOW_PRIVATE):
        _book(world)
        with pytest.raises(RuntimeError), session_scope() as s:
            webhooks.create_endpoint(s, world.admin, HOOK)
            shipments.create_shipment(s, world.alice, booking())  # sees its own subscriber
            raise RuntimeError("the unit of work fails")
        assert session.exec(select(WebhookEndpoint)).all() == []
        _book(world)
        assert _deliveries(session) == 0


def test_a_load_overtaken_by_an_invalidation_is_not_kept(world: World) -> None:
    loads: list[int] = []

    def load(session: Session) -> int:
        loads.append(1)
        if len(loads) == 1:
            cache.invalidate()  # a writer commits while this (old) read is in flight
        return len(loads)

    cache = reference_cache.ReferenceCache("probe", (Depot,), 60.0, load)
    with session_scope() as s:
        assert [cache.get(s), cache.get(s), cache.get(s)] == [1, 2, 2]
