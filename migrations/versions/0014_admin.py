"""admin pages: units can be deactivated; stamps tell every process when its cached org tree or
calendar is out of date

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 16:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('units') as batch:
        batch.add_column(sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
    stamps = op.create_table('stamps',
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_stamps'))
    )
    op.bulk_insert(stamps, [{'name': 'org', 'version': 0}, {'name': 'calendar', 'version': 0}])


def downgrade():
    op.drop_table('stamps')
    with op.batch_alter_table('units') as batch:
        batch.drop_column('active')
