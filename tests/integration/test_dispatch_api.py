"""Auto-dispatch through the API: preview, apply atomically with audit, refuse stale plans;
and the stateless /optimize endpoint with its limits."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlmodel import Session, select

from logistics_ai.db import session_scope
from logistics_ai.models import AuditEvent, Shipment, Stop
from logistics_ai.services import shipments
from tests.support.api import bearer, client, login
from tests.support.world import World, booking, tomorrow_at


def _staff(http) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return bearer(login(http, "dispatch@test.example.com")["access_token"])


def _book_several(world: World, count: int) -> list[int]:
    ids = []
    with session_scope() as s:
        for i in range(count):
            ids.append(
                shipments.create_shipment(
                    s,
                    world.alice,
                    booking(
                        pickup_window_start=tomorrow_at(8),
                        pickup_window_end=tomorrow_at(12),
                        dropoff_window_start=tomorrow_at(9),
                        dropoff_window_end=tomorrow_at(18),
                        recipient_name=f"R {i}",
                    ),
                ).id
            )
    return ids  # type: ignore[return-value]


def test_plan_preview_then_apply(world: World, session: Session) -> None:
    ids = _book_several(world, 6)
    with session_scope() as s:
        shipments.create_shipment(
            s,
            world.alice,
            booking(
                required_skills=["liftgate"],  # no vehicle in the test world has it
                pickup_window_start=tomorrow_at(8),
                pickup_window_end=tomorrow_at(12),
                dropoff_window_start=tomorrow_at(9),
                dropoff_window_end=tomorrow_at(18),
            ),
        )
    http = client()
    staff = _staff(http)
    day = tomorrow_at(9).date().isoformat()
    preview = http.post(
        "/api/v1/dispatch/plan", headers=staff, json={"date": day, "budget_seconds": 1, "seed": 1}
    )
    assert preview.status_code == 200, preview.text
    plan = preview.json()
    planned = {s["shipment_id"] for r in plan["routes"] for s in r["stops"]}
    assert planned == set(ids)
    assert [u["reason"] for u in plan["unassigned"]] == ["no_vehicle_with_skill"]
    assert plan["newly_assigned"] == 6
    for route in plan["routes"]:
        kinds = [(s["shipment_id"], s["kind"]) for s in route["stops"]]
        for sid in {k[0] for k in kinds}:
            assert kinds.index((sid, "pickup")) < kinds.index((sid, "dropoff"))
    assert session.exec(select(Stop)).all() == []  # a preview writes nothing

    applied = http.post(f"/api/v1/dispatch/plans/{plan['plan_id']}/apply", headers=staff)
    assert applied.status_code == 200, applied.text
    session.expire_all()
    stored = {s.id: s for s in session.exec(select(Shipment)).all()}
    assert Counter(stored[i].status for i in ids) == {"assigned": 6}
    assert all(stored[i].eta is not None for i in ids)
    assert len(session.exec(select(Stop)).all()) == 12
    assert session.exec(
        select(AuditEvent).where(AuditEvent.action == "dispatch.plan_applied")
    ).one()
    again = http.post(f"/api/v1/dispatch/plans/{plan['plan_id']}/apply", headers=staff)
    assert again.status_code == 404  # a plan applies once


def test_stale_plan_is_refused(world: World) -> None:
    ids = _book_several(world, 3)
    http = client()
    staff = _staff(http)
    day = tomorrow_at(9).date().isoformat()
    plan = http.post(
        "/api/v1/dispatch/plan", headers=staff, json={"date": day, "budget_seconds": 1}
    ).json()
    with session_scope() as s:
        shipments.cancel_shipment(s, world.alice, ids[0], "changed my mind")
    stale = http.post(f"/api/v1/dispatch/plans/{plan['plan_id']}/apply", headers=staff)
    assert stale.status_code == 409
    assert "changed since" in stale.json()["error"]["message"]


def test_customers_cannot_plan(world: World) -> None:
    http = client()
    alice = bearer(login(http, "alice@test.example.com")["access_token"])
    assert http.post("/api/v1/dispatch/plan", headers=alice, json={}).status_code == 403
    # A body that validates, so the 403 can only come from authorization.
    valid = {
        "stops": [{"id": "a", "location": {"index": 1}, "demand": [1]}],
        "vehicles": [_vehicle()],
        "matrix": {"durations": [[0, 5], [5, 0]], "distances": [[0, 5], [5, 0]]},
        "budget_seconds": 0.1,
    }
    assert http.post("/api/v1/optimize", headers=_staff(http), json=valid).status_code == 200
    refused = http.post("/api/v1/optimize", headers=alice, json=valid)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"


def _vehicle(**extra) -> dict:  # type: ignore[no-untyped-def]
    return {"id": "v1", "capacity": [10], "start": {"index": 0}, "end": {"index": 0}, **extra}


def test_optimize_with_explicit_matrix(world: World) -> None:
    http = client()
    staff = _staff(http)
    matrix = [[0, 10, 20, 30], [10, 0, 10, 20], [20, 10, 0, 10], [30, 20, 10, 0]]
    body = {
        "stops": [
            {"id": "a", "location": {"index": 1}, "demand": [3]},
            {"id": "b", "location": {"index": 2}, "demand": [3]},
            {
                "id": "late",
                "location": {"index": 3},
                "demand": [3],
                "window": {"start": 0, "end": 5},
            },  # 30 s away: unreachable by second 5
            {"id": "heavy", "location": {"index": 3}, "demand": [50]},
        ],
        "vehicles": [_vehicle()],
        "matrix": {"durations": matrix, "distances": matrix},
        "budget_seconds": 0.5,
    }
    result = http.post("/api/v1/optimize", headers=staff, json=body)
    assert result.status_code == 200, result.text
    data = result.json()
    assert sorted(s["id"] for s in data["routes"][0]["stops"]) == ["a", "b"]
    assert data["total_distance"] == 40  # 0 -> 1 -> 2 -> 0
    reasons = {u["id"]: u["reason"] for u in data["unassigned"]}
    assert reasons == {"late": "window_unreachable", "heavy": "capacity"}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"vehicles": []}, 422),
        (
            {
                "vehicles": [_vehicle()],
                "stops": [{"id": "x", "location": {"index": 9}}],
                "matrix": {"durations": [[0]], "distances": [[0]]},
            },
            422,
        ),
        (
            {"vehicles": [_vehicle()], "stops": [{"id": "x", "location": {"lat": 99, "lon": 0}}]},
            422,
        ),
        (
            {
                "vehicles": [_vehicle(start={"lat": 41.9, "lon": -87.6}, end=None)],
                "stops": [{"id": "x", "location": {"index": 0}}],
            },
            422,
        ),
        ({"vehicles": [_vehicle()], "budget_seconds": 600}, 422),
        (
            {
                "vehicles": [_vehicle(start={"lat": 41.9, "lon": -87.6}, end=None)],
                "stops": [
                    {"id": f"s{i}", "location": {"lat": 41.9, "lon": -87.6}} for i in range(2001)
                ],
            },
            413,
        ),
    ],
)
def test_optimize_rejects_malformed_and_oversized(world: World, body: dict, status: int) -> None:
    http = client()
    response = http.post("/api/v1/optimize", headers=_staff(http), json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] in ("validation_error", "payload_too_large")


def test_optimize_body_size_limit(world: World) -> None:
    http = client()
    huge = b'{"vehicles": [], "pad": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    response = http.post(
        "/api/v1/optimize",
        headers={**_staff(http), "Content-Type": "application/json"},
        content=huge,
    )
    assert response.status_code == 413


def test_auto_assign_inserts_without_reordering_existing_stops(
    world: World, session: Session
) -> None:
    ids = _book_several(world, 4)
    http = client()
    staff = _staff(http)
    for sid in ids[:3]:
        response = http.post(f"/api/v1/shipments/{sid}/auto-assign", headers=staff)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "assigned"
    session.expire_all()
    before = {
        (s.shipment_id, s.kind): (s.route_id, s.sequence) for s in session.exec(select(Stop)).all()
    }
    inserted = http.post(f"/api/v1/shipments/{ids[3]}/auto-assign", headers=staff)
    assert inserted.status_code == 200
    session.expire_all()
    stops = session.exec(select(Stop)).all()
    by_route: dict[int, list] = {}
    for stop in stops:
        by_route.setdefault(stop.route_id, []).append(stop)
    for route_stops in by_route.values():
        ordered = sorted(route_stops, key=lambda s: s.sequence)
        assert len({s.sequence for s in ordered}) == len(ordered)  # no shared places
        existing = [(s.shipment_id, s.kind) for s in ordered if (s.shipment_id, s.kind) in before]
        assert existing == sorted(existing, key=lambda k: before[k][1])  # order kept
        kinds = [(s.shipment_id, s.kind) for s in ordered]
        for sid in {k[0] for k in kinds}:
            assert kinds.index((sid, "pickup")) < kinds.index((sid, "dropoff"))
    new_stops = [s for s in stops if s.shipment_id == ids[3]]
    assert len(new_stops) == 2 and all(s.planned_arrival is not None for s in new_stops)
    again = http.post(f"/api/v1/shipments/{ids[3]}/auto-assign", headers=staff)
    assert again.status_code == 409


def test_auto_assign_explains_why_it_cannot(world: World) -> None:
    with session_scope() as s:
        cold = shipments.create_shipment(
            s,
            world.alice,
            booking(
                required_skills=["liftgate"],
                pickup_window_start=tomorrow_at(8),
                pickup_window_end=tomorrow_at(12),
                dropoff_window_start=tomorrow_at(9),
                dropoff_window_end=tomorrow_at(18),
            ),
        )
    http = client()
    response = http.post(f"/api/v1/shipments/{cold.id}/auto-assign", headers=_staff(http))
    assert response.status_code == 409
    assert response.json()["error"]["details"]["reason"] == "no_vehicle_with_skill"
