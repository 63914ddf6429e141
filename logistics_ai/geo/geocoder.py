"""Address -> coordinates with the offline gazetteer of the demo city.

An online geocoder (geopy) plugs in behind `geocode` with the geocoding issue.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from logistics_ai.geo import chicago_grid
from logistics_ai.geo.distance import haversine_km
from logistics_ai.geo.gazetteer import CITY, NEIGHBOURHOODS

# About 0.004 degrees of latitude is 450 m: offsets stay inside the neighbourhood.
_SPREAD_DEG = 0.004


@dataclass(frozen=True)
class GeocodeResult:
    lat: float
    lon: float
    label: str
    approximate: bool


class AddressNotFound(LookupError):
    pass


def offline_geocode(address: str) -> GeocodeResult:
    """Find the demo-city neighbourhood named in `address` and place it deterministically nearby;
    without one, place a street address on the city's address grid (chicago_grid)."""
    text = address.lower()
    for hood in sorted(NEIGHBOURHOODS, key=lambda h: -len(h.name)):
        if hood.name.lower() in text:
            digest = hashlib.sha256(address.strip().lower().encode()).digest()
            dx = (digest[0] / 255 - 0.5) * 2 * _SPREAD_DEG
            dy = (digest[1] / 255 - 0.5) * 2 * _SPREAD_DEG
            return GeocodeResult(
                lat=round(hood.lat + dy, 6),
                lon=round(hood.lon + dx * 1.35, 6),  # a degree of longitude is shorter at 42 N
                label=f"{hood.name}, {CITY}",
                approximate=True,
            )
    point = chicago_grid.locate(address.split(",")[0])
    if point is not None:
        hood = min(
            NEIGHBOURHOODS, key=lambda h: haversine_km((h.lat, h.lon), (point.lat, point.lon))
        )
        return GeocodeResult(point.lat, point.lon, f"near {hood.name}, {CITY}", approximate=True)
    names = ", ".join(h.name for h in NEIGHBOURHOODS[:6])
    raise AddressNotFound(f"Could not place this address. Include the neighbourhood, e.g. {names}.")


def geocode(address: str) -> GeocodeResult:
    return offline_geocode(address)
