"""Proof of delivery: multipart upload by the driver, reads by customer, driver and staff."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import File, Form, Path, Response, UploadFile
from fastapi.responses import JSONResponse

from logistics_ai.api.browser_session import DriverAppActorDep
from logistics_ai.api.deps import ActorDep, SessionDep, api_router
from logistics_ai.api.idempotency import IdempotencyKey, run_once
from logistics_ai.api.routers.common import ERRORS
from logistics_ai.api.schemas.proof import ProofOut, ProofRequirementIn, ProofRequirementOut
from logistics_ai.domain.validation import fail
from logistics_ai.services import idempotency, proof
from logistics_ai.settings import get_settings

router = api_router(tags=["proof of delivery"], responses=ERRORS)
ShipmentId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CustomerId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Photo = Annotated[UploadFile, File(description="JPEG, PNG, HEIC or WebP; checked by content")]
Signature = Annotated[UploadFile | None, File(description="Signature pad drawing (PNG)")]
RecipientName = Annotated[str | None, Form(max_length=120)]
Lat = Annotated[float | None, Form(ge=-90, le=90)]
Lon = Annotated[float | None, Form(ge=-180, le=180)]
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {**ERRORS[422], "description": "Photo larger than PROOF_MAX_BYTES"}
}


def _read_limited(upload: UploadFile, limit: int, field: str) -> bytes:
    # Read one byte past the limit so an oversized file is recognised without reading it all.
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise proof.PayloadTooLarge(
            f"The {field} is larger than {max(1, limit // (1024 * 1024))} MB.",
            details={"fields": {field: f"must be at most {limit} bytes"}},
        )
    return data


def _base(shipment_id: int) -> str:
    return f"/api/v1/shipments/{shipment_id}/proof"


@router.post(
    "/shipments/{shipment_id}/proof",
    status_code=201,
    response_model=ProofOut,
    summary="Upload the proof of delivery (multipart: photo, optional signature PNG, name)",
    responses=TOO_LARGE,
)
def upload(
    shipment_id: ShipmentId,
    photo: Photo,
    session: SessionDep,
    # Also the driver's same-origin cookie: the driver app's offline outbox replays proofs.
    actor: DriverAppActorDep,
    signature: Signature = None,
    recipient_name: RecipientName = None,
    lat: Lat = None,
    lon: Lon = None,
    idempotency_key: IdempotencyKey = None,
) -> ProofOut | JSONResponse:
    if (lat is None) != (lon is None):
        raise fail({"lat": "send both lat and lon, or neither"})
    photo_bytes = _read_limited(photo, get_settings().proof_max_bytes, "photo")
    signature_bytes = (
        _read_limited(signature, proof.MAX_SIGNATURE_BYTES, "signature") if signature else None
    )

    def work() -> ProofOut:
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
        return ProofOut.model_validate(links)

    fingerprint = idempotency.request_hash(
        str(shipment_id), photo_bytes, signature_bytes or b"", recipient_name or "", f"{lat},{lon}"
    )
    return run_once(session, actor, idempotency_key, "proof", fingerprint, 201, work)


@router.get(
    "/shipments/{shipment_id}/proof",
    summary="The proof of delivery (the shipment's customer, its driver, staff)",
)
def read(shipment_id: ShipmentId, session: SessionDep, actor: ActorDep) -> ProofOut:
    links = proof.get_proof(session, actor, shipment_id, route_base=_base(shipment_id))
    return ProofOut.model_validate(links)


@router.get(
    "/shipments/{shipment_id}/proof/{kind}",
    summary="A proof file (photo, thumbnail, signature) through an authorised route",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
def read_file(
    shipment_id: ShipmentId,
    kind: Literal["photo", "thumbnail", "signature"],
    session: SessionDep,
    actor: ActorDep,
) -> Response:
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
    summary="Require a proof before 'delivered' for one shipment (staff)",
)
def require_for_shipment(
    body: ProofRequirementIn, shipment_id: ShipmentId, session: SessionDep, actor: ActorDep
) -> ProofRequirementOut:
    shipment = proof.set_shipment_requires_proof(session, actor, shipment_id, body.required)
    return ProofRequirementOut.model_validate(shipment)


@router.put(
    "/customers/{customer_id}/proof-requirement",
    summary="Default proof requirement for a customer's new shipments (staff)",
)
def require_for_customer(
    body: ProofRequirementIn, customer_id: CustomerId, session: SessionDep, actor: ActorDep
) -> ProofRequirementOut:
    customer = proof.set_customer_requires_proof(session, actor, customer_id, body.required)
    return ProofRequirementOut.model_validate(customer)
