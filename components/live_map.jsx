// The live map: Leaflet through react-leaflet, fed by typed props from Reflex state.
//
// Markers (drivers, "my position", a chosen point) are keyboard-reachable buttons named by their
// title; stops are dots drawn on one canvas, named in a visually hidden list next to the map;
// routes are polylines. The tile layer is optional: with no
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

function markerIcon(color, selected, glyph) {
  const size = selected ? 30 : 22;
  return L.divIcon({
    className: "lai-marker" + (selected ? " lai-marker-selected" : ""),
    html:
      `<span aria-hidden="true" style="display:block;width:${size}px;height:${size}px;` +
      `border-radius:50%;background:${escapeHtml(color)};border:3px solid #fff;` +
      `box-shadow:0 0 0 ${selected ? 3 : 1}px #1e1b4b;color:#fff;font:700 11px/1 sans-serif;` +
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

const DriverMarker = memo(function DriverMarker({ marker, onSelect, followFleet, day, readAt }) {
  const follow = followFleet ? marker.id : null;
  const fix = newerFix(follow, marker.seen_at);
  const row = usePushedRow(follow, day, readAt);
  const lat = fix ? fix.lat : marker.lat;
  const lng = fix ? fix.lng : marker.lon;
  const color = row ? row.color : marker.color;
  const title = row ? row.title : marker.title;
  // The icon is made once per selection and glyph, with the colour of that moment; a new
  // colour (a shift status pushed or read) is painted into the icon's dot in place. A new
  // icon per colour made Leaflet re-run the marker's icon set-up (its HTML parsed again,
  // styles, title, position, z-index): 200 of them within seconds when a shift starts.
  const shownColor = useRef(color);
  const icon = useMemo(
    () => markerIcon(shownColor.current, marker.selected, marker.glyph),
    [marker.selected, marker.glyph],
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
  const position = useMemo(() => [lat, lng], [lat, lng]);
  const named = useMarkerName(title, title);
  // A driver with no fix yet has no marker until one is pushed (or read).
  const drawn = (marker.has_position ?? true) || !!fix;
  useEffect(() => {
    shownColor.current = color;
    const dot = named.current?.getElement()?.firstElementChild;
    if (dot) dot.style.background = color;
  }, [color, icon, named, drawn]);
  // A driver without a marker yet (no fix before) needs a render to create it.
  const [, render] = useReducer((n) => n + 1, 0);
  useFixWriter(follow, marker.seen_at, (pushed) => {
    const layer = named.current;
    if (!layer) {
      render();
      return;
    }
    const at = layer.getLatLng();
    if (at.lat !== pushed.lat || at.lng !== pushed.lng) layer.setLatLng([pushed.lat, pushed.lng]);
  });
  if (!drawn) return null;
  return (
    <Marker
      ref={named}
      position={position}
      icon={icon}
      title={title}
      alt={title}
      keyboard={true}
      zIndexOffset={marker.selected ? 1000 : 500}
      eventHandlers={handlers}
    />
  );
}, sameValue);

// Stops: a busy day has thousands. As markers, each was a positioned DOM element (with a
// compositing layer, before leaflet_2d.js) that Chromium walked through for style, layout and
// paint in every frame a driver moved; on one canvas they are a single element, redrawn only
// where a stop changes. Above the route lines, below the driver markers.
const STOPS_PANE = "lai-stops";

function useStopsRenderer() {
  const map = useMap();
  return useMemo(() => {
    if (!map.getPane(STOPS_PANE)) {
      const pane = map.createPane(STOPS_PANE);
      pane.classList.add("lai-stops");
      pane.style.zIndex = "450"; // overlayPane (lines) 400, markerPane 600
      pane.style.pointerEvents = "none";
    }
    return L.canvas({ pane: STOPS_PANE, padding: 0.2 });
  }, [map]);
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
        {markers.map((marker) => (
          <DriverMarker
            key={marker.id}
            marker={marker}
            onSelect={select}
            followFleet={followFleet}
            day={routesDay}
            readAt={routesReadAt}
          />
        ))}
        <FitBounds points={points} fitKey={fitKey} />
      </MapContainer>
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
