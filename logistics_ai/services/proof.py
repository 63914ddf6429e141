"""Proof of delivery: upload (photo, signature, recipient name), read, require, erase.

Files go to the object store first and the database row second, in the caller's
transaction: if the transaction rolls back, the new files are deleted again; files replaced
by a new upload are deleted only after the commit. A failed upload therefore never leaves a
row pointing at nothing, and never marks anything delivered (that is a separate stop event).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from loguru import logger
from sqlalchemy import event
from sqlmodel import Session, col, select

from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import Conflict, DomainError, NotFound
from logistics_ai.domain.validation import fail
from logistics_ai.models import Customer, ProofOfDelivery, Shipment, ShipmentStatus, Stop
from logistics_ai.security import policy
from logistics_ai.security.policy import Action
from logistics_ai.services import audit, shipments, webhooks
from logistics_ai.settings import get_settings
from logistics_ai.storage import StorageError, get_store
from logistics_ai.storage.images import ImageRejected, clean_photo, clean_signature

ProofFile = Literal["photo", "thumbnail", "signature"]
MAX_SIGNATURE_BYTES = 512 * 1024
SIGNATURE_DATA_URL_PREFIX = "data:image/png;base64,"
MAX_NAME_LENGTH = 120


class PayloadTooLarge(DomainError):
    http_status = 413
    code = "payload_too_large"


class StorageUnavailable(DomainError):
    http_status = 503
    code = "storage_unavailable"


@dataclass(frozen=True)
class ProofLinks:
    proof: ProofOfDelivery
    photo_url: str | None
    thumbnail_url: str | None
    signature_url: str | None

    def __getattr__(self, name: str) -> object:
        # Reads of the proof's own fields (shipment_id, recipient_name...) pass through.
        return getattr(self.proof, name)


def _on_commit(session: Session, keys: list[str]) -> None:
    event.listen(session, "after_commit", lambda _s: _delete_quietly(keys), once=True)


def _on_rollback(session: Session, keys: list[str]) -> None:
    event.listen(session, "after_rollback", lambda _s: _delete_quietly(keys), once=True)


def _delete_quietly(keys: list[str]) -> None:
    store = get_store()
    for key in keys:
        try:
            store.delete(key)
        except StorageError:  # an orphan file is logged, never a reason to fail the request
            logger.warning("could not delete stored file {}", key)


def _shipment_for_driver(session: Session, actor: Actor, shipment_id: int) -> Shipment:
    # Drivers upload only for shipments on their own routes; staff for any; customers never.
    return shipments.get_shipment(session, actor, shipment_id, Action.stop_update)


def upload_proof(
    session: Session,
    actor: Actor,
    shipment_id: int,
    *,
    photo: bytes,
    signature: bytes | None = None,
    recipient_name: str | None = None,
    position: tuple[float, float] | None = None,
) -> ProofOfDelivery:
    shipment = _shipment_for_driver(session, actor, shipment_id)
    existing = session.exec(
        select(ProofOfDelivery).where(ProofOfDelivery.shipment_id == shipment_id)
    ).first()
    if shipment.status == ShipmentStatus.cancelled:
        raise Conflict("This shipment was cancelled; it takes no proof of delivery.")
    if shipment.status == ShipmentStatus.delivered and existing is not None:
        raise Conflict("This delivery already has its proof; it cannot be replaced.")
    limit = get_settings().proof_max_bytes
    if len(photo) > limit:
        raise PayloadTooLarge(
            f"The photo is larger than {limit // (1024 * 1024)} MB.",
            details={"fields": {"photo": f"must be at most {limit} bytes"}},
        )
    if not photo:
        raise fail({"photo": "take a photo of the delivered parcel"})
    if signature is not None and len(signature) > MAX_SIGNATURE_BYTES:
        raise fail({"signature": "the signature image is too large"})
    name = (recipient_name or "").strip() or None
    if name is not None and (len(name) > MAX_NAME_LENGTH or "\x00" in name):
        raise fail({"recipient_name": f"use at most {MAX_NAME_LENGTH} characters"})
    try:
        clean, thumbnail = clean_photo(photo)
        clean_sig = clean_signature(signature) if signature else None
    except ImageRejected as error:
        field = "signature" if signature and "signature" in str(error) else "photo"
        raise fail({field: str(error)}) from error

    folder = f"proofs/{shipment_id}/{uuid.uuid4().hex}"
    files = [
        (f"{folder}/photo.{clean.extension}", clean.data, clean.content_type),
        (f"{folder}/thumbnail.jpg", thumbnail.data, thumbnail.content_type),
    ]
    if clean_sig:
        files.append((f"{folder}/signature.png", clean_sig.data, clean_sig.content_type))
    stored: list[str] = []
    store = get_store()
    try:
        for key, data, content_type in files:
            store.put(key, data, content_type)
            stored.append(key)
    except StorageError as error:
        _delete_quietly(stored)
        raise StorageUnavailable(
            "The photo could not be stored right now; nothing was saved. Try again."
        ) from error
    _on_rollback(session, stored)

    proof = existing or ProofOfDelivery(shipment_id=shipment_id)
    if existing is not None:
        old = [k for k in (existing.photo_key, existing.thumbnail_key, existing.signature_key) if k]
        _on_commit(session, old)
    proof.photo_key, proof.thumbnail_key = files[0][0], files[1][0]
    proof.signature_key = files[2][0] if clean_sig else None
    proof.photo_content_type, proof.photo_bytes = clean.content_type, len(clean.data)
    proof.recipient_name = name
    proof.lat, proof.lon = position if position else (None, None)
    proof.uploaded_by_id = actor.user_id
    session.add(proof)
    audit.record(
        session,
        actor,
        "proof.uploaded",
        "shipment",
        shipment_id,
        {
            "photo_bytes": len(clean.data),
            "signature": clean_sig is not None,
            "replaced": existing is not None,
        },
    )
    webhooks.enqueue(
        session,
        "proof.uploaded",
        {"shipment_id": shipment_id, "tracking_code": shipment.tracking_code},
    )
    session.flush()
    return proof


def signature_from_data_url(data_url: str) -> bytes | None:
    """The PNG bytes of a signature pad's `canvas.toDataURL('image/png')` ("" means none).

    Only the transport is checked here; `upload_proof` re-encodes the image like any upload.
    """
    if not data_url:
        return None
    if not data_url.startswith(SIGNATURE_DATA_URL_PREFIX):
        raise fail({"signature": "the signature must be a PNG drawing"})
    encoded = data_url.removeprefix(SIGNATURE_DATA_URL_PREFIX)
    if len(encoded) > MAX_SIGNATURE_BYTES * 4 // 3 + 4:
        raise fail({"signature": "the signature image is too large"})
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise fail(
            {"signature": "the signature drawing is damaged; clear it and sign again"}
        ) from None


def upload_proof_for_stop(
    session: Session, actor: Actor, stop_id: int, **upload: Any
) -> ProofOfDelivery:
    """The driver app's entry: the proof for the shipment of one of the driver's stops."""
    stop = session.get(Stop, stop_id)
    if stop is None:
        raise NotFound(f"Stop {stop_id} was not found.")
    return upload_proof(session, actor, stop.shipment_id, **upload)


def has_proof(session: Session, shipment_id: int) -> bool:
    return (
        session.exec(
            select(ProofOfDelivery.id).where(ProofOfDelivery.shipment_id == shipment_id)
        ).first()
        is not None
    )


def _proof_for_reader(session: Session, actor: Actor, shipment_id: int) -> ProofOfDelivery:
    # The shipment's customer, its driver and staff: exactly who may read the shipment.
    shipments.get_shipment(session, actor, shipment_id)
    proof = session.exec(
        select(ProofOfDelivery).where(ProofOfDelivery.shipment_id == shipment_id)
    ).first()
    if proof is None:
        raise NotFound("This shipment has no proof of delivery yet.")
    return proof


def get_proof(session: Session, actor: Actor, shipment_id: int, *, route_base: str) -> ProofLinks:
    """The proof with links: presigned (S3) or the authorised API route (local store)."""
    proof = _proof_for_reader(session, actor, shipment_id)
    ttl = get_settings().proof_url_ttl_seconds
    store = get_store()

    def link(key: str | None, kind: str) -> str | None:
        if key is None:
            return None
        return store.presigned_url(key, ttl) or f"{route_base}/{kind}"

    return ProofLinks(
        proof=proof,
        photo_url=link(proof.photo_key, "photo"),
        thumbnail_url=link(proof.thumbnail_key, "thumbnail"),
        signature_url=link(proof.signature_key, "signature"),
    )


def read_proof_file(
    session: Session, actor: Actor, shipment_id: int, kind: ProofFile
) -> tuple[bytes, str]:
    proof = _proof_for_reader(session, actor, shipment_id)
    key, content_type = {
        "photo": (proof.photo_key, proof.photo_content_type or "image/jpeg"),
        "thumbnail": (proof.thumbnail_key, "image/jpeg"),
        "signature": (proof.signature_key, "image/png"),
    }[kind]
    if key is None:
        raise NotFound(f"This proof of delivery has no {kind}.")
    try:
        return get_store().get(key), content_type
    except KeyError as error:
        raise NotFound(f"The {kind} file is missing from the store.") from error
    except StorageError as error:
        raise StorageUnavailable("The file store is unavailable; try again.") from error


# --- requiring proof ----------------------------------------------------------------------


def set_shipment_requires_proof(
    session: Session, actor: Actor, shipment_id: int, required: bool
) -> Shipment:
    policy.require(actor, Action.shipment_assign)  # staff
    shipment = shipments.get_shipment(session, actor, shipment_id)
    shipment.requires_proof = required
    session.add(shipment)
    audit.record(
        session,
        actor,
        "shipment.proof_requirement",
        "shipment",
        shipment_id,
        {"required": required},
    )
    return shipment


def set_customer_requires_proof(
    session: Session, actor: Actor, customer_id: int, required: bool
) -> Customer:
    policy.require(actor, Action.shipment_assign)  # staff
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"Customer {customer_id} was not found.")
    customer.requires_proof = required
    session.add(customer)
    audit.record(
        session,
        actor,
        "customer.proof_requirement",
        "customer",
        customer_id,
        {"required": required},
    )
    return customer


# --- erasure (used by the privacy service on account deletion) -------------------------


def delete_proof_files(session: Session, *, customer_id: int) -> int:
    """Delete every proof file and row of a customer's shipments; returns rows removed.

    Rows go in the caller's transaction; files are deleted after it commits, so a failed
    erasure keeps both.
    """
    proofs = session.exec(
        select(ProofOfDelivery)
        .join(Shipment, col(Shipment.id) == ProofOfDelivery.shipment_id)
        .where(Shipment.customer_id == customer_id)
    ).all()
    keys = [
        key
        for proof in proofs
        for key in (proof.photo_key, proof.thumbnail_key, proof.signature_key)
        if key
    ]
    for proof in proofs:
        session.delete(proof)
    _on_commit(session, keys)
    return len(proofs)
