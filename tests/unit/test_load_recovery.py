"""The capacity tool's recovery figure (loadtests/recovery.py), on hand-made request logs."""

from __future__ import annotations

from loadtests.recovery import Sample, recovery_seconds, windows


def _log(*per_second: list[tuple[float, bool]]) -> list[Sample]:
    """Samples completing at 100.0 + second + 0.5, the drop being at 100.0."""
    return [
        Sample(at=100.5 + second, ms=ms, failed=failed)
        for second, requests in enumerate(per_second)
        for ms, failed in requests
    ]


def test_recovered_after_the_last_window_that_breached() -> None:
    slow = [(1800.0, False)] * 10
    fast = [(40.0, False)] * 18 + [(120.0, False)] * 2  # the 19th of 20 is the p95
    judged = windows(_log(slow, slow, slow, fast, fast, fast), 100.0, 6)
    assert [w.requests for w in judged] == [10, 10, 10, 20, 20, 20]
    assert [w.p95_ms for w in judged] == [1800.0, 1800.0, 1800.0, 120.0, 120.0, 120.0]
    assert recovery_seconds(judged, 500.0) == 3.0


def test_a_failed_request_breaches_its_window_even_when_fast() -> None:
    fast = [(40.0, False)] * 20
    refused = [(2.0, True)] + [(40.0, False)] * 19
    judged = windows(_log(fast, refused, fast), 100.0, 3)
    assert [w.failures for w in judged] == [0, 1, 0]
    assert recovery_seconds(judged, 500.0) == 2.0


def test_p95_is_the_nearest_rank() -> None:
    # 20 requests: the 19th fastest is the 95th percentile; one outlier does not count.
    one_outlier = [(50.0, False)] * 19 + [(3000.0, False)]
    two_outliers = [(50.0, False)] * 18 + [(3000.0, False)] * 2
    judged = windows(_log(one_outlier, two_outliers), 100.0, 2)
    assert [w.p95_ms for w in judged] == [50.0, 3000.0]


def test_no_recovery_when_the_last_window_breached_or_nothing_followed() -> None:
    slow = [(900.0, False)] * 5
    fast = [(40.0, False)] * 5
    assert recovery_seconds(windows(_log(fast, slow), 100.0, 2), 500.0) is None
    assert recovery_seconds(windows(_log(slow, [], []), 100.0, 3), 500.0) is None


def test_held_from_the_start_is_zero_and_samples_outside_are_left_out() -> None:
    fast = [(40.0, False)] * 5
    samples = [Sample(at=99.0, ms=5000.0, failed=True), *_log(fast, fast)]
    samples.append(Sample(at=102.5, ms=5000.0, failed=True))  # after the 2 s observed
    judged = windows(samples, 100.0, 2)
    assert [w.requests for w in judged] == [5, 5]
    assert recovery_seconds(judged, 500.0) == 0.0
