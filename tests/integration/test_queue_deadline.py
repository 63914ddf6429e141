"""An admitted API request that waits longer than API_QUEUE_TIMEOUT_MS for a worker thread gets
a 503 with Retry-After instead of starting, and writes nothing (api/deps.py `_run_unit`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.encoders import jsonable_encoder
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from logistics_ai.api.deps import unit_threads
from logistics_ai.models import Shipment
from tests.support import app_config
from tests.support.api import bearer, client, login
from tests.support.world import World, booking


@pytest.fixture
def http() -> Iterator[TestClient]:
    with app_config.configured(api_queue_timeout_ms="300"):
        yield client()


def _occupy_every_unit_thread(seconds: float) -> None:
    """Hold all of this process's API unit threads for `seconds`, as slow requests would."""
    threads = unit_threads()
    started = threading.Barrier(threads._max_workers + 1)

    def hold() -> None:
        started.wait()
        time.sleep(seconds)

    for _ in range(threads._max_workers):
        threads.submit(hold)
    started.wait()


def _shipments(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Shipment)).one()


def test_a_request_that_waited_past_its_deadline_is_refused_and_writes_nothing(
    world: World, http: TestClient, session: Session
) -> None:
    alice = bearer(login(http, "alice@test.example.com")["access_token"])
    before = _shipments(session)
    _occupy_every_unit_thread(0.8)
    sent = time.perf_counter()
    refused = http.post("/api/v1/shipments", json=jsonable_encoder(booking()), headers=alice)
    waited = time.perf_counter() - sent
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["error"]["code"] == "overloaded"
    # It waited for a thread (the deadline passed meanwhile), then did no work.
    assert waited >= 0.3
    session.expire_all()
    assert _shipments(session) == before
    # With the threads free again, the same booking is served at once.
    accepted = http.post("/api/v1/shipments", json=jsonable_encoder(booking()), headers=alice)
    assert accepted.status_code == 201, accepted.text
    session.expire_all()
    assert _shipments(session) == before + 1


def test_a_request_that_gets_a_thread_within_its_deadline_is_served(
    world: World, http: TestClient
) -> None:
    alice = bearer(login(http, "alice@test.example.com")["access_token"])
    _occupy_every_unit_thread(0.1)
    served = http.get("/api/v1/shipments", headers=alice)
    assert served.status_code == 200, served.text


def test_no_deadline_when_it_is_turned_off(world: World) -> None:
    with app_config.configured(api_queue_timeout_ms="0"):
        http = client()
        alice = bearer(login(http, "alice@test.example.com")["access_token"])
        _occupy_every_unit_thread(0.5)
        served = http.get("/api/v1/shipments", headers=alice)
        assert served.status_code == 200, served.text
