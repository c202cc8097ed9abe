"""which deployment of each process is current (new instances start on it): the newest until an
owner makes an earlier one current again

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import engine.models


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('current_deployments',
    sa.Column('process_id', sa.String(length=200), nullable=False),
    sa.Column('deployment_id', sa.Integer(), nullable=False),
    sa.Column('since', engine.models.UTCDateTime(), nullable=False),
    sa.Column('by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployments.id'],
                            name=op.f('fk_current_deployments_deployment_id_deployments')),
    sa.PrimaryKeyConstraint('process_id', name=op.f('pk_current_deployments'))
    )
    # Until now the newest deployment of each process was the current one.
    op.execute("INSERT INTO current_deployments (process_id, deployment_id, since, by) "
               "SELECT d.process_id, d.id, d.created_at, d.created_by FROM deployments d "
               "WHERE d.id = (SELECT MAX(e.id) FROM deployments e WHERE e.process_id = d.process_id)")


def downgrade():
    op.drop_table('current_deployments')
