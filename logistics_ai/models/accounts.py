"""One-time account links (email confirmation, password reset) and consent records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from logistics_ai.models._base import UTCDateTime, utcnow


class AccountToken(SQLModel, table=True):
    """A one-time link sent by email, stored only as a hash of its secret."""

    __tablename__ = "account_tokens"
    __table_args__ = (Index("ix_account_tokens_user_purpose", "user_id", "purpose"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    purpose: str = Field(max_length=24)  # confirm_email | password_reset
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Consent(SQLModel, table=True):
    """Append-only: each grant or withdrawal of consent for one purpose, with the notice
    version the person saw. The current state is the latest record per purpose."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_user_purpose", "user_id", "purpose", "recorded_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    purpose: str = Field(max_length=32)
    granted: bool
    notice_version: str = Field(max_length=16)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
