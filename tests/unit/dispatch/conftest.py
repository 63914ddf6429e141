"""Shared fixtures for the routing-engine tests (small, seeded, deterministic)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:  # the project is not installed as a package (uv package=false)
    sys.path.insert(0, str(REPO))

from logistics_ai.dispatch.matrix import ExplicitMatrix  # noqa: E402

ROUTING_DATA = REPO.parent / "shared" / "routing"

GridFactory = Callable[[Sequence[tuple[float, float]]], ExplicitMatrix]


def grid_matrix(points: Sequence[tuple[float, float]], speed: float = 1.0) -> ExplicitMatrix:
    """Euclidean distances between ``points`` (metres); travel time = distance / speed."""
    xy = np.asarray(points, dtype=float)
    dist = np.rint(np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))).astype(np.int64)
    dur = np.rint(dist / speed).astype(np.int64)
    return ExplicitMatrix(dur, dist)


@pytest.fixture
def grid() -> GridFactory:
    return grid_matrix


@pytest.fixture
def routing_data() -> Path:
    # The shared benchmark data sits beside the checkout (../shared/routing), in CI too; a
    # missing copy is a broken setup, not a reason to skip.
    assert ROUTING_DATA.is_dir(), f"benchmark data not found at {ROUTING_DATA}"
    return ROUTING_DATA
