"""results back to the channels: each external client's callback (URL, encrypted signing secret),
callback messages in the outbox (a client instead of a notification), and the 回访 of hotline cases

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 12:00:00
"""
from alembic import op
import sqlalchemy as sa
import engine.models


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('client_callbacks',
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('secret_encrypted', sa.Text(), nullable=False),
    sa.Column('secret_fingerprint', sa.String(length=16), nullable=False),
    sa.Column('set_at', engine.models.UTCDateTime(), nullable=False),
    sa.Column('set_by', sa.String(length=100), nullable=True),
    sa.Column('secret_set_at', engine.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['api_clients.id'], name=op.f('fk_client_callbacks_client_id_api_clients'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_client_callbacks'))
    )
    with op.batch_alter_table('outbox_messages') as batch:
        batch.alter_column('notification_id', existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column('client_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_outbox_messages_client_id_api_clients'), 'api_clients', ['client_id'],
                                 ['id'], ondelete='CASCADE')
        batch.create_index('ix_outbox_messages_client_id_id', ['client_id', 'id'], unique=False)

    op.create_table('case_follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('at', engine.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_follow_ups_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_follow_ups')),
    sa.UniqueConstraint('case_id', name=op.f('uq_case_follow_ups_case_id'))
    )
    op.create_index(op.f('ix_case_follow_ups_at'), 'case_follow_ups', ['at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_case_follow_ups_at'), table_name='case_follow_ups')
    op.drop_table('case_follow_ups')
    op.execute("DELETE FROM outbox_messages WHERE notification_id IS NULL")
    with op.batch_alter_table('outbox_messages') as batch:
        batch.drop_index('ix_outbox_messages_client_id_id')
        batch.drop_constraint(op.f('fk_outbox_messages_client_id_api_clients'), type_='foreignkey')
        batch.drop_column('client_id')
        batch.alter_column('notification_id', existing_type=sa.Integer(), nullable=False)
    op.drop_table('client_callbacks')
