"""Customer app at 360x740: the proof of delivery of a delivered shipment (uploaded by the
driver through the API, replayed with the same Idempotency-Key) and notification settings."""

from __future__ import annotations

import uuid
from io import BytesIO

import httpx
from PIL import Image
from playwright.sync_api import Browser, expect

from tests.e2e import data
from tests.e2e.conftest import MOBILE
from tests.e2e.pages import signed_in

CUSTOMER, DRIVER = "customer2@example.com", "driver2@example.com"


def _image(fmt: str, size: tuple[int, int]) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, fmt)
    return buffer.getvalue()


def test_customer_sees_the_proof_and_sets_notifications(browser: Browser, app_url: str) -> None:
    shipment = data.book_today(app_url, CUSTOMER, recipient_name="Ari Proof")
    data.assign(app_url, shipment["id"], DRIVER)
    data.picked_up(app_url, shipment["tracking_code"], DRIVER)
    driver = data.headers(app_url, DRIVER)
    upload = httpx.post(
        f"{app_url}/api/v1/shipments/{shipment['id']}/proof",
        headers=driver,
        files={
            "photo": ("door.jpg", _image("JPEG", (1200, 900)), "image/jpeg"),
            "signature": ("sig.png", _image("PNG", (300, 120)), "image/png"),
        },
        data={"recipient_name": "Ari Proof"},
        timeout=30,
    )
    assert upload.status_code == 201, upload.text
    route = httpx.get(f"{app_url}/api/v1/drivers/me/route", headers=driver).json()
    dropoff = next(
        s
        for s in route["stops"]
        if s["tracking_code"] == shipment["tracking_code"] and s["kind"] == "dropoff"
    )
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first, replay = (
        httpx.post(
            f"{app_url}/api/v1/stops/{dropoff['id']}/events",
            headers={**driver, **key},
            json={"event": "delivered"},
        )
        for _ in range(2)
    )
    assert first.status_code == replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json() == first.json()

    page = signed_in(browser, app_url, CUSTOMER, MOBILE, "/customer")
    card = page.locator(f"li[data-code='{shipment['tracking_code']}']")
    expect(card).to_be_visible(timeout=20_000)
    card.get_by_role("button", name="Proof of delivery").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_alt_text("Photo of the delivered parcel")).to_be_visible()
    expect(dialog.get_by_text("Received by: Ari Proof")).to_be_visible()
    expect(dialog.get_by_alt_text("Recipient's signature")).to_be_visible()
    dialog.get_by_role("button", name="Close proof").click()

    settings = page.locator("#notification-settings")
    settings.scroll_into_view_if_needed()
    failed = settings.get_by_role("checkbox", name="Delivery failed")
    expect(failed).to_be_checked()
    failed.click()
    settings.get_by_role("button", name="Save notification settings").click()
    expect(settings.get_by_text("Saved.")).to_be_visible()
    customer = data.headers(app_url, CUSTOMER)
    stored = httpx.get(f"{app_url}/api/v1/me/notification-preferences", headers=customer).json()
    assert stored["events"] == ["booked", "out_for_delivery", "delivered"]
    # Leave the shared demo customer as we found it.
    httpx.put(
        f"{app_url}/api/v1/me/notification-preferences",
        headers=customer,
        json={"email": True, "sms": False, "events": [*stored["events"], "failed"]},
    ).raise_for_status()
    page.context.close()


def test_driver_uploads_a_photo_then_delivers(browser: Browser, app_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    shipment = data.book_today(app_url, CUSTOMER, recipient_name="Bo Driverflow")
    code = shipment["tracking_code"]
    data.assign(app_url, shipment["id"], DRIVER)
    data.picked_up(app_url, code, DRIVER)
    page = signed_in(browser, app_url, DRIVER, MOBILE, "/driver")
    page.get_by_role("button", name=f"Add proof of delivery for {code}").click()
    dialog = page.get_by_role("dialog")
    not_a_photo = tmp_path / "notes.jpg"
    not_a_photo.write_bytes(b"just text pretending to be a photo" * 10)
    dialog.locator("#proof_photo input[type=file]").set_input_files(str(not_a_photo))
    dialog.get_by_role("button", name="Upload proof").click()
    expect(dialog.get_by_role("alert")).to_contain_text("not a JPEG, PNG, HEIC or WebP")
    photo = tmp_path / "door.jpg"
    photo.write_bytes(_image("JPEG", (1600, 1200)))
    dialog.locator("#proof_photo input[type=file]").set_input_files(str(photo))
    dialog.get_by_label("Recipient's name").fill("Bo Driverflow")
    dialog.get_by_role("button", name="Upload proof").click()  # the retry
    expect(dialog.get_by_text("Proof saved.")).to_be_visible(timeout=20_000)
    dialog.get_by_role("button", name="Close proof dialog").click()
    page.get_by_role("button", name=f"Mark {code} delivered").click()
    stored = httpx.get(
        f"{app_url}/api/v1/shipments/{shipment['id']}/proof",
        headers=data.headers(app_url, CUSTOMER),
    )
    assert stored.status_code == 200 and stored.json()["recipient_name"] == "Bo Driverflow"
    expect(page.locator(f"[data-code='{code}']").first).to_contain_text("Done", timeout=20_000)
    page.context.close()
