"""Turn a :class:`Problem` into what a solver backend optimises, and pre-check orders.

Two jobs, both solver-independent:

1. *Fixed prefixes.* A vehicle's committed stops are rolled forward here (matrix
   travel times, windows, service), and the vehicle is handed to the solver as
   starting where the prefix ends, at that time, with what is then on board.
   Shipments picked up inside a prefix but dropped off later become *on-board*
   jobs pinned to that vehicle. The prefix is prepended to the solver's answer.
2. *Pre-checks.* An order no vehicle could serve even on its own is reported with
   a reason (skill, capacity, window) instead of being given to the solver, so the
   solver never has to explain infeasibility and the dispatcher sees why.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from logistics_ai.dispatch.matrix import ResolvedMatrix
from logistics_ai.dispatch.model import (
    Load,
    Problem,
    StopKind,
    Unassigned,
    UnassignedReason,
    Vehicle,
    Visit,
    pad,
)


@dataclass(frozen=True)
class VehicleState:
    """A vehicle as the solver sees it: after its fixed prefix."""

    vehicle: Vehicle
    prefix: tuple[Visit, ...]
    row: int  # matrix row where the free part of the route starts
    time: int  # earliest departure from there
    base_load: Load  # on board for the rest of the route (own load + prefix pickups)
    capacity: Load
    end_row: int | None
    shift_end: int
    max_duration: int | None  # what is left after the prefix; None = unlimited
    # Deliveries of the free part are on board from the very start, i.e. also while
    # the prefix is driven. ``release`` is how much fuller the vehicle is at its
    # fullest prefix point than after the prefix; a backend must keep that much
    # capacity free for its deliveries (PyVRP: a zero-cost stop dropping it first).
    release: Load = ()

    @property
    def id(self) -> str:
        return self.vehicle.id


@dataclass(frozen=True)
class Order:
    """What the solver routes: a job (1 visit) or a shipment (pickup, dropoff).

    ``allowed`` are the vehicle ids that may serve it (skills and on-board pins).
    ``pinned`` is set when the goods are already on that vehicle.
    """

    id: str
    visits: tuple[Visit, ...]
    allowed: frozenset[str]
    pinned: str | None = None

    @property
    def is_shipment(self) -> bool:
        return len(self.visits) == 2


@dataclass
class Prepared:
    problem: Problem
    matrix: ResolvedMatrix
    dims: int
    vehicles: list[VehicleState]
    orders: list[Order]  # feasible on their own; the solver decides the rest
    unassigned: list[Unassigned] = field(default_factory=list)

    def vehicle_state(self, vehicle_id: str) -> VehicleState:
        for state in self.vehicles:
            if state.id == vehicle_id:
                return state
        raise KeyError(vehicle_id)


def prepare(problem: Problem, matrix: ResolvedMatrix, only: set[str] | None = None) -> Prepared:
    """Roll prefixes forward and pre-check orders (all, or just the ids in ``only``)."""
    visits = problem.visits()
    dims = problem.dims
    states, in_prefix, on_board_from_prefix = _roll_prefixes(problem, matrix, visits, dims)

    orders: list[Order] = []
    for job in problem.jobs:
        if job.id in in_prefix:
            continue
        visit = visits[job.id]
        orders.append(Order(job.id, (visit,), _allowed(problem, visit), visit.on_board))
    for shipment in problem.shipments:
        p, d = shipment.pickup.id, shipment.dropoff.id
        if p in in_prefix and d in in_prefix:
            continue
        if d in in_prefix:
            raise ValueError(
                f"shipment {shipment.id!r}: dropoff is in a fixed prefix, pickup is not"
            )
        if p in in_prefix:
            # Picked up in the prefix: the goods ride on that vehicle until dropped.
            vehicle_id = on_board_from_prefix[p]
            dropoff = visits[d]
            amount = tuple(-x for x in dropoff.delta)
            onboard = replace(dropoff, initial=amount, on_board=vehicle_id)
            orders.append(Order(shipment.id, (onboard,), _allowed(problem, onboard), vehicle_id))
            continue
        pv, dv = visits[p], visits[d]
        orders.append(Order(shipment.id, (pv, dv), _allowed(problem, pv)))

    prepared = Prepared(problem, matrix, dims, states, [])
    if only is not None:
        orders = [o for o in orders if o.id in only]
    for order, reason in zip(orders, _precheck_all(orders, prepared), strict=True):
        if reason is None:
            prepared.orders.append(order)
        else:
            prepared.unassigned.append(reason)
    return prepared


def _allowed(problem: Problem, visit: Visit) -> frozenset[str]:
    return frozenset(
        v.id
        for v in problem.vehicles
        if visit.skills <= v.skills and (visit.on_board is None or visit.on_board == v.id)
    )


def _roll_prefixes(
    problem: Problem, matrix: ResolvedMatrix, visits: dict[str, Visit], dims: int
) -> tuple[list[VehicleState], set[str], dict[str, str]]:
    """Advance every vehicle over its fixed prefix (earliest times, no reordering)."""
    dur = matrix.durations
    in_prefix: set[str] = set()
    on_board: dict[str, str] = {}  # shipment pickup id -> vehicle id, if dropoff is not in prefix
    states: list[VehicleState] = []
    for v in problem.vehicles:
        prefix = tuple(visits[j] for j in v.fixed_prefix)
        load = list(pad(v.start_load, dims))
        # real load while driving the prefix: the prefix's own deliveries start on board
        real = [x + sum(p.initial[d] for p in prefix) for d, x in enumerate(load)]
        peak = list(real)
        row = matrix.row(v.start)
        t = v.departure_earliest
        picked: set[str] = set()
        for visit in prefix:
            if visit.id in in_prefix:
                raise ValueError(f"job {visit.id!r} is in more than one fixed prefix")
            if visit.on_board is not None and visit.on_board != v.id:
                raise ValueError(f"job {visit.id!r} is on board {visit.on_board}, not {v.id}")
            in_prefix.add(visit.id)
            nxt = matrix.row(visit.location)
            t = max(t + int(dur[row, nxt]), visit.window.start) + visit.service_s
            row = nxt
            real = [x + visit.delta[d] for d, x in enumerate(real)]
            peak = [max(a, b) for a, b in zip(peak, real, strict=True)]
            if visit.kind is StopKind.JOB:
                # delivered goods were loaded at the start and are gone; pickups stay
                load = [x + visit.initial[d] + visit.delta[d] for d, x in enumerate(load)]
            elif visit.kind is StopKind.PICKUP:
                picked.add(visit.id)
            elif visit.kind is StopKind.DROPOFF:
                pickup_id = _pickup_of(problem, visit)
                if pickup_id not in picked:
                    raise ValueError(
                        f"vehicle {v.id}: fixed prefix drops off {visit.id!r} before its pickup"
                    )
                picked.discard(pickup_id)
        for pickup_id in picked:
            on_board[pickup_id] = v.id
        spent = t - v.departure_earliest
        states.append(
            VehicleState(
                vehicle=v,
                prefix=prefix,
                row=row,
                time=t,
                base_load=tuple(load),
                capacity=pad(v.capacity, dims),
                end_row=matrix.row(v.end) if v.end is not None else None,
                shift_end=v.shift.end,
                max_duration=None if v.max_duration_s is None else v.max_duration_s - spent,
                release=tuple(max(0, a - b) for a, b in zip(peak, real, strict=True)),
            )
        )
    return states, in_prefix, on_board


def _pickup_of(problem: Problem, dropoff: Visit) -> str:
    for s in problem.shipments:
        if s.id == dropoff.shipment_id:
            return s.pickup.id
    raise KeyError(dropoff.shipment_id)


# -- pre-checks -------------------------------------------------------------------------------
#
# Vectorised: vehicles with identical state (position, time, loads, shift, skills)
# are checked once, and each vehicle class is checked against all orders of one
# shape at once with numpy. 1000 orders x 250 vehicles takes a few milliseconds.


def _precheck_all(orders: list[Order], prep: Prepared) -> list[Unassigned | None]:
    classes: dict[tuple[object, ...], list[VehicleState]] = {}
    for s in prep.vehicles:
        key = (
            s.row,
            s.time,
            s.base_load,
            s.capacity,
            s.end_row,
            s.shift_end,
            s.max_duration,
            s.release,
            s.vehicle.skills,
        )
        classes.setdefault(key, []).append(s)
    reps = [members[0] for members in classes.values()]
    member_ids = [{m.id for m in members} for members in classes.values()]
    n = len(orders)
    fits = np.zeros((len(reps), n), dtype=bool)
    reach = np.zeros((len(reps), n), dtype=bool)
    for shape in (1, 2):
        idx = [k for k, o in enumerate(orders) if len(o.visits) == shape]
        if not idx:
            continue
        group = _GroupArrays.of([orders[k] for k in idx], prep.matrix)
        for c, rep in enumerate(reps):
            fits[c, idx] = _fits_capacity(group, rep, prep.dims)
            reach[c, idx] = _reachable(group, rep, prep.matrix)
    out: list[Unassigned | None] = []
    for k, order in enumerate(orders):
        allowed = np.array([bool(order.allowed & ids) for ids in member_ids], dtype=bool)
        if not allowed.any():
            need = ", ".join(sorted(order.visits[0].skills)) or "-"
            detail = f"needs skills [{need}]"
            if order.pinned is not None:
                detail += f" and is on board {order.pinned}"
            out.append(Unassigned(order.id, UnassignedReason.NO_VEHICLE_WITH_SKILL, detail))
        elif not (allowed & fits[:, k]).any():
            out.append(
                Unassigned(
                    order.id,
                    UnassignedReason.CAPACITY,
                    "load exceeds the free capacity of every eligible vehicle",
                )
            )
        elif not (allowed & fits[:, k] & reach[:, k]).any():
            out.append(
                Unassigned(
                    order.id,
                    UnassignedReason.WINDOW_UNREACHABLE,
                    "no eligible vehicle can serve it within its window and shift, even directly",
                )
            )
        else:
            out.append(None)
    return out


@dataclass(frozen=True)
class _GroupArrays:
    """What the per-vehicle checks read of a group of same-shape orders, as arrays.

    Built once per group, not once per vehicle class: with a fleet of 200 vans, each at its
    own position, there are ~200 classes, and re-reading the orders in Python per class was
    most of a plan preview's pre-check (docs/performance.md, Round 7).
    """

    initial: np.ndarray  # (orders, dims): on board when the route starts
    deltas: tuple[np.ndarray, ...]  # per visit step, (orders, dims)
    rows: tuple[np.ndarray, ...]  # per visit step: the location's matrix row
    early: tuple[np.ndarray, ...]
    late: tuple[np.ndarray, ...]
    service: tuple[np.ndarray, ...]

    @classmethod
    def of(cls, orders: list[Order], matrix: ResolvedMatrix) -> _GroupArrays:
        steps = [[o.visits[step] for o in orders] for step in range(len(orders[0].visits))]

        def each(values: list[Any]) -> np.ndarray:
            return np.asarray(values, dtype=np.int64)

        return cls(
            initial=each(
                [[sum(x) for x in zip(*(v.initial for v in o.visits), strict=True)] for o in orders]
            ),
            deltas=tuple(each([v.delta for v in visits]) for visits in steps),
            rows=tuple(each([matrix.row(v.location) for v in visits]) for visits in steps),
            early=tuple(each([v.window.start for v in visits]) for visits in steps),
            late=tuple(each([v.window.end for v in visits]) for visits in steps),
            service=tuple(each([v.service_s for v in visits]) for visits in steps),
        )


def _fits_capacity(group: _GroupArrays, state: VehicleState, dims: int) -> np.ndarray:
    """Per order: does it fit on ``state`` when carried alone (every dimension)?"""
    if dims == 0:
        return np.ones(len(group.initial), dtype=bool)
    cap = np.asarray(state.capacity, dtype=np.int64)
    base = np.asarray(state.base_load, dtype=np.int64)
    # deliveries also ride through the prefix, at its fullest point
    ok = np.all(base + np.asarray(state.release, dtype=np.int64) + group.initial <= cap, axis=1)
    load = base + group.initial
    ok &= np.all(load <= cap, axis=1)
    for delta in group.deltas:
        load = load + delta
        ok &= np.all(load <= cap, axis=1)
    return ok


def _reachable(group: _GroupArrays, state: VehicleState, matrix: ResolvedMatrix) -> np.ndarray:
    """Per order: can ``state`` serve it on a route with nothing else in it?"""
    dur = matrix.durations
    n = len(group.initial)
    row = np.full(n, state.row, dtype=np.int64)
    t = np.full(n, state.time, dtype=np.int64)
    ok = np.ones(n, dtype=bool)
    waited = np.zeros(n, dtype=np.int64)
    cap: np.ndarray | None = None  # how far departure could be postponed (cuts waiting)
    for nxt, early, late, service in zip(
        group.rows, group.early, group.late, group.service, strict=True
    ):
        arrival = t + dur[row, nxt]
        start = np.maximum(arrival, early)
        ok &= start <= late
        waited = waited + (start - arrival)
        slack = waited + np.maximum(late - start, 0)
        cap = slack if cap is None else np.minimum(cap, slack)
        t = start + service
        row = nxt
    end = t + (dur[row, state.end_row] if state.end_row is not None else 0)
    ok &= end <= state.shift_end
    if state.max_duration is not None and cap is not None:
        # Postponing the departure cuts waiting - but not after a fixed prefix, where
        # the vehicle is already on its way (mirrors the PyVRP adapter's start_late).
        delay = 0 if state.prefix else np.minimum(waited, cap)
        ok &= end - (state.time + delay) <= state.max_duration
    return ok
