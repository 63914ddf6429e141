"""Accounts and the people behind them: users, customers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlmodel import Field, SQLModel

from logistics_ai.models._base import UTCDateTime, utcnow
from logistics_ai.models.encryption import EncryptedString
from logistics_ai.models.enums import Role, check_in


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(check_in("role", Role), name="ck_users_role"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    full_name: str = Field(max_length=120)
    phone: str | None = Field(default=None, sa_type=EncryptedString)  # PII
    role: str = Field(sa_type=String(16), index=True)
    password_hash: str = Field(max_length=255)
    is_active: bool = Field(default=True)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Self-registered accounts sign in only after following the emailed confirmation link.
    email_verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # TOTP second factor (staff): the shared secret, encrypted; the last time step used, so a
    # code cannot be replayed within its 30-second window.
    totp_secret: str | None = Field(default=None, sa_type=EncryptedString)
    totp_enabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    totp_last_step: int | None = Field(default=None)
    # Set when the person erased their account: the row stays as a pseudonym for aggregates.
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Invitation(SQLModel, table=True):
    """A one-time link an admin sends so a driver or dispatcher can set their own password."""

    __tablename__ = "invitations"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    invited_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Customer(SQLModel, table=True):
    """The shipper profile of a customer user: company and default pickup address."""

    __tablename__ = "customers"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", unique=True, index=True)
    company_name: str | None = Field(default=None, max_length=120)
    default_address: str | None = Field(default=None, max_length=300)
    default_lat: float | None = None
    default_lon: float | None = None
    # New shipments of this customer need a proof of delivery before they can be delivered.
    requires_proof: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
