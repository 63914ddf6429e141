"""Kill the PostgreSQL leader (SIGKILL to Patroni, the postmaster and its backends) while
clients book shipments through the app: writes resume within 30 s, every acknowledged write
is on the new leader, failed writes are clean 503s, and no shipment is half-written."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

import httpx
import psycopg

from tests.chaos.conftest import figure
from tests.chaos.stack import Stack
from tests.support.world import PASSWORD, World, booking

WRITERS = 3
BEFORE_KILL_S = 3.0
AFTER_RECOVERY_S = 3.0
BOUND_S = 60.0


@dataclass
class Outcome:
    started: float
    finished: float
    status: int
    shipment_id: int | None = None


@dataclass
class Writers:
    base_url: str
    token: str
    outcomes: list[Outcome] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        body = json.loads(json.dumps(booking(), default=lambda v: v.isoformat()))
        with httpx.Client(base_url=self.base_url, timeout=40) as http:
            while not self.stop.is_set():
                started = time.monotonic()
                try:
                    response = http.post(
                        "/api/v1/shipments",
                        json=body,
                        headers={"Authorization": f"Bearer {self.token}"},
                    )
                    status = response.status_code
                    shipment_id = response.json().get("id") if status == 201 else None
                except httpx.HTTPError:
                    status, shipment_id = 0, None  # the app itself did not answer
                with self.lock:
                    self.outcomes.append(Outcome(started, time.monotonic(), status, shipment_id))
                if status != 201:
                    time.sleep(0.2)  # what a client honouring Retry-After would do, faster


def test_leader_killed_under_writes(stack: Stack, ha_world: World) -> None:
    _app, port = stack.start_app("app-failover")
    base = f"http://127.0.0.1:{port}"
    token = httpx.post(
        f"{base}/api/v1/auth/token",
        json={"email": "alice@test.example.com", "password": PASSWORD},
        timeout=30,
    ).json()["access_token"]
    writers = Writers(base, token)
    threads = [threading.Thread(target=writers.run, daemon=True) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    time.sleep(BEFORE_KILL_S)

    old_leader = stack.leader()
    assert old_leader is not None and old_leader.proc is not None
    killed_at = time.monotonic()
    old_leader.kill_node()  # the whole "node": Patroni, postmaster, backends

    deadline = killed_at + BOUND_S
    recovered_at = None
    while time.monotonic() < deadline:
        with writers.lock:
            after = [o for o in writers.outcomes if o.started > killed_at and o.status == 201]
        if after:
            recovered_at = min(o.finished for o in after)
            break
        time.sleep(0.1)
    time.sleep(AFTER_RECOVERY_S)
    writers.stop.set()
    for thread in threads:
        thread.join(timeout=45)

    new_leader = stack.leader()
    outcomes = list(writers.outcomes)
    acknowledged = [o.shipment_id for o in outcomes if o.status == 201]
    before = [o.finished for o in outcomes if o.status == 201 and o.finished <= killed_at]
    failed = [o for o in outcomes if o.status != 201]
    assert recovered_at is not None, f"no write succeeded within {BOUND_S} s\n{stack.logs()}"
    gap = recovered_at - max(before)

    with psycopg.connect(stack.superuser_conninfo(dbname="lai")) as conn:
        present = {
            row[0]
            for row in conn.execute(
                "SELECT id FROM shipments WHERE id = ANY(%s)", (acknowledged,)
            ).fetchall()
        }
        orphans = conn.execute(
            "SELECT count(*) FROM shipments s WHERE NOT EXISTS "
            "(SELECT 1 FROM tracking_events e WHERE e.shipment_id = s.id)"
        ).fetchone()[0]
    lost = sorted(set(acknowledged) - present)
    statuses = sorted({o.status for o in failed})

    figure("PG leader kill: write gap", f"{gap:.1f} s (bound 30 s)")
    figure("PG leader kill: acknowledged writes", str(len(acknowledged)))
    figure("PG leader kill: lost acknowledged writes", str(len(lost)))
    figure("PG leader kill: failed writes", f"{len(failed)} (statuses {statuses})")
    assert new_leader is not None and new_leader is not old_leader
    assert gap < 30, f"writes resumed only after {gap:.1f} s"
    assert lost == [], f"acknowledged writes missing after failover: {lost}"
    assert set(statuses) <= {503}, f"failures must be clean 503s, got {statuses}"
    assert orphans == 0, "a shipment was written without its tracking event"

    # The old leader rejoins as the synchronous replica (pg_rewind), ready for the next test.
    stack.start_member(old_leader)
    stack.wait_sync_standby(90)
