"""case units (the indexed visibility of a case), the warning instant on the case row, cases by report time

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00

Existing rows are filled in: every case's units from its place and the units it reached; its
warning instant from its instance's stored state (the `warn_at` its process computed).
"""
import json
from datetime import datetime

from alembic import op
import sqlalchemy as sa
import engine.models


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# SpiffWorkflow's TaskState values of the tasks still open or waiting (READY, STARTED, WAITING).
LIVE = (16, 32, 8)


def _warn_at(state_text):
    """The warn_at of a stored instance state: from a live task's data (the latest computed), else any."""
    try:
        state = json.loads(state_text or "{}")
    except ValueError:
        return None
    found = None
    workflows = [state, *(state.get("subprocesses") or {}).values()]
    for workflow in workflows:
        for task in (workflow.get("tasks") or {}).values():
            value = (task.get("data") or {}).get("warn_at")
            if value and (found is None or task.get("state") in LIVE):
                found = value
    return found


def upgrade():
    op.create_table('case_units',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_units_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'unit_code', name=op.f('pk_case_units'))
    )
    op.create_index(op.f('ix_case_units_unit_code'), 'case_units', ['unit_code'], unique=False)
    op.add_column('cases', sa.Column('warn_at', engine.models.UTCDateTime(), nullable=True))
    op.create_index(op.f('ix_cases_reported_at'), 'cases', ['reported_at'], unique=False)

    connection = op.get_bind()
    cases = sa.table('cases', sa.column('id'), sa.column('community'), sa.column('grid'), sa.column('reached', sa.JSON()),
                     sa.column('instance_id'), sa.column('warn_at', engine.models.UTCDateTime()))
    instances = sa.table('instances', sa.column('id'), sa.column('state'))
    case_units = sa.table('case_units', sa.column('case_id'), sa.column('unit_code'))
    rows = connection.execute(sa.select(cases.c.id, cases.c.community, cases.c.grid, cases.c.reached,
                                        instances.c.state).join(instances, instances.c.id == cases.c.instance_id)).all()
    for case_id, community, grid, reached, state in rows:
        units = sorted({u for u in (community, grid, *(reached or [])) if u})
        if units:
            connection.execute(sa.insert(case_units), [dict(case_id=case_id, unit_code=u) for u in units])
        connection.execute(sa.update(cases).where(cases.c.id == case_id).values(reached=units))
        warn_at = _warn_at(state)
        if warn_at:
            connection.execute(sa.update(cases).where(cases.c.id == case_id)
                               .values(warn_at=datetime.fromisoformat(warn_at)))


def downgrade():
    op.drop_index(op.f('ix_cases_reported_at'), table_name='cases')
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('warn_at')
    op.drop_index(op.f('ix_case_units_unit_code'), table_name='case_units')
    op.drop_table('case_units')
