"""Delivery price quote from distance and load."""

from __future__ import annotations

from logistics_ai.geo.distance import haversine_km

BASE_CENTS = 490
PER_KM_CENTS = 120
PER_KG_CENTS = 8
PER_M3_CENTS = 600
ROAD_FACTOR = 1.3  # straight-line distance under-estimates city driving by about a third


def quote_cents(
    pickup: tuple[float, float], dropoff: tuple[float, float], weight_kg: float, volume_m3: float
) -> int:
    road_km = haversine_km(pickup, dropoff) * ROAD_FACTOR
    return round(
        BASE_CENTS + PER_KM_CENTS * road_km + PER_KG_CENTS * weight_kg + PER_M3_CENTS * volume_m3
    )
