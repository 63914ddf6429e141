"""/shipments: book, list, read, cancel and assign, scoped by role and API-key scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, status

from logistics_ai.api.deps import ActorDep, ReadSessionDep, SessionDep, api_router
from logistics_ai.api.query_model import query_model
from logistics_ai.api.routers.common import ERRORS
from logistics_ai.api.schemas.shipments import AssignIn, CancelIn, ShipmentOut, ShipmentPage
from logistics_ai.services import assignment, dispatch_insert, shipments
from logistics_ai.services.shipments import ShipmentCreate, ShipmentFilter

router = api_router(prefix="/shipments", tags=["shipments"], responses=ERRORS)
ShipmentId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Book a shipment")
def create(body: ShipmentCreate, session: SessionDep, actor: ActorDep) -> ShipmentOut:
    return ShipmentOut.model_validate(shipments.create_shipment(session, actor, body))


# The service's own filter model is the query's schema: its limits have one home, the query
# is validated once, and an unknown parameter (a typo such as `stauts`) is a 422 naming it
# rather than a filter silently ignored.
read_filters, filters_documented = query_model(ShipmentFilter)


@router.get("", summary="List shipments visible to the caller", openapi_extra=filters_documented)
def list_(
    session: ReadSessionDep,
    actor: ActorDep,
    filters: Annotated[ShipmentFilter, Depends(read_filters)],
) -> ShipmentPage:
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
