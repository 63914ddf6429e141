"""Address lookup for booking forms and the API: one place that turns a miss into a field error.

A miss is a 422 naming the field; several distinct matches are a 422 listing them (the caller
adds the neighbourhood or town); a provider that times out or fails is a 503 `Unavailable`
(nothing is booked, the client retries), never a 500.
"""

from __future__ import annotations

from loguru import logger

from logistics_ai.domain.errors import Unavailable
from logistics_ai.domain.validation import fail
from logistics_ai.geo.geocoder import (
    AddressNotFound,
    AmbiguousAddress,
    GeocodeResult,
    GeocoderUnavailable,
    Suggestion,
    geocode,
)
from logistics_ai.geo.geocoder import suggest as provider_suggest

MAX_ADDRESS_LENGTH = 300
# Shorter text matches too much to be worth a lookup (and a provider request).
MIN_SUGGEST_LENGTH = 3
MAX_SUGGESTIONS = 5

__all__ = ["MAX_ADDRESS_LENGTH", "Suggestion", "locate", "suggest"]


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
    except AmbiguousAddress as error:
        raise fail(
            {
                field: "several places match; add the town or neighbourhood: "
                + "; ".join(error.candidates)
            },
        ) from None
    except GeocoderUnavailable as error:
        logger.warning("geocoder unavailable: {}", error)  # the address itself is never logged
        raise Unavailable(
            "The address lookup is not answering right now; nothing was booked. "
            "Try again in a minute.",
            details={"field": field},
        ) from None


def suggest(text: str) -> list[Suggestion]:
    """Addresses the booking form offers while the customer types ([] for too little text).

    Blocking (a configured provider is an HTTP call): callers run it off the event loop. A
    provider that is not answering yields no suggestions rather than an error: the booking
    itself still reports it.
    """
    cleaned = text.strip()
    if len(cleaned) < MIN_SUGGEST_LENGTH or len(cleaned) > MAX_ADDRESS_LENGTH:
        return []
    try:
        return provider_suggest(cleaned, MAX_SUGGESTIONS)
    except GeocoderUnavailable as error:
        logger.warning("geocoder unavailable for suggestions: {}", error)
        return []
