"""A local HTTP server speaking Nominatim's search API (`/search?q=...&format=json`).

The tests drive geopy's real Nominatim client against it. Answers are chosen per query by the
test; a query listed in `slow` sleeps longer than the client's timeout.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


def place(lat: float, lon: float, display_name: str, importance: float = 0.5) -> dict[str, Any]:
    """One search result as Nominatim's `format=json` writes it (coordinates are strings)."""
    return {
        "place_id": abs(hash(display_name)) % 10**8,
        "licence": "Data (c) OpenStreetMap contributors, ODbL 1.0. https://osm.org/copyright",
        "osm_type": "way",
        "osm_id": abs(hash(display_name)) % 10**9,
        "lat": f"{lat:.7f}",
        "lon": f"{lon:.7f}",
        "class": "building",
        "type": "yes",
        "place_rank": 30,
        "importance": importance,
        "addresstype": "building",
        "name": "",
        "display_name": display_name,
        "boundingbox": [
            f"{lat - 0.0001:.7f}",
            f"{lat + 0.0001:.7f}",
            f"{lon - 0.0001:.7f}",
            f"{lon + 0.0001:.7f}",
        ],
    }


@dataclass
class NominatimServer:
    url: str
    answers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    slow: dict[str, float] = field(default_factory=dict)
    # (query, params, user agent) of every request, in arrival order.
    requests: list[tuple[str, dict[str, str], str]] = field(default_factory=list)

    def queries(self, q: str) -> int:
        return sum(1 for query, _, _ in self.requests if query == q)


@contextmanager
def nominatim_server() -> Iterator[NominatimServer]:
    state = NominatimServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(parts.query).items()}
            query = params.get("q", "")
            state.requests.append((query, params, self.headers.get("User-Agent", "")))
            if parts.path != "/search" or params.get("format") != "json":
                self.send_error(400, "unsupported request")
                return
            if query in state.slow:
                time.sleep(state.slow[query])
            body = json.dumps(state.answers.get(query, [])[: int(params.get("limit", "10"))])
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body.encode())))
                self.end_headers()
                self.wfile.write(body.encode())
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                pass

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
