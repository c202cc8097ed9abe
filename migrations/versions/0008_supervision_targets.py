"""督办 steps name the unit they pressed (case_steps.target)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 13:30:00

The steps of the cases that have a 督办 are dropped here and rebuilt by replaying each case after
the upgrade (`evaluation.steps.rebuild_missing`, run by `db upgrade`), so that their `supervise`
steps carry the holder they pressed, exactly as a new one is written.
"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DELETE FROM case_steps WHERE case_id IN "
               "(SELECT case_id FROM (SELECT DISTINCT case_id FROM case_steps WHERE step = 'supervise') AS pressed)")


def downgrade():
    pass   # the rebuilt rows are valid for the older code too
