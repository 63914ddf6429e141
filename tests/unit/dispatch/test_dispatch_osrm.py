"""OsrmMatrix against a real HTTP server speaking OSRM's table JSON (not a mock of our code)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from logistics_ai.dispatch.matrix import HaversineMatrix, OsrmError, OsrmMatrix, resolve
from logistics_ai.dispatch.model import Location

POINTS = [(52.37, 4.89), (52.38, 4.95), (52.35, 4.91), (52.40, 4.87), (52.33, 4.85)]
REFERENCE = HaversineMatrix(road_factor=1.0, speed_kmh=36.0)


class _FakeOsrm(BaseHTTPRequestHandler):
    """Implements GET /table/v1/driving/{lon,lat;...}?sources=..&destinations=..&annotations=..

    Answers like OSRM does: durations in seconds and distances in metres as floats,
    ``null`` for unroutable pairs, and errors as JSON with ``code``/``message``.
    """

    requests: list[str] = []
    unroutable: set[tuple[int, int]] = set()  # (from, to) pairs answered with null

    def do_GET(self) -> None:
        url = urlsplit(self.path)  # urlparse would cut the path at ";"
        type(self).requests.append(self.path)
        prefix = "/table/v1/driving/"
        if not url.path.startswith(prefix):
            return self._send(400, {"code": "InvalidUrl", "message": "URL string malformed"})
        try:
            coords = [tuple(map(float, c.split(","))) for c in url.path[len(prefix) :].split(";")]
        except ValueError:
            return self._send(400, {"code": "InvalidQuery", "message": "Query string malformed"})
        if any(not (-90 <= lat <= 90) for _, lat in coords):
            return self._send(400, {"code": "InvalidValue", "message": "Invalid coordinate value."})
        query = parse_qs(url.query)
        if query.get("annotations") != ["duration,distance"]:
            return self._send(400, {"code": "InvalidOptions", "message": "annotations"})
        src = [int(x) for x in query["sources"][0].split(";")] if "sources" in query else None
        dst = (
            [int(x) for x in query["destinations"][0].split(";")]
            if "destinations" in query
            else None
        )
        src = src if src is not None else list(range(len(coords)))
        dst = dst if dst is not None else list(range(len(coords)))
        points = [(lat, lon) for lon, lat in coords]
        durations, distances = REFERENCE.table([points[i] for i in src], [points[j] for j in dst])
        index = {p: i for i, p in enumerate(POINTS)}

        def cell(arr: np.ndarray, a: int, b: int) -> float | None:
            key = (index.get(points[src[a]], -1), index.get(points[dst[b]], -1))
            if key in type(self).unroutable:
                return None
            return float(arr[a, b]) + 0.3  # OSRM sends floats

        self._send(
            200,
            {
                "code": "Ok",
                "durations": [
                    [cell(durations, a, b) for b in range(len(dst))] for a in range(len(src))
                ],
                "distances": [
                    [cell(distances, a, b) for b in range(len(dst))] for a in range(len(src))
                ],
                "sources": [{"location": list(coords[i])} for i in src],
                "destinations": [{"location": list(coords[j])} for j in dst],
            },
        )
        return None

    def _send(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass


@pytest.fixture
def osrm_url() -> Iterator[str]:
    _FakeOsrm.requests = []
    _FakeOsrm.unroutable = set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOsrm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_osrm_matrix_matches_server_answer(osrm_url: str) -> None:
    durations, distances = OsrmMatrix(osrm_url).matrix(POINTS)
    ref_dur, ref_dist = REFERENCE.matrix(POINTS)
    assert durations.dtype == np.int64
    np.testing.assert_array_equal(distances, ref_dist)  # x + 0.3 rounds back to x
    np.testing.assert_array_equal(durations, ref_dur)
    # OSRM wants lon,lat order in the URL
    assert "/table/v1/driving/4.890000,52.370000;" in _FakeOsrm.requests[0]


def test_osrm_chunks_large_requests(osrm_url: str) -> None:
    provider = OsrmMatrix(osrm_url, chunk_size=2)
    _, distances = provider.matrix(POINTS)
    assert provider.requests_made == 9  # ceil(5/2) ** 2 blocks
    np.testing.assert_array_equal(distances, REFERENCE.matrix(POINTS)[1])
    # cached: no new requests
    provider.matrix(POINTS)
    assert provider.requests_made == 9


def test_osrm_table_and_resolve(osrm_url: str) -> None:
    provider = OsrmMatrix(osrm_url)
    dur, _ = provider.table(POINTS[:2], POINTS)
    assert dur.shape == (2, 5)
    resolved = resolve([Location.at(*p) for p in POINTS[:3]], provider)
    grown = resolved.extend([Location.at(*POINTS[4])])
    np.testing.assert_array_equal(grown.distances, REFERENCE.matrix([*POINTS[:3], POINTS[4]])[1])


def test_osrm_unroutable_pairs_become_large(osrm_url: str) -> None:
    _FakeOsrm.unroutable = {(0, 3)}
    durations, distances = OsrmMatrix(osrm_url, unreachable=10**8).matrix(POINTS)
    assert durations[0, 3] == 10**8 and distances[0, 3] == 10**8
    assert durations[3, 0] < 10**8


def test_osrm_error_response_raises_clear_error(osrm_url: str) -> None:
    provider = OsrmMatrix(osrm_url)
    with pytest.raises(OsrmError, match=r"HTTP 400: InvalidValue: Invalid coordinate value"):
        provider.matrix([(95.0, 4.0), (52.0, 4.0)])


def test_osrm_wrong_profile_path_raises(osrm_url: str) -> None:
    with pytest.raises(OsrmError, match="InvalidUrl"):
        OsrmMatrix(osrm_url, profile="bike").matrix(POINTS[:2])


def test_osrm_unreachable_server_raises() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOsrm)
    port = server.server_address[1]
    server.server_close()  # nothing listens on this port any more
    with pytest.raises(OsrmError, match="not reachable"):
        OsrmMatrix(f"http://127.0.0.1:{port}", timeout_s=2).matrix(POINTS[:2])


def test_solve_on_osrm_matrix(osrm_url: str) -> None:
    from logistics_ai.dispatch import Job, Problem, TimeWindow, Vehicle, check_solution, solve

    depot = Location.at(*POINTS[0])
    jobs = [Job(f"j{i}", Location.at(*p), service_s=60) for i, p in enumerate(POINTS[1:])]
    van = Vehicle("v", (), depot, depot, shift=TimeWindow(0, 36_000))
    problem = Problem(jobs, [van], matrix=OsrmMatrix(osrm_url), max_iterations=50, seed=1)
    solution = solve(problem)
    assert not solution.unassigned
    assert check_solution(problem, solution).ok
    assert solution.distance > 0
