import pytest

from logistics_ai.geo.distance import haversine_km
from logistics_ai.geo.gazetteer import DEPOT, NEIGHBOURHOODS
from logistics_ai.geo.geocoder import AddressNotFound, offline_geocode
from logistics_ai.services.pricing import quote_cents
from logistics_ai.services.public_tracking import city_of
from logistics_ai.services.tracking_codes import (
    looks_like_tracking_code,
    new_tracking_code,
    normalize_tracking_code,
)


def test_haversine_known_distance() -> None:
    # Chicago Loop to Hyde Park is about 10.6 km in a straight line.
    assert haversine_km((41.8837, -87.6289), (41.7943, -87.5907)) == pytest.approx(10.5, abs=0.3)


def test_offline_geocoder_places_addresses_in_their_neighbourhood() -> None:
    result = offline_geocode("1200 N Clark St, Lincoln Park, Chicago, IL")
    lincoln_park = next(h for h in NEIGHBOURHOODS if h.name == "Lincoln Park")
    assert haversine_km((result.lat, result.lon), (lincoln_park.lat, lincoln_park.lon)) < 1.0
    assert result == offline_geocode("1200 N Clark St, Lincoln Park, Chicago, IL")  # deterministic
    with pytest.raises(AddressNotFound, match="neighbourhood"):
        offline_geocode("10 Downing Street, London")


def test_demo_city_is_compact() -> None:
    depot = (DEPOT[2], DEPOT[3])
    assert all(haversine_km(depot, (h.lat, h.lon)) < 25 for h in NEIGHBOURHOODS)


def test_tracking_codes() -> None:
    codes = {new_tracking_code() for _ in range(5000)}
    assert len(codes) == 5000
    assert all(looks_like_tracking_code(c) for c in codes)
    assert normalize_tracking_code(" la-abcd efgh 2345 ") == "LAABCDEFGH2345"
    assert not looks_like_tracking_code("LA123")
    assert not looks_like_tracking_code("LAIIIIOOOOUUUU")  # ambiguous letters never appear


def test_city_of_hides_the_street() -> None:
    assert city_of("1200 N Clark St, Lincoln Park, Chicago, IL") == "Chicago"
    assert city_of("Main St, Springfield") == "Springfield"


def test_price_grows_with_distance_and_weight() -> None:
    near = quote_cents((41.88, -87.63), (41.89, -87.63), 1, 0.1)
    far = quote_cents((41.88, -87.63), (41.79, -87.59), 1, 0.1)
    heavy = quote_cents((41.88, -87.63), (41.89, -87.63), 500, 0.1)
    assert 490 < near < far and near < heavy
