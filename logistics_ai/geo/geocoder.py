"""Address -> coordinates: the offline gazetteer of the demo city, or Nominatim through geopy.

`GEOCODER=offline` (the embedded default) needs no network. `GEOCODER=nominatim` asks a
Nominatim server (`GEOCODER_URL`, the public one or your own) through geopy's client, one
request at a time per process at most every `GEOCODER_MIN_DELAY_SECONDS` (the public server's
usage policy allows 1 request/s and requires an identifying `GEOCODER_USER_AGENT`), with
geopy's retries, and answers cached in the key-value store (Redis when configured, so every
replica shares them) for `GEOCODER_CACHE_TTL_SECONDS`. Only found and not-found answers are
cached; a timeout or an outage never is.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, Protocol
from urllib.parse import urlsplit

from geopy.adapters import RequestsAdapter
from geopy.exc import GeocoderServiceError, GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim

from logistics_ai import kvstore
from logistics_ai.geo import chicago_grid
from logistics_ai.geo.distance import haversine_km
from logistics_ai.geo.gazetteer import CITY, NEIGHBOURHOODS, REGION
from logistics_ai.settings import get_settings

# About 0.004 degrees of latitude is 450 m: offsets stay inside the neighbourhood.
_SPREAD_DEG = 0.004


@dataclass(frozen=True)
class GeocodeResult:
    lat: float
    lon: float
    label: str
    approximate: bool


@dataclass(frozen=True)
class Suggestion:
    """An address to book as it stands (`address`), where the geocoder places it, and a label."""

    address: str
    label: str
    lat: float
    lon: float


class AddressNotFound(LookupError):
    pass


class AmbiguousAddress(LookupError):
    """Several distinct places match; `candidates` are their labels, best first."""

    def __init__(self, candidates: tuple[str, ...]) -> None:
        super().__init__("Several places match this address: " + "; ".join(candidates))
        self.candidates = candidates


class GeocoderUnavailable(RuntimeError):
    """The provider timed out or failed after its retries: the address may well exist."""


# Results further apart than this are different places ("Main St" in two towns), not the
# same place at two levels of detail (a building and its street).
AMBIGUOUS_KM = 1.0
MAX_CANDIDATES = 5


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


def offline_suggest(text: str, limit: int = MAX_CANDIDATES) -> list[Suggestion]:
    """Complete what was typed into addresses the offline geocoder places.

    "1200 N Clark St" becomes that street address in the neighbourhoods nearest its grid
    point; "1200 N Clark St, Linc" or "Lincoln" completes the neighbourhood name. Each
    suggestion is geocoded exactly as the booking will be, so the point shown is the point
    booked.
    """
    street, _, rest = (part.strip() for part in text.partition(","))
    fragment = (rest.split(",")[0] if rest else street).strip().lower()
    point = chicago_grid.locate(street)
    named = [h for h in NEIGHBOURHOODS if fragment and fragment in h.name.lower()]
    if point is not None:
        near = sorted(
            NEIGHBOURHOODS, key=lambda h: haversine_km((h.lat, h.lon), (point.lat, point.lon))
        )
        hoods = [h for h in near if h in named] or near
        addresses = [f"{street}, {h.name}, {CITY}, {REGION}" for h in hoods]
        if not named:  # the street address itself, placed on the grid, comes first
            addresses.insert(0, f"{street}, {CITY}, {REGION}")
    elif named and rest:  # "Some Street 5, Linc": keep the street, complete the neighbourhood
        addresses = [f"{street}, {h.name}, {CITY}, {REGION}" for h in named]
    else:
        addresses = [f"{h.name}, {CITY}, {REGION}" for h in named]
    suggestions = []
    for address in addresses[:limit]:
        place = offline_geocode(address)
        suggestions.append(Suggestion(address, place.label, place.lat, place.lon))
    return suggestions


class Geocoder(Protocol):
    def geocode(self, address: str) -> GeocodeResult: ...

    def suggest(self, text: str, limit: int) -> list[Suggestion]: ...


class OfflineGeocoder:
    def geocode(self, address: str) -> GeocodeResult:
        return offline_geocode(address)

    def suggest(self, text: str, limit: int) -> list[Suggestion]:
        return offline_suggest(text, limit)


class NominatimGeocoder:
    """geopy's Nominatim client behind geopy's RateLimiter (spacing and retries) and a cache."""

    def __init__(
        self,
        url: str,
        user_agent: str,
        *,
        timeout_s: float,
        retries: int,
        min_delay_s: float,
        cache_ttl_s: int,
        country_codes: str = "",
        store: kvstore.KeyValueStore | None = None,
    ) -> None:
        parts = urlsplit(url if "://" in url else f"https://{url}")
        self._client = Nominatim(
            domain=(parts.netloc + parts.path).rstrip("/"),
            scheme=parts.scheme,
            user_agent=user_agent,
            timeout=timeout_s,
            # Retries happen in one place, the RateLimiter below, so they keep the spacing
            # (requests' adapter would otherwise retry twice more on its own, unspaced).
            adapter_factory=partial(RequestsAdapter, max_retries=0),
        )
        self._lookup = RateLimiter(
            self._client.geocode,
            min_delay_seconds=min_delay_s,
            max_retries=retries,
            error_wait_seconds=max(min_delay_s, 0.5),
            swallow_exceptions=False,
        )
        self._country_codes = [c.strip() for c in country_codes.split(",") if c.strip()]
        self._cache_ttl_s = cache_ttl_s
        self._store = store
        self._cache_prefix = "geocode:nominatim:" + hashlib.sha256(url.encode()).hexdigest()[:8]

    def _answer(self, address: str) -> dict[str, Any]:
        """The provider's places for `address`, from the cache when it has them."""
        key = f"{self._cache_prefix}:{hashlib.sha256(address.lower().encode()).hexdigest()}"
        cached = self._store.get(key) if self._store else None
        answer: dict[str, Any] = json.loads(cached) if cached else self._ask(address)
        if self._store and not cached:
            self._store.set(key, json.dumps(answer), self._cache_ttl_s)
        return answer

    def suggest(self, text: str, limit: int) -> list[Suggestion]:
        """The provider's candidates, each bookable by its full label (the same cache and
        rate limit as a booking's lookup: a suggestion is one spaced, cached request)."""
        return [
            Suggestion(p["label"], p["label"], p["lat"], p["lon"])
            for p in self._answer(text)["places"][:limit]
        ]

    def geocode(self, address: str) -> GeocodeResult:
        answer = self._answer(address)
        if not answer["places"]:
            raise AddressNotFound("We could not find this address. Check the street and town.")
        places = [GeocodeResult(p["lat"], p["lon"], p["label"], False) for p in answer["places"]]
        first = places[0]
        others = [
            p
            for p in places[1:]
            if haversine_km((first.lat, first.lon), (p.lat, p.lon)) > AMBIGUOUS_KM
        ]
        if others:
            raise AmbiguousAddress(tuple(p.label for p in [first, *others]))
        return first

    def _ask(self, address: str) -> dict[str, Any]:
        try:
            found = self._lookup(
                address,
                exactly_one=False,
                limit=MAX_CANDIDATES,
                country_codes=self._country_codes or None,
            )
        except GeocoderServiceError as error:  # timeouts, 5xx, refused connections, 429
            raise GeocoderUnavailable(type(error).__name__) from None
        except GeopyError as error:  # a malformed answer
            raise GeocoderUnavailable(type(error).__name__) from None
        places = [
            {"lat": round(p.latitude, 6), "lon": round(p.longitude, 6), "label": p.address}
            for p in found or []
        ]
        return {"places": places}


@lru_cache(maxsize=1)
def get_geocoder() -> Geocoder:
    """The provider chosen by settings (one per process: the rate limiter is per instance)."""
    settings = get_settings()
    if settings.geocoder == "nominatim":
        return NominatimGeocoder(
            settings.geocoder_url,
            settings.geocoder_user_agent,
            timeout_s=settings.geocoder_timeout_seconds,
            retries=settings.geocoder_retries,
            min_delay_s=settings.geocoder_min_delay_seconds,
            cache_ttl_s=settings.geocoder_cache_ttl_seconds,
            country_codes=settings.geocoder_country_codes,
            store=kvstore.get_store(),
        )
    return OfflineGeocoder()


def geocode(address: str) -> GeocodeResult:
    return get_geocoder().geocode(address)


def suggest(text: str, limit: int = MAX_CANDIDATES) -> list[Suggestion]:
    return get_geocoder().suggest(text, limit)
