"""case numbers from a counter row per day (case_numbers), instead of "the day's count + 1"

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:00:00

Each day that has cases gets its row, holding the highest serial given on it, so the next report
of that day continues after it (the number format is unchanged).
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_numbers',
    sa.Column('day', sa.String(length=8), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_case_numbers'))
    )
    # only numbers of the product's own form (digits: the date, then the serial)
    digits = ("case_no ~ '^[0-9]{9,}$'" if op.get_bind().dialect.name == "postgresql"
              else "length(case_no) >= 9 AND case_no NOT GLOB '*[^0-9]*'")
    op.execute("INSERT INTO case_numbers (day, serial) "
               "SELECT substr(case_no, 1, 8), max(CAST(substr(case_no, 9) AS INTEGER)) FROM cases "
               f"WHERE {digits} GROUP BY substr(case_no, 1, 8)")


def downgrade():
    op.drop_table('case_numbers')
