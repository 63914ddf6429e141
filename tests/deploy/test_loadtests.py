"""The SLA gate and the endpoint filter of the Locust suites (no traffic sent)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field

from loadtests import sla
from tests.deploy.conftest import ROOT


@dataclass
class FakeEntry:
    name: str
    num_requests: int
    num_failures: int
    times: list[int] = field(default_factory=list)
    method: str | None = None

    def get_response_time_percentile(self, percent: float) -> int:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, int(percent * len(ordered)))]

    @property
    def total_rps(self) -> float:
        return self.num_requests / 60


def test_sla_file_matches_the_objectives() -> None:
    objectives = sla.load_sla()
    for objective in (objectives.aggregate, objectives.endpoint):
        assert (objective.p95_ms, objective.p99_ms, objective.max_error_rate) == (500, 1500, 0.001)


def test_gate_passes_fast_clean_traffic() -> None:
    entry = FakeEntry("GET /api/v1/track/[code]", 1000, 0, [20] * 990 + [300] * 10)
    rows = sla.evaluate([entry], FakeEntry("Aggregated", 1000, 0, entry.times), sla.load_sla())
    assert sla.passed(rows)
    report = sla.format_report(rows, users=50, peak_users=50, duration_s=60)
    assert "SLA PASSED" in report and "p95" in report


def test_gate_fails_on_slow_p95_or_errors_per_endpoint() -> None:
    slow = FakeEntry("GET /slow", 100, 0, [600] * 100)
    few = FakeEntry("GET /rare", 3, 0, [900] * 3)  # too few samples: percentiles not judged
    failing = FakeEntry("GET /flaky", 1000, 2, [10] * 1000)
    total = FakeEntry("Aggregated", 3000, 2, [10] * 3000)
    rows = sla.evaluate([slow, failing, few], total, sla.load_sla())
    assert not sla.passed(rows)
    breaches = {row.name: row.breaches for row in rows}
    assert any("p95" in b for b in breaches["GET /slow"])
    assert any("errors" in b for b in breaches["GET /flaky"])
    assert breaches["Aggregated"] == ()
    assert breaches["GET /rare"] == ()


def test_no_requests_is_a_breach_and_emptied_entries_are_left_out() -> None:
    emptied = FakeEntry("POST /api/v1/auth/token", 0, 0, [0])  # after --reset-stats
    rows = sla.evaluate([emptied], FakeEntry("Aggregated", 0, 0, [0]), sla.load_sla())
    assert [row.name for row in rows] == ["Aggregated"]
    assert not sla.passed(rows)


# Importing locust monkey-patches the standard library with gevent, which must never happen
# inside the pytest process: the user classes are checked in a subprocess.
USERS_CHECK = """
from loadtests.endpoints import Availability, restrict_to_available
from loadtests.users import CustomerUser, DispatcherUser, DriverUser

classes = [CustomerUser, DriverUser, DispatcherUser]
assert CustomerUser.weight > DriverUser.weight > DispatcherUser.weight
for user in classes:
    assert user.wait_time is not None
    for t in user.tasks:
        assert hasattr(t, "endpoint"), (user.__name__, t.__name__)
saved = {c: list(c.tasks) for c in classes}

served = Availability(operations={("GET", "/api/v1/track/{tracking_code}")}, pages=True)
kept, report = restrict_to_available(classes, served)
assert kept == [CustomerUser, DispatcherUser], kept  # the dispatcher still opens the board page
assert {t.__name__ for t in CustomerUser.tasks} == {"track", "track_page"}
assert any("skipped (endpoint not served yet)" in line for line in report), report

for c in classes:
    c.tasks = list(saved[c])
served = Availability(
    operations={("GET", "/api/v1/shipments"), ("POST", "/api/v1/auth/token")}, pages=False
)
kept, _ = restrict_to_available(classes, served)
assert {t.__name__ for t in DispatcherUser.tasks} == {"list_shipments", "filter_shipments"}
assert DriverUser not in kept
print("users ok")
"""


def test_user_classes_and_the_endpoint_filter() -> None:
    result = subprocess.run(
        [sys.executable, "-c", USERS_CHECK],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "users ok" in result.stdout


def test_locustfile_loads_and_lists_the_user_classes() -> None:
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "locust"), "-f", "loadtests/locustfile.py", "--list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for name in ("CustomerUser", "DriverUser", "DispatcherUser"):
        assert name in result.stdout
