"""The cost shape of an authenticated request, against real PostgreSQL and Redis.

One authenticated read: one thread hop, one pooled connection, one transaction, no users row
read for authentication, and one Redis command. Revocation and role changes still apply on
the next request; a dropped database connection costs one 503, not a broken pool.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio.to_thread
import psycopg
import pytest
import redis.asyncio.client
import redis.client
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import event, text

from logistics_ai.api import browser_session, deps
from logistics_ai.api.app import create_api
from logistics_ai.db import get_engine, new_read_session, session_scope
from logistics_ai.services import assignment, shipments
from tests.support import app_config
from tests.support.api import bearer, client, login
from tests.support.world import World, booking


@contextmanager
def counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Counts thread hops, pool checkouts, statements and Redis commands while inside."""
    seen: dict[str, Any] = {
        "hops": 0,
        "checkouts": 0,
        "statements": [],
        "in_transaction": [],
        "redis": [],
    }
    # A hop is either kind of hand-off to a thread: anyio's (Starlette's run_in_threadpool,
    # asyncio.to_thread's cousin) or an executor's (the API's units of work, asyncio.to_thread).
    real_hop = anyio.to_thread.run_sync
    real_executor_hop = asyncio.BaseEventLoop.run_in_executor

    async def hop(*args: Any, **kwargs: Any) -> Any:
        seen["hops"] += 1
        return await real_hop(*args, **kwargs)

    def executor_hop(self: Any, *args: Any) -> Any:
        seen["hops"] += 1
        return real_executor_hop(self, *args)

    real_async = redis.asyncio.client.Redis.execute_command
    real_sync = redis.client.Redis.execute_command

    async def async_command(self: Any, *args: Any, **options: Any) -> Any:
        seen["redis"].append(str(args[0]))
        return await real_async(self, *args, **options)

    def sync_command(self: Any, *args: Any, **options: Any) -> Any:
        seen["redis"].append(str(args[0]))
        return real_sync(self, *args, **options)

    def checkout(*_: Any) -> None:
        seen["checkouts"] += 1

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        seen["statements"].append(sql)

    def executed(conn: Any, *_: Any) -> None:
        # psycopg sends BEGIN itself (no cursor event): an open transaction after a statement
        # means BEGIN was sent before it and a COMMIT round trip will follow.
        status = conn.connection.dbapi_connection.info.transaction_status
        seen["in_transaction"].append(status != psycopg.pq.TransactionStatus.IDLE)

    engine = get_engine()
    # The patches end with the block: a later count must not also count into this one.
    with monkeypatch.context() as patch:
        patch.setattr(anyio.to_thread, "run_sync", hop)
        patch.setattr(asyncio.BaseEventLoop, "run_in_executor", executor_hop)
        patch.setattr(redis.asyncio.client.Redis, "execute_command", async_command)
        patch.setattr(redis.client.Redis, "execute_command", sync_command)
        event.listen(engine.pool, "checkout", checkout)
        event.listen(engine, "before_cursor_execute", statement)
        event.listen(engine, "after_cursor_execute", executed)
        try:
            yield seen
        finally:
            event.remove(engine.pool, "checkout", checkout)
            event.remove(engine, "before_cursor_execute", statement)
            event.remove(engine, "after_cursor_execute", executed)


def _calls(dependant: Any) -> list[Any]:
    if dependant is None:  # not a FastAPI route (the /metrics route, a mount)
        return []
    calls = [dependant.call]
    for sub in dependant.dependencies:
        calls += _calls(sub)
    return calls


def test_every_route_authenticates_its_caller_at_most_once() -> None:
    # ActorDep calls the PrincipalDep check itself (one dependency layer fewer per request),
    # and so does the driver app's cookie dependency: a route that took two of them would
    # make two Redis calls and count its rate limit twice.
    checks = {deps.current_actor, deps.current_principal, browser_session.driver_app_actor}
    routes = [c.route for c in iter_route_contexts(create_api().router.routes)]
    api_routes = [r for r in routes if isinstance(r, APIRoute)]
    assert len(api_routes) > 50
    twice = [r.path for r in api_routes if len([c for c in _calls(r.dependant) if c in checks]) > 1]
    assert not twice, twice


def test_every_route_taking_a_session_commits_it_in_its_unit_of_work() -> None:
    # The session dependencies have no cleanup of their own: UnitOfWorkRoute's thread commits
    # or abandons every session the endpoint receives. A session reaching only a
    # sub-dependency, or an endpoint not run by UnitOfWorkRoute, would leave it open.
    sessions = {deps.request_session, deps.request_read_session}
    contexts = list(iter_route_contexts(create_api().router.routes))
    taking = [c for c in contexts if sessions & set(_calls(getattr(c, "dependant", None)))]
    assert len(taking) > 40
    for context in taking:
        route = context.original_route
        assert isinstance(route, deps.UnitOfWorkRoute), context.path
        endpoint = getattr(route.endpoint, "__wrapped__", route.endpoint)
        assert not inspect.iscoroutinefunction(endpoint), context.path
        direct = {sub.call for sub in context.dependant.dependencies}
        assert sessions & direct, context.path
        nested = [
            sub.call
            for sub in context.dependant.dependencies
            if sessions & set(_calls(sub)) and sub.call not in sessions
        ]
        assert not nested, (context.path, nested)


def _probes(api: Any) -> list[dict[str, Any]]:
    """Request scopes for every route's path (params filled both ways), near misses around
    them, and paths of no route; every method the API serves."""
    paths = {"/", "/api", "/api/", "/api/v1", "/api/v1/", "/api/v2/shipments", "/healthz"}
    for context in iter_route_contexts(api.router.routes):
        for path in filter(None, [getattr(context, "path_format", None)]):
            for value in ("1", "abc"):
                filled = re.sub(r"\{[^}]*\}", value, path)
                paths |= {filled, filled + "/", filled + "/x", filled.rstrip("/")[:-1]}
    methods = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
    scopes = [
        {"type": "http", "method": m, "path": p, "root_path": "", "headers": []}
        for p in sorted(paths)
        for m in methods
    ]
    return [*scopes, {**scopes[0], "root_path": "/proxied", "path": "/proxied/api/v1/me"}]


def test_routers_skipped_by_path_prefix_match_exactly_as_fastapi_does() -> None:
    # app.skip_routers_by_path_prefix answers "no match" for a router before FastAPI looks at
    # its routes; it must never change an answer (full match, wrong method, no match).
    api = create_api()
    guarded = [r for r in api.router.routes if "matches" in vars(r)]
    assert len(guarded) > 15
    probes = _probes(api)
    assert len(probes) > 1000
    for router in guarded:
        for scope in probes:
            fastapi_answer = type(router).matches(router, dict(scope))
            assert router.matches(dict(scope)) == fastapi_answer, (scope["method"], scope["path"])
    matched = {
        (s["method"], s["path"]) for s in probes for r in guarded if r.matches(dict(s))[0].value
    }
    assert ("GET", "/api/v1/shipments/1") in matched and ("PUT", "/api/v1/shipments/1") in matched


def test_unknown_paths_and_methods_answer_as_before() -> None:
    # As before the routers were skipped by prefix: a method the /api/{rest:path} catch-all
    # takes answers its 404 envelope, others 405; a slash after a non-API route redirects.
    http = client()
    expected = {
        ("GET", "/api/v1/shipmentsx"): (404, "not_found"),
        ("GET", "/api/v1/shipments/"): (404, "not_found"),
        ("PUT", "/api/v1/shipments/1"): (404, "not_found"),
        ("DELETE", "/api/v1/auth/token"): (404, "not_found"),
        ("OPTIONS", "/api/v1/shipments/1"): (405, "method_not_allowed"),
        ("OPTIONS", "/api/v1/auth/token"): (405, "method_not_allowed"),
        ("GET", "/nowhere"): (404, "not_found"),
        ("GET", "/api/v1/shipments/abc"): (401, "unauthenticated"),
    }
    for (method, path), (status, code) in expected.items():
        response = http.request(method, path)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), path
    assert http.head("/api/v1/shipments/1").status_code == 405
    redirect = http.get("/healthz/", follow_redirects=False)
    assert redirect.status_code == 307 and redirect.headers["location"].endswith("/healthz")


# The operations anyone may call; every other one requires a bearer token or an API key.
PUBLIC_OPERATIONS = {
    "GET /api/v1/notifications/unsubscribe",
    "GET /api/v1/track/{tracking_code}",
    "POST /api/v1/auth/confirm",
    "POST /api/v1/auth/invitations/accept",
    "POST /api/v1/auth/password-reset",
    "POST /api/v1/auth/password-reset/confirm",
    "POST /api/v1/auth/refresh",
    "POST /api/v1/auth/register",
    "POST /api/v1/auth/token",
    "POST /api/v1/notifications/unsubscribe",
}


def test_the_openapi_document_declares_both_schemes_on_every_authenticated_operation() -> None:
    # The caller checks read the two schemes' headers themselves (no FastAPI sub-dependencies
    # per request); deps.CALLER_CHECKS and app.declare_caller_schemes keep the document as
    # FastAPI wrote it when the schemes were dependencies.
    doc = create_api().openapi()
    assert doc["components"]["securitySchemes"] == {
        "HTTPBearer": {
            "type": "http",
            "description": "JWT access token or API key",
            "scheme": "bearer",
        },
        "APIKeyHeader": {
            "type": "apiKey",
            "description": "API key",
            "in": "header",
            "name": "X-API-Key",
        },
    }
    security: dict[str, Any] = {
        f"{method.upper()} {path}": operation.get("security")
        for path, item in doc["paths"].items()
        for method, operation in item.items()
    }
    assert {op for op, required in security.items() if required is None} == PUBLIC_OPERATIONS
    either = [{"HTTPBearer": []}, {"APIKeyHeader": []}]
    assert {op: r for op, r in security.items() if r not in (None, either)} == {}
    # Among them the three kinds of caller check: ActorDep, PrincipalDep, the driver app's.
    for op in (
        "GET /api/v1/shipments/{shipment_id}",
        "GET /api/v1/me",
        "POST /api/v1/drivers/me/location",
    ):
        assert security[op] == either, op


def test_the_caller_check_reads_the_credential_as_the_schemes_do(world: World) -> None:
    shipment_id = _shipment(world)
    http = client()
    token = login(http, "dispatch@test.example.com")["access_token"]
    path = f"/api/v1/shipments/{shipment_id}"
    assert http.get(path, headers={"Authorization": f"bearer {token}"}).status_code == 200
    for headers in (
        {},
        {"Authorization": f"Basic {token}"},  # not the bearer scheme
        {"Authorization": "Bearer"},  # no credential
        {"X-API-Key": ""},
    ):
        refused = http.get(path, headers=headers)
        assert refused.status_code == 401, headers
        assert "Authentication required" in refused.json()["error"]["message"], headers
    # X-API-Key is read first: a bad key fails even beside a valid bearer token.
    both = {**bearer(token), "X-API-Key": "lai_not-a-key"}
    assert http.get(path, headers=both).status_code == 401


def _shipment(world: World) -> int:
    with session_scope() as session:
        return shipments.create_shipment(session, world.alice, booking()).id  # type: ignore[return-value]


def test_an_authenticated_read_costs_one_hop_one_connection_and_no_redis_command_once_checked(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipment_id = _shipment(world)
    http = client()
    token = login(http, "dispatch@test.example.com")["access_token"]
    url = f"/api/v1/shipments/{shipment_id}"
    with counting(monkeypatch) as first:
        assert http.get(url, headers=bearer(token)).status_code == 200
    # The token's first request asks the store once: session, revocation and rate limit.
    assert first["redis"] == ["EVALSHA"]
    with counting(monkeypatch) as seen:
        response = http.get(url, headers=bearer(token))
    assert response.status_code == 200 and response.json()["id"] == shipment_id
    assert seen["hops"] == 1
    assert seen["checkouts"] == 1
    assert not [s for s in seen["statements"] if "FROM users" in s], seen["statements"]
    # One statement, one round trip: the read session runs it without BEGIN/COMMIT.
    assert len(seen["statements"]) == 1 and seen["in_transaction"] == [False]
    # The next ones are answered from the worker's memory (security/session_cache.py).
    assert seen["redis"] == []


def test_with_the_session_mirror_off_every_request_asks_the_store(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app_config.configured(auth_cache_seconds="0"):
        http = client()
        token = login(http, "dispatch@test.example.com")["access_token"]
        for _ in range(2):
            with counting(monkeypatch) as seen:
                assert http.get("/api/v1/shipments", headers=bearer(token)).status_code == 200
            assert seen["redis"] == ["EVALSHA"]


def test_a_list_reads_without_a_transaction_and_a_booking_keeps_its_own(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    http = client()
    dispatcher = login(http, "dispatch@test.example.com")["access_token"]
    alice = login(http, "alice@test.example.com")["access_token"]
    body = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in booking().items()}
    # A worker's first authenticated request may also subscribe to the other workers' session
    # changes (security/session_cache.py, one thread hop once per process): not counted here.
    assert http.get("/api/v1/me", headers=bearer(dispatcher)).status_code == 200
    with counting(monkeypatch) as listed:
        page = http.get("/api/v1/shipments", headers=bearer(dispatcher))
    assert page.status_code == 200 and page.json()["total_exact"] is True
    assert len(listed["statements"]) == 2 and listed["in_transaction"] == [False, False]
    assert listed["hops"] == 1
    with counting(monkeypatch) as booked:
        created = http.post("/api/v1/shipments", json=body, headers=bearer(alice))
    assert created.status_code == 201, created.text
    assert booked["hops"] == 1
    assert booked["in_transaction"] and all(booked["in_transaction"])  # one unit of work


def test_a_public_tracking_read_costs_one_hop_and_counts_its_address_in_one_round_trip(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope() as session:
        code = shipments.create_shipment(session, world.alice, booking()).tracking_code
    http = client()
    assert http.get(f"/api/v1/track/{code}").status_code == 200  # pool and script warmed
    with counting(monkeypatch) as seen:
        answer = http.get(f"/api/v1/track/{code}")
    assert answer.status_code == 200 and answer.json()["tracking_code"] == code
    # The per-address limit is counted on the event loop (the async client's EVALSHA), so
    # the only hop is the unit of work's: the shipment by code, then its history.
    assert seen["redis"] == ["EVALSHA"]
    assert seen["hops"] == 1 and seen["checkouts"] == 1
    assert len(seen["statements"]) == 2, seen["statements"]


def test_a_gps_batch_is_five_statements_in_one_transaction(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The busiest write (every driver every few seconds): claim the key, move the driver, add
    the fixes, check the route's stamp, store the answer. No read of the driver row or of the
    key's row (docs/performance.md, Round 9)."""
    http = client()
    dave = bearer(login(http, "dave@test.example.com")["access_token"])
    batch = {"pings": [{"lat": 41.88, "lon": -87.63}, {"lat": 41.8801, "lon": -87.6301}]}

    def post() -> Any:
        return http.post(
            "/api/v1/drivers/me/location",
            json=batch,
            headers={**dave, "Idempotency-Key": str(uuid.uuid4())},
        )

    assert post().status_code == 200  # the first batch also recomputes the ETAs, after commit
    with counting(monkeypatch) as seen:
        answer = post()  # the same spot at once: the last ETAs still hold
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 2 and answer.json()["lat"] == 41.8801
    verbs = [" ".join(s.split()[:3]) for s in seen["statements"]]
    assert verbs == [
        "INSERT INTO idempotency_keys",
        "UPDATE drivers SET",
        "INSERT INTO location_pings",
        "SELECT max(routes.updated_at) AS",
        "UPDATE idempotency_keys SET",
    ], seen["statements"]
    assert all(seen["in_transaction"]) and seen["hops"] == 1 and seen["checkouts"] == 1


def test_a_booking_reads_in_one_statement_and_writes_each_row_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    http = client()
    alice = login(http, "alice@test.example.com")["access_token"]
    body = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in booking().items()}
    # Not counted: the worker's first authenticated request and a person's first audit row
    # (which may create their subject key).
    assert http.post("/api/v1/shipments", json=body, headers=bearer(alice)).status_code == 201
    with counting(monkeypatch) as booked:
        created = http.post("/api/v1/shipments", json=body, headers=bearer(alice))
    assert created.status_code == 201, created.text
    statements = [" ".join(sql.split()) for sql in booked["statements"]]
    # The customer's proof default, the notification's recipient with their preferences and
    # the booker's subject key come in one SELECT (they were three, docs/performance.md,
    # Round 9), before the shipment is written, so nothing is flushed early for them.
    reads = [sql for sql in statements if sql.startswith("SELECT")]
    assert len(reads) == 1, reads
    assert "subject_keys" in reads[0] and "notification_preferences" in reads[0], reads
    assert statements[0] == reads[0], statements
    # The audit head's new hash rides with the audit row (a data-modifying CTE).
    assert not [sql for sql in statements if sql.startswith("UPDATE")], statements
    audit_rows = [sql for sql in statements if "INSERT INTO audit_events" in sql]
    assert len(audit_rows) == 1 and audit_rows[0].startswith("WITH"), statements
    # The shipment, its first history event, the outbox row, the audit head and the audit
    # row: six statements in all (nine before), in one unit of work.
    assert len(statements) == 6, statements
    assert booked["hops"] == 1 and booked["checkouts"] == 1
    assert all(booked["in_transaction"])


def test_a_read_session_refuses_to_write(world: World) -> None:
    shipment_id = _shipment(world)
    session = new_read_session()
    try:
        shipment = shipments.get_shipment(session, world.dispatcher, shipment_id)
        shipment.recipient_name = "Changed Through A Read"
        with pytest.raises(RuntimeError, match="cannot write"):
            session.flush()
    finally:
        session.rollback()
        session.close()
    with session_scope() as session:
        assert shipments.get_shipment(session, world.dispatcher, shipment_id).recipient_name != (
            "Changed Through A Read"
        )


def test_a_signed_out_session_is_refused_on_the_next_request(world: World) -> None:
    http = client()
    tokens = login(http, "alice@test.example.com")
    assert (
        http.post("/api/v1/auth/logout", headers=bearer(tokens["access_token"])).status_code == 204
    )
    assert http.get("/api/v1/shipments", headers=bearer(tokens["access_token"])).status_code == 401


def test_a_role_change_ends_the_users_sessions(world: World) -> None:
    http = client()
    bob = login(http, "bob@test.example.com")["access_token"]
    admin = login(http, "admin@test.example.com")["access_token"]
    assert http.get("/api/v1/shipments", headers=bearer(bob)).status_code == 200
    changed = http.patch(
        f"/api/v1/users/{world.bob.user_id}", json={"role": "driver"}, headers=bearer(admin)
    )
    assert changed.status_code == 200 and changed.json()["role"] == "driver"
    refused = http.get("/api/v1/shipments", headers=bearer(bob))
    assert refused.status_code == 401  # the token still says "customer": it must not be honoured


def test_the_caller_profile_comes_from_the_token(world: World) -> None:
    http = client()
    token = login(http, "alice@test.example.com")["access_token"]
    body = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in booking().items()}
    created = http.post("/api/v1/shipments", json=body, headers=bearer(token))
    assert created.status_code == 201, created.text
    with session_scope() as session:
        customer = session.exec(
            text(
                "SELECT c.id FROM customers c JOIN users u ON u.id = c.user_id WHERE u.email = :e"
            ),
            params={"e": "alice@test.example.com"},
        ).one()
    assert created.json()["customer_id"] == customer[0]


def test_a_dropped_database_connection_costs_one_503_then_the_pool_recovers(
    world: World,
) -> None:
    shipment_id = _shipment(world)
    http = client()
    token = login(http, "dispatch@test.example.com")["access_token"]
    assert http.get(f"/api/v1/shipments/{shipment_id}", headers=bearer(token)).status_code == 200
    url = get_engine().url
    # An idle reaper or a failover, for every pooled connection (from outside the pool).
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (url.database,),
        )
    answers = [
        http.get(f"/api/v1/shipments/{shipment_id}", headers=bearer(token)) for _ in range(3)
    ]
    codes = [a.status_code for a in answers]
    # No pre-ping: the first request meets a dead connection and gets a retryable 503; that
    # failure resets the whole pool, so the next requests connect afresh.
    assert codes == [503, 200, 200], codes
    assert answers[0].headers["Retry-After"]


def test_sign_ins_beyond_the_slots_and_queue_are_refused_at_once(clean_db: None) -> None:
    async def scenario() -> list[str]:
        outcomes: list[str] = []
        holders = [deps.sign_in_slot() for _ in range(deps.sign_in_slots())]
        for holder in holders:
            await holder.__anext__()  # every place is taken
        waiter = deps.sign_in_slot()
        try:
            await asyncio.wait_for(waiter.__anext__(), timeout=1)
            outcomes.append("admitted")
        except deps.Overloaded:
            outcomes.append("refused")
        await holders[0].aclose()
        admitted = deps.sign_in_slot()
        await admitted.__anext__()  # the slot is free again
        outcomes.append("admitted")
        await admitted.aclose()
        for holder in holders[1:]:
            await holder.aclose()
        return outcomes

    with app_config.configured(sign_in_concurrency="1", sign_in_queue="0"):
        assert asyncio.run(scenario()) == ["refused", "admitted"]


def test_a_stop_event_reads_once_before_its_first_write(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A driver's pickup: one read (the stop, its route and shipment, the customer's
    recipient, the driver's subject key) before the first write, no second read of the
    shipment for the answer, the history row without a later flush (docs/performance.md,
    Round 9: the stop event's statements)."""
    http = client()
    dave = bearer(login(http, "dave@test.example.com")["access_token"])
    pickups = []
    for _ in range(2):
        with session_scope() as s:
            shipment = shipments.create_shipment(s, world.alice, booking())
            assignment.assign_shipment(s, world.dispatcher, shipment.id, world.dave.driver_id)  # type: ignore[arg-type]
            stops = assignment.shipment_stops(s, shipment.id)  # type: ignore[arg-type]
            pickups.append(next(stop.id for stop in stops if stop.kind == "pickup"))

    def pick_up(stop_id: int | None) -> Any:
        return http.post(
            f"/api/v1/stops/{stop_id}/events",
            json={"event": "picked_up", "lat": 41.88, "lon": -87.63},
            headers={**dave, "Idempotency-Key": str(uuid.uuid4())},
        )

    # Not counted: the worker's first stop event (a person's first audit row may create
    # their subject key).
    assert pick_up(pickups[0]).status_code == 200
    with counting(monkeypatch) as seen:
        answer = pick_up(pickups[1])
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "done" and answer.json()["id"] == pickups[1]
    statements = [" ".join(sql.split()) for sql in seen["statements"]]
    # The unit of work's statements end with the stored answer; the ETA refresh follows,
    # after commit, in a unit of work of its own (its own checkout).
    end = next(i for i, sql in enumerate(statements) if sql.startswith("UPDATE idempotency"))
    request, after_commit = statements[: end + 1], statements[end + 1 :]
    verbs = [" ".join(sql.split()[:3]) for sql in request]
    assert verbs == [
        "INSERT INTO idempotency_keys",
        "SELECT stops.id, stops.route_id,",
        "UPDATE shipments SET",
        "INSERT INTO tracking_events",
        "INSERT INTO audit_heads",
        "WITH advanced_head AS",
        "INSERT INTO notifications",
        "UPDATE stops SET",
        "INSERT INTO audit_heads",
        "WITH advanced_head AS",
        "SELECT count(stops.id) AS",
        "UPDATE idempotency_keys SET",
    ], request
    assert "subject_keys" in request[1] and "notification_preferences" in request[1]
    # The ETA refresh reads the driver's position with the route's stamp, then the open stops.
    reads = [sql for sql in after_commit if sql.startswith("SELECT")]
    assert len(reads) == 2 and "max(routes.updated_at)" in reads[0], after_commit
    assert not [sql for sql in after_commit if not sql.startswith(("SELECT", "UPDATE"))]
    assert seen["hops"] == 1 and seen["checkouts"] == 2  # the unit of work, the ETA refresh
    assert all(seen["in_transaction"])
