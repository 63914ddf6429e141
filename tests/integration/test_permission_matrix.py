"""Who may do what, through the real API: every operation of the OpenAPI document, every role.

The expected codes are written BY HAND in `MATRIX` below, from the product's rules, not
computed from `security.policy`: a wrong grant in the policy (or a route that forgets to ask
it) makes this test fail. Each row also says what a call must have changed (who owns a
created record, which driver got the work), and every refused call must change nothing.

Callers, in column order:
  alice  customer, owns the fixture shipment      bob   another customer
  dave   driver of the fixture shipment's route    erin  another driver
  disp   dispatcher                                admin administrator
  anon   no credentials
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jwt
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, update
from sqlmodel import Session, select

from logistics_ai.api.app import create_api
from logistics_ai.db import session_scope
from logistics_ai.models import (
    ApiKey,
    AuditEvent,
    Driver,
    DriverStatus,
    Role,
    Shipment,
    Stop,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from logistics_ai.services import api_keys, assignment, dispatch_planning, shipments
from logistics_ai.services.users import NewUser, create_user
from tests.support.api import bearer, client, login
from tests.support.world import PASSWORD, World, booking, tomorrow_at

CALLERS = ("alice", "bob", "dave", "erin", "disp", "admin", "anon")
EMAILS = {
    "alice": "alice@test.example.com",
    "bob": "bob@test.example.com",
    "dave": "dave@test.example.com",
    "erin": "erin@test.example.com",
    "disp": "dispatch@test.example.com",
    "admin": "admin@test.example.com",
}


@dataclass
class Ctx:
    """What one call works on: a shipment booked by alice and assigned to dave, and more."""

    world: World
    http: TestClient
    caller: str
    shipment_id: int
    pickup_stop_id: int
    extra: dict[str, Any] = field(default_factory=dict)

    def actor_user_id(self) -> int | None:
        return None if self.caller == "anon" else getattr(self.world, _ACTOR[self.caller]).user_id


_ACTOR = {
    "alice": "alice",
    "bob": "bob",
    "dave": "dave",
    "erin": "erin",
    "disp": "dispatcher",
    "admin": "admin",
}

Check = Callable[[Ctx, Response, Session], None]


@dataclass(frozen=True)
class Row:
    codes: tuple[int, int, int, int, int, int, int]  # in CALLERS order
    path: Callable[[Ctx], str]
    body: Callable[[Ctx], Any] | None = None
    fresh: bool = False  # the call changes the fixture: every caller gets a new one
    prepare: Callable[[Ctx], None] | None = None  # extra records for this call
    check: Check | None = None  # side effects of an allowed call


@dataclass(frozen=True)
class Elsewhere:
    """An operation whose authorization is tested in another file, and why."""

    reason: str
    test_file: str


# --- Side-effect checks -----------------------------------------------------------------


def _shipment(session: Session, ctx: Ctx) -> Shipment:
    session.expire_all()
    found = session.get(Shipment, ctx.shipment_id)
    assert found is not None
    return found


def created_shipment_owner(ctx: Ctx, response: Response, session: Session) -> None:
    created = session.get(Shipment, response.json()["id"])
    assert created is not None
    # Customers always book for themselves (bob sends alice's id and still gets his own
    # booking); staff book for the customer they name.
    own = {"alice": ctx.world.alice, "bob": ctx.world.bob}.get(ctx.caller, ctx.world.alice)
    assert created.customer_id == own.customer_id, (ctx.caller, created.customer_id)


def shipment_cancelled(ctx: Ctx, _r: Response, session: Session) -> None:
    assert _shipment(session, ctx).status == "cancelled"


def shipment_on_erin(ctx: Ctx, _r: Response, session: Session) -> None:
    shipment = _shipment(session, ctx)
    assert (shipment.driver_id, shipment.status) == (ctx.world.erin.driver_id, "assigned")


def shipment_unassigned(ctx: Ctx, _r: Response, session: Session) -> None:
    shipment = _shipment(session, ctx)
    assert (shipment.driver_id, shipment.route_id, shipment.status) == (None, None, "scheduled")


def open_shipment_on_a_route(ctx: Ctx, _r: Response, session: Session) -> None:
    session.expire_all()
    shipment = session.get(Shipment, ctx.extra["open_id"])
    assert shipment is not None and shipment.status == "assigned" and shipment.driver_id


def pickup_arrived(ctx: Ctx, _r: Response, session: Session) -> None:
    session.expire_all()
    stop = session.get(Stop, ctx.pickup_stop_id)
    assert stop is not None and stop.status == "arrived"


def own_position_moved(ctx: Ctx, _r: Response, session: Session) -> None:
    session.expire_all()
    mine = getattr(ctx.world, ctx.caller).driver_id
    other = ctx.world.erin.driver_id if ctx.caller == "dave" else ctx.world.dave.driver_id
    assert (session.get(Driver, mine).last_lat, session.get(Driver, other).last_lat) == (  # type: ignore[union-attr]
        41.9,
        None,
    )


def dave_off_duty(ctx: Ctx, _r: Response, session: Session) -> None:
    session.expire_all()
    assert session.get(Driver, ctx.world.dave.driver_id).status == "off_duty"  # type: ignore[union-attr]


def own_shift_status(ctx: Ctx, response: Response, _s: Session) -> None:
    assert response.json() == {
        "driver_id": getattr(ctx.world, ctx.caller).driver_id,
        "status": "on_break",
    }


def key_owned_by_caller(ctx: Ctx, response: Response, session: Session) -> None:
    key = session.get(ApiKey, response.json()["id"])
    assert key is not None and key.owner_user_id == ctx.actor_user_id()


def key_revoked(ctx: Ctx, _r: Response, session: Session) -> None:
    session.expire_all()
    key = session.get(ApiKey, ctx.extra["key_id"])
    assert key is not None and key.revoked_at is not None


def invited_dispatcher(ctx: Ctx, response: Response, session: Session) -> None:
    user = session.exec(select(User).where(User.email == ctx.extra["invite_email"])).one()
    assert user.role == "dispatcher"


def target_deactivated(ctx: Ctx, _r: Response, session: Session) -> None:
    session.expire_all()
    assert session.get(User, ctx.extra["target_id"]).is_active is False  # type: ignore[union-attr]


def alice_session_revoked(ctx: Ctx, _r: Response, _s: Session) -> None:
    me = ctx.http.get("/api/v1/me", headers=bearer(ctx.extra["second_access"]))
    assert me.status_code == 401


def plan_applied(ctx: Ctx, response: Response, session: Session) -> None:
    assert response.json()["plan_id"] == ctx.extra["plan_id"]
    assert session.exec(
        select(AuditEvent).where(AuditEvent.action == "dispatch.plan_applied")
    ).first()


# --- Extra records for some calls ---------------------------------------------------------


def _later(hour: int) -> datetime:
    # The day after the fixtures' day: the board is empty there, so insertion and planning
    # have room whatever earlier rows put on tomorrow's routes.
    return tomorrow_at(hour) + timedelta(days=1)


def book_open(ctx: Ctx) -> None:
    with session_scope() as s:
        ctx.extra["open_id"] = shipments.create_shipment(
            s,
            ctx.world.alice,
            booking(
                pickup_window_start=_later(8),
                pickup_window_end=_later(12),
                dropoff_window_start=_later(9),
                dropoff_window_end=_later(18),
            ),
        ).id


def make_key(ctx: Ctx) -> None:
    with session_scope() as s:
        created = api_keys.create(s, ctx.world.admin, {"name": "k", "scopes": ["shipments:read"]})
        ctx.extra["key_id"] = created.key.id


def second_alice_session(ctx: Ctx) -> None:
    pair = login(ctx.http, EMAILS["alice"])
    ctx.extra["second_access"] = pair["access_token"]
    claims = jwt.decode(pair["access_token"], options={"verify_signature": False})
    ctx.extra["sid"] = claims["sid"]


def make_plan(ctx: Ctx) -> None:
    book_open(ctx)
    with session_scope() as s:
        plan = dispatch_planning.preview(
            s, ctx.world.dispatcher, _later(8).date(), budget_s=0.5, seed=1
        )
    ctx.extra["plan_id"] = plan.plan_id


def target_user(ctx: Ctx) -> None:
    with session_scope() as s:
        user = create_user(
            s,
            NewUser(
                email=f"target-{ctx.caller}-{secrets.token_hex(3)}@test.example.com",
                full_name="Target",
                password=PASSWORD,
                role=Role.customer,
            ),
        )
        ctx.extra["target_id"] = user.id


def reset_drivers(world: World) -> None:
    """Rows change shift status and positions; each call starts from available, no fix."""
    with session_scope() as s:
        s.execute(
            update(Driver).values(status=DriverStatus.available, last_lat=None, last_lon=None)
        )


def invite_email(ctx: Ctx) -> None:
    ctx.extra["invite_email"] = f"new-{ctx.caller}@test.example.com"


def make_webhook(ctx: Ctx) -> None:
    """A subscription and one delivery, written directly (no URL check, nothing is sent)."""
    with session_scope() as s:
        hook = WebhookEndpoint(
            url="https://hooks.example.com/x", event_types="shipment.created", secret="whsec_t"
        )
        s.add(hook)
        s.flush()
        delivery = WebhookDelivery(
            event_id="evt_t", endpoint_id=hook.id, event_type="shipment.created", status="failed"
        )
        s.add(delivery)
        s.flush()
        ctx.extra["hook"], ctx.extra["delivery"] = hook.id, delivery.id


def webhook_deleted(ctx: Ctx, _r: Response, session: Session) -> None:
    session.expire_all()
    hook = session.get(WebhookEndpoint, ctx.extra["hook"])
    assert hook is not None and hook.deleted_at is not None and not hook.is_active


def shipment_requires_proof(ctx: Ctx, _r: Response, session: Session) -> None:
    assert _shipment(session, ctx).requires_proof is True


def _json(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in data.items()}


V1 = "/api/v1"
S = lambda c: f"{V1}/shipments/{c.shipment_id}"  # noqa: E731
OPTIMIZE_BODY = {
    "stops": [{"id": "a", "location": {"index": 1}, "demand": [1]}],
    "vehicles": [{"id": "v1", "capacity": [10], "start": {"index": 0}, "end": {"index": 0}}],
    "matrix": {"durations": [[0, 5], [5, 0]], "distances": [[0, 5], [5, 0]]},
    "budget_seconds": 0.1,
}

ACCOUNT = "tests/integration/test_account_protection.py"

# fmt: off
# The hand-written table. Columns: alice, bob, dave, erin, disp, admin, anon.
MATRIX: dict[str, Row | Elsewhere] = {
    "GET /api/v1/me":
        Row((200, 200, 200, 200, 200, 200, 401), lambda c: f"{V1}/me"),
    "GET /api/v1/me/sessions":
        Row((200, 200, 200, 200, 200, 200, 401), lambda c: f"{V1}/me/sessions"),
    "DELETE /api/v1/me/sessions/{session_id}":  # alice's second session: only she may end it
        Row((204, 404, 404, 404, 404, 404, 401), lambda c: f"{V1}/me/sessions/{c.extra['sid']}",
            prepare=second_alice_session, check=alice_session_revoked),
    "POST /api/v1/shipments":
        Row((201, 201, 403, 403, 201, 201, 401), lambda c: f"{V1}/shipments",
            body=lambda c: _json(booking(customer_id=c.world.alice.customer_id)),
            check=created_shipment_owner),
    "GET /api/v1/shipments":
        Row((200, 200, 200, 200, 200, 200, 401), lambda c: f"{V1}/shipments"),
    "GET /api/v1/shipments/{shipment_id}":
        Row((200, 404, 200, 404, 200, 200, 401), S),
    "POST /api/v1/shipments/{shipment_id}/cancel":
        Row((200, 404, 403, 403, 200, 200, 401), lambda c: f"{S(c)}/cancel",
            body=lambda c: {"reason": "test"}, fresh=True, check=shipment_cancelled),
    "POST /api/v1/shipments/{shipment_id}/assign":
        Row((403, 403, 403, 403, 200, 200, 401), lambda c: f"{S(c)}/assign",
            body=lambda c: {"driver_id": c.world.erin.driver_id}, fresh=True,
            check=shipment_on_erin),
    "POST /api/v1/shipments/{shipment_id}/unassign":
        Row((403, 403, 403, 403, 200, 200, 401), lambda c: f"{S(c)}/unassign", fresh=True,
            check=shipment_unassigned),
    "POST /api/v1/shipments/{shipment_id}/auto-assign":
        Row((403, 403, 403, 403, 200, 200, 401),
            lambda c: f"{V1}/shipments/{c.extra['open_id']}/auto-assign",
            prepare=book_open, check=open_shipment_on_a_route),
    "POST /api/v1/stops/{stop_id}/events":
        Row((403, 403, 200, 404, 200, 200, 401), lambda c: f"{V1}/stops/{c.pickup_stop_id}/events",
            body=lambda c: {"event": "arrived"}, fresh=True, check=pickup_arrived),
    "POST /api/v1/drivers/me/location":
        Row((403, 403, 200, 200, 403, 403, 401), lambda c: f"{V1}/drivers/me/location",
            body=lambda c: {"pings": [{"lat": 41.9, "lon": -87.65}]}, fresh=True,
            check=own_position_moved),
    "GET /api/v1/drivers/me/route":  # staff have no route of their own
        Row((403, 403, 200, 200, 404, 404, 401), lambda c: f"{V1}/drivers/me/route"),
    "PUT /api/v1/drivers/me/status":  # staff have no driver profile
        Row((403, 403, 200, 200, 404, 404, 401), lambda c: f"{V1}/drivers/me/status",
            body=lambda c: {"status": "on_break"}, check=own_shift_status),
    "PUT /api/v1/drivers/{driver_id}/status":  # dave's status: dave himself or staff
        Row((403, 403, 200, 403, 200, 200, 401),
            lambda c: f"{V1}/drivers/{c.world.dave.driver_id}/status",
            body=lambda c: {"status": "off_duty"}, fresh=True, check=dave_off_duty),
    "GET /api/v1/fleet":
        Row((403, 403, 403, 403, 200, 200, 401), lambda c: f"{V1}/fleet"),
    "GET /api/v1/alerts/late":
        Row((403, 403, 403, 403, 200, 200, 401), lambda c: f"{V1}/alerts/late"),
    "GET /api/v1/geocode":
        Row((200, 200, 200, 200, 200, 200, 401), lambda c: f"{V1}/geocode?address=Pilsen"),
    "POST /api/v1/optimize":  # a valid body: a 403 can only come from authorization
        Row((403, 403, 403, 403, 200, 200, 401), lambda c: f"{V1}/optimize",
            body=lambda c: OPTIMIZE_BODY),
    "POST /api/v1/dispatch/plan":
        Row((403, 403, 403, 403, 200, 200, 401), lambda c: f"{V1}/dispatch/plan",
            body=lambda c: {"date": tomorrow_at(8).date().isoformat(), "budget_seconds": 0.5}),
    "POST /api/v1/dispatch/plans/{plan_id}/apply":
        Row((403, 403, 403, 403, 200, 200, 401),
            lambda c: f"{V1}/dispatch/plans/{c.extra['plan_id']}/apply",
            fresh=True, prepare=make_plan, check=plan_applied),
    "GET /api/v1/api-keys":
        Row((403, 403, 403, 403, 403, 200, 401), lambda c: f"{V1}/api-keys"),
    "POST /api/v1/api-keys":
        Row((403, 403, 403, 403, 403, 201, 401), lambda c: f"{V1}/api-keys",
            body=lambda c: {"name": "shop", "scopes": ["shipments:read"]},
            check=key_owned_by_caller),
    "DELETE /api/v1/api-keys/{key_id}":
        Row((403, 403, 403, 403, 403, 204, 401), lambda c: f"{V1}/api-keys/{c.extra['key_id']}",
            prepare=make_key, check=key_revoked),
    "GET /api/v1/users":
        Row((403, 403, 403, 403, 403, 200, 401), lambda c: f"{V1}/users"),
    "POST /api/v1/users/invitations":
        Row((403, 403, 403, 403, 403, 201, 401), lambda c: f"{V1}/users/invitations",
            body=lambda c: {"email": c.extra["invite_email"], "full_name": "New",
                            "role": "dispatcher"},
            prepare=invite_email, check=invited_dispatcher),
    "PATCH /api/v1/users/{user_id}":
        Row((403, 403, 403, 403, 403, 200, 401), lambda c: f"{V1}/users/{c.extra['target_id']}",
            body=lambda c: {"is_active": False}, prepare=target_user, check=target_deactivated),
    "GET /api/v1/audit-events":
        Row((403, 403, 403, 403, 403, 200, 401), lambda c: f"{V1}/audit-events"),
    "POST /api/v1/ai/parse-order":
        Row((200, 200, 403, 403, 200, 200, 401), lambda c: f"{V1}/ai/parse-order",
            body=lambda c: {"text": "2 boxes from Pilsen to Hyde Park tomorrow"}),
    "GET /api/v1/ai/briefing":
        Row((403, 403, 403, 403, 200, 200, 401), lambda c: f"{V1}/ai/briefing"),
    "POST /api/v1/ai/copilot": Elsewhere(
        "streams NDJSON; its tools run as the caller", "tests/integration/test_ai_api.py"),
    "POST /api/v1/ai/actions/{proposal_id}/confirm": Elsewhere(
        "needs a card the copilot proposed to the caller", "tests/integration/test_ai_api.py"),
    "POST /api/v1/ai/actions/{proposal_id}/dismiss": Elsewhere(
        "needs a card the copilot proposed to the caller", "tests/integration/test_ai_api.py"),
    "GET /api/v1/me/notification-preferences":
        Row((200, 200, 200, 200, 200, 200, 401), lambda c: f"{V1}/me/notification-preferences"),
    "PUT /api/v1/me/notification-preferences": Elsewhere(
        "each user edits only their own row", "tests/integration/test_notifications.py"),
    # Proof of delivery (multipart upload; reads need a stored proof): tested in its own file
    # as the shipment's customer, another customer, its driver, another driver and staff.
    "POST /api/v1/shipments/{shipment_id}/proof": Elsewhere(
        "multipart upload", "tests/integration/test_proof.py"),
    "GET /api/v1/shipments/{shipment_id}/proof": Elsewhere(
        "needs a stored proof", "tests/integration/test_proof.py"),
    "GET /api/v1/shipments/{shipment_id}/proof/{kind}": Elsewhere(
        "needs a stored proof", "tests/integration/test_proof.py"),
    "PUT /api/v1/shipments/{shipment_id}/proof-requirement":
        Row((403, 403, 403, 403, 200, 200, 401), lambda c: f"{S(c)}/proof-requirement",
            body=lambda c: {"required": True}, fresh=True, check=shipment_requires_proof),
    "PUT /api/v1/customers/{customer_id}/proof-requirement":
        Row((403, 403, 403, 403, 200, 200, 401),
            lambda c: f"{V1}/customers/{c.world.alice.customer_id}/proof-requirement",
            body=lambda c: {"required": False}),
    # Webhooks: admins only.
    "POST /api/v1/webhooks": Elsewhere(
        "its URL must resolve to a public address", "tests/integration/test_webhooks.py"),
    "GET /api/v1/webhooks":
        Row((403, 403, 403, 403, 403, 200, 401), lambda c: f"{V1}/webhooks"),
    "GET /api/v1/webhooks/{webhook_id}":
        Row((403, 403, 403, 403, 403, 200, 401), lambda c: f"{V1}/webhooks/{c.extra['hook']}",
            prepare=make_webhook),
    "DELETE /api/v1/webhooks/{webhook_id}":
        Row((403, 403, 403, 403, 403, 204, 401), lambda c: f"{V1}/webhooks/{c.extra['hook']}",
            prepare=make_webhook, check=webhook_deleted),
    "POST /api/v1/webhooks/{webhook_id}/rotate-secret":
        Row((403, 403, 403, 403, 403, 200, 401),
            lambda c: f"{V1}/webhooks/{c.extra['hook']}/rotate-secret", prepare=make_webhook),
    "POST /api/v1/webhooks/{webhook_id}/enable":
        Row((403, 403, 403, 403, 403, 200, 401),
            lambda c: f"{V1}/webhooks/{c.extra['hook']}/enable", prepare=make_webhook),
    "GET /api/v1/webhooks/{webhook_id}/deliveries":
        Row((403, 403, 403, 403, 403, 200, 401),
            lambda c: f"{V1}/webhooks/{c.extra['hook']}/deliveries", prepare=make_webhook),
    "POST /api/v1/webhooks/deliveries/{delivery_id}/redeliver":
        Row((403, 403, 403, 403, 403, 202, 401),
            lambda c: f"{V1}/webhooks/deliveries/{c.extra['delivery']}/redeliver",
            prepare=make_webhook),
    # Public by design: no credentials are read, so there is no role to check.
    "POST /api/v1/auth/token": Elsewhere("public sign-in", "tests/integration/test_api_auth.py"),
    "POST /api/v1/auth/refresh": Elsewhere("public", "tests/integration/test_api_auth.py"),
    "POST /api/v1/auth/logout": Elsewhere("ends the caller's session",
                                          "tests/integration/test_api_auth.py"),
    "POST /api/v1/auth/register": Elsewhere("public sign-up",
                                            "tests/integration/test_seed_and_login.py"),
    "POST /api/v1/auth/invitations/accept": Elsewhere("public, by invitation token",
                                                      "tests/integration/test_api_auth.py"),
    "GET /api/v1/privacy/export":  # everyone exports only their own data
        Row((200, 200, 200, 200, 200, 200, 401), lambda c: f"{V1}/privacy/export"),
    "GET /api/v1/privacy/consents":
        Row((200, 200, 200, 200, 200, 200, 401), lambda c: f"{V1}/privacy/consents"),
    "POST /api/v1/privacy/consents":
        Row((200, 200, 200, 200, 200, 200, 401), lambda c: f"{V1}/privacy/consents",
            body=lambda c: {"purpose": "product_updates", "granted": True}),
    "DELETE /api/v1/privacy/me": Elsewhere(
        "erases the caller (customers only); destroys the fixture accounts",
        "tests/integration/test_privacy.py"),
    "POST /api/v1/auth/confirm": Elsewhere("public, by emailed one-time link", ACCOUNT),
    "POST /api/v1/auth/password-reset": Elsewhere("public; same answer for any email", ACCOUNT),
    "POST /api/v1/auth/password-reset/confirm": Elsewhere("public, by emailed link", ACCOUNT),
    # The caller's own account (policy: session.manage, people only, never API keys).
    "POST /api/v1/me/password": Elsewhere("the caller's own password", ACCOUNT),
    "POST /api/v1/me/totp/setup": Elsewhere("the caller's own second factor, staff", ACCOUNT),
    "POST /api/v1/me/totp/enable": Elsewhere("the caller's own second factor, staff", ACCOUNT),
    "POST /api/v1/me/totp/disable": Elsewhere("the caller's own second factor, staff", ACCOUNT),
    "GET /api/v1/track/{tracking_code}": Elsewhere("public tracking by code",
                                                   "tests/integration/test_public_tracking.py"),
    "GET /api/v1/notifications/unsubscribe": Elsewhere(
        "public, by signed token", "tests/integration/test_notifications.py"),
    "POST /api/v1/notifications/unsubscribe": Elsewhere(
        "public, by signed token", "tests/integration/test_notifications.py"),
}
# fmt: on


def openapi_operations() -> list[str]:
    doc = create_api().openapi()
    methods = ("get", "post", "put", "patch", "delete")
    return [
        f"{m.upper()} {path}" for path, item in doc["paths"].items() for m in item if m in methods
    ]


def test_every_operation_has_a_row() -> None:
    operations = openapi_operations()  # builds the app: once, not once per MATRIX key
    missing = [op for op in operations if op not in MATRIX]
    stale = [key for key in MATRIX if key not in operations]
    assert not missing, (
        "operations without a row in MATRIX (tests/integration/test_permission_matrix.py); "
        "add one per operation, e.g.\n"
        + "\n".join(
            f'    "{op}":\n        Row((alice, bob, dave, erin, disp, admin, 401), lambda c: ...),'
            for op in missing
        )
    )
    assert not stale, f"rows for operations that no longer exist: {stale}"


def test_elsewhere_rows_name_an_existing_test_file() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for op, row in MATRIX.items():
        if isinstance(row, Elsewhere):
            assert (root / row.test_file).is_file(), f"{op}: {row.test_file} does not exist"


def _fixture(world: World) -> tuple[int, int]:
    with session_scope() as s:
        shipment = shipments.create_shipment(s, world.alice, booking())
        assert shipment.id is not None
        assignment.assign_shipment(s, world.dispatcher, shipment.id, world.dave.driver_id)  # type: ignore[arg-type]
        stops = {st.kind: st.id for st in assignment.shipment_stops(s, shipment.id)}
    return shipment.id, stops["pickup"]  # type: ignore[return-value]


def _audit_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(AuditEvent)).one()


def test_permission_matrix(world: World, session: Session) -> None:
    http = client()
    headers = {name: bearer(login(http, email)["access_token"]) for name, email in EMAILS.items()}
    headers["anon"] = {}
    shared = _fixture(world)
    problems: list[str] = []
    calls = 0
    for op, row in MATRIX.items():
        if isinstance(row, Elsewhere):
            continue
        method = op.split()[0]
        for caller, want in zip(CALLERS, row.codes, strict=True):
            ids = _fixture(world) if row.fresh else shared
            ctx = Ctx(world, http, caller, *ids)
            reset_drivers(world)
            if row.prepare:
                row.prepare(ctx)
            before = _audit_count(session)
            body = row.body(ctx) if row.body else None
            response = http.request(method, row.path(ctx), json=body, headers=headers[caller])
            calls += 1
            if response.status_code != want:
                problems.append(
                    f"{op} as {caller}: got {response.status_code}, table says {want}"
                    f" ({response.text[:120]})"
                )
                continue
            if want >= 400:
                if _audit_count(session) != before:
                    problems.append(f"{op} as {caller}: refused ({want}) but wrote an audit event")
            elif row.check:
                try:
                    row.check(ctx, response, session)
                except AssertionError as error:
                    problems.append(f"{op} as {caller}: side effect wrong: {error!r}")
    print(f"permission matrix: {calls} calls")
    assert problems == [], "\n".join(problems)
