// Driver app: the offline outbox and GPS batching (docs/proof-of-delivery.md, "Offline outbox").
//
// Every stop action the driver taps (arrived, picked up, delivered, failed) is first written to
// localStorage with its own Idempotency-Key, then sent over plain HTTP to the REST API with the
// HttpOnly session cookie. Nothing goes through the Reflex websocket: it is down exactly when
// the phone has no signal, Reflex keeps queued events only in memory (a reload loses them), and
// it reconnects on its own schedule. A fetch works as soon as the network is back, and the key
// makes a replay of an action whose answer was lost return the first answer instead of acting
// twice. Actions are sent strictly in order; the first one that cannot be sent (no network,
// server error) stops the drain until the next try. A refused action (4xx: e.g. the stop was
// already failed) is dropped with its message shown: retrying it could never succeed.
// GPS fixes from navigator.geolocation.watchPosition are batched into the same queue.
// "Save proof & deliver" queues the proof (photo Blob in IndexedDB: localStorage is far too
// small for a photo; signature data URL and name in the queue item) right before the stop's
// "delivered", so a replay sends the proof first (the server refuses delivered without it).
(() => {
  if (window.driverOutbox) return;
  const STORE = "logistics.driverOutbox.v1";
  const PHOTOS_DB = "logistics.driverOutbox.photos"; // IndexedDB: photo Blobs by queue key
  const RETRY_MS = 15000;
  const GPS_BATCH_MS = 30000; // send collected fixes at most every 30 s ...
  const GPS_BATCH_POINTS = 20; // ... or as soon as 20 have been collected
  const GPS_MIN_GAP_MS = 5000; // throttle: at most one fix per 5 s
  const LABELS = {
    arrived: "arrived",
    picked_up: "picked up",
    delivered: "delivered",
    failed: "failed",
  };
  const DONE = {
    arrived: "Arrival recorded",
    picked_up: "Marked picked up",
    delivered: "Marked delivered",
    failed: "Stop marked failed",
  };
  let draining = false;
  let retryTimer = null;
  let gpsWatch = null;
  let gpsBuffer = [];
  let gpsLastFix = 0;
  let gpsFlushTimer = null;
  let proofPhoto = null; // the File last chosen in the proof dialog (react-dropzone keeps its own)

  const newKey = () => {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16)); // plain-HTTP LAN fallback
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  };
  const load = () => {
    try {
      const items = JSON.parse(localStorage.getItem(STORE) || "[]");
      return Array.isArray(items) ? items : [];
    } catch (_) {
      return [];
    }
  };
  const save = (items) => localStorage.setItem(STORE, JSON.stringify(items));
  const byId = (id) => document.getElementById(id);

  const say = (id, text) => {
    const node = byId(id);
    if (node && node.textContent !== text) node.textContent = text;
  };

  // --- Photos in IndexedDB (one object store, key = the queue item's Idempotency-Key) ------
  const photosDb = () =>
    new Promise((resolve, reject) => {
      const request = indexedDB.open(PHOTOS_DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore("photos");
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  const photoOp = async (mode, op) => {
    const db = await photosDb();
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction("photos", mode);
        const request = op(tx.objectStore("photos"));
        tx.oncomplete = () => resolve(request.result);
        tx.onerror = tx.onabort = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  };
  const putPhoto = (key, blob) => photoOp("readwrite", (store) => store.put(blob, key));
  const getPhoto = (key) => photoOp("readonly", (store) => store.get(key));
  const deletePhoto = (key) => photoOp("readwrite", (store) => store.delete(key)).catch(() => {});

  const render = () => {
    const items = load();
    // Proofs count as changes (the driver did something); GPS batches do not.
    const stops = items.filter((item) => item.kind === "stop" || item.kind === "proof");
    const n = stops.length;
    say(
      "outbox-pending",
      n === 0 ? "" : `${n} ${n === 1 ? "change" : "changes"} waiting for signal`,
    );
    const pending = new Map(stops.map((item) => [String(item.stopId), item.event]));
    document.querySelectorAll("li[data-stop-id]").forEach((card) => {
      const event = pending.get(card.dataset.stopId);
      let note = card.querySelector(":scope > .outbox-note");
      if (!event) {
        if (note) note.remove();
        return;
      }
      if (!note) {
        note = document.createElement("p");
        note.className = "outbox-note";
        note.style.cssText = "margin:6px 0 0;font-weight:700;color:#7a4b00";
        card.appendChild(note);
      }
      const text = `Waiting for signal: ${LABELS[event] || event}`;
      if (note.textContent !== text) note.textContent = text;
    });
  };

  const refreshPage = () => {
    const button = byId("outbox-refresh");
    if (button) button.click(); // DriverState reloads the stops from the server
  };

  const errorMessage = async (response) => {
    try {
      const body = await response.json();
      return (body && body.error && body.error.message) || `Refused (${response.status}).`;
    } catch (_) {
      return `Refused (${response.status}).`;
    }
  };

  const dataUrlBlob = (dataUrl) => {
    // Decoded here rather than fetch(dataUrl): the strict CSP's connect-src has no data:.
    const [head, b64] = dataUrl.split(",", 2);
    const bytes = Uint8Array.from(atob(b64 || ""), (c) => c.charCodeAt(0));
    return new Blob([bytes], { type: (head.match(/^data:([^;]+)/) || [])[1] || "image/png" });
  };

  const sendProof = async (item) => {
    const photo = await getPhoto(item.key);
    if (!photo) return null; // the browser dropped its storage: nothing left to send
    const form = new FormData();
    form.append("photo", photo, item.photoName || "photo.jpg");
    if (item.signature) form.append("signature", dataUrlBlob(item.signature), "signature.png");
    if (item.recipientName) form.append("recipient_name", item.recipientName);
    return fetch(item.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Idempotency-Key": item.key }, // the browser sets the multipart boundary
      body: form,
    });
  };

  const send = (item) =>
    item.kind === "proof" ? sendProof(item) : fetch(item.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Idempotency-Key": item.key },
      body: JSON.stringify(item.body),
    });

  const scheduleRetry = () => {
    if (retryTimer === null && load().length > 0) {
      retryTimer = setTimeout(() => {
        retryTimer = null;
        drain();
      }, RETRY_MS);
    }
  };

  const drain = async () => {
    if (draining) return;
    draining = true;
    let changed = false;
    try {
      for (;;) {
        const [item] = load();
        if (!item) break;
        let response;
        try {
          response = await send(item);
        } catch (_) {
          break; // no network: keep it, try again later
        }
        if (response && response.status === 401) {
          say("outbox-error", "Sign in again to send the changes waiting on this phone.");
          break;
        }
        const status = response ? response.status : 0;
        if (status >= 500 || status === 408 || status === 429) {
          break; // the server cannot take it now: keep it
        }
        save(load().filter((other) => other.key !== item.key));
        if (item.kind === "proof") {
          deletePhoto(item.key);
          changed = true;
          if (!response) {
            say("outbox-error", "The photo of a saved proof was lost on this phone; add it again.");
          } else if (!response.ok) {
            say("outbox-error", await errorMessage(response));
          }
        } else if (item.kind === "stop") {
          changed = true;
          if (response.ok) {
            say("outbox-status", DONE[item.event] || "Sent");
            say("outbox-error", "");
          } else {
            say("outbox-error", await errorMessage(response));
          }
        }
        render();
      }
    } finally {
      draining = false;
      render();
      if (changed) refreshPage();
      scheduleRetry();
    }
  };

  const enqueue = (item) => {
    save([...load(), { key: newKey(), queuedAt: new Date().toISOString(), ...item }]);
    render();
    drain();
  };

  const stopAction = (button) => {
    const stopId = Number(button.dataset.stopId);
    const event = button.dataset.outboxEvent;
    const body = { event };
    if (button.dataset.reasonInput) {
      const input = byId(button.dataset.reasonInput);
      const reason = input ? input.value.trim() : "";
      if (!reason) {
        say("outbox-error", "Type the reason the stop failed.");
        return;
      }
      body.reason = reason;
    }
    const queued = (item) => item.kind === "stop" && item.stopId === stopId && item.event === event;
    if (load().some(queued)) return; // a second tap on a button whose action already waits
    say("outbox-status", "");
    say("outbox-error", "");
    enqueue({ kind: "stop", stopId, event, url: `/api/v1/stops/${stopId}/events`, body });
  };

  // Capture phase, synchronously: the dialog (and its inputs) unmount when it closes.
  const proofAction = (button, event) => {
    const stopId = Number(button.dataset.outboxProof);
    const shipmentId = Number(button.dataset.shipmentId);
    const dialog = button.closest("[role=dialog]") || document;
    const input = dialog.querySelector("input[type=file]");
    const photo = (input && input.files && input.files[0]) || proofPhoto;
    if (!photo) {
      event.stopPropagation(); // keep the dialog open
      say("proof-outbox-error", "Take a photo of the delivered parcel first.");
      return;
    }
    const canvas = dialog.querySelector("canvas");
    const signature = canvas && inked(canvas) ? canvas.toDataURL("image/png") : "";
    const nameInput = dialog.querySelector("#proof-recipient");
    const proof = {
      kind: "proof",
      key: newKey(),
      queuedAt: new Date().toISOString(),
      stopId,
      url: `/api/v1/shipments/${shipmentId}/proof`,
      photoName: photo.name || "photo.jpg",
      signature,
      recipientName: nameInput ? nameInput.value.trim() : "",
    };
    proofPhoto = null;
    say("outbox-status", "");
    say("outbox-error", "");
    putPhoto(proof.key, photo)
      .then(() => {
        const items = load();
        const delivered = (item) =>
          item.kind === "stop" && item.stopId === stopId && item.event === "delivered";
        const again = items.findIndex((item) => item.kind === "proof" && item.stopId === stopId);
        const at = items.findIndex(delivered);
        if (again >= 0) {
          deletePhoto(items[again].key); // saved twice before signal: the newer proof replaces it
          items[again] = proof;
        } else if (at >= 0) {
          items.splice(at, 0, proof); // a "delivered" already waits: the proof goes first
        } else {
          const body = { event: "delivered" };
          const url = `/api/v1/stops/${stopId}/events`;
          const queuedAt = proof.queuedAt;
          const delivery = { kind: "stop", key: newKey(), queuedAt, stopId, event: "delivered" };
          items.push(proof, { ...delivery, url, body });
        }
        save(items);
        render();
        drain();
      })
      .catch(() => say("outbox-error", "This phone could not store the photo; use Upload proof."));
  };

  const inked = (canvas) => {
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < pixels.length; i += 4) if (pixels[i] < 128 && pixels[i + 3] > 0) return true;
    return false;
  };

  // --- GPS ---------------------------------------------------------------------------------
  const flushGps = () => {
    if (gpsFlushTimer !== null) {
      clearTimeout(gpsFlushTimer);
      gpsFlushTimer = null;
    }
    if (gpsBuffer.length === 0) return;
    const pings = gpsBuffer.splice(0, 100);
    enqueue({ kind: "gps", url: "/api/v1/drivers/me/location", body: { pings } });
  };

  const onFix = (position) => {
    const now = Date.now();
    if (now - gpsLastFix < GPS_MIN_GAP_MS) return;
    gpsLastFix = now;
    const c = position.coords;
    const ping = {
      lat: c.latitude,
      lon: c.longitude,
      recorded_at: new Date(position.timestamp || now).toISOString(),
    };
    if (c.accuracy != null) ping.accuracy_m = Math.min(c.accuracy, 100000);
    if (c.speed != null && c.speed >= 0) ping.speed_mps = Math.min(c.speed, 100);
    if (c.heading != null && c.heading >= 0 && c.heading < 360) ping.heading_deg = c.heading;
    gpsBuffer.push(ping);
    if (gpsBuffer.length >= GPS_BATCH_POINTS) flushGps();
    else if (gpsFlushTimer === null) gpsFlushTimer = setTimeout(flushGps, GPS_BATCH_MS);
  };

  const gpsWanted = () => {
    const marker = byId("gps-sharing");
    return !!marker && marker.dataset.shift !== "" && marker.dataset.shift !== "off_duty";
  };

  const syncGps = () => {
    const wanted = gpsWanted() && "geolocation" in navigator;
    if (wanted && gpsWatch === null) {
      gpsWatch = navigator.geolocation.watchPosition(onFix, () => {}, {
        enableHighAccuracy: true,
        maximumAge: 10000,
        timeout: 60000,
      });
    } else if (!wanted && gpsWatch !== null) {
      navigator.geolocation.clearWatch(gpsWatch); // shift off (or page left): stop sharing
      gpsWatch = null;
      flushGps();
    }
  };

  // Capture phase: runs before React's handlers, so the failure reason is read before the
  // dialog's close button unmounts its input.
  document.addEventListener(
    "click",
    (event) => {
      if (!event.target.closest) return;
      const button = event.target.closest("[data-outbox-event]");
      if (button) stopAction(button);
      const proof = event.target.closest("[data-outbox-proof]");
      if (proof) proofAction(proof, event);
      if (event.target.closest("[aria-label^='Add proof of delivery']")) proofPhoto = null;
    },
    true,
  );
  // The photo as chosen (camera or picker), in case the dropzone clears its input afterwards.
  document.addEventListener(
    "change",
    (event) => {
      const input = event.target;
      if (input && input.type === "file" && input.closest("[role=dialog]") && input.files[0]) {
        proofPhoto = input.files[0];
      }
    },
    true,
  );
  window.addEventListener("online", drain);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") drain();
    else flushGps(); // the tab may be frozen: keep what was collected
  });
  // Reflex's own "Check if server is reachable at ws://..." toast says nothing a driver can act
  // on (the pending count does) and, on a 360 px screen, covers the stop buttons that must stay
  // tappable without signal: hide it on this page (CSS cannot match it: only its text says so).
  const hideConnectionToast = () => {
    document.querySelectorAll("li[data-sonner-toast]").forEach((toast) => {
      if (toast.style.display !== "none" && toast.textContent.includes("Check if server")) {
        toast.style.display = "none";
      }
    });
  };

  // React re-renders the stop list (and the shift select) after each refresh: re-apply the
  // pending notes and the GPS switch when the page changes.
  new MutationObserver(() => {
    hideConnectionToast();
    render();
    syncGps();
  }).observe(document.body, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["data-shift"],
  });

  window.driverOutbox = { drain, load, flushGps };
  render();
  drain();
})();
