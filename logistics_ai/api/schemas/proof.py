"""Proof of delivery: metadata and links (presigned or the authorised route)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from logistics_ai.api.schemas.common import Out


class ProofOut(Out):
    shipment_id: int
    recipient_name: str | None
    lat: float | None
    lon: float | None
    photo_content_type: str | None
    photo_bytes: int | None
    created_at: datetime
    photo_url: str | None
    thumbnail_url: str | None
    signature_url: str | None


class ProofRequirementIn(BaseModel):
    required: bool


class ProofRequirementOut(Out):
    id: int
    requires_proof: bool
