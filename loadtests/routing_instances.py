"""Readers for the public benchmark instances in ``shared/routing`` (see its README).

* Solomon text format (Solomon 1987; also the 200/400-customer Gehring & Homberger
  files): a VEHICLE block then one row per node ``id x y demand ready due service``.
* VRPLIB ``.vrp`` (the 1000-customer G&H files) and ``.sol`` (``Route #k: ...`` lines,
  then ``Cost <value>``).
* ``city1000.json``: a synthetic city day in lat/lon.

Cost conventions differ and matter for gaps:

* ``solomon``: Euclidean distance in double precision; the distance-only BKS
  (``<NAME>_distance`` in BKS.json) assume the instance's fixed fleet.
* ``dimacs`` (G&H 1000 ``.sol`` files): every distance and travel time is
  ``floor(10 * euclid) / 10``; unlimited fleet.

The solver needs integers, so :meth:`Instance.matrices` scales: Solomon x1000
(distances rounded, travel times rounded *up* so a plan feasible on the integer
matrix is also feasible in exact arithmetic), DIMACS x10 (exact by definition).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from logistics_ai.dispatch.matrix import ExplicitMatrix, HaversineMatrix, IntMatrix
from logistics_ai.dispatch.model import Job, Location, Problem, TimeWindow, Vehicle

Convention = Literal["solomon", "dimacs"]
FloatArray = npt.NDArray[np.float64]
SOLOMON_SCALE = 1000
DIMACS_SCALE = 10


@dataclass(frozen=True)
class Instance:
    """A VRPTW instance; node 0 is the depot, nodes 1..n are customers."""

    name: str
    coords: FloatArray  # (n + 1, 2)
    demand: npt.NDArray[np.int64]
    ready: FloatArray
    due: FloatArray
    service: FloatArray
    vehicles: int
    capacity: int
    convention: Convention

    @property
    def num_customers(self) -> int:
        return len(self.coords) - 1

    @property
    def scale(self) -> int:
        return SOLOMON_SCALE if self.convention == "solomon" else DIMACS_SCALE

    def euclid(self) -> FloatArray:
        diff = self.coords[:, None, :] - self.coords[None, :, :]
        return np.sqrt((diff**2).sum(axis=-1))

    def matrices(self) -> tuple[IntMatrix, IntMatrix]:
        """Scaled integer ``(durations, distances)``; travel time equals distance."""
        e = self.euclid()
        if self.convention == "dimacs":
            exact = np.floor(DIMACS_SCALE * e + 1e-9).astype(np.int64)
            return exact, exact.copy()
        scaled = SOLOMON_SCALE * e
        # 1e-9 guards against 2.0000000001 -> 3 when the distance is integral.
        return np.ceil(scaled - 1e-9).astype(np.int64), np.rint(scaled).astype(np.int64)

    def exact_matrix(self) -> FloatArray:
        """Per-leg cost in the instance's convention, expressed in *scaled* units."""
        e = self.euclid()
        if self.convention == "dimacs":
            return np.floor(DIMACS_SCALE * e + 1e-9)
        return SOLOMON_SCALE * e

    def scaled(self, values: FloatArray) -> list[int]:
        return [round(float(x) * self.scale) for x in values]

    def cost(self, routes: list[list[int]]) -> float:
        """Total cost of routes given as customer node numbers (depot implied at both ends)."""
        leg = self.exact_matrix()
        total = 0.0
        for route in routes:
            nodes = [0, *route, 0]
            total += float(sum(leg[a, b] for a, b in pairwise(nodes)))
        return total / self.scale

    def to_problem(self, budget_s: float = 10.0, seed: int = 0) -> Problem:
        """The instance as an API-level :class:`Problem` on the scaled matrix."""
        durations, distances = self.matrices()
        ready, due, service = (
            self.scaled(self.ready),
            self.scaled(self.due),
            self.scaled(self.service),
        )
        jobs = [
            Job(
                id=str(i),
                location=Location.row(i),
                demand=(int(self.demand[i]),),
                window=TimeWindow(ready[i], due[i]),
                service_s=service[i],
            )
            for i in range(1, len(self.coords))
        ]
        depot = Location.row(0)
        vehicles = [
            Vehicle(
                id=f"v{k + 1}",
                capacity=(self.capacity,),
                start=depot,
                end=depot,
                shift=TimeWindow(ready[0], due[0]),
            )
            for k in range(self.vehicles)
        ]
        return Problem(
            jobs=jobs,
            vehicles=vehicles,
            matrix=ExplicitMatrix(durations, distances),
            budget_s=budget_s,
            seed=seed,
        )


def read_solomon(path: str | Path) -> Instance:
    path = Path(path)
    lines = path.read_text().splitlines()
    name = lines[0].strip() or path.stem
    vehicles = capacity = None
    rows: list[list[float]] = []
    for i, line in enumerate(lines):
        if line.strip().upper().startswith("NUMBER") and vehicles is None:
            vehicles, capacity = (int(x) for x in lines[i + 1].split()[:2])
        parts = line.split()
        if len(parts) == 7 and vehicles is not None and _is_number(parts[0]):
            rows.append([float(x) for x in parts])
    if vehicles is None or capacity is None or not rows:
        raise ValueError(f"{path}: not a Solomon instance")
    data = np.asarray(rows)
    if not np.array_equal(data[:, 0], np.arange(len(data))):
        raise ValueError(f"{path}: node numbers must be 0..n in order")
    return Instance(
        name=name,
        coords=data[:, 1:3],
        demand=data[:, 3].astype(np.int64),
        ready=data[:, 4],
        due=data[:, 5],
        service=data[:, 6],
        vehicles=vehicles,
        capacity=capacity,
        convention="solomon",
    )


def read_vrplib(path: str | Path, convention: Convention = "dimacs") -> Instance:
    """Read a VRPTW ``.vrp`` file (EUC_2D, one depot)."""
    path = Path(path)
    header: dict[str, str] = {}
    sections: dict[str, list[list[str]]] = {}
    current: str | None = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line == "EOF":
            continue
        if line.endswith("_SECTION"):
            current = line
            sections[current] = []
        elif ":" in line and current is None:
            key, value = line.split(":", 1)
            header[key.strip().upper()] = value.strip()
        elif current is not None:
            if line.endswith("_SECTION"):
                continue
            if re.match(r"^[A-Z_]+\s*:", line):  # a header after sections
                key, value = line.split(":", 1)
                header[key.strip().upper()] = value.strip()
                current = None
                continue
            sections[current].append(line.split())
    n = int(header["DIMENSION"])
    coords = _section(sections, "NODE_COORD_SECTION", n, 2)
    demand = _section(sections, "DEMAND_SECTION", n, 1)[:, 0].astype(np.int64)
    windows = _section(sections, "TIME_WINDOW_SECTION", n, 2)
    if "SERVICE_TIME_SECTION" in sections:
        service = _section(sections, "SERVICE_TIME_SECTION", n, 1)[:, 0]
    else:
        service = np.full(n, float(header.get("SERVICE_TIME", 0)))
    depots = [int(r[0]) for r in sections.get("DEPOT_SECTION", [["1"]]) if int(r[0]) > 0]
    if depots != [1]:
        raise ValueError(f"{path}: only single-depot instances with depot node 1 are supported")
    service[0] = 0.0  # the header's SERVICE_TIME applies to customers only
    return Instance(
        name=header.get("NAME", path.stem),
        coords=coords,
        demand=demand,
        ready=windows[:, 0],
        due=windows[:, 1],
        service=service,
        vehicles=int(header.get("VEHICLES", n - 1)),
        capacity=int(header["CAPACITY"]),
        convention=convention,
    )


def _section(sections: dict[str, list[list[str]]], name: str, n: int, width: int) -> FloatArray:
    rows = sections.get(name)
    if rows is None or len(rows) != n:
        raise ValueError(f"{name}: expected {n} rows")
    out = np.zeros((n, width))
    for row in rows:
        node = int(row[0]) - 1  # VRPLIB numbers nodes from 1
        out[node] = [float(x) for x in row[1 : 1 + width]]
    return out


@dataclass(frozen=True)
class VrplibSolution:
    routes: list[list[int]]  # customer node numbers (depot = 0)
    cost: float | None


def read_vrplib_solution(path: str | Path) -> VrplibSolution:
    routes: list[list[int]] = []
    cost: float | None = None
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line.lower().startswith("route"):
            routes.append([int(x) for x in line.split(":", 1)[1].split()])
        elif line.lower().startswith("cost"):
            cost = float(line.split()[1])
    return VrplibSolution(routes, cost)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# -- city instance ----------------------------------------------------------------------------


def read_city(
    path: str | Path,
    road_factor: float = 1.0,
    budget_s: float = 10.0,
    seed: int = 0,
    vehicles: int | None = None,
) -> Problem:
    """``city1000.json`` as a :class:`Problem` on a haversine matrix.

    ``road_factor=1.0`` reproduces the README's plain haversine metres so the km
    figures are comparable; the app's default provider uses 1.3.
    """
    raw = json.loads(Path(path).read_text())
    lat, lon = raw["lat"], raw["lon"]
    depot = Location.at(lat[0], lon[0])
    jobs = [
        Job(
            id=f"c{i}",
            location=Location.at(lat[i], lon[i]),
            demand=(int(raw["demand"][i]),),
            window=TimeWindow(int(raw["ready"][i]), int(raw["due"][i])),
            service_s=int(raw["service"][i]),
        )
        for i in range(1, len(lat))
    ]
    fleet = [
        Vehicle(
            id=f"van{k + 1:02d}",
            capacity=(int(raw["Q"]),),
            start=depot,
            end=depot,
            shift=TimeWindow(int(raw["ready"][0]), int(raw["due"][0])),
        )
        for k in range(vehicles if vehicles is not None else int(raw["K"]))
    ]
    provider = HaversineMatrix(road_factor=road_factor, speed_kmh=float(raw["speed_kmh"]))
    return Problem(jobs=jobs, vehicles=fleet, matrix=provider, budget_s=budget_s, seed=seed)


def route_cost_check(instance: Instance, solution: VrplibSolution) -> tuple[float, float]:
    """(our cost of the solution's routes, its ``Cost`` line) - for reader tests."""
    cost = solution.cost if solution.cost is not None else math.nan
    return instance.cost(solution.routes), cost
