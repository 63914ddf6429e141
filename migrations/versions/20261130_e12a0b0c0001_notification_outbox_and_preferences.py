"""notification outbox and preferences

Revision ID: e12a0b0c0001
Revises: aa23a1510ce8
Create Date: 2026-11-30 07:32:56.615101
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


import logistics_ai.models._base

revision: str = 'e12a0b0c0001'
down_revision: str | None = 'aa23a1510ce8'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "status IN ('pending', 'sent', 'failed')"
NEW_STATUSES = "status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')"


def upgrade() -> None:
    op.create_table('notification_preferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email_enabled', sa.Boolean(), nullable=False),
    sa.Column('sms_enabled', sa.Boolean(), nullable=False),
    sa.Column('events', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('updated_at', logistics_ai.models._base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name='fk_notification_preferences_user_id'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_preferences_user_id'), ['user_id'], unique=True)

    # Nothing wrote the outbox before this revision, so the recipient column can change type.
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint('ck_notifications_status', type_='check')
        batch_op.add_column(sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False, server_default='en'))
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('shipment_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', logistics_ai.models._base.UTCDateTime(timezone=True), nullable=False, server_default=sa.func.current_timestamp()))
        batch_op.add_column(sa.Column('locked_until', logistics_ai.models._base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('provider_message_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.alter_column('recipient',
               existing_type=sa.VARCHAR(length=254),
               type_=sa.String(length=512),
               existing_nullable=False)
        batch_op.create_check_constraint('ck_notifications_status', NEW_STATUSES)
        batch_op.create_index('ix_notifications_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_user_id'), ['user_id'], unique=False)
        batch_op.create_foreign_key('fk_notifications_user_id', 'users', ['user_id'], ['id'])
        batch_op.create_foreign_key('fk_notifications_shipment_id', 'shipments', ['shipment_id'], ['id'])


def downgrade() -> None:
    op.execute("DELETE FROM notifications")  # encrypted recipients would not fit the old column
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint('fk_notifications_shipment_id', type_='foreignkey')
        batch_op.drop_constraint('fk_notifications_user_id', type_='foreignkey')
        batch_op.drop_constraint('ck_notifications_status', type_='check')
        batch_op.drop_index(batch_op.f('ix_notifications_user_id'))
        batch_op.drop_index(batch_op.f('ix_notifications_shipment_id'))
        batch_op.drop_index('ix_notifications_due')
        batch_op.alter_column('recipient',
               existing_type=sa.String(length=512),
               type_=sa.VARCHAR(length=254),
               existing_nullable=False)
        batch_op.drop_column('provider_message_id')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('shipment_id')
        batch_op.drop_column('user_id')
        batch_op.drop_column('language')
        batch_op.create_check_constraint('ck_notifications_status', OLD_STATUSES)

    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_preferences_user_id'))

    op.drop_table('notification_preferences')
