"""Travel-time and distance matrices.

A :class:`MatrixProvider` turns points ``(lat, lon)`` into integer matrices
``(durations_s, distances_m)``. Two providers ship here:

* :class:`HaversineMatrix` - great-circle distance times a road factor at a fixed
  speed; no network, vectorised numpy, LRU-cached.
* :class:`OsrmMatrix` - OSRM's ``/table`` service, chunked for large requests.

Benchmarks and tests use :class:`ExplicitMatrix` (given arrays, locations refer to
rows by index). :func:`resolve` maps the locations of a problem onto one square
matrix so every other module can work with plain row numbers.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from logistics_ai.dispatch.model import Location, Problem

IntMatrix = npt.NDArray[np.int64]
Point = tuple[float, float]  # (lat, lon)

EARTH_RADIUS_M = 6_371_000.0


@runtime_checkable
class MatrixProvider(Protocol):
    """Computes travel durations (s) and distances (m) between points."""

    def matrix(self, points: Sequence[Point]) -> tuple[IntMatrix, IntMatrix]:
        """Square ``(durations, distances)`` for ``points``; row = from, column = to."""
        ...

    def table(
        self, sources: Sequence[Point], destinations: Sequence[Point]
    ) -> tuple[IntMatrix, IntMatrix]:
        """Rectangular ``(durations, distances)``: ``len(sources) x len(destinations)``."""
        ...


@dataclass(frozen=True)
class ExplicitMatrix:
    """Given matrices; a :class:`Location` refers to a row with ``Location.row(i)``."""

    durations: IntMatrix
    distances: IntMatrix

    def __post_init__(self) -> None:
        d, m = np.asarray(self.durations), np.asarray(self.distances)
        if d.shape != m.shape or d.ndim != 2 or d.shape[0] != d.shape[1]:
            raise ValueError("durations and distances must be square and of equal shape")
        if not (np.issubdtype(d.dtype, np.integer) and np.issubdtype(m.dtype, np.integer)):
            raise ValueError("explicit matrices must be integer arrays")


MatrixSource = MatrixProvider | ExplicitMatrix


class _LruCache:
    """Tiny LRU for matrices keyed by the exact point list.

    ``functools.lru_cache`` would also work but holds ``self`` and makes the size per
    instance awkward; this keeps the cache per provider and returns read-only arrays
    so a caller cannot corrupt a cached entry.
    """

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[tuple[Point, ...], tuple[IntMatrix, IntMatrix]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[Point, ...]) -> tuple[IntMatrix, IntMatrix] | None:
        value = self._data.get(key)
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        self._data.move_to_end(key)
        return value

    def put(self, key: tuple[Point, ...], value: tuple[IntMatrix, IntMatrix]) -> None:
        for arr in value:
            arr.setflags(write=False)
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)


def _cached_square(
    provider: MatrixProvider, cache: _LruCache, points: Sequence[Point]
) -> tuple[IntMatrix, IntMatrix]:
    """A provider's square matrix for ``points``, computed once per distinct point list."""
    key = tuple((float(a), float(b)) for a, b in points)
    cached = cache.get(key)
    if cached is not None:
        return cached
    result = provider.table(key, key)
    cache.put(key, result)
    return result


class HaversineMatrix:
    """Straight-line (great-circle) distance x ``road_factor`` at ``speed_kmh``.

    ``road_factor`` approximates how much longer roads are than the crow flies
    (1.3 is a common urban figure); use 1.0 to reproduce plain haversine metres.
    """

    def __init__(
        self, road_factor: float = 1.3, speed_kmh: float = 30.0, cache_size: int = 8
    ) -> None:
        if road_factor <= 0 or speed_kmh <= 0:
            raise ValueError("road_factor and speed_kmh must be positive")
        self.road_factor = road_factor
        self.speed_kmh = speed_kmh
        self._cache = _LruCache(cache_size)

    def matrix(self, points: Sequence[Point]) -> tuple[IntMatrix, IntMatrix]:
        return _cached_square(self, self._cache, points)

    def table(
        self, sources: Sequence[Point], destinations: Sequence[Point]
    ) -> tuple[IntMatrix, IntMatrix]:
        src = np.radians(np.asarray(sources, dtype=np.float64).reshape(-1, 2))
        dst = np.radians(np.asarray(destinations, dtype=np.float64).reshape(-1, 2))
        lat1, lon1 = src[:, 0:1], src[:, 1:2]
        lat2, lon2 = dst[:, 0][None, :], dst[:, 1][None, :]
        # Haversine formula, broadcast to a (sources x destinations) grid.
        a = (
            np.sin((lat2 - lat1) / 2.0) ** 2
            + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2.0) ** 2
        )
        metres = 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
        metres *= self.road_factor
        seconds = metres / (self.speed_kmh / 3.6)
        return np.rint(seconds).astype(np.int64), np.rint(metres).astype(np.int64)


class OsrmError(RuntimeError):
    """OSRM could not be reached or refused the request."""


class OsrmMatrix:
    """OSRM ``/table/v1/{profile}`` client (stdlib ``urllib``; no extra dependency).

    Large requests are split into blocks of at most ``chunk_size`` sources x
    ``chunk_size`` destinations (OSRM's default ``--max-table-size`` is 100
    coordinates per request). Unroutable pairs (``null`` in the answer) become
    ``unreachable``, large enough that the solver and pre-checks avoid them.
    """

    def __init__(
        self,
        base_url: str,
        profile: str = "driving",
        chunk_size: int = 50,
        timeout_s: float = 30.0,
        unreachable: int = 10**8,
        cache_size: int = 8,
    ) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self.chunk_size = chunk_size
        self.timeout_s = timeout_s
        self.unreachable = unreachable
        self.requests_made = 0
        self._cache = _LruCache(cache_size)

    def matrix(self, points: Sequence[Point]) -> tuple[IntMatrix, IntMatrix]:
        return _cached_square(self, self._cache, points)

    def table(
        self, sources: Sequence[Point], destinations: Sequence[Point]
    ) -> tuple[IntMatrix, IntMatrix]:
        n, m = len(sources), len(destinations)
        durations = np.zeros((n, m), dtype=np.int64)
        distances = np.zeros((n, m), dtype=np.int64)
        step = self.chunk_size
        for i in range(0, n, step):
            for j in range(0, m, step):
                src, dst = sources[i : i + step], destinations[j : j + step]
                dur, dist = self._request(src, dst)
                durations[i : i + len(src), j : j + len(dst)] = dur
                distances[i : i + len(src), j : j + len(dst)] = dist
        return durations, distances

    def _request(
        self, sources: Sequence[Point], destinations: Sequence[Point]
    ) -> tuple[IntMatrix, IntMatrix]:
        coords = [*sources, *destinations]
        # OSRM wants lon,lat (not lat,lon) separated by ';'.
        path = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in coords)
        query = urllib.parse.urlencode(
            {
                "annotations": "duration,distance",
                "sources": ";".join(str(i) for i in range(len(sources))),
                "destinations": ";".join(str(len(sources) + j) for j in range(len(destinations))),
            },
            safe=";,",
        )
        url = f"{self.base_url}/table/v1/{self.profile}/{path}?{query}"
        self.requests_made += 1
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_s) as resp:
                body = resp.read()
        except urllib.error.HTTPError as exc:
            # OSRM answers errors with JSON {"code": ..., "message": ...}; surface it.
            detail = _osrm_message(exc.read())
            raise OsrmError(f"OSRM table request failed: HTTP {exc.code}: {detail}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise OsrmError(f"OSRM not reachable at {self.base_url}: {exc}") from exc
        try:
            payload = json.loads(body)
        except ValueError as exc:
            raise OsrmError("OSRM answered with invalid JSON") from exc
        if payload.get("code") != "Ok":
            raise OsrmError(f"OSRM table request failed: {_osrm_message(body)}")
        try:
            dur = self._to_int(payload["durations"], len(sources), len(destinations))
            dist = self._to_int(payload["distances"], len(sources), len(destinations))
        except (KeyError, TypeError, ValueError) as exc:
            raise OsrmError(
                "OSRM answer lacks durations/distances of the expected shape "
                "(does the server support annotations=duration,distance?)"
            ) from exc
        return dur, dist

    def _to_int(self, rows: list[list[float | None]], n: int, m: int) -> IntMatrix:
        arr = np.array(
            [[self.unreachable if x is None else x for x in row] for row in rows],
            dtype=np.float64,
        )
        if arr.shape != (n, m):
            raise ValueError(f"expected {n}x{m}, got {arr.shape}")
        return np.rint(arr).astype(np.int64)


def _osrm_message(body: bytes) -> str:
    try:
        payload = json.loads(body)
        return f"{payload.get('code', '?')}: {payload.get('message', '')}".strip()
    except ValueError:
        return body[:200].decode("utf-8", "replace")


# -- resolving the locations of a problem ------------------------------------------------------


@dataclass(frozen=True)
class ResolvedMatrix:
    """One square matrix covering every location of a problem.

    ``keys`` maps a location key (see :func:`location_key`) to its row.
    """

    durations: IntMatrix
    distances: IntMatrix
    keys: dict[tuple[float, ...], int]
    source: MatrixSource

    def row(self, loc: Location) -> int:
        try:
            return self.keys[location_key(loc)]
        except KeyError:
            raise KeyError(f"location {loc} is not in the resolved matrix") from None

    def extend(self, locations: Iterable[Location]) -> ResolvedMatrix:
        """Return a matrix that also covers ``locations`` (only new rows are computed)."""
        new = _unique_new(locations, self.keys)
        if not new:
            return self
        if isinstance(self.source, ExplicitMatrix):
            raise KeyError(f"location {new[0]} is not a row of the explicit matrix")
        old_pts = _points_of(self.keys)
        new_pts = [(loc.lat, loc.lon) for loc in new]
        n, k = len(old_pts), len(new_pts)
        dur = np.empty((n + k, n + k), dtype=np.int64)
        dist = np.empty((n + k, n + k), dtype=np.int64)
        dur[:n, :n], dist[:n, :n] = self.durations, self.distances
        all_pts = [*old_pts, *new_pts]
        # Only the new rows and columns are fetched: cheap even with OSRM.
        d_out, m_out = self.source.table(new_pts, all_pts)
        dur[n:, :], dist[n:, :] = d_out, m_out
        if n:
            d_in, m_in = self.source.table(old_pts, new_pts)
            dur[:n, n:], dist[:n, n:] = d_in, m_in
        keys = dict(self.keys)
        for i, loc in enumerate(new):
            keys[location_key(loc)] = n + i
        return ResolvedMatrix(dur, dist, keys, self.source)


def location_key(loc: Location) -> tuple[float, ...]:
    if loc.index is not None:
        return (float(loc.index),)
    if not loc.has_coordinates:
        raise ValueError("a location needs either lat/lon or a matrix index")
    return (loc.lat, loc.lon)


def _unique_new(
    locations: Iterable[Location], known: dict[tuple[float, ...], int]
) -> list[Location]:
    seen: set[tuple[float, ...]] = set()
    out: list[Location] = []
    for loc in locations:
        key = location_key(loc)
        if key not in known and key not in seen:
            seen.add(key)
            out.append(loc)
    return out


def _points_of(keys: dict[tuple[float, ...], int]) -> list[Point]:
    pts: list[Point] = [(math.nan, math.nan)] * len(keys)
    for key, i in keys.items():
        pts[i] = (key[0], key[1])
    return pts


def resolve(locations: Iterable[Location], source: MatrixSource | None) -> ResolvedMatrix:
    """Build the matrix for ``locations`` (duplicates share a row)."""
    src: MatrixSource = source if source is not None else HaversineMatrix()
    if isinstance(src, ExplicitMatrix):
        # Rows are given: keep the caller's array (no copy) and key rows by index.
        n = src.durations.shape[0]
        for loc in locations:
            if loc.index is None or not 0 <= loc.index < n:
                raise ValueError(f"location {loc} needs a row index into the {n}x{n} matrix")
        keys: dict[tuple[float, ...], int] = {(float(i),): i for i in range(n)}
        return ResolvedMatrix(
            np.asarray(src.durations, dtype=np.int64),
            np.asarray(src.distances, dtype=np.int64),
            keys,
            src,
        )
    unique = _unique_new(locations, {})
    for loc in unique:
        if loc.index is not None:
            raise ValueError("matrix-index locations need an ExplicitMatrix")
    points = [(loc.lat, loc.lon) for loc in unique]
    durations, distances = src.matrix(points) if points else (_empty(), _empty())
    keys = {location_key(loc): i for i, loc in enumerate(unique)}
    return ResolvedMatrix(durations, distances, keys, src)


def _empty() -> IntMatrix:
    return np.zeros((0, 0), dtype=np.int64)


def problem_locations(problem: Problem) -> list[Location]:
    """Every location a problem refers to (vehicle starts/ends, all stops)."""
    locs: list[Location] = []
    for v in problem.vehicles:
        locs.append(v.start)
        if v.end is not None:
            locs.append(v.end)
    locs.extend(visit.location for visit in problem.visits().values())
    return locs


def resolve_problem(problem: Problem) -> ResolvedMatrix:
    return resolve(problem_locations(problem), problem.matrix)
