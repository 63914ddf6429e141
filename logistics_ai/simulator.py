"""Fleet simulator: demo drivers drive their planned routes through the public REST API.

`python -m logistics_ai simulate --drivers N --speedup X [--duration S] [--url URL]` signs in
as the demo admin only to list the driver accounts, then signs in as each driver, reads the
day's route (`GET /drivers/me/route`) and drives it: straight lines between stops at city
speed x `speedup`, a GPS batch every `interval` seconds (`POST /drivers/me/location`),
`arrived` then `picked_up`/`delivered` at each stop, and now and then a failed delivery with a
reason (`POST /stops/{id}/events`). Every write carries an `Idempotency-Key`, as the driver
app does, and a retried write reuses its key.

It talks to `url` and nothing else, only over HTTP: this module imports no service, model or
database code (an import-linter contract in pyproject.toml keeps it so), so what it exercises
is exactly what a phone exercises. It stops after `duration` seconds or when every route is
done, whichever comes first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import ssl
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

CITY_SPEED_MPS = 8.3  # 30 km/h: a van in city traffic
STOP_DWELL_S = 300.0  # five minutes at a stop, before the speed-up
FAILURE_REASONS = (
    "Recipient not home",
    "Business closed",
    "Address not accessible (gate locked)",
    "Recipient refused the parcel",
)
EARTH_M_PER_DEG = 111_320.0


@dataclass
class Tally:
    """What the run sent and what the server answered (printed as the last line)."""

    drivers: int = 0
    batches: int = 0
    pings: int = 0
    events: dict[str, int] = field(default_factory=dict)
    rejected: int = 0  # 4xx on a stop event (e.g. a stop changed by a dispatcher meanwhile)
    errors: int = 0  # transport errors and 5xx

    def line(self, seconds: float) -> str:
        events = ", ".join(f"{k} {v}" for k, v in sorted(self.events.items())) or "none"
        return (
            f"simulate: {self.drivers} drivers, {self.batches} GPS batches ({self.pings} pings), "
            f"stop events: {events}; rejected {self.rejected}, errors {self.errors}, "
            f"{seconds:.1f} s"
        )


@dataclass(frozen=True)
class Options:
    url: str
    drivers: int = 5
    speedup: float = 10.0
    duration_s: float = 600.0
    interval_s: float = 2.0
    fail_rate: float = 0.05
    seed: int = 7
    admin_email: str = "admin@example.com"
    password: str = "logistics-demo"
    timeout_s: float = 10.0
    wait_s: float = 0.0  # how long to wait for the app to answer /healthz first (make run)
    # Start each driver at a random point of the first interval, as phones are not in step
    # (without it every driver posts in the same instant, a burst no real fleet produces).
    stagger: bool = False
    # Called with one dict per accepted write, stamped with the wall clock when the answer
    # arrived (`bench realtime` measures from there to the dashboards' DOM).
    record: Callable[[dict[str, Any]], None] | None = None


def client(options: Options, verify: ssl.SSLContext | bool = True) -> httpx.AsyncClient:
    """An HTTP client for `options.url` holding one connection, as one phone does."""
    return httpx.AsyncClient(
        base_url=options.url.rstrip("/"),
        timeout=options.timeout_s,
        limits=httpx.Limits(max_connections=1),
        verify=verify,
    )


@contextlib.asynccontextmanager
async def phones(options: Options, count: int) -> AsyncIterator[list[httpx.AsyncClient]]:
    """`count` clients, one per simulated phone, as each phone has a connection of its own.

    Not one client shared by the fleet: httpcore's pool checks each of its connections (a
    socket call per connection) for every request it places, so with 200 drivers and a few
    dozen answers in flight that bookkeeping was ~70% of the simulator's CPU (py-spy during
    `bench realtime --dashboards 2 --drivers 200`: the simulator took 0.5 cores, 13.6 ms per
    GPS batch; docs/realtime.md, Round 12). The TLS context is built once for all of them.
    """
    verify = httpx.create_ssl_context()
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(client(options, verify)) for _ in range(count)]


class Api:
    """One signed-in account's HTTP calls (re-signs in once when the access token expires)."""

    def __init__(self, http: httpx.AsyncClient, email: str, password: str) -> None:
        self._http, self._email, self._password = http, email, password
        self._token = ""

    async def sign_in(self, deadline: float) -> None:
        while True:
            response = await self._http.post(
                "/api/v1/auth/token", json={"email": self._email, "password": self._password}
            )
            if response.status_code == 429:  # sign-in limits per IP: wait as told, in time
                wait = float(response.headers.get("Retry-After", "1"))
                if time.monotonic() + wait > deadline:
                    response.raise_for_status()
                await asyncio.sleep(wait)
                continue
            response.raise_for_status()
            self._token = response.json()["access_token"]
            return

    async def call(
        self, method: str, path: str, *, key: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        for attempt in range(2):
            headers = {"Authorization": f"Bearer {self._token}"}
            if key:
                headers["Idempotency-Key"] = key
            response = await self._http.request(method, path, headers=headers, **kwargs)
            if response.status_code != 401 or attempt:
                return response
            await self.sign_in(time.monotonic() + 30)
        return response


def _step(
    here: tuple[float, float], there: tuple[float, float], metres: float
) -> tuple[tuple[float, float], bool]:
    """Move up to `metres` from `here` towards `there`; True when there."""
    dlat = (there[0] - here[0]) * EARTH_M_PER_DEG
    dlon = (there[1] - here[1]) * EARTH_M_PER_DEG * math.cos(math.radians(here[0]))
    distance = math.hypot(dlat, dlon)
    if distance <= metres or distance == 0:
        return there, True
    f = metres / distance
    return (here[0] + (there[0] - here[0]) * f, here[1] + (there[1] - here[1]) * f), False


async def _send(
    api: Api, tally: Tally, method: str, path: str, body: dict[str, Any]
) -> httpx.Response | None:
    """One idempotent write; a transport error or 5xx is retried once with the same key.

    The answer (None after two failures) carries `sent_at` and `returned_at`, the wall clock
    when the write was first sent and when its answer arrived.
    """
    key = str(uuid.uuid4())
    sent_at = time.time()
    for attempt in range(2):
        try:
            response = await api.call(method, path, key=key, json=body)
        except httpx.HTTPError:
            response = None
        if response is not None and response.status_code < 500:
            response.extensions["sent_at"] = sent_at
            response.extensions["returned_at"] = time.time()
            return response
        if attempt:
            tally.errors += 1
        await asyncio.sleep(0.2)
    return None


def _record(options: Options, response: httpx.Response | None, **fields: Any) -> None:
    if options.record and response is not None and response.is_success:
        at = response.extensions
        options.record({**fields, "t": at["returned_at"], "sent": at["sent_at"]})


async def _report_position(
    api: Api,
    options: Options,
    tally: Tally,
    driver_id: int,
    fixes: list[tuple[float, float]],
) -> None:
    now = datetime.now(UTC).isoformat()
    pings = [
        {"lat": round(p[0], 6), "lon": round(p[1], 6), "recorded_at": now, "accuracy_m": 8.0}
        for p in fixes
    ]
    response = await _send(api, tally, "POST", "/api/v1/drivers/me/location", {"pings": pings})
    if response is not None:
        tally.batches += 1
        tally.pings += len(pings)
        if response.is_success:
            # The server's answer is the position it now holds (the batch's newest fix).
            at = response.json()
            _record(options, response, kind="position", driver_id=driver_id, **_latlon(at))


def _latlon(body: dict[str, Any]) -> dict[str, float]:
    return {"lat": body["lat"], "lon": body["lon"]}


async def _drive(
    api: Api, options: Options, tally: Tally, deadline: float, rng: random.Random
) -> None:
    route = await api.call("GET", "/api/v1/drivers/me/route")
    route.raise_for_status()
    driver_id = int(route.json()["driver_id"])
    stops = [s for s in route.json()["stops"] if s["status"] in ("pending", "arrived")]
    if not stops:
        return
    if options.stagger:
        await asyncio.sleep(rng.uniform(0, options.interval_s))
    # Start a little way off the first stop, as if coming from the previous job.
    first = (stops[0]["lat"], stops[0]["lon"])
    here = (first[0] - 0.01 * rng.uniform(0.5, 1.0), first[1] - 0.01 * rng.uniform(0.5, 1.0))
    body = {"status": "on_route"}
    response = await _send(api, tally, "PUT", "/api/v1/drivers/me/status", body)
    _record(options, response, kind="driver_status", driver_id=driver_id, status="on_route")
    metres_per_tick = CITY_SPEED_MPS * options.speedup * options.interval_s
    dwell_s = STOP_DWELL_S / options.speedup
    # Reports keep the phone's cadence (one per interval) however long the server takes to
    # answer: a slow answer does not make the next report later.
    tick = time.monotonic()

    async def next_tick() -> None:
        nonlocal tick
        tick = max(tick + options.interval_s, time.monotonic())
        await asyncio.sleep(max(0.0, tick - time.monotonic()))

    for stop in stops:
        target = (stop["lat"], stop["lon"])
        arrived = False
        while not arrived:
            if time.monotonic() >= deadline:
                return
            # Two fixes per batch: half-way through the tick and its end, as a phone buffers.
            mid, _ = _step(here, target, metres_per_tick / 2)
            here, arrived = _step(here, target, metres_per_tick)
            await _report_position(api, options, tally, driver_id, [mid, here])
            await next_tick()
        if stop["status"] == "pending":
            await _event(api, options, tally, driver_id, stop, "arrived", None, here)
        # A phone keeps reporting while the van stands at the stop.
        leave_at = min(time.monotonic() + dwell_s, deadline)
        while tick + options.interval_s <= leave_at:
            await next_tick()
            await _report_position(api, options, tally, driver_id, [here, here])
        await asyncio.sleep(max(0.0, leave_at - time.monotonic()))
        if time.monotonic() >= deadline:
            return
        if stop["kind"] == "pickup":
            await _event(api, options, tally, driver_id, stop, "picked_up", None, here)
        elif rng.random() < options.fail_rate:
            reason = rng.choice(FAILURE_REASONS)
            await _event(api, options, tally, driver_id, stop, "failed", reason, here)
        else:
            await _event(api, options, tally, driver_id, stop, "delivered", None, here)


async def _event(
    api: Api,
    options: Options,
    tally: Tally,
    driver_id: int,
    stop: dict[str, Any],
    event: str,
    reason: str | None,
    here: tuple[float, float],
) -> None:
    body: dict[str, Any] = {"event": event, "lat": round(here[0], 6), "lon": round(here[1], 6)}
    if reason:
        body["reason"] = reason
    response = await _send(api, tally, "POST", f"/api/v1/stops/{stop['id']}/events", body)
    status = response.status_code if response is not None else 0
    if 200 <= status < 300:
        tally.events[event] = tally.events.get(event, 0) + 1
        _record(
            options,
            response,
            kind="stop_event",
            driver_id=driver_id,
            stop_id=stop["id"],
            shipment_id=stop["shipment_id"],
            event=event,
        )
    elif status:
        tally.rejected += 1  # e.g. the shipment was cancelled or reassigned meanwhile


async def _driver_emails(http: httpx.AsyncClient, options: Options, deadline: float) -> list[str]:
    admin = Api(http, options.admin_email, options.password)
    await admin.sign_in(deadline)
    response = await admin.call("GET", "/api/v1/users", params={"role": "driver"})
    response.raise_for_status()
    users = sorted((u for u in response.json() if u["is_active"]), key=lambda u: u["id"])
    return [u["email"] for u in users[: options.drivers]]


async def _wait_until_up(http: httpx.AsyncClient, wait_s: float) -> None:
    give_up = time.monotonic() + wait_s
    while True:
        try:
            if (await http.get("/healthz")).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() >= give_up:
            raise RuntimeError(f"the app did not answer /healthz within {wait_s:.0f} s")
        await asyncio.sleep(1.0)


async def run(options: Options) -> Tally:
    tally = Tally()
    async with client(options) as http:
        await _wait_until_up(http, options.wait_s)
        deadline = time.monotonic() + options.duration_s
        emails = await _driver_emails(http, options, deadline)
    async with phones(options, len(emails)) as clients:
        drivers = [
            Api(c, email, options.password) for c, email in zip(clients, emails, strict=True)
        ]
        for api in drivers:  # one after another: sign-in is deliberately expensive (Argon2)
            await api.sign_in(deadline)
        tally.drivers = len(drivers)
        # The fleet drives for `duration` once signed in (200 sign-ins take a while).
        deadline = time.monotonic() + options.duration_s
        await asyncio.gather(
            *(
                _drive(api, options, tally, deadline, random.Random(options.seed * 1000 + i))
                for i, api in enumerate(drivers)
            )
        )
    return tally


def main(options: Options) -> int:
    # One line per request from httpx would drown the summary: keep its warnings only.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    started = time.monotonic()
    tally = asyncio.run(run(options))
    print(tally.line(time.monotonic() - started), flush=True)
    return 0 if tally.drivers and not tally.errors else 1
