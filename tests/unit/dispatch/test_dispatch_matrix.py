from __future__ import annotations

import numpy as np
import pytest

from logistics_ai.dispatch.matrix import (
    ExplicitMatrix,
    HaversineMatrix,
    resolve,
)
from logistics_ai.dispatch.model import Location

AMSTERDAM = (52.3731, 4.8922)
ROTTERDAM = (51.9244, 4.4777)


def test_haversine_known_distance_and_speed() -> None:
    plain = HaversineMatrix(road_factor=1.0, speed_kmh=36.0)
    durations, distances = plain.matrix([AMSTERDAM, ROTTERDAM])
    assert distances.dtype == np.int64 and durations.dtype == np.int64
    assert distances[0, 0] == 0 and durations[1, 1] == 0
    # Great-circle Amsterdam centre - Rotterdam centre is about 57.1 km.
    assert 56_500 < distances[0, 1] < 57_700
    assert distances[0, 1] == distances[1, 0]
    # 36 km/h = 10 m/s
    assert abs(durations[0, 1] - distances[0, 1] / 10) <= 1


def test_road_factor_scales_distance() -> None:
    plain = HaversineMatrix(road_factor=1.0).matrix([AMSTERDAM, ROTTERDAM])[1]
    road = HaversineMatrix(road_factor=1.3).matrix([AMSTERDAM, ROTTERDAM])[1]
    assert abs(road[0, 1] - 1.3 * plain[0, 1]) <= 1


def test_haversine_cache_and_readonly() -> None:
    provider = HaversineMatrix()
    pts = [AMSTERDAM, ROTTERDAM, (52.0, 5.0)]
    first = provider.matrix(pts)
    second = provider.matrix(list(pts))
    assert first[0] is second[0]
    assert not first[0].flags.writeable  # a caller cannot corrupt the cached entry
    other = provider.matrix(pts[:2])
    assert other[0].shape == (2, 2)


def test_haversine_table_is_rectangular_and_consistent() -> None:
    provider = HaversineMatrix()
    pts = [AMSTERDAM, ROTTERDAM, (52.0, 5.0), (52.1, 4.9)]
    full_dur, full_dist = provider.matrix(pts)
    dur, dist = provider.table(pts[:1], pts)
    assert dur.shape == (1, 4)
    np.testing.assert_array_equal(dist[0], full_dist[0])
    np.testing.assert_array_equal(dur[0], full_dur[0])


def test_haversine_2000_points_builds() -> None:
    rng = np.random.default_rng(3)
    pts = [(52.3 + rng.random() * 0.1, 4.8 + rng.random() * 0.2) for _ in range(2000)]
    durations, distances = HaversineMatrix().matrix(pts)
    assert durations.shape == (2000, 2000)
    assert (np.diag(distances) == 0).all()


def test_resolve_dedupes_points_and_extends() -> None:
    a, b = Location.at(*AMSTERDAM), Location.at(*ROTTERDAM)
    resolved = resolve([a, b, Location.at(*AMSTERDAM)], HaversineMatrix())
    assert resolved.durations.shape == (2, 2)
    assert resolved.row(a) == 0 and resolved.row(b) == 1
    c = Location.at(52.0, 5.0)
    bigger = resolved.extend([c, a])
    assert bigger.durations.shape == (3, 3)
    direct = HaversineMatrix().matrix([AMSTERDAM, ROTTERDAM, (52.0, 5.0)])
    np.testing.assert_array_equal(bigger.durations, direct[0])
    np.testing.assert_array_equal(bigger.distances, direct[1])


def test_explicit_matrix_validation() -> None:
    with pytest.raises(ValueError):
        ExplicitMatrix(np.zeros((2, 3), dtype=np.int64), np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(ValueError):
        ExplicitMatrix(np.zeros((2, 2)), np.zeros((2, 2)))  # floats are refused
    m = ExplicitMatrix(np.eye(3, dtype=np.int64), np.eye(3, dtype=np.int64))
    with pytest.raises(ValueError):
        resolve([Location.row(5)], m)
    with pytest.raises(ValueError):
        resolve([Location.at(*AMSTERDAM)], m)
