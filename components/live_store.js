// The dashboard's live stores: what the server pushes between two reads of the board.
//
// Busy data (GPS fixes, fleet rows, routes: what changes as drivers work) reaches a dashboard as small
// script events (state/live.py), not as Reflex state changes: a state change re-sends a whole
// list (every driver, every stop of the day) to every dashboard and re-renders all of it. The
// page's state keeps the last database read (the snapshot); these stores keep what was pushed
// since, each item with the time it was read, and the map and the Drivers list show the newer
// of the two. Plain JavaScript without imports, so tests run it as it is
// (tests/unit/test_live_store.py). Pushes that arrive before this module has loaded wait in
// `window.laiLiveQueue` (see `state/live.py`), and are replayed here in order.

// Route changes reach their subscriber (the map) once per animation frame, however many
// pushes arrived within it: each one re-renders the map's list of stops (thousands on a busy
// day, compared by value), and a busy dashboard receives several a second. A tab whose frames do
// not run (hidden, or a browser that throttles it) is flushed by a timer. Fixes and fleet rows
// notify at once: a fix's subscribers write the DOM directly and a row re-renders one driver,
// while waiting for the frame put ~200 ms on every fix of a loaded page (docs/realtime.md,
// Round 5).
const FALLBACK_MS = 250;

export function frameBatch() {
  const due = new Set(); // what to run at the next frame
  let frame = null;
  let timer = null;
  const flush = () => {
    if (frame !== null && typeof cancelAnimationFrame === "function") cancelAnimationFrame(frame);
    if (timer !== null) clearTimeout(timer);
    frame = null;
    timer = null;
    const now = [...due];
    due.clear();
    now.forEach((run) => run());
  };
  return {
    request(run) {
      due.add(run);
      if (timer !== null) return;
      if (typeof requestAnimationFrame === "function") frame = requestAnimationFrame(flush);
      timer = setTimeout(flush, frame === null ? 0 : FALLBACK_MS);
    },
    flush,
  };
}

// Callbacks per key (a driver id): each subscriber hears only about its own driver.
function keyedListeners() {
  const listeners = new Map();
  return {
    notify(key) {
      const callbacks = listeners.get(key);
      if (callbacks) callbacks.forEach((callback) => callback());
    },
    subscribe(id, callback) {
      const key = String(id);
      if (!listeners.has(key)) listeners.set(key, new Set());
      listeners.get(key).add(callback);
      return () => listeners.get(key).delete(callback);
    },
  };
}

// GPS fixes: driver id -> {lat, lng, latText, lngText, at}, keeping the latest fix per driver.
export function createFleetStore() {
  const positions = new Map();
  const listeners = keyedListeners();
  return {
    // rows: [[driver id, "lat", "lng", epoch seconds of the fix], ...]
    push(rows) {
      for (const [id, latText, lngText, at] of rows) {
        const key = String(id);
        const shown = positions.get(key);
        if (shown && shown.at > at) continue;
        positions.set(key, { lat: parseFloat(latText), lng: parseFloat(lngText), latText, lngText, at });
        listeners.notify(key);
      }
    },
    get(id) {
      return positions.get(String(id));
    },
    subscribe: listeners.subscribe,
  };
}

// Fleet rows as the server re-read them (shift status, stops done, the marker's colour and
// name): "day|driver id" -> {status, statusLabel, progress, color, title, readAt}, keeping the
// latest read per driver and day (progress counts one day's stops).
export function createDriverStore() {
  const rows = new Map();
  const listeners = keyedListeners();
  return {
    // patch: {day: "YYYY-MM-DD", read_at: epoch s, rows: [{id, status, status_label,
    // progress, color, title}, ...]}
    push(patch) {
      for (const row of patch.rows) {
        const key = `${patch.day}|${row.id}`;
        const known = rows.get(key);
        if (known && known.readAt > patch.read_at) continue;
        rows.set(key, {
          status: row.status,
          statusLabel: row.status_label,
          progress: row.progress,
          color: row.color,
          title: row.title,
          readAt: patch.read_at,
        });
        listeners.notify(String(row.id));
      }
    },
    get(id, day) {
      return rows.get(`${day}|${id}`);
    },
    subscribe: listeners.subscribe,
  };
}

// Routes: driver id -> {day, readAt, stops, line} as last read by the server, for the day and
// at the time it names.
export function createRouteStore(batch = frameBatch()) {
  const routes = new Map();
  const listeners = new Set();
  const run = () => [...listeners].forEach((callback) => callback());
  let version = 0;
  return {
    // patch: {day: "YYYY-MM-DD", read_at: epoch s, drivers: [ids], stops: [...], lines: [...]}
    // A driver named in `drivers` with no line or stops in the patch has an empty route.
    push(patch) {
      for (const id of patch.drivers) {
        const key = String(id);
        const known = routes.get(key);
        if (known && known.day === patch.day && known.readAt > patch.read_at) continue;
        routes.set(key, {
          day: patch.day,
          readAt: patch.read_at,
          stops: patch.stops.filter((stop) => String(stop.driver_id) === key),
          line: patch.lines.find((line) => line.id === key) || null,
        });
      }
      version += 1;
      batch.request(run);
    },
    version() {
      return version;
    },
    flush: batch.flush, // notify now what waits for the next frame (tests)
    entries() {
      return routes;
    },
    subscribe(callback) {
      listeners.add(callback);
      return () => listeners.delete(callback);
    },
  };
}

// The map's stops and lines: the snapshot read at `readAt` for `day`, with every route that
// was pushed for that day after it in place of the snapshot's.
export function mergeRoutes(stops, lines, routes, day, readAt) {
  const newer = new Map();
  for (const [key, route] of routes) {
    if (route.day === day && route.readAt > readAt) newer.set(key, route);
  }
  if (newer.size === 0) return { stops, lines };
  const keptStops = stops.filter((stop) => !newer.has(String(stop.driver_id)));
  const keptLines = lines.filter((line) => !newer.has(String(line.id)));
  const pushedStops = [];
  const pushedLines = [];
  for (const route of newer.values()) {
    pushedStops.push(...route.stops);
    if (route.line) pushedLines.push(route.line);
  }
  return { stops: keptStops.concat(pushedStops), lines: keptLines.concat(pushedLines) };
}

// One store of each per page (the map and the Drivers list share them), replaying whatever
// was pushed before this module loaded.
export function liveStores() {
  const create = () => ({
    fleet: createFleetStore(),
    drivers: createDriverStore(),
    routes: createRouteStore(),
  });
  if (typeof window === "undefined") return create();
  if (!window.laiLive) {
    const stores = create();
    const queued = window.laiLiveQueue || [];
    window.laiLive = {
      ...stores,
      // (kind, payload, the server's send time: ignored here, read by `bench realtime`)
      push(kind, payload) {
        stores[kind].push(payload);
      },
    };
    window.laiLiveQueue = undefined;
    for (const [kind, payload] of queued) window.laiLive.push(kind, payload);
  }
  return window.laiLive;
}
