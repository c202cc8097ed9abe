"""the case list's indexes: each filter's, ending on the list's order (reported_at, id); case_units
holds every unit that sees a case (its units and all units above them), indexed by (unit_code, case_id)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 10:00:00
"""
import json

from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

ORDERED = {  # index name: columns (the cases list's equality filters, then its order)
    'ix_cases_reported_at_id': ['reported_at', 'id'],
    'ix_cases_status_reported_at_id': ['status', 'reported_at', 'id'],
    'ix_cases_category_reported_at_id': ['category', 'reported_at', 'id'],
    'ix_cases_channel_reported_at_id': ['channel', 'reported_at', 'id'],
    'ix_cases_urgency_reported_at_id': ['urgency', 'reported_at', 'id'],
}

# Every unit above a case's units, for the cases stored before (visibility.seeing, in SQL).
ADD_ANCESTORS = """
WITH RECURSIVE up(case_id, code) AS (
    SELECT case_id, CAST(unit_code AS VARCHAR(30)) FROM case_units
    UNION
    SELECT up.case_id, CAST(units.parent_code AS VARCHAR(30)) FROM up JOIN units ON units.code = up.code
    WHERE units.parent_code IS NOT NULL
)
INSERT INTO case_units (case_id, unit_code)
SELECT case_id, code FROM up
WHERE NOT EXISTS (SELECT 1 FROM case_units cu WHERE cu.case_id = up.case_id AND cu.unit_code = up.code)
"""


def upgrade():
    op.drop_index('ix_cases_reported_at', table_name='cases')
    op.drop_index('ix_cases_status', table_name='cases')
    for name, columns in ORDERED.items():
        op.create_index(name, 'cases', columns, unique=False)
    op.create_index(op.f('ix_cases_grid'), 'cases', ['grid'], unique=False)
    op.create_index(op.f('ix_cases_handler_unit'), 'cases', ['handler_unit'], unique=False)
    op.execute(ADD_ANCESTORS)
    op.drop_index('ix_case_units_unit_code', table_name='case_units')
    op.create_index('ix_case_units_unit_code_case_id', 'case_units', ['unit_code', 'case_id'], unique=False)


def downgrade():
    # case_units back to the case's own units (what reached, community and grid name)
    connection = op.get_bind()
    for case_id, community, grid, reached in connection.execute(
            sa.text("SELECT id, community, grid, reached FROM cases")).all():
        if isinstance(reached, str):
            reached = json.loads(reached)
        own = sorted({u for u in (community, grid, *(reached or [])) if u})
        connection.execute(sa.text("DELETE FROM case_units WHERE case_id = :id AND unit_code NOT IN :own")
                           .bindparams(sa.bindparam("own", expanding=True)), {"id": case_id, "own": own or [""]})
    op.drop_index('ix_case_units_unit_code_case_id', table_name='case_units')
    op.create_index('ix_case_units_unit_code', 'case_units', ['unit_code'], unique=False)
    op.drop_index(op.f('ix_cases_handler_unit'), table_name='cases')
    op.drop_index(op.f('ix_cases_grid'), table_name='cases')
    for name in ORDERED:
        op.drop_index(name, table_name='cases')
    op.create_index('ix_cases_status', 'cases', ['status'], unique=False)
    op.create_index('ix_cases_reported_at', 'cases', ['reported_at'], unique=False)
