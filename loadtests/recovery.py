"""How long the API takes to serve within the SLA again after an overload ends.

Issue 8: "full recovery within 10 s" once load drops from twice capacity. `python -m
loadtests.capacity --recovery-users N` drops to N users after its last step and records every
request that completes afterwards; this module judges them in 1 s windows from the moment of
the drop. The recovery time is the end of the last window that breached (aggregate p95 at or
over the SLA's, or any failed request), provided later windows held; a window with no request
neither breaches nor holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from loadtests.realtime_measure import percentile


@dataclass(frozen=True)
class Sample:
    at: float  # when the request completed (seconds, same clock as the drop)
    ms: float  # its response time
    failed: bool


@dataclass(frozen=True)
class Window:
    start_s: float  # from the drop
    requests: int
    p95_ms: float
    failures: int

    def holds(self, p95_limit_ms: float) -> bool:
        return self.failures == 0 and self.p95_ms < p95_limit_ms


def windows(samples: list[Sample], dropped_at: float, seconds: float) -> list[Window]:
    """Per 1 s window from the drop, over `seconds` (samples outside it are left out)."""
    count = int(seconds)
    buckets: list[list[Sample]] = [[] for _ in range(count)]
    for sample in samples:
        index = int(sample.at - dropped_at)
        if sample.at - dropped_at >= 0 and index < count:
            buckets[index].append(sample)
    return [
        Window(
            start_s=float(i),
            requests=len(bucket),
            p95_ms=percentile([s.ms for s in bucket], 95) or 0.0,  # nearest rank
            failures=sum(1 for s in bucket if s.failed),
        )
        for i, bucket in enumerate(buckets)
    ]


def recovery_seconds(judged: list[Window], p95_limit_ms: float) -> float | None:
    """Seconds from the drop until every later window held; None if the last one breached."""
    breached = [w for w in judged if w.requests and not w.holds(p95_limit_ms)]
    if not breached:
        return 0.0
    last = breached[-1]
    if last is judged[-1] or not any(w.requests for w in judged if w.start_s > last.start_s):
        return None
    return last.start_s + 1.0
