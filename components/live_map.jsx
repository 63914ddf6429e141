// The live map: Leaflet through react-leaflet, fed by typed props from Reflex state.
//
// Markers ("my position", a chosen point, a tracked driver) are keyboard-reachable buttons
// named by their title; the dashboard's fleet and the stops are dots drawn on canvases, named
// in visually hidden lists next to the map (the dashboard's Drivers list selects a driver by
// keyboard); routes are polylines. The tile layer is optional: with no
// tile URL (or an unreachable tile server) the map draws everything on a plain background, and
// nothing on the page waits for tiles (Leaflet loads them as independent images).
import "./leaflet_2d.js"; // first: Leaflet reads its flag when it loads
import {
  memo,
  useCallback,
  useEffect,
  useMemo,
  useReducer,
  useRef,
  useSyncExternalStore,
} from "react";
import { CircleMarker, MapContainer, Marker, Polyline, TileLayer, useMap } from "react-leaflet";
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import { liveStores, mergeRouteGroups, routeGroups } from "./live_store.js";

// The dashboard's live stores (GPS fixes, fleet rows and routes pushed since the last read
// of the board).
const live = liveStores();
const fleet = live.fleet;

// The fix pushed for one driver when it is newer than the snapshot's (taken at `seenAt`), else
// null. `id` null: a marker that is not a fleet driver (my position, a chosen point).
function newerFix(id, seenAt) {
  if (id == null) return null;
  const pushed = fleet.get(id);
  return pushed && pushed.at > (seenAt || 0) ? pushed : null;
}

// Fixes are the busiest data (each driver every few seconds): they do not re-render anything.
// A component reads the newest fix when it renders for another reason, and `write` (called
// once the element exists and then on every fix pushed for the driver) applies a newer one to
// the DOM or the Leaflet marker directly. Both read the same store, so whichever runs last
// shows the newest fix. A React render per fix (the Drivers list row and the marker) was a
// fifth of a busy dashboard's CPU (Round 4). The writes change no style and read no layout:
// Chromium lays out and paints what several fixes moved once, at the next frame.
function useFixWriter(id, seenAt, write) {
  const latest = useRef(write);
  latest.current = write;
  useEffect(() => {
    if (id == null) return undefined;
    const apply = () => {
      const fix = newerFix(id, seenAt);
      if (fix) latest.current(fix);
    };
    apply(); // a fix pushed between the render and this effect
    return fleet.subscribe(id, apply);
  }, [id, seenAt]);
}

// The fleet row pushed for one driver and day when it was read after the board (`readAt`),
// else null. `id` null: not a fleet driver.
function usePushedRow(id, day, readAt) {
  const pushed = useSyncExternalStore(
    (callback) => (id == null ? () => {} : live.drivers.subscribe(id, callback)),
    () => (id == null ? undefined : live.drivers.get(id, day)),
    () => undefined,
  );
  return pushed && pushed.readAt > (readAt || 0) ? pushed : null;
}

// One row of the dashboard's Drivers list: the element that carries the DOM contract of
// docs/realtime.md (data-driver-id, data-lat, data-lng, data-status) with the live position
// and shift status.
export function LiveFleetItem({
  driverId,
  latText = "",
  lngText = "",
  seenAt = 0,
  status = "",
  day = "",
  readAt = 0,
  children,
  ...rest
}) {
  const item = useRef(null);
  const fix = newerFix(driverId, seenAt);
  const row = usePushedRow(driverId, day, readAt);
  useFixWriter(driverId, seenAt, (pushed) => {
    const el = item.current;
    if (!el) return;
    if (el.getAttribute("data-lat") !== pushed.latText) el.setAttribute("data-lat", pushed.latText);
    if (el.getAttribute("data-lng") !== pushed.lngText) el.setAttribute("data-lng", pushed.lngText);
  });
  return (
    <li
      {...rest}
      ref={item}
      data-driver-id={driverId}
      data-lat={fix ? fix.latText : latText}
      data-lng={fix ? fix.lngText : lngText}
      data-status={row ? row.status : status}
    >
      {children}
    </li>
  );
}

// One field of a driver's fleet row as text ("statusLabel", "progress"): the pushed row's
// when it is newer than the board's read, else the board's own (`text`).
export function LiveFleetText({ driverId, field, text = "", day = "", readAt = 0 }) {
  const row = usePushedRow(driverId, day, readAt);
  return <>{row ? row[field] : text}</>;
}

const escapeHtml = (text) =>
  String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// A driver's marker and a fleet dot look alike: the dark outline and the initials' font.
const OUTLINE_COLOR = "#1e1b4b";
const GLYPH_PX = 11;

function markerIcon(color, selected, glyph) {
  const size = selected ? 30 : 22;
  return L.divIcon({
    className: "lai-marker" + (selected ? " lai-marker-selected" : ""),
    html:
      `<span aria-hidden="true" style="display:block;width:${size}px;height:${size}px;` +
      `border-radius:50%;background:${escapeHtml(color)};border:3px solid #fff;` +
      `box-shadow:0 0 0 ${selected ? 3 : 1}px ${OUTLINE_COLOR};color:#fff;` +
      `font:700 ${GLYPH_PX}px/1 sans-serif;` +
      `display:flex;align-items:center;justify-content:center">${escapeHtml(glyph)}</span>`,
    iconSize: [size, size],
    iconAnchor: [size / 2, size / 2],
  });
}


// Leaflet's container is focusable (keyboard pan/zoom): give it a role and a name of its own.
function Accessible({ label }) {
  const map = useMap();
  useEffect(() => {
    const el = map.getContainer();
    el.setAttribute("role", "region");
    el.setAttribute("aria-label", label);
    el.setAttribute("aria-roledescription", "map");
    // Scripts on the page (the e2e suite) ask the map where a point is drawn: the fleet's
    // dots are pixels on a canvas, with no element of their own to find.
    el.leafletMap = map;
  }, [map, label]);
  return null;
}

// Fit the view to everything drawn when the set of things changes (not on every move, so a
// user who panned is not yanked back each time a position arrives), and again when the
// container changes size (it is laid out after Leaflet first measures it, and on resize).
function fit(map, points) {
  map.invalidateSize({ animate: false });
  if (points.length === 1) {
    map.setView(points[0], Math.max(map.getZoom(), 14), { animate: false });
  } else if (points.length > 1) {
    // More room top-left (zoom buttons) and bottom-right (attribution) than elsewhere.
    map.fitBounds(L.latLngBounds(points), {
      paddingTopLeft: [52, 20],
      paddingBottomRight: [20, 28],
      maxZoom: 15,
      animate: false,
    });
  }
}

function FitBounds({ points, fitKey }) {
  const map = useMap();
  const last = useRef("");
  const shown = useRef([]);
  useEffect(() => {
    if (!points.length || last.current === fitKey) return;
    last.current = fitKey;
    shown.current = points;
    fit(map, points);
  }, [map, points, fitKey]);
  useEffect(() => {
    const observer = new ResizeObserver(() => fit(map, shown.current));
    observer.observe(map.getContainer());
    return () => observer.disconnect();
  }, [map]);
  return null;
}

// Every push replaces Reflex's lists with freshly parsed rows, so the same marker arrives as a
// new object each time: compare rows by value, or each push would redo every marker in Leaflet
// (thousands of stops on a busy day). Leaflet and React only touch what really changed.
function sameValue(a, b) {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => sameValue(a[k], b[k]));
  }
  return false;
}

// Leaflet reads a marker's title (and alt) only when it creates the marker or its icon, and
// react-leaflet passes neither on later renders: keep them current by hand, since they carry
// the state a reader hears ("..., done", "..., on break").
function useMarkerName(title, alt) {
  const ref = useRef(null);
  useEffect(() => {
    const marker = ref.current;
    if (!marker) return;
    marker.options.title = title;
    if (alt !== undefined) marker.options.alt = alt;
    const element = marker.getElement();
    if (!element) return;
    element.title = title;
    if (alt !== undefined && element.tagName === "IMG") element.alt = alt;
  }, [title, alt]);
  return ref;
}

// A marker off the dashboard (my position, a chosen point, the tracked driver): a few per
// map, each a keyboard-reachable element named by its title.
const DriverMarker = memo(function DriverMarker({ marker, onSelect }) {
  const icon = useMemo(
    () => markerIcon(marker.color, marker.selected, marker.glyph),
    [marker.color, marker.selected, marker.glyph],
  );
  // Leaflet makes a keyboard marker a focusable role="button"; Enter or Space activates it
  // like a click (Leaflet forwards the key events of a focused marker to the marker).
  const handlers = useMemo(
    () => ({
      click: () => onSelect && onSelect(marker.id),
      keydown: (e) => {
        const key = e.originalEvent && e.originalEvent.key;
        if (onSelect && (key === "Enter" || key === " ")) {
          e.originalEvent.preventDefault();
          onSelect(marker.id);
        }
      },
    }),
    [onSelect, marker.id],
  );
  const position = useMemo(() => [marker.lat, marker.lon], [marker.lat, marker.lon]);
  const named = useMarkerName(marker.title, marker.title);
  if (!(marker.has_position ?? true)) return null;
  return (
    <Marker
      ref={named}
      position={position}
      icon={icon}
      title={marker.title}
      alt={marker.title}
      keyboard={true}
      zIndexOffset={marker.selected ? 1000 : 500}
      eventHandlers={handlers}
    />
  );
}, sameValue);

// The dashboard's fleet: a driver's dot on a canvas of its own, as the DOM marker looked (a
// coloured dot with a white ring, a dark outline, the initials; larger when selected). As DOM
// markers, each fix moved an element Chromium then laid out, painted and composited with the
// page's: at 20 dashboards x 200 drivers, a bare page moving Leaflet DOM markers (left/top,
// as here) answered POST -> DOM at p95 134 ms where the same page with canvas dots answered
// at 41 ms (`bench realtime --floor-only --floor-page map|map-canvas`, docs/realtime.md,
// Round 11).
// A fix now redraws the few pixels around the dot's old and new place.
const FLEET_PANE = "lai-fleet";
const DOT_RADIUS = 9.5; // 22 px across with the ring, as the DOM marker
const SELECTED_RADIUS = 13.5; // 30 px

const DriverDot = L.CircleMarker.extend({
  _updatePath() {
    L.CircleMarker.prototype._updatePath.call(this); // the dot and its white ring
    // Leaflet also calls this when the dot moves or restyles, outside the renderer's drawing
    // pass (which then only asks for a redraw of the dot's area at the next frame): draw the
    // outline and the initials in that pass only, as the dot itself is.
    if (!this._renderer._drawing || this._empty()) return;
    const ctx = this._renderer._ctx;
    const { x, y } = this._point;
    const { selected, glyph, weight } = this.options;
    const outline = selected ? 3 : 1;
    ctx.beginPath();
    ctx.arc(x, y, this._radius + weight / 2 + outline / 2, 0, Math.PI * 2);
    ctx.lineWidth = outline;
    ctx.strokeStyle = OUTLINE_COLOR;
    ctx.stroke();
    if (glyph) {
      ctx.fillStyle = "#fff";
      ctx.font = `700 ${GLYPH_PX}px sans-serif`;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText(glyph, x, y + 0.5);
    }
  },
});

// A canvas renderer drawing in a pane of its own (`name`, also its class), stacked at
// `zIndex` among Leaflet's panes (overlayPane, the route lines: 400; markerPane: 600).
function useCanvasPane(name, zIndex, { clickable = false, tolerance = 0 } = {}) {
  const map = useMap();
  return useMemo(() => {
    if (!map.getPane(name)) {
      const pane = map.createPane(name);
      pane.classList.add(name);
      pane.style.zIndex = String(zIndex);
      if (!clickable) pane.style.pointerEvents = "none";
    }
    return L.canvas({ pane: name, padding: 0.2, tolerance });
  }, [map, name, zIndex, clickable, tolerance]);
}

function useFleetRenderer() {
  // Above the stops and the lines, as Leaflet's markers. The tolerance widens each dot's
  // redrawn and clickable area by the dark outline (3 px when selected) and a little more
  // for a finger.
  return useCanvasPane(FLEET_PANE, 600, { clickable: true, tolerance: 4 });
}

// A driver with a position: shown when the board has one or a fix has been pushed since.
function useDrawn(marker) {
  const [, render] = useReducer((n) => n + 1, 0);
  const drawn = (marker.has_position ?? true) || !!newerFix(marker.id, marker.seen_at);
  useFixWriter(drawn ? null : marker.id, marker.seen_at, render);
  return drawn;
}

const FleetDot = memo(function FleetDot({ marker, onSelect, day, readAt, renderer }) {
  const map = useMap();
  const fix = newerFix(marker.id, marker.seen_at);
  const row = usePushedRow(marker.id, day, readAt);
  const lat = fix ? fix.lat : marker.lat;
  const lng = fix ? fix.lng : marker.lon;
  const color = row ? row.color : marker.color;
  const title = row ? row.title : marker.title;
  const drawn = useDrawn(marker);
  const layer = useRef(null);
  useEffect(() => {
    if (!drawn) return undefined;
    const dot = new DriverDot([lat, lng], {
      renderer,
      radius: DOT_RADIUS,
      weight: 3,
      color: "#fff",
      opacity: 1,
      fillOpacity: 1,
      fillColor: color,
      glyph: marker.glyph,
      selected: marker.selected,
      bubblingMouseEvents: false,
    });
    dot.on("click", () => onSelect && onSelect(marker.id));
    dot.bindTooltip(title, { direction: "top", offset: [0, -12] });
    dot.addTo(map);
    layer.current = dot;
    return () => {
      dot.remove();
      layer.current = null;
    };
    // Made once per driver on the map; what changes later is applied to it below.
  }, [map, renderer, marker.id, drawn, onSelect]);
  useEffect(() => {
    const dot = layer.current;
    if (!dot) return;
    dot.options.glyph = marker.glyph;
    dot.options.selected = marker.selected;
    // One call: the new radius and colour, redrawn with the next frame.
    dot.setStyle({ fillColor: color, radius: marker.selected ? SELECTED_RADIUS : DOT_RADIUS });
    if (marker.selected) dot.bringToFront();
    dot.setTooltipContent(title);
  }, [color, title, marker.glyph, marker.selected, drawn]);
  useEffect(() => {
    const dot = layer.current;
    if (dot) dot.setLatLng([lat, lng]);
  }, [lat, lng, drawn]);
  useFixWriter(marker.id, marker.seen_at, (pushed) => {
    const dot = layer.current;
    if (!dot) return;
    const at = dot.getLatLng();
    if (at.lat !== pushed.lat || at.lng !== pushed.lng) dot.setLatLng([pushed.lat, pushed.lng]);
  });
  return null;
}, sameValue);

function FleetDots({ markers, onSelect, day, readAt }) {
  const renderer = useFleetRenderer();
  return markers.map((marker) => (
    <FleetDot
      key={marker.id}
      marker={marker}
      onSelect={onSelect}
      day={day}
      readAt={readAt}
      renderer={renderer}
    />
  ));
}

// A fleet dot's name ("Aisha Khan, on route") in the hidden list beside the map.
const DriverName = memo(function DriverName({ marker, day, readAt }) {
  const row = usePushedRow(marker.id, day, readAt);
  const drawn = useDrawn(marker);
  if (!drawn) return null;
  const title = row ? row.title : marker.title;
  return (
    <li
      className={"lai-driver" + (marker.selected ? " lai-driver-selected" : "")}
      data-marker-for={marker.id}
      title={title}
    >
      {title}
    </li>
  );
}, sameValue);

// Stops: a busy day has thousands. As markers, each was a positioned DOM element (with a
// compositing layer, before leaflet_2d.js) that Chromium walked through for style, layout and
// paint in every frame a driver moved; on one canvas they are a single element, redrawn only
// where a stop changes. Above the route lines, below the driver markers.
const STOPS_PANE = "lai-stops";

function useStopsRenderer() {
  return useCanvasPane(STOPS_PANE, 450); // between the route lines and the drivers
}

const StopDot = memo(function StopDot({ stop, renderer }) {
  const center = useMemo(() => [stop.lat, stop.lon], [stop.lat, stop.lon]);
  const pathOptions = useMemo(
    () => ({
      // A dark ring on the plain background, a red one when the stop is at risk of being late.
      color: stop.late ? "#ce2c31" : "#334155",
      weight: stop.late ? 3 : 1.5,
      fillColor: stop.color,
      fillOpacity: 1,
      opacity: 1,
    }),
    [stop.color, stop.late],
  );
  return (
    <CircleMarker
      center={center}
      radius={stop.late ? 7 : 5}
      renderer={renderer}
      interactive={false}
      pathOptions={pathOptions}
    />
  );
}, sameValue);

// One route's dots: re-rendered only when that route's group is a new object (a push for it).
const RouteDots = memo(function RouteDots({ stops, renderer }) {
  return stops.map((stop) => <StopDot key={stop.id} stop={stop} renderer={renderer} />);
});

function StopDots({ groups }) {
  const renderer = useStopsRenderer();
  return groups.map((g) => <RouteDots key={g.key} stops={g.stops} renderer={renderer} />);
}

// The canvas has no names: each stop's ("Pickup LAI-..., pending (driver)") is an item of a
// list that screen readers find next to the map, hidden from sight.
const VISUALLY_HIDDEN = {
  position: "absolute",
  width: "1px",
  height: "1px",
  margin: "-1px",
  padding: 0,
  border: 0,
  overflow: "hidden",
  clipPath: "inset(50%)",
  whiteSpace: "nowrap",
};

const StopName = memo(function StopName({ stop }) {
  return (
    <li className={"lai-stop" + (stop.late ? " lai-stop-late" : "")} title={stop.title}>
      {stop.title}
    </li>
  );
}, sameValue);

// One route's names in the hidden list, as `RouteDots` for the canvas.
const RouteNames = memo(function RouteNames({ stops }) {
  return stops.map((stop) => <StopName key={stop.id} stop={stop} />);
});

const RouteLine = memo(function RouteLine({ line, selected }) {
  const pathOptions = useMemo(
    () => ({ color: line.color, weight: selected ? 5 : 3, opacity: 0.85 }),
    [line.color, selected],
  );
  return <Polyline positions={line.points} pathOptions={pathOptions} />;
}, sameValue);

// The drivers (dots on the dashboard, markers elsewhere) and their hidden names change with
// the board's state, never with a route push: as components of their own with the same props,
// a route push (several a second on every dashboard while a shift starts) re-renders the
// routes alone, not 200 drivers' dots and names compared one by one.
const DriverLayer = memo(function DriverLayer({ markers, onSelect, followFleet, day, readAt }) {
  if (followFleet) {
    return <FleetDots markers={markers} onSelect={onSelect} day={day} readAt={readAt} />;
  }
  return markers.map((marker) => (
    <DriverMarker key={marker.id} marker={marker} onSelect={onSelect} />
  ));
});

const DriverNames = memo(function DriverNames({ markers, label, day, readAt }) {
  if (!markers.length) return null;
  return (
    <ul aria-label={`${label}: drivers`} style={VISUALLY_HIDDEN}>
      {markers.map((marker) => (
        <DriverName key={marker.id} marker={marker} day={day} readAt={readAt} />
      ))}
    </ul>
  );
});

export function LiveMap({
  markers = [],
  lines: snapshotLines = [],
  stops: snapshotStops = [],
  tileUrl = "",
  attribution = "",
  label = "Map",
  center = [41.8868, -87.6527],
  zoom = 12,
  height = "360px",
  onSelect,
  followFleet = false,
  routesDay = "",
  routesReadAt = 0,
  selectedLine = "",
  id,
}) {
  // The dashboard: routes pushed since the snapshot (`routesReadAt`) replace its own.
  const routesVersion = useSyncExternalStore(
    live.routes.subscribe,
    live.routes.version,
    () => 0,
  );
  const snapshotGroups = useMemo(
    () => routeGroups(snapshotStops, snapshotLines),
    [snapshotStops, snapshotLines],
  );
  const groups = useMemo(
    () =>
      followFleet
        ? mergeRouteGroups(snapshotGroups, live.routes.entries(), routesDay, routesReadAt)
        : snapshotGroups,
    [followFleet, snapshotGroups, routesVersion, routesDay, routesReadAt],
  );
  const stops = useMemo(() => groups.flatMap((g) => g.stops), [groups]);
  // Reflex passes a new handler on each render: markers get one that never changes.
  const latestSelect = useRef(onSelect);
  latestSelect.current = onSelect;
  const select = useCallback((id) => latestSelect.current && latestSelect.current(id), []);
  const points = useMemo(
    () => [
      ...markers.filter((m) => m.has_position ?? true).map((m) => [m.lat, m.lon]),
      ...stops.map((s) => [s.lat, s.lon]),
    ],
    [markers, stops],
  );
  // The set of things drawn, in any order: a pushed route is merged in after the others, and
  // re-fitting (which moves every marker) on each such push cost busy dashboards long tasks.
  const fitKey = useMemo(
    () =>
      markers
        .map((m) => m.id)
        .sort()
        .join(",") +
      "|" +
      stops
        .map((s) => s.id)
        .sort()
        .join(","),
    [markers, stops],
  );
  return (
    <div id={id} className="lai-map" style={{ width: "100%", height }}>
      <MapContainer
        center={center}
        zoom={zoom}
        scrollWheelZoom={false}
        zoomSnap={0.25}
        style={{ width: "100%", height: "100%", background: "#e8edf2" }}
        className="lai-map-canvas"
      >
        <Accessible label={label} />
        {tileUrl ? <TileLayer url={tileUrl} attribution={attribution} /> : null}
        {groups.map(({ key, line }) =>
          line ? (
            <RouteLine key={key} line={line} selected={line.selected || line.id === selectedLine} />
          ) : null,
        )}
        <StopDots groups={groups} />
        <DriverLayer
          markers={markers}
          onSelect={select}
          followFleet={followFleet}
          day={routesDay}
          readAt={routesReadAt}
        />
        <FitBounds points={points} fitKey={fitKey} />
      </MapContainer>
      {followFleet ? (
        <DriverNames markers={markers} label={label} day={routesDay} readAt={routesReadAt} />
      ) : null}
      {stops.length ? (
        <ul aria-label={`${label}: stops`} style={VISUALLY_HIDDEN}>
          {groups.map((g) => (
            <RouteNames key={g.key} stops={g.stops} />
          ))}
        </ul>
      ) : null}
    </div>
  );
}
