"""Evaluate Locust statistics against loadtests/sla.toml and print the gate report.

Locust has no percentile check flags, so the gate reads `environment.stats` (the in-process
statistics; the CSV files can miss the last second) when Locust quits.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

SLA_FILE = Path(__file__).with_name("sla.toml")


class StatsEntryLike(Protocol):
    name: str
    method: str | None
    num_requests: int
    num_failures: int

    def get_response_time_percentile(self, percent: float) -> int | float: ...

    @property
    def total_rps(self) -> float: ...


@dataclass(frozen=True)
class Objective:
    p95_ms: float
    p99_ms: float
    max_error_rate: float


@dataclass(frozen=True)
class Sla:
    aggregate: Objective
    endpoint: Objective
    overrides: dict[str, Objective]
    # Percentiles of an endpoint with fewer samples are reported, not judged (its p95 would be
    # its second-slowest request); its errors and the aggregate are always judged.
    min_samples: int = 50

    def for_endpoint(self, name: str) -> Objective:
        return self.overrides.get(name, self.endpoint)


@dataclass(frozen=True)
class Row:
    name: str
    requests: int
    failures: int
    error_rate: float
    p50: float
    p95: float
    p99: float
    rps: float
    breaches: tuple[str, ...]


def _objective(data: dict[str, Any], base: Objective | None = None) -> Objective:
    base_values = base.__dict__ if base else {}
    values = {**base_values, **data}
    return Objective(
        p95_ms=float(values["p95_ms"]),
        p99_ms=float(values["p99_ms"]),
        max_error_rate=float(values["max_error_rate"]),
    )


def load_sla(path: Path = SLA_FILE) -> Sla:
    data = tomllib.loads(path.read_text())
    endpoint = _objective(data["endpoint"])
    overrides = {
        name: _objective(values, endpoint) for name, values in data.get("endpoints", {}).items()
    }
    return Sla(
        aggregate=_objective(data["aggregate"]),
        endpoint=endpoint,
        overrides=overrides,
        min_samples=int(data.get("min_samples", 50)),
    )


def judge(name: str, entry: StatsEntryLike, objective: Objective, min_samples: int = 1) -> Row:
    requests = entry.num_requests
    failures = entry.num_failures
    error_rate = failures / requests if requests else 0.0
    p50 = entry.get_response_time_percentile(0.50) if requests else 0
    p95 = entry.get_response_time_percentile(0.95) if requests else 0
    p99 = entry.get_response_time_percentile(0.99) if requests else 0
    breaches = []
    if requests == 0:
        breaches.append("no requests")
    if requests >= min_samples:
        if p95 >= objective.p95_ms:
            breaches.append(f"p95 {p95:.0f} ms >= {objective.p95_ms:.0f}")
        if p99 >= objective.p99_ms:
            breaches.append(f"p99 {p99:.0f} ms >= {objective.p99_ms:.0f}")
    if error_rate >= objective.max_error_rate and failures:
        breaches.append(f"errors {error_rate:.3%} >= {objective.max_error_rate:.3%}")
    return Row(
        name, requests, failures, error_rate, p50, p95, p99, entry.total_rps, tuple(breaches)
    )


def evaluate(entries: list[StatsEntryLike], total: StatsEntryLike, sla: Sla) -> list[Row]:
    """One row per endpoint (sorted by name), then the aggregate row named 'Aggregated'."""
    rows = [
        judge(_entry_name(entry), entry, sla.for_endpoint(_entry_name(entry)), sla.min_samples)
        for entry in sorted(entries, key=_entry_name)
        if entry.num_requests  # entries emptied by --reset-stats (e.g. the ramp-up's logins)
    ]
    rows.append(judge("Aggregated", total, sla.aggregate))
    return rows


def _entry_name(entry: StatsEntryLike) -> str:
    # Request names already carry the method ("GET /api/v1/track/[code]").
    return entry.name


def format_report(
    rows: list[Row], users: int, peak_users: int, duration_s: float, min_samples: int = 1
) -> str:
    header = (
        f"{'endpoint':<44} {'reqs':>7} {'fails':>6} {'err%':>7} {'p50':>6} {'p95':>6} "
        f"{'p99':>6} {'rps':>7}  verdict"
    )
    lines = ["", "=== SLA gate (loadtests/sla.toml) ===", header, "-" * len(header)]
    for row in rows:
        if row.name == "Aggregated":
            lines.append("-" * len(header))
        verdict = "ok" if not row.breaches else "BREACH: " + "; ".join(row.breaches)
        if not row.breaches and row.name != "Aggregated" and row.requests < min_samples:
            verdict = f"ok (errors only: < {min_samples} samples for percentiles)"
        lines.append(
            f"{row.name[:44]:<44} {row.requests:>7} {row.failures:>6} {row.error_rate:>7.3%} "
            f"{row.p50:>6.0f} {row.p95:>6.0f} {row.p99:>6.0f} {row.rps:>7.1f}  {verdict}"
        )
    lines.append(
        f"concurrent users: {users} at the end, {peak_users} at peak; measured {duration_s:.0f} s"
    )
    passed = all(not row.breaches for row in rows)
    lines.append(f"SLA {'PASSED' if passed else 'FAILED'}")
    return "\n".join(lines)


def passed(rows: list[Row]) -> bool:
    return bool(rows) and all(not row.breaches for row in rows)
