"""/geocode: the address lookup the booking form uses, for API clients too."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from logistics_ai.api.deps import current_actor
from logistics_ai.api.routers.common import ERRORS
from logistics_ai.api.schemas import GeocodeOut
from logistics_ai.domain.actors import Actor
from logistics_ai.services import geocoding

router = APIRouter(prefix="/geocode", tags=["geocoding"], responses=ERRORS)


@router.get("", response_model=GeocodeOut, summary="Coordinates for an address")
def geocode(
    address: str = Query(min_length=1, max_length=geocoding.MAX_ADDRESS_LENGTH),
    actor: Actor = Depends(current_actor),
) -> GeocodeOut:
    return GeocodeOut.model_validate(geocoding.locate(address), from_attributes=True)
