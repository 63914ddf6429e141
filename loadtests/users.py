"""Locust user classes: customers, drivers and dispatchers.

Weights and think times model a working day: most traffic is customers tracking deliveries,
drivers post GPS batches every ~10 s, and a few dispatchers work the board. Paths follow the
REST contract in DESIGN §4; tasks are marked with @endpoint so the gate skips the ones the target
does not serve yet (see loadtests/endpoints.py). All classes use FastHttpUser.
"""

from __future__ import annotations

import itertools
import math
import os
import random
import string
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import gevent
from gevent.lock import Semaphore
from locust import FastHttpUser, between, constant_throughput, task

from loadtests.endpoints import endpoint

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # tracking-code alphabet of the app
DEPOT = (41.8837, -87.6476)  # demo city: Chicago West Loop
PASSWORD = os.environ.get("LOADTEST_PASSWORD", "logistics-demo")


def _known_tracking_codes() -> list[str]:
    codes = os.environ.get("LOADTEST_TRACKING_CODES", "")
    path = os.environ.get("LOADTEST_TRACKING_CODES_FILE")
    if path and Path(path).exists():
        codes += "," + Path(path).read_text().replace("\n", ",")
    return [c.strip() for c in codes.split(",") if c.strip()]


KNOWN_CODES = _known_tracking_codes()  # grows with the codes signed-in customers list


def tracking_code() -> str:
    """A real code when known (LOADTEST_TRACKING_CODES[_FILE], or listed by a signed-in
    customer), else a well-formed unknown one (the API looks it up and answers its 404
    envelope: the same database work)."""
    if KNOWN_CODES and random.random() < 0.9:
        return random.choice(KNOWN_CODES)
    return "LA" + "".join(random.choice(ALPHABET) for _ in range(12))


def _remember_codes(payload: dict | None) -> None:
    for item in (payload or {}).get("items", []):
        code = item.get("tracking_code")
        if code and code not in KNOWN_CODES and len(KNOWN_CODES) < 500:
            KNOWN_CODES.append(code)


def _near(lat: float, lon: float, spread: float = 0.08) -> dict[str, float]:
    return {
        "lat": round(lat + random.uniform(-spread, spread), 6),
        "lon": round(lon + random.uniform(-spread, spread), 6),
    }


# Signed-in sessions are shared per account inside a Locust process: simulated users of one role
# share one demo account, and during a working day users are already signed in (dashboards stay
# open, drivers sign in at shift start). Sign-in itself costs ~0.3 s of CPU (Argon2id), so a
# herd of simultaneous logins is a separate scenario, not the steady state this gate judges.
_TOKENS: dict[str, str] = {}
LOGIN_ATTEMPTS = 6
_LOGIN_LOCKS: dict[str, Semaphore] = {}


class ApiUser(FastHttpUser):
    """Shared plumbing: TLS (self-signed loopback stacks by default), login when needed."""

    abstract = True
    insecure = os.environ.get("LOADTEST_VERIFY_TLS", "0") != "1"
    email = ""
    token: str | None = None

    def on_start(self) -> None:
        if any(getattr(t, "needs_auth", False) for t in self.tasks):
            self.login()

    def login(self, *, stale: str | None = None) -> None:
        lock = _LOGIN_LOCKS.setdefault(self.email, Semaphore())
        with lock:
            cached = _TOKENS.get(self.email)
            if cached and cached != stale:
                self.token = cached
                return
            for _ in range(LOGIN_ATTEMPTS):
                with self.client.post(
                    "/api/v1/auth/token",
                    json={"email": self.email, "password": PASSWORD},
                    name="POST /api/v1/auth/token",
                    catch_response=True,
                ) as response:
                    if response.status_code == 200 and response.json().get("access_token"):
                        self.token = _TOKENS[self.email] = response.json()["access_token"]
                        response.success()
                        return
                    response.failure(f"login as {self.email} failed: {response.status_code}")
                    if response.status_code not in (429, 503):
                        return
                    # Shed (the sign-in gate's 503, a rate limit's 429): come back when the
                    # server says, as the apps do, rather than send requests without a token.
                    retry_after = response.headers.get("Retry-After") or "1"
                gevent.sleep(float(retry_after) + random.uniform(0, 1))

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def expect(self, response, *ok_statuses: int) -> None:  # type: ignore[no-untyped-def]
        if response.status_code in ok_statuses:
            response.success()
        else:
            response.failure(f"unexpected status {response.status_code}")
            if response.status_code == 401:
                # Access tokens live ACCESS_TOKEN_TTL_SECONDS (15 min by default), and a sign-in
                # refused during the ramp-up (503 from the sign-in gate) left none: sign in
                # again, as the apps do; the 401 itself still counts against the SLA.
                self.login(stale=self.token)


class CustomerUser(ApiUser):
    weight = 70
    wait_time = between(3, 10)
    email = os.environ.get("LOADTEST_CUSTOMER_EMAIL", "customer@example.com")

    @task(6)
    @endpoint("GET", "/api/v1/track/{tracking_code}")
    def track(self) -> None:
        with self.client.get(
            f"/api/v1/track/{tracking_code()}",
            name="GET /api/v1/track/[code]",
            catch_response=True,
        ) as response:
            # 404 with the error envelope is the correct answer for an unknown code.
            if response.status_code == 200 or (
                response.status_code == 404 and "error" in (response.json() or {})
            ):
                response.success()
            else:
                response.failure(f"unexpected status {response.status_code}")

    @task(2)
    @endpoint("GET", "/track/{tracking_code}", page=True)
    def track_page(self) -> None:
        with self.client.get(
            f"/track/{tracking_code()}", name="GET /track/[code] (page)", catch_response=True
        ) as response:
            self.expect(response, 200)

    @task(3)
    @endpoint("GET", "/api/v1/shipments", auth=True)
    def list_shipments(self) -> None:
        with self.client.get(
            "/api/v1/shipments?page=1&page_size=20",
            headers=self.auth,
            name="GET /api/v1/shipments",
            catch_response=True,
        ) as response:
            self.expect(response, 200)
            if response.status_code == 200:
                _remember_codes(response.json())

    @task(1)
    @endpoint("POST", "/api/v1/shipments", auth=True)
    def create_shipment(self) -> None:
        # Business hours two days ahead, as naive times (the app reads them in its own time
        # zone): valid at any hour of the run. "Now + 1-6 h" crossed midnight in the app's
        # zone late in its evening, and every booking was refused (the pickup and the
        # delivery must be on the same day).
        day = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
        pickup = _near(*DEPOT, 0.02)
        dropoff = _near(*DEPOT)
        body = {
            "pickup_address": "1 N Canal St, Chicago, IL 60606",
            "pickup_lat": pickup["lat"],
            "pickup_lon": pickup["lon"],
            "pickup_window_start": f"{day}T09:00:00",
            "pickup_window_end": f"{day}T12:00:00",
            "dropoff_address": f"{random.randint(100, 9999)} W Madison St, Chicago, IL",
            "dropoff_lat": dropoff["lat"],
            "dropoff_lon": dropoff["lon"],
            "dropoff_window_start": f"{day}T13:00:00",
            "dropoff_window_end": f"{day}T17:00:00",
            "recipient_name": "Load Test " + "".join(random.choices(string.ascii_uppercase, k=4)),
            "weight_kg": round(random.uniform(0.5, 30), 1),
            "volume_m3": round(random.uniform(0.01, 0.5), 2),
            "notes": "created by loadtests",
        }
        with self.client.post(
            "/api/v1/shipments",
            json=body,
            headers=self.auth,
            name="POST /api/v1/shipments",
            catch_response=True,
        ) as response:
            self.expect(response, 200, 201)


# Drivers each have an account of their own: simulated drivers sharing one would all update
# one driver row and one route, and wait on each other's row locks, which no real fleet does.
# LOADTEST_DRIVER_EMAILS (comma-separated) hands the accounts out in turn.
_DRIVER_EMAILS = [e for e in os.environ.get("LOADTEST_DRIVER_EMAILS", "").split(",") if e]
_next_driver_email = itertools.cycle(_DRIVER_EMAILS)


class DriverUser(ApiUser):
    weight = 20
    wait_time = between(8, 15)  # a GPS batch every ~10 s while driving
    email = os.environ.get("LOADTEST_DRIVER_EMAIL", "driver@example.com")
    stop_ids: list[int] = []

    def on_start(self) -> None:
        if _DRIVER_EMAILS:
            self.email = next(_next_driver_email)
        start = _near(*DEPOT)
        self.position = (start["lat"], start["lon"])
        self.heading = random.uniform(0, 360)
        super().on_start()

    def _drive(self, now: datetime) -> list[dict[str, object]]:
        """The last 10 s of a van in city traffic, a fix every 2 s, oldest first.

        The van drives on from where its previous batch left it: the app recomputes ETAs when
        a driver moved far enough (ETA_REFRESH_METERS), so teleporting vans would load it as
        no real fleet does. It turns back towards the depot when it leaves the demo city.
        """
        pings = []
        for i in reversed(range(5)):
            speed = random.uniform(0, 14)
            self.heading = (self.heading + random.uniform(-30, 30)) % 360
            lat, lon = self.position
            if abs(lat - DEPOT[0]) > 0.08 or abs(lon - DEPOT[1]) > 0.08:
                self.heading = math.degrees(math.atan2(DEPOT[1] - lon, DEPOT[0] - lat)) % 360
            step_m = speed * 2
            lat += step_m * math.cos(math.radians(self.heading)) / 111_320
            lon += (
                step_m
                * math.sin(math.radians(self.heading))
                / (111_320 * math.cos(math.radians(lat)))
            )
            self.position = (lat, lon)
            pings.append(
                {
                    "lat": round(lat, 6),
                    "lon": round(lon, 6),
                    "recorded_at": (now - timedelta(seconds=2 * i)).isoformat(),
                    "speed_mps": round(speed, 1),
                    "heading_deg": int(self.heading) % 360,
                    "accuracy_m": round(random.uniform(3, 15), 1),
                }
            )
        return pings

    @task(8)
    @endpoint("POST", "/api/v1/drivers/me/location", auth=True)
    def location_batch(self) -> None:
        pings = self._drive(datetime.now(UTC))
        with self.client.post(
            "/api/v1/drivers/me/location",
            json={"pings": pings},
            headers=self.auth,
            name="POST /api/v1/drivers/me/location",
            catch_response=True,
        ) as response:
            self.expect(response, 200, 201, 202, 204)

    @task(2)
    @endpoint("GET", "/api/v1/drivers/me/route", auth=True)
    def route(self) -> None:
        with self.client.get(
            "/api/v1/drivers/me/route",
            headers=self.auth,
            name="GET /api/v1/drivers/me/route",
            catch_response=True,
        ) as response:
            self.expect(response, 200, 404)
            if response.status_code == 200:
                stops = (response.json() or {}).get("stops", [])
                self.stop_ids = [s["id"] for s in stops if "id" in s]

    @task(1)
    @endpoint("POST", "/api/v1/stops/{stop_id}/events", auth=True)
    def stop_event(self) -> None:
        if not self.stop_ids:
            return
        with self.client.post(
            f"/api/v1/stops/{random.choice(self.stop_ids)}/events",
            json={"event": "arrived", **_near(*DEPOT)},
            headers=self.auth,
            name="POST /api/v1/stops/[id]/events",
            catch_response=True,
        ) as response:
            # 409: the stop already moved past "arrived" (the status machine refuses it).
            self.expect(response, 200, 201, 409)


class DispatcherUser(ApiUser):
    weight = 10
    wait_time = between(2, 8)
    email = os.environ.get("LOADTEST_DISPATCHER_EMAIL", "dispatcher@example.com")

    @task(3)
    @endpoint("GET", "/dispatch", page=True)
    def board_page(self) -> None:
        with self.client.get("/dispatch", name="GET /dispatch (page)", catch_response=True) as r:
            self.expect(r, 200)

    @task(10)
    @endpoint("GET", "/api/v1/shipments", auth=True)
    def list_shipments(self) -> None:
        with self.client.get(
            "/api/v1/shipments?page=1&page_size=50",
            headers=self.auth,
            name="GET /api/v1/shipments",
            catch_response=True,
        ) as response:
            self.expect(response, 200)

    @task(8)
    @endpoint("GET", "/api/v1/shipments", auth=True)
    def filter_shipments(self) -> None:
        status = random.choice(["requested", "scheduled", "assigned", "in_transit", "delivered"])
        today = datetime.now(UTC).date().isoformat()
        with self.client.get(
            f"/api/v1/shipments?status={status}&date_from={today}&date_to={today}"
            "&page=1&page_size=50",
            headers=self.auth,
            name="GET /api/v1/shipments?status&date",
            catch_response=True,
        ) as response:
            self.expect(response, 200)

    last_plan: float = 0.0

    @task(1)  # about every two minutes per dispatcher: re-planning is occasional
    @endpoint("POST", "/api/v1/dispatch/plan", auth=True)
    def plan_preview(self) -> None:
        # POST /dispatch/plan previews a plan (applying is a separate call); the solver's time
        # budget is kept short, as the dashboard's "preview" button would.
        # One task in 22 is a preview every ~2 min at this class's 2-8 s wait, but every ~44 s
        # with `--think 1-3`; LOADTEST_PLAN_INTERVAL_S holds a dispatcher to at most one
        # preview per that many seconds whatever the think time (unset: no limit).
        interval = float(os.environ.get("LOADTEST_PLAN_INTERVAL_S", "0"))
        if interval and time.monotonic() - self.last_plan < interval:
            return
        self.last_plan = time.monotonic()
        with self.client.post(
            "/api/v1/dispatch/plan",
            json={"budget_seconds": float(os.environ.get("LOADTEST_PLAN_BUDGET_S", "0.2"))},
            headers=self.auth,
            name="POST /api/v1/dispatch/plan (preview)",
            catch_response=True,
        ) as response:
            self.expect(response, 200)


class CapacityCustomer(CustomerUser):
    """Capacity probe: the customer's tasks at a fixed 1 request/s per user (no think time), so
    `users` reads directly as offered requests per second. Used by loadtests.capacity."""

    wait_time = constant_throughput(1)


ALL_USERS = [CustomerUser, DriverUser, DispatcherUser]
