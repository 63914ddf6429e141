"""Proof of delivery: multipart upload by the driver, reads by customer, driver and staff."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Response, UploadFile

from logistics_ai.api.deps import current_actor
from logistics_ai.api.routers.common import ERRORS
from logistics_ai.api.schemas.proof import ProofOut, ProofRequirementIn, ProofRequirementOut
from logistics_ai.db import session_scope
from logistics_ai.domain.actors import Actor
from logistics_ai.domain.validation import fail
from logistics_ai.services import proof
from logistics_ai.settings import get_settings

router = APIRouter(tags=["proof of delivery"], responses=ERRORS)
ShipmentId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _read_limited(upload: UploadFile, limit: int, field: str) -> bytes:
    # Read one byte past the limit so an oversized file is recognised without reading it all.
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise proof.PayloadTooLarge(
            f"The {field} is larger than {limit // (1024 * 1024) or 1} MB.",
            details={"fields": {field: f"must be at most {limit} bytes"}},
        )
    return data


def _base(shipment_id: int) -> str:
    return f"/api/v1/shipments/{shipment_id}/proof"


@router.post(
    "/shipments/{shipment_id}/proof",
    response_model=ProofOut,
    status_code=201,
    summary="Upload the proof of delivery (multipart: photo, optional signature PNG, name)",
    responses={413: ERRORS[422] | {"description": "Photo larger than PROOF_MAX_BYTES"}},
)
def upload(
    shipment_id: ShipmentId,
    photo: UploadFile = File(description="JPEG, PNG, HEIC or WebP; checked by content"),
    signature: UploadFile | None = File(default=None, description="Signature pad PNG"),
    recipient_name: str | None = Form(default=None, max_length=120),
    lat: float | None = Form(default=None, ge=-90, le=90),
    lon: float | None = Form(default=None, ge=-180, le=180),
    actor: Actor = Depends(current_actor),
) -> ProofOut:
    if (lat is None) != (lon is None):
        raise fail({"lat": "send both lat and lon, or neither"})
    photo_bytes = _read_limited(photo, get_settings().proof_max_bytes, "photo")
    signature_bytes = (
        _read_limited(signature, proof.MAX_SIGNATURE_BYTES, "signature") if signature else None
    )
    with session_scope() as session:
        proof.upload_proof(
            session,
            actor,
            shipment_id,
            photo=photo_bytes,
            signature=signature_bytes or None,
            recipient_name=recipient_name,
            position=(lat, lon) if lat is not None and lon is not None else None,
        )
        links = proof.get_proof(session, actor, shipment_id, route_base=_base(shipment_id))
        return ProofOut.model_validate(links, from_attributes=True)


@router.get(
    "/shipments/{shipment_id}/proof",
    response_model=ProofOut,
    summary="The proof of delivery (the shipment's customer, its driver, staff)",
)
def read(shipment_id: ShipmentId, actor: Actor = Depends(current_actor)) -> ProofOut:
    with session_scope() as session:
        links = proof.get_proof(session, actor, shipment_id, route_base=_base(shipment_id))
        return ProofOut.model_validate(links, from_attributes=True)


@router.get(
    "/shipments/{shipment_id}/proof/{kind}",
    summary="A proof file (photo, thumbnail, signature) through an authorised route",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
def read_file(
    shipment_id: ShipmentId,
    kind: Literal["photo", "thumbnail", "signature"],
    actor: Actor = Depends(current_actor),
) -> Response:
    with session_scope() as session:
        data, content_type = proof.read_proof_file(session, actor, shipment_id, kind)
    return Response(
        data,
        media_type=content_type,
        headers={
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'inline; filename="{kind}"',
        },
    )


@router.put(
    "/shipments/{shipment_id}/proof-requirement",
    response_model=ProofRequirementOut,
    summary="Require a proof before 'delivered' for one shipment (staff)",
)
def require_for_shipment(
    body: ProofRequirementIn, shipment_id: ShipmentId, actor: Actor = Depends(current_actor)
) -> ProofRequirementOut:
    with session_scope() as session:
        shipment = proof.set_shipment_requires_proof(session, actor, shipment_id, body.required)
        return ProofRequirementOut.model_validate(shipment, from_attributes=True)


@router.put(
    "/customers/{customer_id}/proof-requirement",
    response_model=ProofRequirementOut,
    summary="Default proof requirement for a customer's new shipments (staff)",
)
def require_for_customer(
    body: ProofRequirementIn,
    customer_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    actor: Actor = Depends(current_actor),
) -> ProofRequirementOut:
    with session_scope() as session:
        customer = proof.set_customer_requires_proof(session, actor, customer_id, body.required)
        return ProofRequirementOut.model_validate(customer, from_attributes=True)
