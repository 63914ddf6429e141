"""/geocode: the address lookup the booking form uses, for API clients too."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from logistics_ai.api.deps import ActorDep, api_router
from logistics_ai.api.routers.common import ERRORS
from logistics_ai.api.schemas.geocoding import GeocodeOut
from logistics_ai.services import geocoding

router = api_router(prefix="/geocode", tags=["geocoding"], responses=ERRORS)


@router.get("", summary="Coordinates for an address")
def geocode(
    address: Annotated[str, Query(min_length=1, max_length=geocoding.MAX_ADDRESS_LENGTH)],
    actor: ActorDep,
) -> GeocodeOut:
    return GeocodeOut.model_validate(geocoding.locate(address))
