"""Status changes reach Redis pub/sub only after their transaction commits."""

from __future__ import annotations

import json
import time

import pytest
import redis

from logistics_ai.db import session_scope
from logistics_ai.domain.errors import IllegalTransition
from logistics_ai.models import Shipment, ShipmentStatus
from logistics_ai.services import shipments
from logistics_ai.services.shipment_status import transition
from logistics_ai.settings import get_settings
from tests.support.world import World, booking


def _messages(pubsub: redis.client.PubSub, wait_s: float = 1.0) -> list[dict]:
    received, deadline = [], time.monotonic() + wait_s
    while time.monotonic() < deadline:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if message:
            payload = json.loads(message["data"])
            # The bus stamps each message with its send time (for the lag metric).
            assert isinstance(payload.pop("_sent_at"), float)
            received.append(payload)
    return received


def test_committed_changes_are_published_and_rolled_back_ones_are_not(world: World) -> None:
    settings = get_settings()
    pubsub = redis.Redis.from_url(settings.redis_url).pubsub()  # type: ignore[arg-type]
    pubsub.subscribe(settings.redis_key_prefix + "bus:shipments")
    pubsub.get_message(timeout=1)  # the subscribe confirmation

    with session_scope() as s:
        created = shipments.create_shipment(s, world.alice, booking())
    # What the live fan-out filters on rides along: owner, driver (none yet) and the day.
    assert _messages(pubsub) == [
        {
            "shipment_id": created.id,
            "tracking_code": created.tracking_code,
            "status": "requested",
            "customer_id": world.alice.customer_id,
            "driver_id": None,
            "service_date": created.service_date.isoformat(),
        }
    ]

    with pytest.raises(IllegalTransition), session_scope() as s:
        fresh = s.get(Shipment, created.id)
        transition(s, fresh, ShipmentStatus.scheduled, world.dispatcher)  # type: ignore[arg-type]
        transition(s, fresh, ShipmentStatus.delivered, world.dispatcher)  # type: ignore[arg-type]
    assert _messages(pubsub, wait_s=0.5) == []  # the scheduled step was rolled back too
    pubsub.close()
