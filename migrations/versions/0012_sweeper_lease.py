"""the scheduler's lease (one process runs the sweeps at a time) and the timer sweep's heartbeat

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import engine.models


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('leases',
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=True),
    sa.Column('acquired_at', engine.models.UTCDateTime(), nullable=True),
    sa.Column('expires_at', engine.models.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_leases'))
    )
    op.create_table('sweep_heartbeat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', engine.models.UTCDateTime(), nullable=False),
    sa.Column('by', sa.String(length=200), nullable=False),
    sa.Column('finished_at', engine.models.UTCDateTime(), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=True),
    sa.Column('instances', sa.Integer(), nullable=False),
    sa.Column('fired', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sweep_heartbeat'))
    )


def downgrade():
    op.drop_table('sweep_heartbeat')
    op.drop_table('leases')
