// `bench realtime`: installed in every dashboard page before the app's own scripts run.
// Records each change of a driver's position/status or a shipment's status as it lands in the
// DOM (the DOM contract: [data-driver-id] with data-lat, data-lng, data-status; and
// [data-shipment-id] with data-status), stamped with performance.timeOrigin + performance.now()
// (wall-clock milliseconds; the bench corrects each page's offset to its own clock).
(() => {
  if (window.__lai) return;
  const now = () => performance.timeOrigin + performance.now();
  const last = new Map(); // "<kind><id>" -> the value last recorded, so one change = one record
  let records = [];
  let longTasks = [];
  let longTaskSpans = []; // [start (wall-clock ms), duration ms]: what held a late frame
  let recording = false;

  const put = (kind, id, value, t) => {
    if (value === null || value === "null,null" || value === ",") return; // no GPS fix yet
    const key = kind + id;
    if (last.get(key) === value) return;
    last.set(key, value);
    if (recording) records.push([t, kind, id, value]);
  };
  const scan = (el, t) => {
    const driver = el.getAttribute("data-driver-id");
    if (driver !== null) {
      if (el.hasAttribute("data-lat")) {
        put("p", driver, `${el.getAttribute("data-lat")},${el.getAttribute("data-lng")}`, t);
      }
      if (el.hasAttribute("data-status")) put("d", driver, el.getAttribute("data-status"), t);
    }
    const shipment = el.getAttribute("data-shipment-id");
    if (shipment !== null && el.hasAttribute("data-status")) {
      put("s", shipment, el.getAttribute("data-status"), t);
    }
  };
  const SELECTOR = "[data-driver-id],[data-shipment-id]";
  const observer = new MutationObserver((mutations) => {
    const t = now(); // the callback runs right after the DOM changed, before paint
    const touched = new Set();
    for (const m of mutations) {
      if (m.type === "attributes") touched.add(m.target);
      for (const node of m.addedNodes) {
        if (node.nodeType !== 1) continue;
        if (node.matches(SELECTOR)) touched.add(node);
        for (const inner of node.querySelectorAll(SELECTOR)) touched.add(inner);
      }
    }
    for (const el of touched) scan(el, t);
  });
  observer.observe(document, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["data-lat", "data-lng", "data-status", "data-driver-id", "data-shipment-id"],
  });
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        longTasks.push(e.duration);
        longTaskSpans.push([performance.timeOrigin + e.startTime, e.duration]);
      }
    }).observe({ type: "longtask", buffered: true });
  } catch (_) {
    // no long-task timing in this browser: the figure stays empty
  }

  // The socket can be dropped and held down, to time how a reconnecting dashboard catches up.
  const NativeWebSocket = window.WebSocket;
  const sockets = [];
  const opened = [];
  const traffic = { messages: 0, bytes: 0 }; // what the server pushed to this tab
  // When each GPS fix left the server (the push's third argument, epoch ms, server clock) and
  // when its websocket frame was handled in the page (same [t, "p", id, "lat,lng"] shape as
  // the DOM records), so the bench can split POST -> DOM at both points.
  let frames = [];
  let sent = [];
  const FLEET_PUSH = /push\("fleet",(\[\[.*?\]\]),([0-9.]+)\)/;
  const recordFrame = (data, t) => {
    if (!recording || typeof data !== "string") return;
    if (data.startsWith('{"floor":')) {
      // The bench's floor (loadtests/realtime_floor.py): {"floor": [[id, lat, lng]], "sent": ms}.
      const message = JSON.parse(data);
      for (const [id, lat, lng] of message.floor) {
        frames.push([t, "p", String(id), `${lat},${lng}`]);
        sent.push([message.sent, "p", String(id), `${lat},${lng}`]);
      }
      return;
    }
    if (!data.includes('\\"fleet\\"')) return;
    let update;
    try {
      update = JSON.parse(data.slice(data.indexOf("[")))[1];
    } catch (_) {
      return; // not a Socket.IO event frame
    }
    for (const event of (update && update.events) || []) {
      const match = FLEET_PUSH.exec((event.payload && event.payload.javascript_code) || "");
      if (!match) continue;
      for (const [id, lat, lng] of JSON.parse(match[1])) {
        frames.push([t, "p", String(id), `${lat},${lng}`]);
        sent.push([parseFloat(match[2]), "p", String(id), `${lat},${lng}`]);
      }
    }
  };
  let blocked = false;
  class BenchWebSocket extends NativeWebSocket {
    constructor(url, protocols) {
      // While blocked, connect to a closed port: the client sees a failed reconnect attempt.
      super(blocked ? "ws://127.0.0.1:9/" : url, protocols);
      if (!blocked) {
        sockets.push(this);
        this.addEventListener("open", () => opened.push(now()));
        this.addEventListener("message", (e) => {
          recordFrame(e.data, now());
          traffic.messages += 1;
          traffic.bytes += typeof e.data === "string" ? e.data.length : e.data.byteLength || 0;
        });
      }
    }
  }
  window.WebSocket = BenchWebSocket;

  window.__lai = {
    now,
    // The values on screen now become the baseline; changes from here on are recorded.
    start() {
      const t = now();
      for (const el of document.querySelectorAll(SELECTOR)) scan(el, t);
      recording = true;
      const baseline = { p: {}, d: {}, s: {} };
      for (const [key, value] of last) baseline[key[0]][key.slice(1)] = value;
      return baseline;
    },
    // Everything recorded since the last take() (the bench takes once, after the drive).
    take() {
      const out = { records, longTasks, longTaskSpans, frames, sent };
      records = [];
      longTasks = [];
      longTaskSpans = [];
      frames = [];
      sent = [];
      return out;
    },
    drop() {
      blocked = true;
      for (const ws of sockets) ws.close();
      return now();
    },
    restore() {
      blocked = false;
      return now();
    },
    opened: () => opened.slice(),
    traffic: () => ({ ...traffic }),
    // How many of the expected values the DOM does not show yet (truth: {p, d, s} maps).
    mismatches(truth) {
      let wrong = 0;
      const shown = { p: new Map(), d: new Map(), s: new Map() };
      for (const el of document.querySelectorAll(SELECTOR)) {
        const driver = el.getAttribute("data-driver-id");
        if (driver !== null) {
          shown.p.set(driver, `${el.getAttribute("data-lat")},${el.getAttribute("data-lng")}`);
          shown.d.set(driver, el.getAttribute("data-status"));
        }
        const shipment = el.getAttribute("data-shipment-id");
        if (shipment !== null) shown.s.set(shipment, el.getAttribute("data-status"));
      }
      for (const kind of ["p", "d", "s"]) {
        for (const [id, value] of Object.entries(truth[kind] || {})) {
          if (shown[kind].get(id) !== value) wrong += 1;
        }
      }
      return wrong;
    },
    // One dispatcher interaction: change the status filter, resolve with the milliseconds
    // until the result count on screen changes (null after 5 s).
    probe(value) {
      const select = document.getElementById("status-filter");
      const count = document.getElementById("result-count");
      if (!select || !count) return Promise.resolve(null);
      const before = count.textContent;
      return new Promise((resolve) => {
        const t0 = now();
        const watch = new MutationObserver(() => {
          if (count.textContent !== before) {
            watch.disconnect();
            resolve(now() - t0);
          }
        });
        watch.observe(count, { subtree: true, childList: true, characterData: true });
        const setter = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, "value").set;
        setter.call(select, value);
        select.dispatchEvent(new Event("change", { bubbles: true }));
        setTimeout(() => {
          watch.disconnect();
          resolve(null);
        }, 5000);
      });
    },
  };
})();
