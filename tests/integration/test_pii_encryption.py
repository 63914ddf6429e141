"""Phone numbers are stored encrypted, read back in clear, and survive a key rotation."""

from __future__ import annotations

from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlmodel import Session, select

from logistics_ai.db import get_engine, session_scope
from logistics_ai.models import Notification, Shipment, User
from logistics_ai.models.encryption import reencrypt_all
from logistics_ai.services import shipments
from tests.support import app_config
from tests.support.world import World, booking


def _raw(sql: str, **params: object) -> str:
    with get_engine().connect() as connection:
        return connection.execute(text(sql), params).scalar_one()


def test_phone_numbers_are_ciphertext_in_the_database(world: World, session: Session) -> None:
    with session_scope() as s:
        shipment = shipments.create_shipment(
            s, world.alice, booking(recipient_phone="+1 312 555 0199")
        )
    stored = _raw("SELECT recipient_phone FROM shipments WHERE id = :id", id=shipment.id)
    assert "555" not in stored and stored.startswith("gAAAA")  # a Fernet token
    assert session.get(Shipment, shipment.id).recipient_phone == "+1 312 555 0199"  # type: ignore[union-attr]


def test_a_bookings_outbox_row_keeps_its_recipient_encrypted(world: World) -> None:
    # The outbox row is written by a Core statement, not the unit of work: the column's type
    # still encrypts the address on the way in.
    with session_scope() as s:
        shipment = shipments.create_shipment(s, world.alice, booking())
    stored = _raw("SELECT recipient FROM notifications WHERE shipment_id = :id", id=shipment.id)
    assert "@" not in stored and stored.startswith("gAAAA")
    with session_scope() as s:
        row = s.exec(select(Notification).where(Notification.shipment_id == shipment.id)).one()
        assert row.recipient == "alice@test.example.com"


def test_key_rotation_keeps_old_rows_readable(world: World) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with app_config.configured(field_encryption_keys=old), session_scope() as s:
        user = s.get(User, world.alice.user_id)
        user.phone = "+1 773 555 0123"  # type: ignore[union-attr]
        s.add(user)
    with app_config.configured(field_encryption_keys=f"{new},{old}"), session_scope() as s:
        assert s.get(User, world.alice.user_id).phone == "+1 773 555 0123"  # type: ignore[union-attr]
        assert reencrypt_all(s) >= 1
    with app_config.configured(field_encryption_keys=new), session_scope() as s:
        assert s.get(User, world.alice.user_id).phone == "+1 773 555 0123"  # type: ignore[union-attr]
