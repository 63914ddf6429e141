"""audit hash chain, signed checkpoints, subject keys

Revision ID: c4d1a7e9b2f0
Revises: e12a0b0c0003
Create Date: 2026-11-30 07:50:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import logistics_ai.models._base
import logistics_ai.models.encryption

revision: str = "c4d1a7e9b2f0"
down_revision: str | None = "e12a0b0c0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_heads",
        sa.Column("chain", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain"),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", logistics_ai.models._base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_checkpoints_chain_seq", "audit_checkpoints", ["chain", "seq"])
    op.create_table(
        "subject_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", logistics_ai.models.encryption.EncryptedString(), nullable=False),
        sa.Column("created_at", logistics_ai.models._base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_subject_keys_user_id", "subject_keys", ["user_id"], unique=True)
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("pii", sa.Text(), nullable=True))
        batch.add_column(sa.Column("chain", sa.String(length=32), nullable=False, server_default=""))
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=False, server_default=""))
    _chain_existing_rows()
    op.create_index("ux_audit_events_chain_seq", "audit_events", ["chain", "seq"], unique=True)


def _chain_existing_rows() -> None:
    """Rows written before this revision join their entity type's chain in id order."""
    from logistics_ai.security.audit_chain import GENESIS, row_hash

    bind = op.get_bind()
    events = sa.table(
        "audit_events",
        *(sa.column(name) for name in (
            "id", "occurred_at", "actor_user_id", "actor_label", "action", "entity_type",
            "entity_id", "ip", "user_agent", "details", "pii", "chain", "seq", "prev_hash", "hash",
        )),
    )
    heads = sa.table("audit_heads", sa.column("chain"), sa.column("seq"), sa.column("hash"))
    rows = bind.execute(
        sa.text(
            "SELECT id, occurred_at, actor_user_id, actor_label, action, entity_type, entity_id, "
            "ip, user_agent, details FROM audit_events ORDER BY id"
        )
    ).mappings().all()
    positions: dict[str, tuple[int, str]] = {}
    time_type = logistics_ai.models._base.UTCDateTime()
    for row in rows:
        chain = row["entity_type"][:32]
        seq, previous = positions.get(chain, (0, GENESIS))
        content = dict(row)
        content["occurred_at"] = time_type.process_result_value(row["occurred_at"], bind.dialect)
        details = row["details"]
        if isinstance(details, str):  # SQLite hands JSON back as text
            details = json.loads(details)
        content.update(details=details, pii=None, chain=chain, seq=seq + 1, prev_hash=previous)
        digest = row_hash(content)
        bind.execute(
            events.update()
            .where(events.c.id == row["id"])
            .values(chain=chain, seq=seq + 1, prev_hash=previous, hash=digest)
        )
        positions[chain] = (seq + 1, digest)
    for chain, (seq, digest) in positions.items():
        bind.execute(heads.insert().values(chain=chain, seq=seq, hash=digest))


def downgrade() -> None:
    op.drop_index("ux_audit_events_chain_seq", table_name="audit_events")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("seq")
        batch.drop_column("chain")
        batch.drop_column("pii")
    op.drop_index("ix_subject_keys_user_id", table_name="subject_keys")
    op.drop_table("subject_keys")
    op.drop_index("ix_audit_checkpoints_chain_seq", table_name="audit_checkpoints")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_heads")
