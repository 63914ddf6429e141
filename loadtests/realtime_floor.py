"""The floor that `bench realtime` measures the product against: the least stack that does the job.

`bench realtime` times a driver's location POST to every dashboard's DOM. This module is the
same path with nothing else in it, run by the same bench on the same machine just before the
product's drive (loadtests/realtime_bench.py, `--no-baseline` to skip it):

- **Server** (`create_app`): bare Starlette on granian, one worker. `POST
  /api/v1/drivers/me/location` takes the simulator's body (`{"pings": [...]}`), keeps the
  batch's newest fix in a dict and hands it, as one small JSON text
  (`{"floor": [[driver_id, "lat", "lng"]], "sent": ms}`), to every connected page's queue
  before it answers; each websocket (`/ws`) has a writer task that sends its queue in order.
  `GET /` is the page. No database, no Redis, no sessions, no validation beyond JSON: one
  process holds every socket, so no bus is needed between workers (the product needs Redis
  because its two workers each hold some of the tabs). The bearer token names the driver; it
  is not checked (`/api/v1/auth/token` hands out the driver id): the floor of the request, not
  of its security.
- **Page**: one `<li>` per driver with `data-driver-id`, `data-lat`, `data-lng` (the dashboard
  contract of docs/realtime.md), and a socket handler that sets the two attributes per message.
  The bench injects the same observer (loadtests/realtime_observer.js) as into the product.
- **Generator** (`python -m loadtests.realtime_floor generate ...`): the fleet simulator's own
  client code (`logistics_ai.simulator`: its `Api`, `_report_position` with the same body,
  headers, `Idempotency-Key`, retry and wall-clock stamps, its `--stagger` and cadence), as its
  own process with one httpx client, so the generator costs the machine what the simulator
  does per POST. Each driver drives a straight line at the simulator's speed (every report a
  new position: no stops, no status changes, so the floor measures positions only).

  FLOOR_DRIVERS=200 granian --interface asgi --factory loadtests.realtime_floor:create_app
  python -m loadtests.realtime_floor generate --url URL --drivers 200 --seconds 60 --record F
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import json
import logging
import math
import os
import random
import time
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from logistics_ai import simulator

# Where every driver is shown before its first report: the page needs a position on screen
# for the observer to take as its baseline (an empty attribute is "no fix yet" to it).
DEPOT = (41.8781, -87.6298)
DRIVER_PREFIX = "floor-driver-"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bench realtime: the floor</title></head>
<body><h1>Fleet ({count} drivers)</h1><ul id="fleet">
{rows}
</ul>
<script>
// One row per driver, found once; each message sets the fix's two attributes, nothing else.
const moved = () => {{}};
const rows = new Map();
for (const el of document.querySelectorAll("[data-driver-id]")) {{
  rows.set(el.getAttribute("data-driver-id"), el);
}}
{socket}</script></body></html>
"""


# The floor with a live map (`FLOOR_PAGE=map`, `bench realtime --floor-page map`): the same
# rows, plus the least a live map must do per fix: a Leaflet map (the product's library, the
# file its build installed; no tiles, as here and in CI) with one marker per driver, moved by
# each message. What a page that must show a live map costs the machine, without React, Reflex
# or the rest of the board. `map`: each marker an element styled as the product's
# (`markerIcon` in components/live_map.jsx); `map-canvas`: each marker a circle drawn on one
# canvas (Leaflet's `circleMarker` with its canvas renderer), the cheaper way to move many.
# Both pages' socket: each message sets the driver's row's two attributes (the DOM contract
# the bench observes), then `moved` (the map page moves the driver's marker).
SOCKET_JS = """const socket = new WebSocket(`ws://${location.host}/ws`);
socket.addEventListener("message", (event) => {
  for (const [id, lat, lng] of JSON.parse(event.data).floor) {
    const row = rows.get(String(id));
    if (row) {
      row.setAttribute("data-lat", lat);
      row.setAttribute("data-lng", lng);
      moved(String(id), lat, lng);
    }
  }
});
"""
MAP_PAGES = ("map", "map-canvas")
MAP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bench realtime: the floor, with a map</title>
<link rel="stylesheet" href="/leaflet/leaflet.css">
<style>#map {{ width: 960px; height: 480px; background: #e8edf2; }}</style></head>
<body><h1>Fleet ({count} drivers)</h1><div id="map" role="region" aria-label="Fleet map"></div>
<ul id="fleet">
{rows}
</ul>
<script>window.L_DISABLE_3D = true; // as the product (components/leaflet_2d.js)</script>
<script src="/leaflet/leaflet.js"></script>
<script>
const rows = new Map();
const markers = new Map();
const map = L.map("map").setView([{lat}, {lng}], 12);
// The product's marker: a 22 px dot with a white ring and the driver's initials.
const icon = (glyph) => L.divIcon({{
  className: "lai-marker",
  html: '<span aria-hidden="true" style="display:block;width:22px;height:22px;' +
    'border-radius:50%;background:#2563eb;border:3px solid #fff;box-shadow:0 0 0 1px #1e1b4b;' +
    'color:#fff;font:700 11px/1 sans-serif;display:flex;align-items:center;' +
    'justify-content:center">' + glyph + '</span>',
  iconSize: [22, 22],
  iconAnchor: [11, 11],
}});
// The same dot drawn on the map's one canvas, the initials drawn after the circle, within
// the renderer's drawing pass only: `DriverDot` in components/live_map.jsx, less the outline.
const Dot = L.CircleMarker.extend({{
  _updatePath() {{
    L.CircleMarker.prototype._updatePath.call(this);
    if (!this._renderer._drawing || this._empty()) return;
    const ctx = this._renderer._ctx;
    ctx.fillStyle = "#fff";
    ctx.font = "700 11px sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(this.options.glyph, this._point.x, this._point.y);
  }},
}});
const renderer = L.canvas({{ padding: 0.2 }});
for (const el of document.querySelectorAll("[data-driver-id]")) {{
  const id = el.getAttribute("data-driver-id");
  rows.set(id, el);
  const at = [Number(el.getAttribute("data-lat")), Number(el.getAttribute("data-lng"))];
  const glyph = "D" + id.slice(-1);
  const marker = {canvas}
    ? new Dot(at, {{ renderer, radius: 9.5, color: "#fff", weight: 3, fillColor: "#2563eb",
        fillOpacity: 1, glyph }})
    : L.marker(at, {{ icon: icon(glyph), keyboard: false }});
  markers.set(id, marker.addTo(map));
}}
const moved = (id, lat, lng) => markers.get(id).setLatLng([Number(lat), Number(lng)]);
{socket}</script></body></html>
"""


def fix_message(driver_id: int, lat: float, lon: float, sent_ms: float) -> str:
    """One fix as the page receives it: the DOM's spelling (`f"{x:.5f}"`, as the product's
    dashboard and loadtests/realtime_measure.position_value), and when it was built (ms)."""
    fix = [driver_id, f"{lat:.5f}", f"{lon:.5f}"]
    return json.dumps({"floor": [fix], "sent": round(sent_ms, 3)}, separators=(",", ":"))


def render_page(positions: dict[int, tuple[float, float]], *, page: str = "list") -> str:
    rows = "\n".join(
        f'<li data-driver-id="{driver_id}" data-lat="{lat:.5f}" data-lng="{lon:.5f}">'
        f"{html.escape(f'Driver {driver_id}')}</li>"
        for driver_id, (lat, lon) in sorted(positions.items())
    )
    if page in MAP_PAGES:
        canvas = "true" if page == "map-canvas" else "false"
        return MAP_PAGE.format(
            count=len(positions),
            rows=rows,
            lat=DEPOT[0],
            lng=DEPOT[1],
            canvas=canvas,
            socket=SOCKET_JS,
        )
    return PAGE.format(count=len(positions), rows=rows, socket=SOCKET_JS)


def create_app(drivers: int | None = None) -> Starlette:
    count = int(os.environ.get("FLOOR_DRIVERS", "200")) if drivers is None else drivers
    positions: dict[int, tuple[float, float]] = dict.fromkeys(range(1, count + 1), DEPOT)
    # FLOOR_PAGE=map or map-canvas: the page with a live map; its Leaflet files from
    # FLOOR_LEAFLET_DIR (the product's build installs them: .web/node_modules/leaflet/dist).
    leaflet_dir = os.environ.get("FLOOR_LEAFLET_DIR", "")
    page_kind = os.environ.get("FLOOR_PAGE", "list")
    if page_kind not in ("list", *MAP_PAGES):
        raise RuntimeError(f"FLOOR_PAGE: list, map or map-canvas, not {page_kind!r}")
    with_map = page_kind in MAP_PAGES
    if with_map and not os.path.isfile(os.path.join(leaflet_dir, "leaflet.js")):
        raise RuntimeError(f"FLOOR_PAGE=map: no leaflet.js in FLOOR_LEAFLET_DIR={leaflet_dir!r}")
    # One queue per connected page: the POST only enqueues (it never waits for a slow socket),
    # each socket's writer sends in order. Unbounded, as a lost fix would be a result.
    queues: set[asyncio.Queue[str]] = set()

    async def page(_request: Request) -> HTMLResponse:
        return HTMLResponse(render_page(positions, page=page_kind))

    async def healthz(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def token(request: Request) -> JSONResponse:
        email = str((await request.json()).get("email", ""))
        if not email.startswith(DRIVER_PREFIX):
            return JSONResponse({"detail": "unknown account"}, status_code=401)
        return JSONResponse({"access_token": email.removeprefix(DRIVER_PREFIX)})

    async def location(request: Request) -> JSONResponse:
        try:
            driver_id = int(request.headers.get("authorization", "").removeprefix("Bearer "))
        except ValueError:
            return JSONResponse({"detail": "unauthorized"}, status_code=401)
        pings = (await request.json())["pings"]
        newest = pings[-1]  # the product keeps the batch's newest fix as the driver's position
        lat, lon = float(newest["lat"]), float(newest["lon"])
        positions[driver_id] = (lat, lon)
        message = fix_message(driver_id, lat, lon, time.time() * 1000)
        for queue in queues:
            queue.put_nowait(message)
        return JSONResponse({"driver_id": driver_id, "lat": lat, "lon": lon})

    async def socket(websocket: WebSocket) -> None:
        queue: asyncio.Queue[str] = asyncio.Queue()
        # Registered before the handshake completes: a client that is connected gets every fix
        # posted after (the integration test relies on it, and so does the bench's start).
        queues.add(queue)
        reader: asyncio.Future[Any] | None = None
        try:
            await websocket.accept()
            reader = asyncio.ensure_future(websocket.receive())  # a close from the page
            while True:
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if reader in done:
                    getter.cancel()
                    return
                await websocket.send_text(getter.result())
        except (WebSocketDisconnect, RuntimeError, OSError):
            return  # the page went away mid-send
        finally:
            queues.discard(queue)
            if reader is not None:
                reader.cancel()

    return Starlette(
        routes=[
            Route("/", page),
            Route("/healthz", healthz),
            Route("/api/v1/auth/token", token, methods=["POST"]),
            Route("/api/v1/drivers/me/location", location, methods=["POST"]),
            WebSocketRoute("/ws", socket),
            *([Mount("/leaflet", StaticFiles(directory=leaflet_dir))] if with_map else []),
        ]
    )


async def _drive(
    api: simulator.Api,
    options: simulator.Options,
    tally: simulator.Tally,
    driver_id: int,
    deadline: float,
    rng: random.Random,
) -> None:
    """One driver: `logistics_ai.simulator._drive`'s cadence and client calls, on a straight
    line far enough away that it never arrives within a bench run (so every report moves)."""
    if options.stagger:
        await asyncio.sleep(rng.uniform(0, options.interval_s))
    here = (DEPOT[0] + rng.uniform(-0.05, 0.05), DEPOT[1] + rng.uniform(-0.05, 0.05))
    heading = rng.uniform(0, 2 * math.pi)
    there = (here[0] + math.sin(heading), here[1] + math.cos(heading))  # ~100 km off
    metres_per_tick = simulator.CITY_SPEED_MPS * options.speedup * options.interval_s
    tick = time.monotonic()
    while time.monotonic() < deadline:
        mid, _ = simulator._step(here, there, metres_per_tick / 2)
        here, _ = simulator._step(here, there, metres_per_tick)
        await simulator._report_position(api, options, tally, driver_id, [mid, here])
        tick = max(tick + options.interval_s, time.monotonic())
        await asyncio.sleep(max(0.0, tick - time.monotonic()))


async def generate(options: simulator.Options) -> simulator.Tally:
    """Sign each driver in, then drive for `options.duration_s` (as `simulator.run`)."""
    tally = simulator.Tally()
    async with simulator.client(options) as http:
        await simulator._wait_until_up(http, options.wait_s)
    async with simulator.phones(options, options.drivers) as clients:
        sign_in_deadline = time.monotonic() + 60
        drivers = []
        for driver_id, http in enumerate(clients, start=1):
            api = simulator.Api(http, f"{DRIVER_PREFIX}{driver_id}", options.password)
            await api.sign_in(sign_in_deadline)
            drivers.append((driver_id, api))
        tally.drivers = len(drivers)
        deadline = time.monotonic() + options.duration_s
        await asyncio.gather(
            *(
                _drive(
                    api,
                    options,
                    tally,
                    driver_id,
                    deadline,
                    random.Random(options.seed * 1000 + driver_id),
                )
                for driver_id, api in drivers
            )
        )
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtests.realtime_floor")
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="post the fleet's fixes to the floor server")
    gen.add_argument("--url", required=True)
    gen.add_argument("--drivers", type=int, default=200)
    gen.add_argument("--seconds", type=float, default=60.0)
    gen.add_argument("--speedup", type=float, default=10.0)
    gen.add_argument("--interval", type=float, default=2.0)
    gen.add_argument("--record", metavar="FILE", help="each accepted POST as a JSON line")
    gen.add_argument("--wait", type=float, default=30.0, help="seconds to wait for /healthz")
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with contextlib.ExitStack() as stack:
        record: Callable[[dict[str, Any]], None] | None = None
        if args.record:
            # The simulator's `--record` format, flushed per line (the bench watches the file).
            sink = stack.enter_context(open(args.record, "w", encoding="utf-8", buffering=1))

            def record(entry: dict[str, Any]) -> None:
                sink.write(json.dumps(entry) + "\n")

        options = simulator.Options(
            url=args.url,
            drivers=args.drivers,
            speedup=args.speedup,
            duration_s=args.seconds,
            interval_s=args.interval,
            wait_s=args.wait,
            stagger=True,
            record=record,
        )
        started = time.monotonic()
        tally = asyncio.run(generate(options))
        print(tally.line(time.monotonic() - started).replace("simulate:", "floor generator:"))
    return 0 if tally.drivers and not tally.errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
