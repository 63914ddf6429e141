"""Address lookup for booking forms and the API: one place that turns a miss into a field error."""

from __future__ import annotations

from logistics_ai.domain.validation import fail
from logistics_ai.geo.geocoder import AddressNotFound, GeocodeResult, geocode

MAX_ADDRESS_LENGTH = 300


def locate(address: str, *, field: str = "address") -> GeocodeResult:
    """Coordinates for `address`; a ValidationFailed naming `field` when it cannot be placed.

    Callers authenticate first (the API route and the booking form are signed-in only).
    """
    cleaned = address.strip()
    if not cleaned or len(cleaned) > MAX_ADDRESS_LENGTH:
        raise fail({field: f"must be 1 to {MAX_ADDRESS_LENGTH} characters"})
    try:
        return geocode(cleaned)
    except AddressNotFound as error:
        raise fail({field: str(error)}) from None
