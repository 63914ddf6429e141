"""The embedded default that `make run` uses, exercised through the API.

No DATABASE_URL and no REDIS_URL: SQLite in a data folder, the in-process key-value store and
event bus, the first start migrates and seeds the demo city. Everything a first-time user
does next (sign in, see the board, assign, sign out) must work on that setup alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect

from logistics_ai import bootstrap, kvstore, migrate
from logistics_ai.db import get_engine
from logistics_ai.realtime import bus
from logistics_ai.settings import get_settings
from tests.support import app_config
from tests.support.api import bearer, client

DEMO_PASSWORD = "logistics-demo"


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Path]:
    data = tmp_path / "data"
    with app_config.configured(
        database_url=f"sqlite:///{data / 'logistics_ai.db'}",
        redis_url="",  # unset: in-process store and bus
        data_dir=str(data),
        mail_file_dir=str(data / "mail"),
        storage_dir=str(data / "uploads"),
        seed_demo="true",
        demo_password=DEMO_PASSWORD,
        app_env="dev",
    ):
        yield data


def _login(http: Any, email: str) -> dict[str, str]:
    response = http.post("/api/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


def test_first_start_migrates_seeds_and_serves_the_api(embedded: Path) -> None:
    assert get_engine().url.get_backend_name() == "sqlite"
    assert isinstance(kvstore.get_store(), kvstore.MemoryStore)
    assert isinstance(bus.get_bus(), bus.InProcessBus)

    bootstrap.prepare_database()  # what the app does on start
    assert (embedded / "logistics_ai.db").is_file()
    assert migrate.current_revision() == migrate.head_revision()
    assert "shipments" in inspect(get_engine()).get_table_names()
    bootstrap.prepare_database()  # a restart: nothing is seeded twice

    http = client()
    assert http.get("/readyz").status_code == 200
    staff = _login(http, "dispatcher@example.com")
    board = http.get("/api/v1/shipments", params={"page_size": 100}, headers=staff).json()
    assert board["total"] == 200  # the demo city, once

    heard: list[dict[str, Any]] = []
    stop = bus.get_bus().subscribe("shipments", lambda _channel, payload: heard.append(payload))
    try:
        requested = http.get(
            "/api/v1/shipments", params={"status": "requested", "page_size": 100}, headers=staff
        ).json()["items"]
        target = next(item for item in requested if not item["required_skills"])
        fleet = http.get("/api/v1/fleet", params={"date": target["service_date"]}, headers=staff)
        assert fleet.status_code == 200 and fleet.json()
        driver = next(d for d in fleet.json() if d["capacity_kg"] >= target["weight_kg"])
        assigned = http.post(
            f"/api/v1/shipments/{target['id']}/assign",
            json={"driver_id": driver["id"]},
            headers=staff,
        )
        assert assigned.status_code == 200, assigned.text
        assert assigned.json()["status"] == "assigned"
        # The in-process bus delivered the change after the commit.
        assert {"shipment_id": target["id"], "status": "assigned"}.items() <= heard[-1].items()
    finally:
        stop()

    # A driver's GPS batch, sent twice with one Idempotency-Key (a phone replaying its queue):
    # SQLite's claim and stored answer (services/idempotency.py) replay the first answer.
    driver_headers = {**_login(http, "driver@example.com"), "Idempotency-Key": "gps-1"}
    batch = {"pings": [{"lat": 41.9, "lon": -87.65}, {"lat": 41.9005, "lon": -87.6505}]}
    answers = [
        http.post("/api/v1/drivers/me/location", json=batch, headers=driver_headers)
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [200, 200], answers[0].text
    assert answers[0].json() == answers[1].json()
    assert answers[0].json()["lat"] == 41.9005 and answers[0].json()["accepted"] == 2
    assert answers[1].headers["Idempotent-Replayed"] == "true"

    # Sessions live in the in-process store: signing out ends them at once.
    assert http.post("/api/v1/auth/logout", headers=staff).status_code == 204
    assert http.get("/api/v1/me", headers=staff).status_code == 401
    assert get_settings().redis_url in (None, "")
