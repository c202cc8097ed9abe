"""the case process a case was started on (cases.process_id), chosen by the routing table when it
is filed

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('process_id', sa.String(length=200), nullable=False,
                                   server_default='case_handling'))
    # Cases so far: the process of the deployment they run on (a migration moves a case between
    # versions of its own process only).
    op.execute("UPDATE cases SET process_id = (SELECT d.process_id FROM instances i JOIN deployments d "
               "ON d.id = i.deployment_id WHERE i.id = cases.instance_id)")


def downgrade():
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('process_id')
