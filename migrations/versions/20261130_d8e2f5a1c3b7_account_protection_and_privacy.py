"""account protection and privacy: email confirmation, TOTP, one-time links, consents, erasure

Revision ID: d8e2f5a1c3b7
Revises: c4d1a7e9b2f0
Create Date: 2026-11-30 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import logistics_ai.models._base
import logistics_ai.models.encryption

revision: str = "d8e2f5a1c3b7"
down_revision: str | None = "c4d1a7e9b2f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = logistics_ai.models._base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email_verified_at", UTC_TIME, nullable=True))
        batch.add_column(
            sa.Column("totp_secret", logistics_ai.models.encryption.EncryptedString(), nullable=True)
        )
        batch.add_column(sa.Column("totp_enabled_at", UTC_TIME, nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("erased_at", UTC_TIME, nullable=True))
    # Accounts that exist already were created by an admin, the seed or an earlier sign-up.
    op.execute("UPDATE users SET email_verified_at = created_at")
    op.create_table(
        "account_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=24), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.Column("used_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(
        "ix_account_tokens_user_purpose", "account_tokens", ["user_id", "purpose"]
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("notice_version", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_consents_user_purpose", "consents", ["user_id", "purpose", "recorded_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_consents_user_purpose", table_name="consents")
    op.drop_table("consents")
    op.drop_index("ix_account_tokens_user_purpose", table_name="account_tokens")
    op.drop_table("account_tokens")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("erased_at")
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_enabled_at")
        batch.drop_column("totp_secret")
        batch.drop_column("email_verified_at")
