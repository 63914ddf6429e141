"""Every endpoint, called as every role (and as owner vs stranger), answers what the policy says.

Expected codes are derived from `logistics_ai.security.policy.POLICY`: no grant -> 403;
grant "all" -> success; an ownership grant -> success for the record's owner and 404 for a
stranger (existence never leaks); no credentials -> 401.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from logistics_ai.db import session_scope
from logistics_ai.models import Role
from logistics_ai.security.policy import Action, ownership
from logistics_ai.services import assignment, shipments
from tests.support.api import bearer, client, login
from tests.support.world import World, booking

SUBJECTS = {  # subject -> (email, role, owns the fixture records?)
    "alice": ("alice@test.example.com", Role.customer, True),
    "bob": ("bob@test.example.com", Role.customer, False),
    "dave": ("dave@test.example.com", Role.driver, True),
    "erin": ("erin@test.example.com", Role.driver, False),
    "dispatcher": ("dispatch@test.example.com", Role.dispatcher, True),
    "admin": ("admin@test.example.com", Role.admin, True),
}


@dataclass
class Records:
    """A fresh shipment booked by alice and assigned to dave, with its stop ids."""

    shipment_id: int
    pickup_stop_id: int


def fresh_records(world: World) -> Records:
    with session_scope() as s:
        shipment = shipments.create_shipment(s, world.alice, booking())
        assignment.assign_shipment(s, world.dispatcher, shipment.id, world.dave.driver_id)  # type: ignore[arg-type]
        stops = {st.kind: st.id for st in assignment.shipment_stops(s, shipment.id)}  # type: ignore[arg-type]
    return Records(shipment.id, stops["pickup"])  # type: ignore[arg-type]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: Callable[[Records], str]
    action: Action | None  # None: any signed-in user
    success: int
    body: Callable[[Records, World], Any] | None = None
    record_bound: bool = False  # True: ownership is judged against the fixture records
    fresh: bool = False  # True: the call changes the record, so each call gets new ones


ENDPOINTS = [
    Endpoint("GET", lambda r: "/api/v1/me", None, 200),
    Endpoint("GET", lambda r: "/api/v1/me/sessions", Action.session_manage, 200),
    Endpoint("GET", lambda r: "/api/v1/shipments", Action.shipment_read, 200),
    Endpoint(
        "GET",
        lambda r: f"/api/v1/shipments/{r.shipment_id}",
        Action.shipment_read,
        200,
        record_bound=True,
    ),
    Endpoint(
        "POST",
        lambda r: "/api/v1/shipments",
        Action.shipment_create,
        201,
        body=lambda r, w: _json(booking(customer_id=w.alice.customer_id)),
    ),
    Endpoint(
        "POST",
        lambda r: f"/api/v1/shipments/{r.shipment_id}/cancel",
        Action.shipment_cancel,
        200,
        body=lambda r, w: {"reason": "test"},
        record_bound=True,
        fresh=True,
    ),
    Endpoint(
        "POST",
        lambda r: f"/api/v1/shipments/{r.shipment_id}/assign",
        Action.shipment_assign,
        200,
        body=lambda r, w: {"driver_id": w.erin.driver_id},
        fresh=True,
    ),
    Endpoint(
        "POST",
        lambda r: f"/api/v1/stops/{r.pickup_stop_id}/events",
        Action.stop_update,
        200,
        body=lambda r, w: {"event": "arrived"},
        record_bound=True,
        fresh=True,
    ),
    Endpoint("GET", lambda r: "/api/v1/drivers/me/route", Action.route_read, 200),
    Endpoint(
        "POST",
        lambda r: "/api/v1/drivers/me/location",
        Action.driver_location_update,
        200,
        body=lambda r, w: {"pings": [{"lat": 41.9, "lon": -87.65}]},
    ),
    Endpoint("GET", lambda r: "/api/v1/api-keys", Action.api_key_manage, 200),
    Endpoint(
        "POST",
        lambda r: "/api/v1/api-keys",
        Action.api_key_manage,
        201,
        body=lambda r, w: {"name": "shop", "scopes": ["shipments:read"]},
    ),
    Endpoint("GET", lambda r: "/api/v1/users", Action.user_manage, 200),
    Endpoint("GET", lambda r: "/api/v1/audit-events", Action.audit_read, 200),
]


def _json(data: dict) -> dict:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in data.items()}


def expected_status(endpoint: Endpoint, role: Role, owns: bool) -> int:
    if endpoint.action is None:
        return endpoint.success
    granted = ownership(role, endpoint.action)
    if granted is None:
        return 403
    if granted == "all" or not endpoint.record_bound or owns:
        # Staff without a driver profile have no route of their own to read.
        if endpoint.action == Action.route_read and role != Role.driver:
            return 404
        return endpoint.success
    return 404


def _call(
    http: TestClient, endpoint: Endpoint, records: Records, world: World, headers: dict[str, str]
) -> int:
    body = endpoint.body(records, world) if endpoint.body else None
    return http.request(
        endpoint.method, endpoint.path(records), json=body, headers=headers
    ).status_code


def test_permission_matrix(world: World) -> None:
    http = client()
    tokens = {
        name: bearer(login(http, email)["access_token"]) for name, (email, _, _) in SUBJECTS.items()
    }
    shared = fresh_records(world)
    mismatches: list[str] = []
    cells = 0
    for endpoint in ENDPOINTS:
        for name, (_, role, owns) in SUBJECTS.items():
            records = fresh_records(world) if endpoint.fresh else shared
            got = _call(http, endpoint, records, world, tokens[name])
            want = expected_status(endpoint, role, owns)
            cells += 1
            if got != want:
                mismatches.append(
                    f"{endpoint.method} {endpoint.path(records)} as {name}: "
                    f"got {got}, policy says {want}"
                )
        anonymous = _call(http, endpoint, shared, world, {})
        cells += 1
        if anonymous != 401:
            mismatches.append(f"{endpoint.method} {endpoint.path(shared)} anonymous: {anonymous}")
    print(f"permission matrix: {len(ENDPOINTS)} endpoints x {len(SUBJECTS) + 1} callers = {cells}")
    assert mismatches == []
