"""login_failures: the wrong passwords the login limit counts (per account and per address)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 10:00:00

Rows older than the login window are deleted as new failures are written; nothing to back-fill.
"""
from alembic import op
import sqlalchemy as sa
import engine.models


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('at', engine.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures'))
    )
    op.create_index(op.f('ix_login_failures_at'), 'login_failures', ['at'], unique=False)
    op.create_index('ix_login_failures_key_at', 'login_failures', ['key', 'at'], unique=False)


def downgrade():
    op.drop_index('ix_login_failures_key_at', table_name='login_failures')
    op.drop_index(op.f('ix_login_failures_at'), table_name='login_failures')
    op.drop_table('login_failures')
