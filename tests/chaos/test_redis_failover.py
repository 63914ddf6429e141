"""Redis under faults, through the real app and the real clients (Sentinel-aware factory).

1. SIGKILL the Redis primary: Sentinel promotes the replica; sessions made before the kill
   still authenticate, sign-in works again, rate limits keep counting, and a bus subscriber
   that was listening before the kill says when it is subscribed again (pub/sub delivers at
   most once: what was published in the gap is missed, and the live fan-out re-reads on this
   signal), after which the app's shipment events reach it.
2. Stop Redis entirely: the REST API keeps answering reads, sign-in answers a clear 503,
   and once Redis is back everything works again without restarting the app.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import httpx
import redis

from logistics_ai.realtime.bus import get_bus
from logistics_ai.redis_client import patch_reflex_for_sentinel
from logistics_ai.security import rate_limit
from tests.chaos.conftest import figure
from tests.chaos.stack import REDIS_PASSWORD, Stack, wait_for
from tests.support.world import PASSWORD, World, booking

BOUND_S = 30.0


def _login(http: httpx.Client, email: str = "alice@test.example.com") -> httpx.Response:
    return http.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})


def _book(http: httpx.Client, token: str) -> httpx.Response:
    body = json.loads(json.dumps(booking(), default=lambda v: v.isoformat()))
    return http.post("/api/v1/shipments", json=body, headers={"Authorization": f"Bearer {token}"})


async def _reflex_redis_roundtrip(prerequisites: Any, key: str, value: bytes) -> bytes | None:
    client = prerequisites.get_redis()
    assert "Sentinel" in type(client.connection_pool).__name__
    try:
        previous = await client.get(key)
        await client.set(key, value, ex=60)
        return previous
    finally:
        await client.aclose()


def _restart_as_replica(stack: Stack, port: int) -> None:
    """Bring a killed server back; Sentinel turns it into a replica of the current primary."""
    stack.start_redis_server(port)
    wait_for(
        "the old primary to rejoin as a replica",
        lambda: (
            redis.Redis(port=port, password=REDIS_PASSWORD).info("replication")["role"] == "slave"
        ),
        30,
        0.5,
    )


def test_redis_primary_killed(stack: Stack, ha_world: World) -> None:
    _app, port = stack.start_app("app-redis")
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    old_token = _login(http).json()["access_token"]
    assert (
        http.get("/api/v1/me", headers={"Authorization": f"Bearer {old_token}"}).status_code == 200
    )

    received: list[dict[str, Any]] = []
    resumed = threading.Event()

    def on_event(_channel: str, payload: dict[str, Any]) -> None:
        received.append(payload)

    unsubscribe = get_bus().subscribe("shipments", on_event, resumed.set)
    # Reflex's state manager gets its asyncio client from prerequisites.get_redis (patched).
    patch_reflex_for_sentinel()
    from reflex.utils import prerequisites

    state_key = f"lai-chaos:reflex-state-{time.time_ns()}"
    asyncio.run(_reflex_redis_roundtrip(prerequisites, state_key, b"before"))
    time.sleep(0.5)  # the subscription is live
    primary = stack.redis_primary_port()
    killed_at = time.monotonic()
    stack.redis_procs[primary].kill()

    wait_for(
        "Sentinel to promote the replica", lambda: stack.redis_primary_port() != primary, BOUND_S
    )
    promoted_after = time.monotonic() - killed_at
    response = wait_for(
        "a sign-in after the failover",
        lambda: _login(http).status_code == 200 and _login(http),
        BOUND_S,
    )
    login_after = time.monotonic() - killed_at
    new_token = response.json()["access_token"]

    # Sessions: the one created before the kill (replicated) and the new one both work.
    for token in (old_token, new_token):
        assert (
            http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        )
    # Rate limits count on the new primary: the 4th hit in the window is refused.
    bucket = f"chaos-failover-{time.time_ns()}"
    decisions = [rate_limit.check(bucket, 3, 60).allowed for _ in range(4)]
    assert decisions == [True, True, True, False]
    # Real-time push: the pre-failover subscriber is subscribed again on the new primary, and
    # hears what the app publishes from then on.
    assert resumed.wait(BOUND_S), "the bus subscription did not come back"
    resumed_after = time.monotonic() - killed_at
    booked = _book(http, new_token)
    assert booked.status_code == 201, booked.text
    try:
        assert wait_for(
            "the shipment event",
            lambda: any(p.get("shipment_id") == booked.json()["id"] for p in received),
            15,
        ), received
    finally:
        unsubscribe()

    # The state written before the kill was replicated; the client follows the new primary.
    assert asyncio.run(_reflex_redis_roundtrip(prerequisites, state_key, b"after")) == b"before"
    figure("Redis primary kill: Sentinel promotion", f"{promoted_after:.1f} s")
    figure(
        "Redis primary kill: first sign-in through the app", f"{login_after:.1f} s after the kill"
    )
    figure("Redis primary kill: bus subscription back", f"{resumed_after:.1f} s after the kill")
    _restart_as_replica(stack, primary)


def test_redis_fully_down_reads_keep_answering(stack: Stack, ha_world: World) -> None:
    _app, port = stack.start_app("app-redis-down")
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    token = _login(http).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert _book(http, token).status_code == 201

    primary = stack.redis_primary_port()
    replica = next(p for p in stack.redis_ports if p != primary)
    for server in (replica, primary):
        stack.redis_procs[server].kill()

    reads = [http.get("/api/v1/shipments", headers=auth) for _ in range(20)]
    read_ok = sum(r.status_code == 200 for r in reads)
    slowest = max(r.elapsed.total_seconds() for r in reads)
    sign_in = _login(http)
    assert read_ok == len(reads), [r.status_code for r in reads]
    assert reads[-1].json()["items"], "the booked shipment is listed"
    assert sign_in.status_code == 503, sign_in.text
    assert sign_in.json()["error"]["code"] == "service_unavailable"
    assert "Retry-After" in sign_in.headers

    restarted_at = time.monotonic()
    stack.start_redis_server(primary)
    stack.start_redis_server(replica, replica_of=primary)
    wait_for(
        "sign-in once Redis is back (same app process)",
        lambda: _login(http).status_code == 200,
        BOUND_S,
        0.5,
    )
    recovered_after = time.monotonic() - restarted_at
    fresh = _login(http).json()["access_token"]
    assert http.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200

    figure(
        "Redis fully down: API reads answered", f"{read_ok}/{len(reads)} (slowest {slowest:.2f} s)"
    )
    figure("Redis fully down: sign-in", f"{sign_in.status_code} {sign_in.json()['error']['code']}")
    figure(
        "Redis fully down: recovery without restart",
        f"{recovered_after:.1f} s after Redis restarted",
    )
    wait_for(
        "Sentinels to see the replica again",
        lambda: (
            redis.Redis(port=stack.sentinel_ports[0]).info("sentinel")["master0"]["slaves"] >= 1
        ),
        30,
        0.5,
    )
