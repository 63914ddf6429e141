"""/shipments: book, list, read, cancel and assign, scoped by role and API-key scope."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from logistics_ai.api.deps import current_actor
from logistics_ai.api.routers.common import ERRORS
from logistics_ai.api.schemas import AssignIn, CancelIn, ShipmentOut, ShipmentPageOut
from logistics_ai.db import session_scope
from logistics_ai.domain.actors import Actor
from logistics_ai.models import ShipmentStatus
from logistics_ai.services import assignment, dispatch_insert, shipments
from logistics_ai.services.shipments import MAX_PAGE_SIZE, ShipmentCreate

router = APIRouter(prefix="/shipments", tags=["shipments"], responses=ERRORS)
ShipmentId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post(
    "", response_model=ShipmentOut, status_code=status.HTTP_201_CREATED, summary="Book a shipment"
)
def create(body: ShipmentCreate, actor: Actor = Depends(current_actor)) -> ShipmentOut:
    with session_scope() as session:
        return ShipmentOut.of(shipments.create_shipment(session, actor, body))


@router.get("", response_model=ShipmentPageOut, summary="List shipments visible to the caller")
def list_(
    actor: Actor = Depends(current_actor),
    status_: ShipmentStatus | None = Query(default=None, alias="status"),
    date_from: date | None = None,
    date_to: date | None = None,
    search: str | None = Query(default=None, max_length=100),
    page: int = Query(default=1, ge=1, le=100_000),
    page_size: int = Query(default=25, ge=1, le=MAX_PAGE_SIZE),
) -> ShipmentPageOut:
    filters = {
        "status": status_,
        "date_from": date_from,
        "date_to": date_to,
        "search": search,
        "page": page,
        "page_size": page_size,
    }
    with session_scope() as session:
        result = shipments.list_shipments(session, actor, filters)
        return ShipmentPageOut(
            items=[ShipmentOut.of(s) for s in result.items],
            total=result.total,
            page=result.page,
            page_size=result.page_size,
            pages=result.pages,
        )


@router.get("/{shipment_id}", response_model=ShipmentOut, summary="One shipment")
def get(shipment_id: ShipmentId, actor: Actor = Depends(current_actor)) -> ShipmentOut:
    with session_scope() as session:
        return ShipmentOut.of(shipments.get_shipment(session, actor, shipment_id))


@router.post("/{shipment_id}/cancel", response_model=ShipmentOut, summary="Cancel a shipment")
def cancel(
    shipment_id: ShipmentId,
    body: CancelIn | None = None,
    actor: Actor = Depends(current_actor),
) -> ShipmentOut:
    with session_scope() as session:
        reason = body.reason if body else None
        return ShipmentOut.of(shipments.cancel_shipment(session, actor, shipment_id, reason))


@router.post(
    "/{shipment_id}/assign",
    response_model=ShipmentOut,
    summary="Assign to a driver (dispatchers and admins)",
)
def assign(
    body: AssignIn, shipment_id: ShipmentId, actor: Actor = Depends(current_actor)
) -> ShipmentOut:
    with session_scope() as session:
        return ShipmentOut.of(
            assignment.assign_shipment(session, actor, shipment_id, body.driver_id)
        )


@router.post(
    "/{shipment_id}/auto-assign",
    response_model=ShipmentOut,
    summary="Insert into the live routes at the cheapest feasible place (dispatchers, admins)",
)
def auto_assign(shipment_id: ShipmentId, actor: Actor = Depends(current_actor)) -> ShipmentOut:
    with session_scope() as session:
        return ShipmentOut.of(dispatch_insert.auto_assign(session, actor, shipment_id).shipment)
