"""The contract between the solve pipeline and a routing library.

A backend receives a :class:`~logistics_ai.dispatch.precheck.Prepared` problem
(vehicles already past their fixed prefixes, orders that passed the pre-checks,
who may serve what) and returns, per vehicle, the ordered visit ids after the
prefix. Scheduling, prefixes, unassigned reasons and totals are done once in
:mod:`logistics_ai.dispatch.solver` for every backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from logistics_ai.dispatch.precheck import Prepared

Assignment = dict[str, list[str]]  # vehicle id -> visit ids after its fixed prefix


@dataclass
class BackendResult:
    routes: Assignment
    stats: dict[str, float] = field(default_factory=dict)


class Solver(Protocol):
    """A routing backend. Implement this to plug in another library."""

    name: str

    def route(self, prepared: Prepared, initial: Assignment | None = None) -> BackendResult:
        """Order the prepared orders onto the prepared vehicles.

        Must respect windows, capacities, shift ends, max durations, same-vehicle
        pickup-before-dropoff and ``Order.allowed``; may leave orders out.
        ``initial`` is a previous plan to warm-start from (may be stale).
        """
        ...
