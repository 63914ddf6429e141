"""Issue 12 figures: proof-of-delivery upload time and notification latency.

    python -m logistics_ai bench delivery [--runs 5] [--poll 1.0]

Runs on a throwaway SQLite database and local store (nothing of yours is touched), with the
API app called in process (ASGI) and a local aiosmtpd server:

- upload: POST /api/v1/shipments/{id}/proof with a 5 MB JPEG (camera-like noise, 12 MP),
  median of --runs, next to the same call with a 50 KB photo (baseline) as a ratio;
- notification: a status change committed by the service -> the worker (poll interval
  --poll, NOTIFY_POLL_SECONDS) -> message accepted by the SMTP server, median of --runs,
  next to a direct send_email() to the same server (baseline);
- offline replay: the driver app's outbox sends each stop event with the browser's session
  cookie and an Idempotency-Key; median per "delivered" event of 4 x --runs events, then the
  same events replayed with their keys (answers lost), next to bearer-token events (baseline).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _photo(target_bytes: int) -> bytes:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(7)
    side = 4000 if target_bytes > 1_000_000 else 400
    pixels = rng.integers(0, 255, (side * 3 // 4, side, 3), dtype=np.uint8)
    quality = 95
    while True:
        buffer = BytesIO()
        Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
        if buffer.tell() <= target_bytes or quality <= 20:
            return buffer.getvalue()
        quality -= 5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m logistics_ai bench delivery")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--poll", type=float, default=1.0, help="NOTIFY_POLL_SECONDS")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="lai-delivery-bench-"))
    smtp_port = _free_port()
    os.environ.update(
        {
            "DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
            "STORAGE_DIR": str(work / "store"),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "SMTP_SECURITY": "none",
            "SEED_DEMO": "false",
            "NOTIFY_POLL_SECONDS": str(args.poll),
            "RATE_LIMIT_API_PER_PRINCIPAL": "100000",
            "RATE_LIMIT_AUTH_PER_IP": "100000",
            "RATE_LIMIT_AUTH_PER_ACCOUNT": "100000",
            "LOG_LEVEL": "WARNING",
        }
    )
    # The CLI read the settings before this ran: forget them so the variables above count.
    from logistics_ai import db, storage
    from logistics_ai.settings import get_settings

    get_settings.cache_clear()
    db.get_engine.cache_clear()
    storage.get_store.cache_clear()
    from aiosmtpd.controller import Controller

    received: list[float] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            received.append(time.perf_counter())
            return "250 OK"

    smtp = Controller(Handler(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    try:
        world = _prepare()
        _upload_figures(world, args.runs)
        _notification_figures(world, received, args.runs, args.poll)
        _replay_figures(world, args.runs * 4)
    finally:
        smtp.stop()
    return 0


def _prepare() -> dict[str, object]:
    from logistics_ai import migrate
    from logistics_ai.db import session_scope
    from logistics_ai.models import Depot, Driver, DriverStatus, Role, Vehicle
    from logistics_ai.services.users import NewUser, actor_for, create_user

    migrate.upgrade()
    password = "bench-password-123456"
    with session_scope() as s:
        s.add(Depot(name="Depot", address="1 Depot St, Chicago, IL", lat=41.8868, lon=-87.6527))
        made = {}
        for email, role in (
            ("disp@bench.example.com", Role.dispatcher),
            ("cust@bench.example.com", Role.customer),
            ("driver@bench.example.com", Role.driver),
        ):
            user = create_user(
                s,
                NewUser(email=email, full_name="Bench", password=password, role=role),
                check_password=False,
            )
            if role == Role.driver:
                vehicle = Vehicle(plate="B-1", label="Van", capacity_kg=5000, capacity_m3=50)
                s.add(vehicle)
                s.flush()
                s.add(Driver(user_id=user.id, vehicle_id=vehicle.id, status=DriverStatus.available))
                s.flush()
            made[role.value] = actor_for(s, user)
    return {"actors": made, "password": password}


def _new_picked_up(world: dict[str, object]) -> tuple[int, int]:
    """A shipment picked up by the driver: (shipment id, drop-off stop id)."""
    from datetime import time as clock_time
    from datetime import timedelta

    from logistics_ai.db import session_scope
    from logistics_ai.domain import clock
    from logistics_ai.services import assignment, drivers, notifications, shipments

    actors = world["actors"]  # type: ignore[index]
    day = clock.today_local() + timedelta(days=1)
    at = lambda h: clock.local_datetime(day, clock_time(h))  # noqa: E731
    with session_scope() as s:
        notifications.mute(s)  # only the measured change sends mail
        shipment = shipments.create_shipment(
            s,
            actors["customer"],
            {
                "pickup_address": "1200 N Clark St, Chicago, IL",
                "pickup_lat": 41.9214,
                "pickup_lon": -87.6513,
                "pickup_window_start": at(9),
                "pickup_window_end": at(11),
                "dropoff_address": "5300 S Lake Park Ave, Chicago, IL",
                "dropoff_lat": 41.7943,
                "dropoff_lon": -87.5907,
                "dropoff_window_start": at(11),
                "dropoff_window_end": at(14),
                "recipient_name": "Jordan Lee",
                "weight_kg": 5,
                "volume_m3": 0.1,
            },
        )
        assignment.assign_shipment(s, actors["dispatcher"], shipment.id, actors["driver"].driver_id)
        stops = {x.kind: x.id for x in assignment.shipment_stops(s, shipment.id)}
        drivers.record_stop_event(s, actors["driver"], stops["pickup"], "picked_up")
    return shipment.id, stops["dropoff"]  # type: ignore[return-value]


def _upload_figures(world: dict[str, object], runs: int) -> None:
    from fastapi.testclient import TestClient

    from logistics_ai.api.app import create_api

    # The whole ASGI app in process (middleware, multipart parsing, auth, the upload, the
    # store, the commit); no socket, so the network between phone and server is not in it.
    with TestClient(create_api()) as client:
        login = client.post(
            "/api/v1/auth/token",
            json={"email": "driver@bench.example.com", "password": world["password"]},
        )
        if login.status_code != 200:
            raise RuntimeError(f"sign-in failed: {login.status_code} {login.text[:200]}")
        token = login.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        results = {}
        for label, size in (("50 KB photo (baseline)", 50_000), ("5 MB photo", 5_000_000)):
            photo = _photo(size)
            timings = []
            for _ in range(runs):
                shipment_id, _ = _new_picked_up(world)
                started = time.perf_counter()
                response = client.post(
                    f"/api/v1/shipments/{shipment_id}/proof",
                    headers=headers,
                    files={"photo": ("p.jpg", photo, "image/jpeg")},
                )
                timings.append(time.perf_counter() - started)
                assert response.status_code == 201, response.text
            results[label] = (len(photo), statistics.median(timings))
    base_s = results["50 KB photo (baseline)"][1]
    print("proof upload through the ASGI app in process, median of", runs)
    for label, (size, seconds) in results.items():
        print(
            f"  {label:24s} {size / 1e6:6.2f} MB  {seconds * 1000:8.1f} ms  x{seconds / base_s:.1f}"
        )


def _notification_figures(
    world: dict[str, object], received: list[float], runs: int, poll: float
) -> None:
    from logistics_ai.db import session_scope
    from logistics_ai.jobs.notifications import send_due
    from logistics_ai.jobs.worker import PeriodicJob, start_in_background
    from logistics_ai.notify.mail import OutgoingEmail, send_email
    from logistics_ai.services import drivers

    actors = world["actors"]  # type: ignore[index]
    direct = []
    for _ in range(runs):
        received.clear()
        started = time.perf_counter()
        send_email(OutgoingEmail(to="c@bench.example.com", subject="x", text="x"))
        while not received:
            time.sleep(0.001)
        direct.append(received[0] - started)
    stop = start_in_background((PeriodicJob("send_notifications", poll, send_due),))
    latencies = []
    try:
        for _ in range(runs):
            _shipment_id, dropoff = _new_picked_up(world)
            time.sleep(poll * 0.37)  # land at varying points of the poll cycle
            received.clear()
            with session_scope() as s:
                drivers.record_stop_event(s, actors["driver"], dropoff, "delivered")
            committed = time.perf_counter()
            deadline = committed + poll + 30
            while not received and time.perf_counter() < deadline:
                time.sleep(0.001)
            if not received:
                raise RuntimeError("no email arrived")
            latencies.append(received[0] - committed)
    finally:
        stop.set()
    base_s = statistics.median(direct)
    print(f"notification latency, status change committed -> SMTP accepted, median of {runs}")
    print(f"  direct send_email() (baseline)   {base_s * 1000:8.1f} ms")
    median = statistics.median(latencies)
    print(
        f"  outbox + worker (poll {poll:g} s)     {median * 1000:8.1f} ms  x{median / base_s:.0f}"
        f"  (max {max(latencies) * 1000:.0f} ms)"
    )


def _replay_figures(world: dict[str, object], count: int) -> None:
    import uuid

    from fastapi.testclient import TestClient

    from logistics_ai.api.app import create_api
    from logistics_ai.services import web_sessions

    def timed(client: TestClient, stop_id: int, headers: dict[str, str]) -> float:
        started = time.perf_counter()
        response = client.post(
            f"/api/v1/stops/{stop_id}/events", headers=headers, json={"event": "delivered"}
        )
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.text
        return elapsed

    email, password = "driver@bench.example.com", str(world["password"])
    origin = {"Origin": "http://testserver"}
    with TestClient(create_api()) as bearer_client, TestClient(create_api()) as phone:
        token = bearer_client.post(
            "/api/v1/auth/token", json={"email": email, "password": password}
        ).json()["access_token"]
        signed_in = phone.post(
            web_sessions.LOGIN_PATH,
            data={"email": email, "password": password},
            headers=origin,
            follow_redirects=False,
        )
        assert signed_in.status_code == 303, signed_in.text
        bearer = {"Authorization": f"Bearer {token}"}
        stops = [_new_picked_up(world)[1] for _ in range(2 * count)]
        queue = [(str(uuid.uuid4()), stop) for stop in stops[count:]]
        plain, cookie = [], []
        for stop, (key, queued) in zip(stops[:count], queue, strict=True):  # interleaved
            plain.append(timed(bearer_client, stop, bearer))
            cookie.append(timed(phone, queued, {**origin, "Idempotency-Key": key}))
        replay = [timed(phone, stop, {**origin, "Idempotency-Key": key}) for key, stop in queue]
    base = statistics.median(plain)
    print(f"stop event 'delivered' through the ASGI app in process, median of {count}")
    for label, values in (
        ("bearer token (baseline)", plain),
        ("outbox: cookie + key", cookie),
        ("outbox replay, same key", replay),
    ):
        median = statistics.median(values)
        print(f"  {label:26s} {median * 1000:8.1f} ms  x{median / base:.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
