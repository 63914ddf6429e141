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
// pushes arrived within it: each one re-renders the map (the pushed routes' stops; the other
// routes' groups are compared by identity, `routeGroups`), and a busy dashboard receives
// several a second. A tab whose frames do not run (hidden, or a browser that throttles it) is
// flushed by a timer. Fixes and fleet rows
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

// The map's stops and lines as one group per route (`key`: the driver id as text), in the
// order of `stops` (the board reads them by driver, then sequence), a line with no stops last.
// A group keeps its identity until its route changes, so that a route push re-renders that
// route's dots, names and line only: with one flat list, each push re-rendered the map's
// every stop (hundreds, compared one by one) and moved the pushed route's names to the end of
// the hidden list (DOM moves, then style, layout and paint), several times a second while a
// shift starts (docs/realtime.md, Round 10 (helper H2)).
export function routeGroups(stops, lines) {
  const groups = new Map();
  const group = (key) => {
    if (!groups.has(key)) groups.set(key, { key, stops: [], line: null });
    return groups.get(key);
  };
  for (const stop of stops) group(String(stop.driver_id)).stops.push(stop);
  for (const line of lines) group(String(line.id)).line = line;
  return [...groups.values()];
}

// The group of one pushed route, the same object for as long as the store holds that route.
const pushedGroups = new WeakMap();
function pushedGroup(key, route) {
  if (!pushedGroups.has(route)) pushedGroups.set(route, { key, stops: route.stops, line: route.line });
  return pushedGroups.get(route);
}

// The snapshot's groups with the newer routes: each route pushed for `day` after `readAt`
// replaces its group where the snapshot had it (the list keeps the board's order), a route the
// snapshot did not have comes after the others. Unchanged groups are the snapshot's objects.
export function mergeRouteGroups(groups, routes, day, readAt) {
  const newer = new Map();
  for (const [key, route] of routes) {
    if (route.day === day && route.readAt > readAt) newer.set(key, route);
  }
  if (newer.size === 0) return groups;
  const merged = groups.map((g) => (newer.has(g.key) ? pushedGroup(g.key, newer.get(g.key)) : g));
  const known = new Set(groups.map((g) => g.key));
  for (const [key, route] of newer) {
    if (!known.has(key)) merged.push(pushedGroup(key, route));
  }
  return merged;
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
