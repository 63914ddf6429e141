"""`bench realtime`'s floor (loadtests/realtime_floor.py), its parts for real, no timing.

The floor's server runs on granian as the bench starts it; a websocket client (websocket-client)
stands in for a page's socket, httpx for a driver's phone, and the generator runs as its own
process for a few seconds. What is checked: a posted fix reaches every connected socket in the
DOM's spelling, the page shows one element per driver with a position the observer can take as
its baseline, and the generator records each accepted POST as the simulator does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websocket

from loadtests.api_bench import free_port
from loadtests.realtime_bench import FloorServer
from loadtests.realtime_floor import DEPOT, DRIVER_PREFIX
from loadtests.realtime_measure import position_value, posts_from_records

ROOT = Path(__file__).resolve().parents[2]
DRIVERS = 3


@pytest.fixture
def floor_url(tmp_path: Path) -> Iterator[str]:
    server = FloorServer(DRIVERS, free_port(), tmp_path / "floor.log")  # as the bench starts it
    try:
        server.wait_ready()
        yield server.url
    finally:
        server.stop()


def _token(url: str, driver_id: int) -> str:
    response = httpx.post(
        f"{url}/api/v1/auth/token",
        json={"email": f"{DRIVER_PREFIX}{driver_id}", "password": "unused"},
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def test_a_posted_fix_reaches_every_connected_socket(floor_url: str) -> None:
    ws_url = floor_url.replace("http://", "ws://") + "/ws"
    sockets = [websocket.create_connection(ws_url, timeout=10) for _ in range(2)]
    try:
        token = _token(floor_url, 2)
        pings = [
            {"lat": 41.9, "lon": -87.7, "recorded_at": "2026-12-01T10:00:00+00:00"},
            {"lat": 41.912345, "lon": -87.654321, "recorded_at": "2026-12-01T10:00:01+00:00"},
        ]
        response = httpx.post(
            f"{floor_url}/api/v1/drivers/me/location",
            json={"pings": pings},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "k1"},
        )
        assert response.status_code == 200
        # The answer is the position now held: the batch's newest fix.
        assert response.json() == {"driver_id": 2, "lat": 41.912345, "lon": -87.654321}
        for client in sockets:
            message = json.loads(client.recv())
            [[driver_id, lat, lng]] = message["floor"]
            # The measure's spelling of the value (what it expects the DOM to show).
            assert (driver_id, f"{lat},{lng}") == (2, position_value(41.912345, -87.654321))
            assert message["sent"] > 0
    finally:
        for client in sockets:
            client.close()


def test_the_page_shows_each_driver_with_a_position(floor_url: str) -> None:
    page = httpx.get(floor_url).text
    for driver_id in range(1, DRIVERS + 1):
        assert (
            f'data-driver-id="{driver_id}" data-lat="{DEPOT[0]:.5f}" data-lng="{DEPOT[1]:.5f}"'
            in page
        )
    assert f'data-driver-id="{DRIVERS + 1}"' not in page


def test_an_unsigned_post_is_refused(floor_url: str) -> None:
    response = httpx.post(f"{floor_url}/api/v1/drivers/me/location", json={"pings": []})
    assert response.status_code == 401


def test_the_generator_records_each_accepted_post_as_the_simulator(
    floor_url: str, tmp_path: Path
) -> None:
    record = tmp_path / "posts.jsonl"
    ws_url = floor_url.replace("http://", "ws://") + "/ws"
    client = websocket.create_connection(ws_url, timeout=10)
    try:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "loadtests.realtime_floor",
                "generate",
                "--url",
                floor_url,
                "--drivers",
                str(DRIVERS),
                "--seconds",
                "3",
                "--interval",
                "1",
                "--record",
                str(record),
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert f"floor generator: {DRIVERS} drivers" in run.stdout
        records = [json.loads(line) for line in record.read_text().splitlines()]
        assert records and {r["kind"] for r in records} == {"position"}
        assert {r["driver_id"] for r in records} == set(range(1, DRIVERS + 1))
        assert all(r["sent"] <= r["t"] for r in records)
        posts = posts_from_records(records)
        # Every accepted POST was pushed to the connected socket, with the same value.
        pushed = []
        for _ in posts:
            [[driver_id, lat, lng]] = json.loads(client.recv())["floor"]
            pushed.append((str(driver_id), f"{lat},{lng}"))
        assert sorted(pushed) == sorted((p.subject, p.value) for p in posts)
        # Every report moves the driver: each one is a change the page can show.
        for driver_id in range(1, DRIVERS + 1):
            values = [p.value for p in posts if p.subject == str(driver_id)]
            assert len(values) == len(set(values)) >= 2
    finally:
        client.close()
