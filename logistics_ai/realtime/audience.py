"""Who may see which bus event, and what a batch of events asks each screen to re-read.

Pure functions and plain data, no I/O, so the visibility rules are unit-tested on their own.
The four audiences of the live screens:

- staff (dispatchers, admins): the whole fleet, every shipment, the KPI tiles;
- customer <id>: only shipments whose payload names that customer;
- driver <id>: only that driver's own stop list (shipments and routes naming the driver);
- tracking <code>: only that one code's public view, plus the position of the driver who
  carries it when the privacy rule (`public_position_allowed`) allows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

# The bus channels the fan-out listens to (the services' *_CHANNEL constants).
SHIPMENTS = "shipments"
DRIVERS = "drivers"
ROUTES = "routes"
ETA = "eta"
CHANNELS: tuple[str, ...] = (SHIPMENTS, DRIVERS, ROUTES, ETA)
UNKNOWN = -1  # an ETA event without a late-risk count

AudienceKind = Literal["staff", "customer", "driver", "tracking"]

# Shipment statuses in which the goods are on the way to the recipient.
IN_TRANSIT = "in_transit"
FINAL_STATUSES = frozenset({"delivered", "failed", "cancelled"})


@dataclass(frozen=True)
class Audience:
    kind: AudienceKind
    key: str = ""  # customer id, driver id or tracking code; "" for staff

    @classmethod
    def staff(cls) -> Audience:
        return cls("staff")

    @classmethod
    def customer(cls, customer_id: int) -> Audience:
        return cls("customer", str(customer_id))

    @classmethod
    def driver(cls, driver_id: int) -> Audience:
        return cls("driver", str(driver_id))

    @classmethod
    def tracking(cls, code: str) -> Audience:
        return cls("tracking", code)


def public_position_allowed(status: str, next_stop_is_this_shipment: bool) -> bool:
    """The public tracking page may show the driver only while the goods are in transit or
    this shipment is the driver's very next stop; never once it is closed."""
    if status in FINAL_STATUSES:
        return False
    return status == IN_TRANSIT or next_stop_is_this_shipment


@dataclass
class Work:
    """What one batch of committed events asks the screens to update."""

    # Staff: driver id -> last (lat, lon) of the batch, applied as is (no database read).
    positions: dict[int, tuple[float, float]] = field(default_factory=dict)
    # Staff: driver id -> when that fix was taken (epoch seconds), so a screen that re-read
    # the board meanwhile never moves a marker back to an older place.
    position_at: dict[int, float] = field(default_factory=dict)
    # Staff: drivers whose board row (status, stop progress, late risk) is re-read.
    fleet_rows: set[int] = field(default_factory=set)
    # Staff: shipments whose board row is re-read.
    shipments: set[int] = field(default_factory=set)
    kpis: bool = False
    # Customer id -> their shipments to re-read.
    customers: dict[int, set[int]] = field(default_factory=dict)
    # Drivers whose own stop list is re-read.
    drivers: set[int] = field(default_factory=set)
    # Staff map: drivers whose route (stops, order, stop states) changed.
    routes: set[int] = field(default_factory=set)
    # Driver id -> open late-risk stops after an ETA refresh (UNKNOWN when not said). ETAs
    # are refreshed after every GPS batch: the board re-reads only when this count changed.
    late_risk: dict[int, int] = field(default_factory=dict)
    # Tracking codes whose public view (status, timeline, ETA, position) is re-read.
    codes: set[str] = field(default_factory=set)
    # Tracking codes whose driver moved: only the position (privacy rule checked) is re-read.
    moved_codes: set[str] = field(default_factory=set)
    # Tracking code -> the driver now carrying it (from shipment events).
    carriers: dict[str, int | None] = field(default_factory=dict)


def _epoch(value: Any) -> float | None:
    """An ISO time from a payload as epoch seconds; None when missing or malformed."""
    try:
        return datetime.fromisoformat(value).timestamp() if isinstance(value, str) else None
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def plan(
    events: Iterable[tuple[str, Mapping[str, Any]]], carriers: Mapping[str, int | None]
) -> Work:
    """Turn a batch of bus events into the reads each audience needs.

    `carriers` maps the tracking codes watched in this worker to the driver carrying each, so
    a driver's move or ETA change reaches exactly the tracking pages of that driver's loads.
    """
    work = Work()
    carriers = dict(carriers)
    eta_drivers: set[int] = set()
    moved: set[int] = set()
    for channel, payload in events:
        driver_id = _int(payload.get("driver_id"))
        if channel == SHIPMENTS:
            shipment_id = _int(payload.get("shipment_id"))
            if shipment_id is None:
                continue
            work.shipments.add(shipment_id)
            work.kpis = True
            customer_id = _int(payload.get("customer_id"))
            if customer_id is not None:
                work.customers.setdefault(customer_id, set()).add(shipment_id)
            if driver_id is not None:
                work.fleet_rows.add(driver_id)
                work.drivers.add(driver_id)
                work.routes.add(driver_id)
            code = payload.get("tracking_code")
            if isinstance(code, str) and code:
                work.codes.add(code)
                work.carriers[code] = driver_id
                carriers[code] = driver_id
        elif driver_id is None:
            continue
        elif channel == DRIVERS:
            lat, lon = payload.get("lat"), payload.get("lon")
            if isinstance(lat, int | float) and isinstance(lon, int | float):
                work.positions[driver_id] = (float(lat), float(lon))
                taken_at = _epoch(payload.get("at"))
                if taken_at is not None:
                    work.position_at[driver_id] = taken_at
                moved.add(driver_id)
            if "status" in payload:
                work.fleet_rows.add(driver_id)
        elif channel == ROUTES:
            work.drivers.add(driver_id)
            work.fleet_rows.add(driver_id)
            work.routes.add(driver_id)
        elif channel == ETA:
            # The driver's app and the carried shipments' pages show ETAs: they re-read.
            # The board (fleet row, tiles, map) shows only the late-risk count: the fan-out
            # re-reads it when `late_risk` differs from the last count it saw.
            eta_drivers.add(driver_id)
            work.drivers.add(driver_id)
            late = _int(payload.get("late_risk"))
            work.late_risk[driver_id] = late if late is not None else UNKNOWN
    for code, carrier in carriers.items():
        if carrier is None:
            continue
        if carrier in eta_drivers:
            work.codes.add(code)  # a new ETA: the whole public view
        elif carrier in moved and code not in work.codes:
            work.moved_codes.add(code)
    return work
