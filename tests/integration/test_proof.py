"""Proof of delivery over the real API: local store and a real S3 server (moto), content
checks, metadata stripping, who may read, and 'delivered' refused without a required proof."""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from logistics_ai.db import session_scope
from logistics_ai.models import ProofOfDelivery, Shipment, ShipmentStatus
from logistics_ai.services import assignment, drivers, proof, shipments
from tests.support import api, app_config
from tests.support.services import free_port
from tests.support.world import World, booking

GPS_IFD = 0x8825


def jpeg_with_gps(size: tuple[int, int] = (1600, 1200)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x0110] = "TestCam 3000"
    exif[GPS_IFD] = {1: "N", 2: (41.0, 53.0, 7.0), 3: "W", 4: (87.0, 39.0, 1.0)}
    buffer = BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=95)
    data = buffer.getvalue()
    assert Image.open(BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the fixture really has GPS
    return data


def encoded(fmt: str, size: tuple[int, int] = (640, 480)) -> bytes:
    buffer = BytesIO()
    Image.new("RGBA" if fmt == "PNG" else "RGB", size, (10, 120, 40)).save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture
def local_store(tmp_path: Path) -> Iterator[Path]:
    with app_config.configured(storage_backend="local", storage_dir=str(tmp_path / "store")):
        yield tmp_path / "store"


@pytest.fixture
def http() -> TestClient:
    return api.client()


def _token(http: TestClient, email: str) -> dict[str, str]:
    return api.bearer(api.login(http, email)["access_token"])


def _picked_up(world: World, **overrides: Any) -> Shipment:
    with session_scope() as s:
        shipment = shipments.create_shipment(s, world.alice, booking(**overrides))
    with session_scope() as s:
        assignment.assign_shipment(s, world.dispatcher, shipment.id, world.dave.driver_id)  # type: ignore[arg-type]
    with session_scope() as s:
        stops = {x.kind: x for x in assignment.shipment_stops(s, shipment.id)}  # type: ignore[arg-type]
        drivers.record_stop_event(s, world.dave, stops["pickup"].id, "picked_up")  # type: ignore[arg-type]
    return shipment


def _dropoff_id(shipment_id: int) -> int:
    with session_scope() as s:
        stops = {x.kind: x for x in assignment.shipment_stops(s, shipment_id)}
        return stops["dropoff"].id  # type: ignore[return-value]


def _upload(http: TestClient, headers: dict[str, str], shipment_id: int, photo: bytes, **extra):  # type: ignore[no-untyped-def]
    files: dict[str, Any] = {"photo": (extra.pop("filename", "p.jpg"), photo, "image/jpeg")}
    if "signature" in extra:
        files["signature"] = ("sig.png", extra.pop("signature"), "image/png")
    return http.post(
        f"/api/v1/shipments/{shipment_id}/proof", headers=headers, files=files, data=extra
    )


def test_driver_uploads_and_only_customer_driver_and_staff_can_read(
    world: World, http: TestClient, local_store: Path, session: Session
) -> None:
    shipment = _picked_up(world)
    dave = _token(http, "dave@test.example.com")
    created = _upload(
        http,
        dave,
        shipment.id,  # type: ignore[arg-type]
        jpeg_with_gps(),
        signature=encoded("PNG", (400, 160)),
        recipient_name="Jordan Lee",
        lat="41.79",
        lon="-87.59",
        filename="../../../etc/passwd.jpg",
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["recipient_name"] == "Jordan Lee" and body["photo_content_type"] == "image/jpeg"
    assert body["photo_url"] == f"/api/v1/shipments/{shipment.id}/proof/photo"

    # Stored only under app-generated keys inside the store, never under the client's name.
    stored = sorted(p.relative_to(local_store).as_posix() for p in local_store.rglob("*.*"))
    assert len(stored) == 3 and all(p.startswith(f"proofs/{shipment.id}/") for p in stored)
    assert not any("passwd" in p for p in stored)

    alice = _token(http, "alice@test.example.com")
    photo = http.get(body["photo_url"], headers=alice)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert photo.headers["cache-control"] == "private, no-store"
    served = Image.open(BytesIO(photo.content))
    assert served.size == (1600, 1200)
    exif = served.getexif()
    assert not exif.get_ifd(GPS_IFD) and 0x0110 not in exif  # location and camera gone
    thumb = Image.open(BytesIO(http.get(body["thumbnail_url"], headers=alice).content))
    assert max(thumb.size) == 320
    signature = http.get(body["signature_url"], headers=alice)
    assert signature.headers["content-type"] == "image/png"

    for email, expected in (
        ("dispatch@test.example.com", 200),
        ("dave@test.example.com", 200),
        ("bob@test.example.com", 404),  # another customer: not even its existence
        ("erin@test.example.com", 404),  # another driver
    ):
        got = http.get(f"/api/v1/shipments/{shipment.id}/proof", headers=_token(http, email))
        assert got.status_code == expected, (email, got.text)
        file = http.get(body["photo_url"], headers=_token(http, email))
        assert file.status_code == expected, email
    assert http.get(body["photo_url"]).status_code == 401
    erin = _token(http, "erin@test.example.com")
    assert _upload(http, erin, shipment.id, jpeg_with_gps()).status_code == 404  # type: ignore[arg-type]
    assert _upload(http, alice, shipment.id, jpeg_with_gps()).status_code == 403  # type: ignore[arg-type]
    # The public tracking page never shows the proof.
    public = http.get(f"/api/v1/track/{shipment.tracking_code}")
    assert "proof" not in public.text.lower() and "photo" not in public.text.lower()


@pytest.mark.parametrize(
    ("fmt", "served_type"),
    [("PNG", "image/png"), ("WEBP", "image/webp"), ("HEIF", "image/jpeg")],
)
def test_png_webp_and_heic_are_accepted_by_content(
    world: World, http: TestClient, local_store: Path, fmt: str, served_type: str
) -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()
    shipment = _picked_up(world)
    dave = _token(http, "dave@test.example.com")
    # Declared as image/jpeg with a .jpg name: the content decides, not the label.
    response = _upload(http, dave, shipment.id, encoded(fmt), filename="x.jpg")  # type: ignore[arg-type]
    assert response.status_code == 201, response.text
    assert response.json()["photo_content_type"] == served_type


def test_bad_uploads_get_clear_errors_and_write_nothing(
    world: World, http: TestClient, local_store: Path, session: Session
) -> None:
    shipment = _picked_up(world)
    dave = _token(http, "dave@test.example.com")
    url = f"/api/v1/shipments/{shipment.id}/proof"

    not_image = _upload(http, dave, shipment.id, b"%PDF-1.7 not a photo" * 20, filename="a.jpg")  # type: ignore[arg-type]
    assert not_image.status_code == 422
    assert "JPEG, PNG, HEIC or WebP" in not_image.json()["error"]["details"]["fields"]["photo"]

    truncated = _upload(http, dave, shipment.id, jpeg_with_gps()[:2000])  # type: ignore[arg-type]
    assert truncated.status_code == 422
    assert "damaged or truncated" in truncated.json()["error"]["details"]["fields"]["photo"]

    bad_signature = _upload(http, dave, shipment.id, jpeg_with_gps(), signature=encoded("JPEG"))  # type: ignore[arg-type]
    assert bad_signature.status_code == 422
    assert "signature" in bad_signature.json()["error"]["details"]["fields"]

    missing = http.post(url, headers=dave, data={"recipient_name": "x"})
    assert missing.status_code == 422 and "photo" in missing.json()["error"]["details"]["fields"]

    # A multipart body cut off in the middle (connection dropped during upload).
    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode() + jpeg_with_gps()[:5000]
    cut = http.post(
        url,
        headers={**dave, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        content=body,
    )
    assert 400 <= cut.status_code < 500, cut.text

    with app_config.configured(proof_max_bytes="20000"):
        big = _upload(http, dave, shipment.id, jpeg_with_gps())  # type: ignore[arg-type]
        assert big.status_code == 413 and big.json()["error"]["code"] == "payload_too_large"

    assert session.exec(select(ProofOfDelivery)).all() == []
    assert not list(local_store.rglob("*.*"))


def test_delivered_is_refused_without_a_required_proof(
    world: World, http: TestClient, local_store: Path, session: Session
) -> None:
    staff = _token(http, "dispatch@test.example.com")
    customer_id = world.alice.customer_id
    response = http.put(
        f"/api/v1/customers/{customer_id}/proof-requirement", headers=staff, json={"required": True}
    )
    assert response.status_code == 200 and response.json()["requires_proof"] is True
    shipment = _picked_up(world)
    assert shipment.requires_proof is True  # inherited from the customer's default
    dave = _token(http, "dave@test.example.com")
    stop_id = _dropoff_id(shipment.id)  # type: ignore[arg-type]
    refused = http.post(
        f"/api/v1/stops/{stop_id}/events", headers=dave, json={"event": "delivered"}
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["details"]["reason"] == "proof_required"
    session.expire_all()
    assert session.get(Shipment, shipment.id).status == ShipmentStatus.picked_up  # type: ignore[union-attr]

    assert _upload(http, dave, shipment.id, jpeg_with_gps()).status_code == 201  # type: ignore[arg-type]
    done = http.post(f"/api/v1/stops/{stop_id}/events", headers=dave, json={"event": "delivered"})
    assert done.status_code == 200, done.text
    # Once delivered, the proof is final.
    assert _upload(http, dave, shipment.id, jpeg_with_gps()).status_code == 409  # type: ignore[arg-type]

    # Per shipment: staff can switch the requirement off for one delivery.
    other = _picked_up(world)
    off = http.put(
        f"/api/v1/shipments/{other.id}/proof-requirement", headers=staff, json={"required": False}
    )
    assert off.status_code == 200
    assert (
        http.post(
            f"/api/v1/stops/{_dropoff_id(other.id)}/events",  # type: ignore[arg-type]
            headers=dave,
            json={"event": "delivered"},
        ).status_code
        == 200
    )
    denied = http.put(
        f"/api/v1/shipments/{other.id}/proof-requirement", headers=dave, json={"required": True}
    )
    assert denied.status_code == 403


def test_rollback_removes_new_files_and_erasure_removes_everything(
    world: World, local_store: Path, session: Session
) -> None:
    shipment = _picked_up(world)
    with pytest.raises(RuntimeError), session_scope() as s:
        proof.upload_proof(s, world.dave, shipment.id, photo=jpeg_with_gps())  # type: ignore[arg-type]
        raise RuntimeError("the request failed after the files were stored")
    assert not list(local_store.rglob("*.*"))
    assert session.exec(select(ProofOfDelivery)).all() == []

    with session_scope() as s:
        proof.upload_proof(s, world.dave, shipment.id, photo=jpeg_with_gps())  # type: ignore[arg-type]
    assert len(list(local_store.rglob("*.*"))) == 2
    with session_scope() as s:
        assert proof.delete_proof_files(s, customer_id=world.alice.customer_id) == 1  # type: ignore[arg-type]
    assert not list(local_store.rglob("*.*"))
    session.expire_all()
    assert session.exec(select(ProofOfDelivery)).all() == []


# --- S3 ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_store(s3_endpoint: str) -> Iterator[Any]:
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",
    )
    client.create_bucket(Bucket="proofs")
    with app_config.configured(
        storage_backend="s3",
        s3_bucket="proofs",
        s3_endpoint_url=s3_endpoint,
        s3_region="us-east-1",
        s3_access_key_id="test-key",
        s3_secret_access_key="test-secret",
    ):
        yield client
    for item in client.list_objects_v2(Bucket="proofs").get("Contents", []):
        client.delete_object(Bucket="proofs", Key=item["Key"])
    client.delete_bucket(Bucket="proofs")


def test_s3_store_encrypts_keeps_private_and_serves_presigned_urls(
    world: World, http: TestClient, s3_store: Any, s3_endpoint: str
) -> None:
    shipment = _picked_up(world)
    dave = _token(http, "dave@test.example.com")
    created = _upload(http, dave, shipment.id, jpeg_with_gps(), signature=encoded("PNG"))  # type: ignore[arg-type]
    assert created.status_code == 201, created.text
    keys = sorted(o["Key"] for o in s3_store.list_objects_v2(Bucket="proofs")["Contents"])
    assert len(keys) == 3
    for key in keys:
        head = s3_store.head_object(Bucket="proofs", Key=key)
        assert head["ServerSideEncryption"] == "AES256"
    photo_url = created.json()["photo_url"]
    assert photo_url.startswith(s3_endpoint) and "X-Amz-Signature" in photo_url
    fetched = httpx.get(photo_url)
    assert fetched.status_code == 200
    assert not Image.open(BytesIO(fetched.content)).getexif().get_ifd(GPS_IFD)
    # The same object without a signature is refused: objects are private.
    assert httpx.get(photo_url.split("?")[0]).status_code == 403
    # The authorised route works for the S3 store too.
    alice = _token(http, "alice@test.example.com")
    via_app = http.get(f"/api/v1/shipments/{shipment.id}/proof/photo", headers=alice)
    assert via_app.status_code == 200 and via_app.content == fetched.content


def test_unreachable_store_is_a_503_and_writes_nothing(
    world: World, http: TestClient, session: Session
) -> None:
    shipment = _picked_up(world)
    with app_config.configured(
        storage_backend="s3",
        s3_bucket="proofs",
        s3_endpoint_url=f"http://127.0.0.1:{free_port()}",
        s3_access_key_id="k",
        s3_secret_access_key="s",
    ):
        dave = _token(http, "dave@test.example.com")
        response = _upload(http, dave, shipment.id, jpeg_with_gps())  # type: ignore[arg-type]
    assert response.status_code == 503 and response.json()["error"]["code"] == "storage_unavailable"
    assert session.exec(select(ProofOfDelivery)).all() == []
