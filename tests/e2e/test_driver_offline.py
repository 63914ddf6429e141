"""The driver app at 360x740 in Chromium: taps made without signal are kept on the phone,
counted on screen, and applied exactly once when the connection returns (the customer then
gets the status emails from the real SMTP server); the signature pad; GPS batches."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import Message
from io import BytesIO
from pathlib import Path

import httpx
from PIL import Image
from playwright.sync_api import Browser, FloatRect, Page, Route, expect

from tests.e2e import data
from tests.e2e.conftest import MOBILE
from tests.e2e.pages import signed_in
from tests.e2e.test_accessibility import _report, violations
from tests.support.mailbox import Mailbox

CUSTOMER, DRIVER = "customer@example.com", "driver@example.com"
OUTBOX = "logistics.driverOutbox.v1"


def _tracking(app_url: str, code: str) -> dict:  # type: ignore[type-arg]
    response = httpx.get(f"{app_url}/api/v1/track/{code}", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_offline_taps_are_kept_and_applied_once(
    browser: Browser, app_url: str, mailbox: Mailbox
) -> None:
    shipment = data.book_today(app_url, CUSTOMER, recipient_name="Dana Deadzone")
    code = shipment["tracking_code"]
    data.assign(app_url, shipment["id"], DRIVER)
    page = signed_in(browser, app_url, DRIVER, MOBILE, "/driver")
    pickup = page.locator(f"li[data-code='{code}'][data-kind='pickup']")
    dropoff = page.locator(f"li[data-code='{code}'][data-kind='dropoff']")
    expect(pickup).to_be_visible()

    page.context.set_offline(True)
    page.get_by_role("button", name=f"Mark {code} picked up").click()
    page.get_by_role("button", name=f"Mark {code} delivered").click()
    page.get_by_role("button", name=f"Mark {code} delivered").click()  # an impatient second tap
    expect(page.locator("#outbox-pending")).to_have_text("2 changes waiting for signal")
    expect(pickup).to_contain_text("Waiting for signal: picked up")
    expect(dropoff).to_contain_text("Waiting for signal: delivered")
    found = violations(page)  # the offline notes too: labels, contrast
    assert not found, _report(found)
    # Nothing reached the server, and a reload without signal would still have both taps.
    assert _tracking(app_url, code)["status"] == "assigned"
    queued = page.evaluate(f"JSON.parse(localStorage.getItem('{OUTBOX}'))")
    assert [(item["event"], bool(item["key"])) for item in queued] == [
        ("picked_up", True),
        ("delivered", True),
    ]
    assert len({item["key"] for item in queued}) == 2

    page.context.set_offline(False)
    expect(page.locator("#outbox-pending")).to_have_text("", timeout=30_000)
    expect(dropoff).to_contain_text("Done", timeout=20_000)
    expect(pickup).to_contain_text("Done")
    assert page.evaluate(f"localStorage.getItem('{OUTBOX}')") == "[]"

    tracking = _tracking(app_url, code)
    assert tracking["status"] == "delivered"
    statuses = Counter(event["status"] for event in tracking["events"])
    assert statuses["picked_up"] == 1 and statuses["delivered"] == 1, tracking["events"]

    # The customer's status emails, read from the SMTP server: one per change.
    delivered = _mail(mailbox, CUSTOMER, f"Delivered: {code}")
    text = "".join(
        part.get_payload(decode=True).decode()
        for part in delivered.walk()
        if part.get_content_type() == "text/plain"
    )
    assert f"/customer?shipment={shipment['id']}" in text  # the proof link
    _mail(mailbox, CUSTOMER, f"Out for delivery: {code}")
    assert len([m for m in mailbox.to(CUSTOMER) if m["Subject"] == f"Delivered: {code}"]) == 1
    page.context.close()


def _mail(mailbox: Mailbox, to: str, subject: str, timeout_s: float = 30) -> Message:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = [m for m in mailbox.to(to) if str(m["Subject"]) == subject]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no email {subject!r} to {to}: {[m['Subject'] for m in mailbox.to(to)]}")


def test_driver_signs_on_the_pad_and_the_signature_is_stored(
    browser: Browser, app_url: str, tmp_path: Path
) -> None:
    shipment = data.book_today(app_url, CUSTOMER, recipient_name="Sam Signer")
    code = shipment["tracking_code"]
    data.assign(app_url, shipment["id"], DRIVER)
    data.picked_up(app_url, code, DRIVER)
    page = signed_in(browser, app_url, DRIVER, MOBILE, "/driver")
    page.get_by_role("button", name=f"Add proof of delivery for {code}").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("input[type=file]")).to_have_attribute("capture", "environment")
    photo = tmp_path / "door.jpg"
    Image.new("RGB", (800, 600), (40, 90, 160)).save(photo, "JPEG")
    dialog.locator("#proof_photo input[type=file]").set_input_files(str(photo))

    pad = dialog.get_by_role("img", name="Recipient's signature (sign with a finger)")
    expect(pad).to_be_visible()
    box = pad.bounding_box()
    assert box is not None
    _scribble(page, box)
    assert page.evaluate(INKED_PIXELS) > 100
    dialog.get_by_role("button", name="Clear signature").click()
    assert page.evaluate(INKED_PIXELS) == 0
    _scribble(page, box)
    found = violations(page)  # axe-core: the dialog with the pad, its label and buttons
    assert not found, _report(found)
    dialog.get_by_label("Recipient's name").fill("Sam Signer")
    dialog.get_by_role("button", name="Upload proof").click()
    expect(dialog.get_by_text("Proof saved.")).to_be_visible(timeout=20_000)

    customer = data.headers(app_url, CUSTOMER)
    stored = httpx.get(f"{app_url}/api/v1/shipments/{shipment['id']}/proof", headers=customer)
    assert stored.status_code == 200, stored.text
    assert stored.json()["recipient_name"] == "Sam Signer"
    signature = httpx.get(
        f"{app_url}/api/v1/shipments/{shipment['id']}/proof/signature", headers=customer
    )
    assert signature.status_code == 200 and signature.headers["content-type"] == "image/png"
    drawn = Image.open(BytesIO(signature.content)).convert("L")
    dark = sum(1 for value in drawn.get_flattened_data() if value < 100)
    assert dark > 200, f"only {dark} dark pixels: the stroke did not reach the stored PNG"
    page.context.close()


# Pixels of the pad that are not (near) white: what the stroke left on the canvas.
INKED_PIXELS = """() => {
  const canvas = document.getElementById('signature-canvas');
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 0; i < pixels.length; i += 4) if (pixels[i] < 100 && pixels[i + 3] > 0) inked++;
  return inked;
}"""


def _scribble(page: Page, box: FloatRect) -> None:
    """A zigzag across the pad, as a finger would draw it."""
    page.mouse.move(box["x"] + 20, box["y"] + 70)
    page.mouse.down()
    for step in range(1, 25):
        page.mouse.move(box["x"] + 20 + step * 10, box["y"] + 70 + (30 if step % 2 else -30))
    page.mouse.up()


def test_gps_fixes_are_batched_and_survive_a_dead_zone(browser: Browser, app_url: str) -> None:
    driver = "driver2@example.com"
    data.driver_id(app_url, driver)  # on shift ("available"): location sharing is on
    started = datetime.now(UTC) - timedelta(seconds=5)
    page = signed_in(
        browser,
        app_url,
        driver,
        MOBILE,
        "/driver",
        geolocation={"latitude": 41.8852, "longitude": -87.6229, "accuracy": 12},
        permissions=["geolocation"],
    )
    expect(page.locator("#gps-sharing")).to_have_attribute("data-shift", "available")
    page.context.set_offline(True)
    page.context.set_geolocation({"latitude": 41.8861, "longitude": -87.6240, "accuracy": 8})
    # Collected fixes are queued in a batch (here forced now instead of after 30 s / 20 fixes).
    page.wait_for_timeout(1500)
    page.evaluate("window.driverOutbox.flushGps()")
    queued = page.evaluate(f"JSON.parse(localStorage.getItem('{OUTBOX}'))")
    batches = [item for item in queued if item["kind"] == "gps"]
    assert len(batches) == 1 and batches[0]["key"], queued
    pings = batches[0]["body"]["pings"]
    assert pings and abs(pings[0]["lat"] - 41.885) < 0.01 and pings[0]["accuracy_m"] > 0
    # GPS batches are not stop actions: the driver's pending count stays empty.
    expect(page.locator("#outbox-pending")).to_have_text("")

    page.context.set_offline(False)
    page.wait_for_function(
        f"() => !JSON.parse(localStorage.getItem('{OUTBOX}') || '[]').length", timeout=30_000
    )
    fleet = httpx.get(
        f"{app_url}/api/v1/fleet", headers=data.headers(app_url, "dispatcher@example.com")
    )
    assert fleet.status_code == 200, fleet.text
    (dora,) = [row for row in fleet.json() if row["name"] == "Dora Driver"]
    # The batch sent after the dead zone moved her last fix to the phone's (recent) time.
    assert datetime.fromisoformat(dora["last_seen"]) >= started, dora
    page.context.close()


def test_a_lost_answer_is_replayed_with_the_same_key_and_acts_once(
    browser: Browser, app_url: str
) -> None:
    driver = "driver2@example.com"
    shipment = data.book_today(app_url, CUSTOMER, recipient_name="Lou Lostanswer")
    code = shipment["tracking_code"]
    data.assign(app_url, shipment["id"], driver)
    page = signed_in(browser, app_url, driver, MOBILE, "/driver")
    keys: list[str] = []
    replayed: list[str] = []

    def lose_first_answer(route: Route) -> None:
        keys.append(route.request.headers["idempotency-key"])
        response = route.fetch()  # the server gets the request and acts ...
        replayed.append(response.headers.get("idempotent-replayed", ""))
        if len(keys) == 1:
            route.abort("connectionreset")  # ... but the phone never hears back
        else:
            route.fulfill(response=response)

    page.route("**/api/v1/stops/*/events", lose_first_answer)
    page.get_by_role("button", name=f"Mark {code} picked up").click()
    for _ in range(200):  # route handlers run while Playwright waits
        if replayed:
            break
        page.wait_for_timeout(100)
    expect(page.locator("#outbox-pending")).to_have_text("1 change waiting for signal")
    assert _tracking(app_url, code)["status"] == "picked_up"  # it did act, once
    page.evaluate("window.driverOutbox.drain()")  # the next try (the script retries every 15 s)
    expect(page.locator("#outbox-pending")).to_have_text("", timeout=20_000)
    assert len(keys) == 2 and keys[0] == keys[1]
    assert replayed == ["", "true"]  # the second answer is the stored first one
    statuses = Counter(event["status"] for event in _tracking(app_url, code)["events"])
    assert statuses["picked_up"] == 1
    expect(page.locator(f"li[data-code='{code}'][data-kind='pickup']")).to_contain_text("Done")
    page.context.close()


def test_delivery_with_proof_taken_offline_is_replayed_proof_first_once(
    browser: Browser, app_url: str, tmp_path: Path
) -> None:
    # Proof required: the server refuses "delivered" until the proof is stored, so the
    # shipment ends delivered only if the replay sent the proof first.
    shipment = data.book_today(
        app_url, CUSTOMER, recipient_name="Olli Offline", requires_proof=True
    )
    code = shipment["tracking_code"]
    data.assign(app_url, shipment["id"], DRIVER)
    page = signed_in(browser, app_url, DRIVER, MOBILE, "/driver")
    dropoff = page.locator(f"li[data-code='{code}'][data-kind='dropoff']")
    expect(dropoff).to_be_visible()
    proof_posts: list[str] = []
    page.on(
        "request",
        lambda request: (
            proof_posts.append(request.headers.get("idempotency-key", ""))
            if request.method == "POST"
            and request.url.endswith(f"/shipments/{shipment['id']}/proof")
            else None
        ),
    )

    page.context.set_offline(True)
    page.get_by_role("button", name=f"Mark {code} picked up").click()
    page.get_by_role("button", name=f"Add proof of delivery for {code}").click()
    dialog = page.get_by_role("dialog")
    photo = tmp_path / "porch.jpg"
    Image.new("RGB", (800, 600), (160, 90, 40)).save(photo, "JPEG")
    dialog.locator("input[type=file]").set_input_files(str(photo))
    pad = dialog.get_by_role("img", name="Recipient's signature (sign with a finger)")
    box = pad.bounding_box()
    assert box is not None
    _scribble(page, box)
    dialog.get_by_label("Recipient's name").fill("Olli Offline")
    dialog.get_by_role("button", name=f"Save proof & deliver {code}").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#outbox-pending")).to_have_text("3 changes waiting for signal")
    expect(dropoff).to_contain_text("Waiting for signal: delivered")
    assert _tracking(app_url, code)["status"] == "assigned"
    queued = page.evaluate(f"JSON.parse(localStorage.getItem('{OUTBOX}'))")
    assert [(item["kind"], item.get("event")) for item in queued] == [
        ("stop", "picked_up"),
        ("proof", None),
        ("stop", "delivered"),
    ]
    assert queued[1]["recipientName"] == "Olli Offline"
    assert queued[1]["signature"].startswith("data:image/png;base64,")
    assert len({item["key"] for item in queued}) == 3
    # The photo itself waits in IndexedDB under the proof's key (localStorage is too small).
    assert page.evaluate(PHOTO_SIZE, queued[1]["key"]) == photo.stat().st_size

    page.context.set_offline(False)
    expect(page.locator("#outbox-pending")).to_have_text("", timeout=30_000)
    expect(dropoff).to_contain_text("Done", timeout=20_000)
    assert page.evaluate(f"localStorage.getItem('{OUTBOX}')") == "[]"
    assert page.evaluate(PHOTO_SIZE, queued[1]["key"]) is None  # sent: removed from the phone
    assert proof_posts == [queued[1]["key"]]  # one upload, with the queued key

    tracking = _tracking(app_url, code)
    assert tracking["status"] == "delivered"
    statuses = Counter(event["status"] for event in tracking["events"])
    assert statuses["picked_up"] == 1 and statuses["delivered"] == 1, tracking["events"]
    customer = data.headers(app_url, CUSTOMER)
    stored = httpx.get(f"{app_url}/api/v1/shipments/{shipment['id']}/proof", headers=customer)
    assert stored.status_code == 200, stored.text
    assert stored.json()["recipient_name"] == "Olli Offline"
    signature = httpx.get(
        f"{app_url}/api/v1/shipments/{shipment['id']}/proof/signature", headers=customer
    )
    assert signature.status_code == 200
    drawn = Image.open(BytesIO(signature.content)).convert("L")
    assert sum(1 for value in drawn.get_flattened_data() if value < 100) > 200
    page.context.close()


# The size of the photo Blob the outbox keeps in IndexedDB under a queue key (null: none).
PHOTO_SIZE = """(key) => new Promise((resolve, reject) => {
  const open = indexedDB.open('logistics.driverOutbox.photos', 1);
  open.onupgradeneeded = () => open.result.createObjectStore('photos');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const get = open.result.transaction('photos').objectStore('photos').get(key);
    get.onsuccess = () => { open.result.close(); resolve(get.result ? get.result.size : null); };
    get.onerror = () => reject(get.error);
  };
})"""
