"""`python -m logistics_ai bench api`: latency of the key API calls against a running app.

Each endpoint is measured with the same client, concurrency and request count as a baseline
(`GET /healthz`, which touches neither the database nor auth), printed side by side, so the
cost of authentication and queries shows as a ratio. Every response must be a success; a
rate-limited or failed request aborts the run instead of flattering the figures.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _measure(
    name: str,
    call: Callable[[httpx.Client], httpx.Response],
    client: httpx.Client,
    requests: int,
    concurrency: int,
) -> dict[str, float | str]:
    def one(_: int) -> float:
        started = time.perf_counter()
        response = call(client)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code >= 300:
            raise SystemExit(f"{name}: HTTP {response.status_code} {response.text[:200]}")
        return elapsed

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = list(pool.map(one, range(requests)))
    wall = time.perf_counter() - started
    return {
        "name": name,
        "p50": statistics.median(latencies),
        "p95": _percentile(latencies, 0.95),
        "p99": _percentile(latencies, 0.99),
        "rps": requests / wall,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m logistics_ai bench api")
    parser.add_argument("--url", default="http://localhost:3000")
    parser.add_argument("--email", default="dispatcher@example.com")
    parser.add_argument("--password", default="logistics-demo")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args(argv)

    credentials = {"email": args.email, "password": args.password}
    with httpx.Client(base_url=args.url, timeout=30) as client:
        token = client.post("/api/v1/auth/token", json=credentials)
        if token.status_code != 200:
            print(f"login failed: HTTP {token.status_code} {token.text[:200]}")
            return 1
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        cases: list[tuple[str, Callable[[httpx.Client], httpx.Response]]] = [
            ("GET /healthz (baseline)", lambda c: c.get("/healthz")),
            ("POST /api/v1/auth/token", lambda c: c.post("/api/v1/auth/token", json=credentials)),
            ("GET /api/v1/shipments", lambda c: c.get("/api/v1/shipments", headers=auth)),
            (
                "GET /api/v1/shipments?status=requested&page_size=100",
                lambda c: c.get(
                    "/api/v1/shipments",
                    headers=auth,
                    params={"status": "requested", "page_size": 100},
                ),
            ),
        ]
        rows = [
            _measure(name, call, client, args.requests, args.concurrency) for name, call in cases
        ]
    baseline = rows[0]
    print(f"{args.requests} requests per endpoint, concurrency {args.concurrency}, {args.url}")
    print(
        f"{'endpoint':55} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8} {'p95 x base':>10}"
    )
    for row in rows:
        print(
            f"{row['name']:55} {row['p50']:8.1f} {row['p95']:8.1f} {row['p99']:8.1f} "
            f"{row['rps']:8.1f} {row['p95'] / baseline['p95']:10.1f}"
        )  # type: ignore[operator]
    return 0
