"""/api/v1/ai over the real app, PostgreSQL and Redis, on the offline path (no GROQ_API_KEY):
plain-words booking, the copilot's late-risk answer with a reassignment card that changes
nothing until it is confirmed, the audit trail, rate limits, KPIs and the briefing."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from logistics_ai.ai.briefing import day_kpis
from logistics_ai.db import session_scope
from logistics_ai.models import AuditEvent, Driver, DriverStatus, Route, Shipment, Stop, StopKind
from logistics_ai.services import assignment, shipments
from logistics_ai.services.eta_updates import refresh_driver_etas
from tests.support import app_config
from tests.support.api import bearer, client, login
from tests.support.world import World, booking, tomorrow_at


def _auth(http: Any, email: str) -> dict[str, str]:
    return bearer(login(http, email)["access_token"])


def _events(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines() if line]


def test_parse_order_drafts_a_booking_the_api_accepts(world: World) -> None:
    http = client()
    alice = _auth(http, "alice@test.example.com")
    day = tomorrow_at(0).date()
    text = (
        "2 boxes, 12 kg, from 1200 N Clark St to 5300 S Lake Park Ave tomorrow 2-4pm, "
        "fragile, call Ana on arrival"
    )
    answer = http.post("/api/v1/ai/parse-order", headers=alice, json={"text": text})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["source"] == "offline" and body["fallback_reason"] == "no_key"
    draft = body["draft"]
    assert draft["dropoff_window_start"] == tomorrow_at(14).isoformat()
    assert draft["dropoff_window_end"] == tomorrow_at(16).isoformat()
    assert draft["recipient_name"] == "Ana" and draft["required_skills"] == ["fragile"]
    assert {q["field"] for q in body["questions"]} == {"pickup_window_start", "volume_m3"}
    # The customer answers the two questions in the form; the draft's names are the API's.
    booked = http.post(
        "/api/v1/shipments",
        headers=alice,
        json=draft
        | {
            "volume_m3": 0.1,
            "pickup_window_start": tomorrow_at(9).isoformat(),
            "pickup_window_end": tomorrow_at(12).isoformat(),
        },
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["service_date"] == day.isoformat()


def test_parse_order_needs_a_booking_role_and_valid_input(world: World) -> None:
    http = client()
    assert http.post("/api/v1/ai/parse-order", json={"text": "x"}).status_code == 401
    dave = _auth(http, "dave@test.example.com")
    assert http.post("/api/v1/ai/parse-order", headers=dave, json={"text": "x"}).status_code == 403
    alice = _auth(http, "alice@test.example.com")
    empty = http.post("/api/v1/ai/parse-order", headers=alice, json={"text": ""})
    assert empty.status_code == 422
    long = http.post("/api/v1/ai/parse-order", headers=alice, json={"text": "a" * 1001})
    assert long.status_code == 422


def _late_shipment(world: World) -> int:
    """Dave's pickup tomorrow 10-11 while he is 60 km away, and he went off duty."""
    with session_scope() as s:
        shipment = shipments.create_shipment(
            s,
            world.alice,
            booking(pickup_window_start=tomorrow_at(10), pickup_window_end=tomorrow_at(11)),
        )
        assignment.assign_shipment(s, world.dispatcher, shipment.id, world.dave.driver_id)  # type: ignore[arg-type]
        driver = s.get(Driver, world.dave.driver_id)
        assert driver is not None
        driver.last_lat, driver.last_lon = 42.3, -88.2
        s.add(driver)
    with session_scope() as s:
        assert refresh_driver_etas(s, world.dave.driver_id, tomorrow_at(10, 30)) == 1  # type: ignore[arg-type]
        driver = s.get(Driver, world.dave.driver_id)
        assert driver is not None
        driver.status = DriverStatus.off_duty
        s.add(driver)
    return shipment.id  # type: ignore[return-value]


def test_late_question_proposes_a_reassignment_that_waits_for_the_click(
    world: World, session: Session
) -> None:
    shipment_id = _late_shipment(world)
    http = client()
    staff = _auth(http, "dispatch@test.example.com")
    events = _events(
        http.post(
            "/api/v1/ai/copilot",
            headers=staff,
            json={"message": "Which deliveries are late tomorrow and why?"},
        )
    )
    conversation = events[0]["conversation_id"]
    assert events[-1] == {"type": "done", "source": "offline", "fallback_reason": "no_key"}
    text = "".join(e["text"] for e in events if e["type"] == "text")
    assert "1 stop(s) at risk" in text and "pickup" in text and "min after" in text
    cards = [e["card"] for e in events if e["type"] == "card"]
    assert len(cards) == 1 and cards[0]["kind"] == "reassign"
    assert cards[0]["driver_id"] == world.erin.driver_id
    # Nothing changed yet.
    assert session.get(Shipment, shipment_id).driver_id == world.dave.driver_id  # type: ignore[union-attr]

    other = _auth(http, "admin@test.example.com")
    stolen = http.post(f"/api/v1/ai/actions/{cards[0]['id']}/confirm", headers=other)
    assert stolen.status_code == 404  # a card belongs to the user it was proposed to

    done = http.post(f"/api/v1/ai/actions/{cards[0]['id']}/confirm", headers=staff)
    assert done.status_code == 200, done.text
    assert done.json()["kind"] == "reassign" and "Erin" in done.json()["result"]
    session.expire_all()
    assert session.get(Shipment, shipment_id).driver_id == world.erin.driver_id  # type: ignore[union-attr]
    again = http.post(f"/api/v1/ai/actions/{cards[0]['id']}/confirm", headers=staff)
    assert again.status_code == 404  # single use

    trail = session.exec(
        select(AuditEvent).where(AuditEvent.entity_id == conversation).order_by(col(AuditEvent.id))
    ).all()
    actions = [e.action for e in trail]
    assert actions == [
        "ai.tool_call",  # late_risk_stops
        "ai.tool_call",  # best_driver (dry run, rolled back)
        "ai.action_proposed",
        "ai.tool_call",  # propose_action
        "ai.action_confirmed",
    ]
    assert all(e.actor_user_id == world.dispatcher.user_id for e in trail)
    reassigned = session.exec(
        select(AuditEvent).where(AuditEvent.action == "shipment.reassigned")
    ).all()
    assert len(reassigned) == 1


def test_customers_get_only_their_own_data_from_the_copilot(world: World) -> None:
    with session_scope() as s:
        bobs = shipments.create_shipment(s, world.bob, booking(recipient_name="Bob Secret"))
        code = bobs.tracking_code
    http = client()
    alice = _auth(http, "alice@test.example.com")

    def ask(message: str) -> str:
        events = _events(http.post("/api/v1/ai/copilot", headers=alice, json={"message": message}))
        return json.dumps(events[1:])

    late = ask("which deliveries are late?")
    assert "not available to this user" in late and "Bob Secret" not in late
    listed = ask(f"list shipments {code}")
    assert "0 shipment(s)" in listed and "Bob Secret" not in listed
    assert listed.count(code) == 0


def test_ai_requests_are_rate_limited_per_user(world: World) -> None:
    with app_config.configured(ai_requests_per_user="2"):
        http = client()
        alice = _auth(http, "alice@test.example.com")
        codes = [
            http.post("/api/v1/ai/parse-order", headers=alice, json={"text": "5 kg"}).status_code
            for _ in range(3)
        ]
    assert codes == [200, 200, 429]


def test_kpis_and_briefing(world: World) -> None:
    day = tomorrow_at(0).date()
    with session_scope() as s:
        ids = []
        for recipient in ("On Time", "Too Late", "Not Home"):
            shipment = shipments.create_shipment(s, world.alice, booking(recipient_name=recipient))
            assignment.assign_shipment(s, world.dispatcher, shipment.id, world.erin.driver_id)  # type: ignore[arg-type]
            ids.append(shipment.id)
        s.flush()
        drops = {
            st.shipment_id: st
            for st in s.exec(select(Stop).where(Stop.kind == StopKind.dropoff)).all()
        }
        drops[ids[0]].status, drops[ids[0]].completed_at = "done", tomorrow_at(12)
        drops[ids[1]].status, drops[ids[1]].completed_at = "done", tomorrow_at(15)
        drops[ids[2]].status, drops[ids[2]].failure_reason = "failed", "Recipient  absent"
        for stop in drops.values():
            s.add(stop)
    with session_scope() as s:
        kpis = day_kpis(s, world.dispatcher, day)
    assert (kpis.delivered, kpis.on_time, kpis.on_time_rate) == (2, 1, 0.5)
    assert kpis.failures_by_reason == {"recipient absent": 1}
    assert kpis.shipments == 3

    http = client()
    staff = _auth(http, "dispatch@test.example.com")
    brief = http.get(
        "/api/v1/ai/briefing", headers=staff, params={"day": (day + timedelta(days=1)).isoformat()}
    )
    assert brief.status_code == 200, brief.text
    body = brief.json()
    assert body["source"] == "offline"
    assert body["lines"][0] == (
        "Yesterday: 50% on time (1 of 2 deliveries); failures: 1 recipient absent."
    )
    alice = _auth(http, "alice@test.example.com")
    assert http.get("/api/v1/ai/briefing", headers=alice).status_code == 403


def _notify_card(http: Any, staff: dict[str, str], code: str) -> dict[str, Any]:
    events = _events(
        http.post(
            "/api/v1/ai/copilot", headers=staff, json={"message": f"Notify the customer of {code}"}
        )
    )
    cards = [e["card"] for e in events if e["type"] == "card"]
    assert len(cards) == 1 and cards[0]["kind"] == "notify", events
    return cards[0]


def test_a_confirmed_notify_card_goes_through_the_notification_outbox(
    world: World, session: Session
) -> None:
    from logistics_ai.jobs import notifications as sender
    from logistics_ai.models import Notification, NotificationStatus
    from logistics_ai.services import notifications
    from tests.support.mailserver import smtp_server

    shipment_id = _late_shipment(world)
    code = session.get(Shipment, shipment_id).tracking_code  # type: ignore[union-attr]
    http = client()
    staff = _auth(http, "dispatch@test.example.com")

    def delayed() -> list[Notification]:
        session.expire_all()
        return list(
            session.exec(
                select(Notification).where(
                    Notification.shipment_id == shipment_id, Notification.template == "delayed"
                )
            ).all()
        )

    with (
        smtp_server() as (port, inbox),
        app_config.configured(smtp_host="127.0.0.1", smtp_port=str(port), smtp_security="none"),
    ):
        card = _notify_card(http, staff, code)
        assert delayed() == []  # a card alone queues nothing
        done = http.post(f"/api/v1/ai/actions/{card['id']}/confirm", headers=staff)
        assert done.status_code == 200, done.text
        assert "queued (email)" in done.json()["result"]
        rows = delayed()
        assert [(r.channel, r.recipient, r.status) for r in rows] == [
            ("email", "alice@test.example.com", NotificationStatus.pending)
        ]
        assert inbox.messages == []  # the request sent nothing itself: the worker does
        sender.send_due()
        subjects = [m["Subject"] for m in inbox.wait_for(2)]
        assert f"Running late: {code}" in subjects
        late = next(m for m in inbox.messages if m["Subject"] == f"Running late: {code}")
        text = late.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "is running late" in text and f"/track/{code}" in text

    # A customer who switched ETA messages off gets nothing, and the dispatcher is told so.
    with session_scope() as s:
        prefs = notifications.my_preferences(s, world.alice)
        notifications.update_my_preferences(
            s, world.alice, prefs.model_copy(update={"events": ["booked", "delivered"]})
        )
    card = _notify_card(http, staff, code)
    done = http.post(f"/api/v1/ai/actions/{card['id']}/confirm", headers=staff)
    assert done.status_code == 200, done.text
    assert "Nothing was sent" in done.json()["result"]
    assert len(delayed()) == 1
    notified = session.exec(
        select(AuditEvent).where(AuditEvent.action == "shipment.customer_notified")
    ).all()
    assert [e.details["channels"] for e in notified] == [["email"], []]


def _route_with_a_swappable_late_stop(world: World) -> tuple[Shipment, Shipment]:
    """Dave's route tomorrow: B pickup, A pickup, A drop-off, B drop-off. B's drop-off window
    (11:00-11:30) closes before A's pickup window (9:00-13:00) does, and the ETAs put B's
    drop-off at 12:40: a late-risk stop that moving it ahead of A's pickup would help."""
    from logistics_ai.services.assignment import resequence

    with session_scope() as s:
        a = shipments.create_shipment(
            s,
            world.alice,
            booking(
                pickup_window_start=tomorrow_at(9),
                pickup_window_end=tomorrow_at(13),
                dropoff_window_start=tomorrow_at(9, 30),
                dropoff_window_end=tomorrow_at(17),
            ),
        )
        b = shipments.create_shipment(
            s,
            world.alice,
            booking(
                pickup_window_start=tomorrow_at(9),
                pickup_window_end=tomorrow_at(10),
                dropoff_window_start=tomorrow_at(11),
                dropoff_window_end=tomorrow_at(11, 30),
            ),
        )
        for shipment in (b, a):
            assignment.assign_shipment(s, world.dispatcher, shipment.id, world.dave.driver_id)  # type: ignore[arg-type]
        route = s.get(Route, b.route_id)
        assert route is not None
        resequence(
            s, route, [(b.id, "pickup"), (a.id, "pickup"), (a.id, "dropoff"), (b.id, "dropoff")]
        )  # type: ignore[list-item]
        # What the ETA model predicts for this order (derived data, set as a fixture).
        arrivals = {
            (b.id, "pickup"): tomorrow_at(9, 30),
            (a.id, "pickup"): tomorrow_at(10, 20),
            (a.id, "dropoff"): tomorrow_at(11, 50),
            (b.id, "dropoff"): tomorrow_at(12, 40),
        }
        for stop in s.exec(select(Stop).where(Stop.route_id == route.id)).all():
            stop.planned_arrival = arrivals[(stop.shipment_id, stop.kind)]
            stop.late_risk = (stop.shipment_id, stop.kind) == (b.id, "dropoff")
            s.add(stop)
        s.expunge(a)
        s.expunge(b)
    return a, b


def _order(session: Session, route_id: int) -> list[tuple[int, str]]:
    session.expire_all()
    stops = session.exec(
        select(Stop).where(Stop.route_id == route_id).order_by(col(Stop.sequence))
    ).all()
    return [(s.shipment_id, s.kind) for s in stops]


def test_late_question_proposes_a_stop_swap_that_waits_for_the_click(
    world: World, session: Session
) -> None:
    a, b = _route_with_a_swappable_late_stop(world)
    assert b.route_id is not None
    before = [(b.id, "pickup"), (a.id, "pickup"), (a.id, "dropoff"), (b.id, "dropoff")]
    assert _order(session, b.route_id) == before
    http = client()
    staff = _auth(http, "dispatch@test.example.com")
    events = _events(
        http.post(
            "/api/v1/ai/copilot",
            headers=staff,
            json={"message": "Which deliveries are late tomorrow and why?"},
        )
    )
    text = "".join(e["text"] for e in events if e["type"] == "text")
    assert f"{b.tracking_code} dropoff (stop 4 of" in text and "move it ahead of stop 2" in text
    cards = [e["card"] for e in events if e["type"] == "card"]
    assert [c["kind"] for c in cards] == ["swap"], cards
    swap = cards[0]
    assert swap["title"].startswith(f"Swap stops: {b.tracking_code} dropoff: move it ahead of")
    assert a.tracking_code in swap["title"]  # names the stop it goes ahead of
    assert "70 min after" in swap["reason"]  # the data behind it: 12:40 vs 11:30
    assert _order(session, b.route_id) == before  # a card changes nothing

    done = http.post(f"/api/v1/ai/actions/{swap['id']}/confirm", headers=staff)
    assert done.status_code == 200, done.text
    assert done.json()["kind"] == "swap"
    assert "moved from position 4 to 2" in done.json()["result"]
    assert _order(session, b.route_id) == [
        (b.id, "pickup"),
        (b.id, "dropoff"),
        (a.id, "pickup"),
        (a.id, "dropoff"),
    ]
    moved = session.exec(select(AuditEvent).where(AuditEvent.action == "route.stop_moved")).one()
    assert moved.actor_user_id == world.dispatcher.user_id
    assert (moved.details["from_position"], moved.details["to_position"]) == (4, 2)
    again = http.post(f"/api/v1/ai/actions/{swap['id']}/confirm", headers=staff)
    assert again.status_code == 404  # single use


def test_a_swap_is_only_proposed_where_the_rules_find_one(world: World, session: Session) -> None:
    from logistics_ai.domain.errors import Conflict, PermissionDenied
    from logistics_ai.services import route_order

    a, b = _route_with_a_swappable_late_stop(world)
    http = client()
    staff = _auth(http, "dispatch@test.example.com")
    events = _events(
        http.post(
            "/api/v1/ai/copilot",
            headers=staff,
            json={"message": f"Swap stops for {a.tracking_code}"},
        )
    )
    assert not [e for e in events if e["type"] == "card"]
    text = "".join(e["text"] for e in events if e["type"] == "text")
    assert f"No stop swap would help {a.tracking_code}" in text
    # The service refuses a drop-off ahead of its own pickup, and non-staff, whoever asks.
    stops = {(s.shipment_id, s.kind): s.id for s in session.exec(select(Stop)).all()}
    with session_scope() as s, pytest.raises(Conflict, match="its own pickup"):
        route_order.move_stop_before(
            s, world.dispatcher, stops[(b.id, "dropoff")], stops[(b.id, "pickup")]
        )
    with session_scope() as s, pytest.raises(PermissionDenied):
        route_order.move_stop_before(
            s, world.alice, stops[(b.id, "dropoff")], stops[(a.id, "pickup")]
        )
    customer = _auth(http, "alice@test.example.com")
    refused = _events(
        http.post(
            "/api/v1/ai/copilot",
            headers=customer,
            json={"message": f"Swap stops for {b.tracking_code}"},
        )
    )
    assert not [e for e in refused if e["type"] == "card"]
