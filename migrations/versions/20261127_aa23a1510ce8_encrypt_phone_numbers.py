"""encrypt phone numbers

Revision ID: aa23a1510ce8
Revises: eb8d35fb72ab
Create Date: 2026-11-27 13:29:16.664066
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


import logistics_ai.models._base
from logistics_ai.models.encryption import decrypt, encrypt

revision: str = 'aa23a1510ce8'
down_revision: str | None = 'eb8d35fb72ab'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


COLUMNS = (("shipments", "recipient_phone"), ("users", "phone"))


def _rewrite(table: str, column: str, convert) -> None:  # type: ignore[no-untyped-def]
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")
    ).all()
    for row_id, value in rows:
        connection.execute(
            sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id"),
            {"value": convert(value), "id": row_id},
        )


def upgrade() -> None:
    # Widen for ciphertext first, then encrypt what is stored in clear text.
    for table, column in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.VARCHAR(length=32),
                                  type_=sa.String(length=512), existing_nullable=True)
        _rewrite(table, column, encrypt)


def downgrade() -> None:
    for table, column in COLUMNS:
        _rewrite(table, column, decrypt)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.String(length=512),
                                  type_=sa.VARCHAR(length=32), existing_nullable=True)
