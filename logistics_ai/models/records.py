"""Outbox, integration keys and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, String, Text
from sqlmodel import Field, SQLModel

from logistics_ai.models._base import UTCDateTime, utcnow
from logistics_ai.models.encryption import EncryptedString
from logistics_ai.models.enums import NotificationStatus, check_in


class Notification(SQLModel, table=True):
    """Transactional outbox: written with the change it reports, sent by a background job.

    A worker claims a row (status `sending`, `locked_until` lease, `claimed_by`) before it
    talks to SMTP or the SMS API, so two workers never send the same row; a worker that dies
    mid-send leaves a lease that expires, and the row is retried.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(check_in("status", NotificationStatus), name="ck_notifications_status"),
        Index("ix_notifications_status_created", "status", "created_at"),
        Index("ix_notifications_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    # Email address or phone number, encrypted at rest (phone numbers are PII).
    recipient: str = Field(sa_type=EncryptedString)
    template: str = Field(max_length=64)
    language: str = Field(default="en", max_length=8)
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    shipment_id: int | None = Field(default=None, foreign_key="shipments.id", index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=NotificationStatus.pending, sa_type=String(16))
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    provider_message_id: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    prefix: str = Field(max_length=16, unique=True, index=True)
    key_hash: str = Field(max_length=128)
    scopes: str = Field(max_length=300)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    # The key acts as this user (e.g. a customer's shop integration), narrowed by its scopes.
    owner_user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    """Append-only record of who changed what. Never holds secrets or passwords.

    Tamper-evident: each row carries the hash of the previous row of its chain (one chain per
    entity type), so an edited, deleted or reordered row breaks the chain
    (`services/audit_chain.py`). Personal data about the actor (email, IP, user agent) is not
    stored in clear: `actor_label` is a pseudonym (`user:42`) and `pii` is encrypted with the
    actor's own key, which erasure destroys (crypto-shredding), so rows never need rewriting.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_entity", "entity_type", "entity_id"),
        Index("ix_audit_events_time_id", "occurred_at", "id"),  # the log, newest first
        Index("ux_audit_events_chain_seq", "chain", "seq", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    actor_label: str = Field(max_length=120)
    action: str = Field(max_length=64, index=True)
    entity_type: str = Field(max_length=32)
    entity_id: str | None = Field(default=None, max_length=64)
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=300)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Encrypted {"label", "ip", "user_agent"} of the actor (see security/shredding.py).
    pii: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    chain: str = Field(default="", max_length=32)
    seq: int = Field(default=0)
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64)


class AuditHead(SQLModel, table=True):
    """Latest position of each audit chain. Updating it first serialises writers per chain
    (a row lock on PostgreSQL, the write lock on SQLite) so two transactions never take the
    same sequence number. A cache only: verification reads the rows themselves."""

    __tablename__ = "audit_heads"

    chain: str = Field(primary_key=True, max_length=32)
    seq: int = Field(default=0)
    hash: str = Field(default="", max_length=64)


class AuditCheckpoint(SQLModel, table=True):
    """A signed statement "chain C had hash H at position N". Written periodically by the
    worker (kind=periodic) and before the retention job removes old rows (kind=prune), so a
    rewritten or truncated chain no longer matches what was signed."""

    __tablename__ = "audit_checkpoints"
    __table_args__ = (Index("ix_audit_checkpoints_chain_seq", "chain", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    chain: str = Field(max_length=32)
    seq: int
    hash: str = Field(max_length=64)
    kind: str = Field(default="periodic", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    signature: str = Field(max_length=64)


class SubjectKey(SQLModel, table=True):
    """A per-person encryption key for personal data that must outlive nothing but the person:
    audit rows keep their hash chain while erasure deletes this key (crypto-shredding)."""

    __tablename__ = "subject_keys"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(unique=True, index=True)  # no FK: deletable on its own
    key: str = Field(sa_type=EncryptedString)  # a Fernet key, itself encrypted at rest
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
