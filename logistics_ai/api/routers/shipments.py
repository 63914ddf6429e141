"""/shipments: book, list, read, cancel and assign, scoped by role and API-key scope."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Query, status

from logistics_ai.api.deps import ActorDep, ReadSessionDep, SessionDep, api_router
from logistics_ai.api.routers.common import ERRORS
from logistics_ai.api.schemas.shipments import AssignIn, CancelIn, ShipmentOut, ShipmentPage
from logistics_ai.models import ShipmentStatus
from logistics_ai.services import assignment, dispatch_insert, shipments
from logistics_ai.services.shipments import MAX_PAGE_SIZE, ShipmentCreate

router = api_router(prefix="/shipments", tags=["shipments"], responses=ERRORS)
ShipmentId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Book a shipment")
def create(body: ShipmentCreate, session: SessionDep, actor: ActorDep) -> ShipmentOut:
    return ShipmentOut.model_validate(shipments.create_shipment(session, actor, body))


@router.get("", summary="List shipments visible to the caller")
def list_(
    session: ReadSessionDep,
    actor: ActorDep,
    status_: Annotated[ShipmentStatus | None, Query(alias="status")] = None,
    date_from: date | None = None,
    date_to: date | None = None,
    search: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 25,
) -> ShipmentPage:
    filters = {
        "status": status_,
        "date_from": date_from,
        "date_to": date_to,
        "search": search,
        "page": page,
        "page_size": page_size,
    }
    return ShipmentPage.model_validate(shipments.list_shipments(session, actor, filters))


@router.get("/{shipment_id}", summary="One shipment")
def get(shipment_id: ShipmentId, session: ReadSessionDep, actor: ActorDep) -> ShipmentOut:
    return ShipmentOut.model_validate(shipments.get_shipment(session, actor, shipment_id))


@router.post("/{shipment_id}/cancel", summary="Cancel a shipment")
def cancel(
    shipment_id: ShipmentId, session: SessionDep, actor: ActorDep, body: CancelIn | None = None
) -> ShipmentOut:
    reason = body.reason if body else None
    return ShipmentOut.model_validate(
        shipments.cancel_shipment(session, actor, shipment_id, reason)
    )


@router.post("/{shipment_id}/assign", summary="Assign to a driver (dispatchers and admins)")
def assign(
    body: AssignIn, shipment_id: ShipmentId, session: SessionDep, actor: ActorDep
) -> ShipmentOut:
    return ShipmentOut.model_validate(
        assignment.assign_shipment(session, actor, shipment_id, body.driver_id)
    )


@router.post(
    "/{shipment_id}/unassign",
    summary="Take a shipment off its route, back to the unassigned queue (dispatchers, admins)",
)
def unassign(shipment_id: ShipmentId, session: SessionDep, actor: ActorDep) -> ShipmentOut:
    return ShipmentOut.model_validate(assignment.unassign_shipment(session, actor, shipment_id))


@router.post(
    "/{shipment_id}/auto-assign",
    summary="Insert into the live routes at the cheapest feasible place (dispatchers, admins)",
)
def auto_assign(shipment_id: ShipmentId, session: SessionDep, actor: ActorDep) -> ShipmentOut:
    return ShipmentOut.model_validate(
        dispatch_insert.auto_assign(session, actor, shipment_id).shipment
    )
