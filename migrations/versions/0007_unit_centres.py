"""units' centre points (for the map: where a report without coordinates is placed)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:30:00

Existing units get no centre; an installation fills them from its own org data (the demo's
`demo load` fills the demo tree's).
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('units') as batch:
        batch.add_column(sa.Column('lng', sa.Float(), nullable=True))
        batch.add_column(sa.Column('lat', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('units') as batch:
        batch.drop_column('lat')
        batch.drop_column('lng')
