"""Booking, listing and cancelling shipments, scoped to what the caller may see."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Integer, Select, String, bindparam, func, insert, literal_column, or_
from sqlmodel import Session, col, select

from logistics_ai.domain import clock
from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import NotFound, PermissionDenied, ValidationFailed
from logistics_ai.domain.validation import Clean, Id, Moment, Reason, bounded, fail, parse
from logistics_ai.geo.distance import haversine_km
from logistics_ai.models import Customer, Depot, Shipment, ShipmentStatus, TrackingEvent, saved_id
from logistics_ai.models.core_rows import insert_row
from logistics_ai.realtime.bus import queue_event
from logistics_ai.security import policy, shredding
from logistics_ai.security.policy import Action
from logistics_ai.services import audit, geocoding, notifications, webhooks
from logistics_ai.services.pricing import quote_cents
from logistics_ai.services.reference_cache import ReferenceCache
from logistics_ai.services.shipment_status import (
    SHIPMENTS_CHANNEL,
    Skill,
    require_transition,
    shipment_event,
    transition,
)
from logistics_ai.services.tracking_codes import new_tracking_code
from logistics_ai.settings import get_settings

Address = Annotated[str, bounded(300, min_length=5), Clean]
Name = Annotated[str, bounded(120, min_length=1), Clean]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()\-]{7,20}$")]

MAX_WEIGHT_KG = 1000.0
MAX_VOLUME_M3 = 10.0
MIN_WINDOW = timedelta(minutes=15)
MAX_PAGE_SIZE = 100
# A list counts its matches at most this many rows past the start of the page it shows;
# beyond that `total` is a lower bound (`total_exact` False). Counting every match cost a
# list of the 20,000-row bench table ~8 ms of PostgreSQL CPU, 40x its page query
# (docs/performance.md, Round 3); this bounds the count like the OFFSET the page pays anyway.
COUNT_AHEAD = 1000
COORDINATES = "Optional: leave both out and the address is geocoded server-side."


class ShipmentCreate(BaseModel):
    """A booking request, validated at the edge. Naive datetimes are local time."""

    model_config = ConfigDict(extra="forbid")

    pickup_address: Address
    pickup_lat: float | None = Field(default=None, ge=-90, le=90, description=COORDINATES)
    pickup_lon: float | None = Field(default=None, ge=-180, le=180, description=COORDINATES)
    pickup_window_start: Moment
    pickup_window_end: Moment
    pickup_contact: Name | None = None
    dropoff_address: Address
    dropoff_lat: float | None = Field(default=None, ge=-90, le=90, description=COORDINATES)
    dropoff_lon: float | None = Field(default=None, ge=-180, le=180, description=COORDINATES)
    dropoff_window_start: Moment
    dropoff_window_end: Moment
    recipient_name: Name
    recipient_phone: Phone | None = None
    weight_kg: float = Field(gt=0, le=MAX_WEIGHT_KG)
    volume_m3: float = Field(gt=0, le=MAX_VOLUME_M3)
    required_skills: list[Skill] = Field(default_factory=list, max_length=4)
    notes: Annotated[str, bounded(500), Clean] | None = None
    customer_id: Id | None = Field(
        default=None, description="Staff only: book on behalf of this customer."
    )
    requires_proof: bool | None = Field(
        default=None,
        description="Refuse 'delivered' without a proof of delivery. Unset: the customer's "
        "default.",
    )


class ShipmentFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ShipmentStatus | None = None
    date_from: date | None = None
    date_to: date | None = None
    search: Annotated[str, bounded(100), Clean] | None = None
    driver_id: Id | None = None
    unassigned_only: bool = False
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=25, ge=1, le=MAX_PAGE_SIZE)


class ShipmentPage(BaseModel):
    items: list[Shipment]
    total: int  # exact when total_exact, else more than `total` match (see COUNT_AHEAD)
    page: int
    page_size: int
    total_exact: bool = True

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _window_problems(data: ShipmentCreate, now: datetime) -> dict[str, str]:
    problems: dict[str, str] = {}
    pickup_start = clock.as_aware(data.pickup_window_start)
    pickup_end = clock.as_aware(data.pickup_window_end)
    dropoff_start = clock.as_aware(data.dropoff_window_start)
    dropoff_end = clock.as_aware(data.dropoff_window_end)
    if pickup_end <= pickup_start:
        problems["pickup_window_end"] = "must be after the pickup window start"
    elif pickup_end - pickup_start < MIN_WINDOW:
        problems["pickup_window_end"] = "the pickup window must be at least 15 minutes long"
    if dropoff_end <= dropoff_start:
        problems["dropoff_window_end"] = "must be after the delivery window start"
    elif dropoff_end - dropoff_start < MIN_WINDOW:
        problems["dropoff_window_end"] = "the delivery window must be at least 15 minutes long"
    elif dropoff_end <= pickup_start:
        problems["dropoff_window_end"] = "must be after the pickup window opens"
    if pickup_end <= now:
        problems.setdefault("pickup_window_end", "is in the past")
    if clock.to_local(dropoff_start).date() != clock.to_local(pickup_start).date():
        problems.setdefault("dropoff_window_start", "must be on the same day as the pickup")
    return problems


def _depot_points(session: Session) -> tuple[tuple[float, float], ...]:
    return tuple((d.lat, d.lon) for d in session.exec(select(Depot)).all())


# Reference data read by every booking: a change applies at once in this process and within
# a minute on the other workers and replicas (see services/reference_cache.py).
DEPOT_POINTS = ReferenceCache("depot points", (Depot,), 60.0, _depot_points)


def _service_area_problems(session: Session, data: ShipmentCreate) -> dict[str, str]:
    depots = DEPOT_POINTS.get(session)
    if not depots:
        return {}
    radius = get_settings().service_radius_km
    problems: dict[str, str] = {}
    for prefix in ("pickup", "dropoff"):
        point = _point(data, prefix)
        nearest = min(haversine_km(point, depot) for depot in depots)
        if nearest > radius:
            problems[f"{prefix}_address"] = (
                f"is {nearest:.0f} km from our nearest depot; we deliver within {radius:.0f} km"
            )
    return problems


def _placed(data: ShipmentCreate) -> ShipmentCreate:
    """Coordinates for every stop booked by address only (integrators may still send both).

    Runs before the booking's first query, so no database connection waits on the geocoder.
    """
    updates: dict[str, float] = {}
    problems: dict[str, str] = {}
    for prefix in ("pickup", "dropoff"):
        lat, lon = getattr(data, f"{prefix}_lat"), getattr(data, f"{prefix}_lon")
        if lat is not None and lon is not None:
            continue
        if (lat is None) != (lon is None):
            missing = f"{prefix}_lon" if lon is None else f"{prefix}_lat"
            problems[missing] = "send both latitude and longitude, or neither"
            continue
        try:
            place = geocoding.locate(getattr(data, f"{prefix}_address"), field=f"{prefix}_address")
        except ValidationFailed as error:
            problems.update(error.field_errors)
            continue
        updates[f"{prefix}_lat"], updates[f"{prefix}_lon"] = place.lat, place.lon
    if problems:
        raise fail(problems)
    return data.model_copy(update=updates) if updates else data


def _point(data: ShipmentCreate, prefix: str) -> tuple[float, float]:
    lat, lon = getattr(data, f"{prefix}_lat"), getattr(data, f"{prefix}_lon")
    assert lat is not None and lon is not None, "_placed() fills both"
    return lat, lon


def _customer_for(session: Session, actor: Actor, requested_id: int | None) -> int:
    if policy.require(actor, Action.shipment_create) == "own":
        if actor.customer_id is None:
            raise PermissionDenied("This account has no customer profile.")
        return actor.customer_id
    if requested_id is None or session.get(Customer, requested_id) is None:
        raise fail({"customer_id": "choose an existing customer to book for"})
    return requested_id


def _booking_reads_statement(with_key: bool) -> Any:
    columns: list[Any] = [col(Customer.requires_proof), *notifications.RECIPIENT_COLUMNS]
    if with_key:
        columns.append(shredding.key_column(bindparam("subject_id")))
    query = select(*columns).select_from(Customer)
    return notifications.with_recipient(query).where(col(Customer.id) == bindparam("customer_id"))


# Built once, run with the ids bound: building the statement per booking cost more CPU than
# running it (docs/performance.md, Round 9). The key is left out for an actor with no user.
_BOOKING_READS = {True: _booking_reads_statement(True), False: _booking_reads_statement(False)}


def _booking_reads(
    session: Session, actor: Actor, customer_id: int
) -> tuple[bool, notifications.Recipient | None]:
    """Everything a booking reads before it writes, in one statement: the customer's proof
    default, who the booking notification goes to (with their preferences) and the booker's
    key for sealing the audit row's personal data (docs/performance.md, Round 9: three
    statements were one each, and each later one autoflushed the rows written before it)."""
    params = {"customer_id": customer_id}
    if actor.user_id is not None:
        params["subject_id"] = actor.user_id
    # It reads columns, not objects: run on the session's connection, past the ORM's execute
    # layer (its compile state and result wrapping were ~5% of a booking's CPU, Round 11),
    # after flushing what was added before, as the ORM's autoflush would have.
    session.flush()
    statement = _BOOKING_READS["subject_id" in params]
    found = session.connection().execute(statement, params).first()
    if found is None:  # the customer was removed meanwhile: booked as before, no message
        return False, None
    if actor.user_id is not None:
        shredding.remember(session, actor.user_id, found[-1])
    recipient_values = found[1 : 1 + len(notifications.RECIPIENT_COLUMNS)]
    return bool(found[0]), notifications.recipient_from(recipient_values)


# The booking's first history row, as one Core statement built once: nothing reads it back in
# the request, and handing it to the unit of work cost more CPU than the statement itself (the
# ORM's flush at commit, docs/performance.md, Round 9).
_BOOKING_RECEIVED = insert(TrackingEvent).values(
    shipment_id=bindparam("event_shipment_id"),
    status=ShipmentStatus.requested,
    occurred_at=bindparam("event_at"),
    note="Booking received",
)


def create_shipment(
    session: Session, actor: Actor, payload: ShipmentCreate | dict, *, now: datetime | None = None
) -> Shipment:
    """Book a shipment. `now` is only for back-filling history (demo seed, imports)."""
    data = payload if isinstance(payload, ShipmentCreate) else parse(ShipmentCreate, payload)
    data = _placed(data)
    pickup_lat, pickup_lon = _point(data, "pickup")
    dropoff_lat, dropoff_lon = _point(data, "dropoff")
    customer_id = _customer_for(session, actor, data.customer_id)
    problems = _window_problems(data, now or clock.utcnow()) | _service_area_problems(session, data)
    if problems:
        raise fail(problems)
    pickup_start = clock.as_aware(data.pickup_window_start)
    customer_requires_proof, recipient = _booking_reads(session, actor, customer_id)
    requires_proof = (
        data.requires_proof if data.requires_proof is not None else customer_requires_proof
    )
    shipment = insert_row(
        session,
        Shipment,
        tracking_code=new_tracking_code(),
        customer_id=customer_id,
        requires_proof=requires_proof,
        status=ShipmentStatus.requested,
        service_date=clock.to_local(pickup_start).date(),
        pickup_address=data.pickup_address,
        pickup_lat=pickup_lat,
        pickup_lon=pickup_lon,
        pickup_window_start=pickup_start,
        pickup_window_end=clock.as_aware(data.pickup_window_end),
        pickup_contact=data.pickup_contact,
        dropoff_address=data.dropoff_address,
        dropoff_lat=dropoff_lat,
        dropoff_lon=dropoff_lon,
        dropoff_window_start=clock.as_aware(data.dropoff_window_start),
        dropoff_window_end=clock.as_aware(data.dropoff_window_end),
        recipient_name=data.recipient_name,
        recipient_phone=data.recipient_phone,
        weight_kg=data.weight_kg,
        volume_m3=data.volume_m3,
        required_skills=",".join(sorted(set(data.required_skills))),
        notes=data.notes,
        price_cents=quote_cents(
            (pickup_lat, pickup_lon),
            (dropoff_lat, dropoff_lon),
            data.weight_kg,
            data.volume_m3,
        ),
    )
    session.connection().execute(
        _BOOKING_RECEIVED,
        {"event_shipment_id": saved_id(shipment), "event_at": shipment.created_at},
    )
    notifications.enqueue_to(session, recipient, shipment, "booked")
    webhooks.enqueue(
        session,
        "shipment.created",
        {
            "shipment_id": shipment.id,
            "tracking_code": shipment.tracking_code,
            "status": shipment.status,
        },
    )
    audit.record(
        session,
        actor,
        "shipment.created",
        "shipment",
        shipment.id,
        {"tracking_code": shipment.tracking_code, "price_cents": shipment.price_cents},
    )
    queue_event(session, SHIPMENTS_CHANNEL, shipment_event(shipment))
    return shipment


def _scope_of(actor: Actor, action: Action) -> tuple[str, int | None]:
    """Which shipments `actor` may see: ("all", None), ("own", customer id), ("route", driver
    id), or ("none", None) for an account without the profile its grant needs."""
    granted = policy.require(actor, action)
    if granted == "all":
        return "all", None
    if granted == "own" and actor.customer_id is not None:
        return "own", actor.customer_id
    if granted == "route" and actor.driver_id is not None:
        return "route", actor.driver_id
    return "none", None


# The condition that limits a scope kind (`_scope_of`) to its owner's shipments.
_OWNED = {
    "own": col(Shipment.customer_id) == bindparam("b_owner"),
    "route": col(Shipment.driver_id) == bindparam("b_owner"),
}
# One shipment by id within each scope, built once: the read is the API's most frequent
# request, and building and keying its statement per call was ~5% of its CPU (Round 9).
_BY_ID = select(Shipment).where(col(Shipment.id) == bindparam("b_id"))
_BY_ID_IN_SCOPE = {"all": _BY_ID} | {kind: _BY_ID.where(owned) for kind, owned in _OWNED.items()}


# The filters compared with a value; with `unassigned_only` and `search` they make the shape
# of a list's query, and each shape gets one statement (below).
_VALUED_FILTERS = ("status", "date_from", "date_to", "driver_id")


@cache
def _list_statements(kind: str, shape: frozenset[str]) -> tuple[Select, Select]:
    """The page query and its count query for one scope kind (`_scope_of`) and one set of
    filters present, with every value a bind parameter. Built once per combination (at most
    4 x 64): building and keying the statement per call was ~6% of a list's CPU (Round 10)."""
    conditions: list[Any] = []
    if kind in _OWNED:
        conditions.append(_OWNED[kind])
    elif kind == "none":
        conditions.append(col(Shipment.id) == -1)  # an account without a profile sees nothing
    if "status" in shape:
        conditions.append(col(Shipment.status) == bindparam("b_status"))
    if "date_from" in shape:
        conditions.append(col(Shipment.service_date) >= bindparam("b_date_from"))
    if "date_to" in shape:
        conditions.append(col(Shipment.service_date) <= bindparam("b_date_to"))
    if "driver_id" in shape:
        conditions.append(col(Shipment.driver_id) == bindparam("b_driver_id"))
    if "unassigned_only" in shape:
        conditions.append(col(Shipment.driver_id).is_(None))
    if "search" in shape:
        pattern = bindparam("b_pattern", type_=String)
        conditions.append(
            or_(
                col(Shipment.tracking_code).ilike(pattern),
                col(Shipment.recipient_name).ilike(pattern),
                col(Shipment.pickup_address).ilike(pattern),
                col(Shipment.dropoff_address).ilike(pattern),
            )
        )
    # The pager's count rides along with the page as an uncorrelated scalar subquery
    # (PostgreSQL runs it once, as an InitPlan): one statement and one round trip per list
    # instead of two, and the count and the rows read from the same snapshot.
    bounded = (
        select(literal_column("1"))
        .select_from(Shipment)
        .where(*conditions)
        .limit(bindparam("b_count_limit", type_=Integer))
    ).subquery()
    counted = select(func.count()).select_from(bounded)
    page = (
        select(Shipment, counted.scalar_subquery())
        .where(*conditions)
        .order_by(col(Shipment.created_at).desc(), col(Shipment.id).desc())
        .offset(bindparam("b_offset", type_=Integer))
        .limit(bindparam("b_page_size", type_=Integer))
    )
    return page, counted


def list_shipments(
    session: Session, actor: Actor, filters: ShipmentFilter | dict | None = None
) -> ShipmentPage:
    if filters is None:
        filters = ShipmentFilter()
    elif isinstance(filters, dict):
        filters = parse(ShipmentFilter, filters)
    kind, owner = _scope_of(actor, Action.shipment_read)
    offset = (filters.page - 1) * filters.page_size
    limit = offset + COUNT_AHEAD
    params: dict[str, Any] = {
        "b_owner": owner,
        "b_offset": offset,
        "b_page_size": filters.page_size,
        "b_count_limit": limit + 1,
    }
    present = {name for name in _VALUED_FILTERS if getattr(filters, name) is not None}
    params.update({f"b_{name}": getattr(filters, name) for name in present})
    if filters.unassigned_only:
        present.add("unassigned_only")
    if filters.search:
        present.add("search")
        params["b_pattern"] = f"%{filters.search.replace('%', '').replace('_', '')}%"
    page, counted = _list_statements(kind, frozenset(present))
    rows = session.execute(page, params).all()
    # A page past the last match has no row to carry the count: ask for it alone.
    found: int = rows[0][1] if rows else session.execute(counted, params).scalar_one()
    total, exact = (found, True) if found <= limit else (limit, False)
    return ShipmentPage(
        items=[row[0] for row in rows],
        total=total,
        page=filters.page,
        page_size=filters.page_size,
        total_exact=exact,
    )


def get_shipment(
    session: Session, actor: Actor, shipment_id: int, action: Action = Action.shipment_read
) -> Shipment:
    kind, owner = _scope_of(actor, action)
    shipment = None  # an account without a profile sees nothing
    if kind in _BY_ID_IN_SCOPE:
        params = {"b_id": shipment_id} if owner is None else {"b_id": shipment_id, "b_owner": owner}
        shipment = session.execute(_BY_ID_IN_SCOPE[kind], params).scalars().first()
    if shipment is None:
        raise NotFound(f"Shipment {shipment_id} was not found.")
    return shipment


def history(session: Session, shipment_id: int) -> list[TrackingEvent]:
    return list(session.execute(_HISTORY, {"b_id": shipment_id}).scalars().all())


_HISTORY = (  # built once: each tracking page and shipment view reads it
    select(TrackingEvent)
    .where(col(TrackingEvent.shipment_id) == bindparam("b_id"))
    .order_by(col(TrackingEvent.occurred_at), col(TrackingEvent.id))
)


class Cancellation(BaseModel):
    """Why a booking was cancelled: free text kept for the customer and staff only."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason | None = None


def cancel_shipment(
    session: Session, actor: Actor, shipment_id: int, reason: str | None = None
) -> Shipment:
    # Checked here, not only in the API schema, so the web app gets the same rule.
    reason = parse(Cancellation, {"reason": reason}).reason or None
    shipment = get_shipment(session, actor, shipment_id, Action.shipment_cancel)
    require_transition(shipment, ShipmentStatus.cancelled)
    from logistics_ai.services.assignment import detach_from_route  # avoids an import cycle

    detach_from_route(session, shipment)
    transition(session, shipment, ShipmentStatus.cancelled, actor, note=reason or "Cancelled")
    return shipment
