"""PostgreSQL: an instance's state compressed with lz4 instead of pglz

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 06:00:00

The state (SpiffWorkflow's JSON of the task tree, about 28 KB for a case) is rewritten by every step
and every timer fired, and PostgreSQL compresses it each time it is stored (to about 7 KB). pglz,
the default, took about half a millisecond more per UPDATE than lz4, measured on this column's
values; lz4 also compresses it a little smaller. Values stored before keep pglz until the instance is
next saved; both are read alike. A server without lz4 (built without it, or older than 14) keeps
pglz: nothing else depends on it. SQLite stores the text as it is: nothing to do there.
"""
from alembic import op


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def _compression(method):
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql' or bind.dialect.server_version_info < (14,):
        return
    # A server built without lz4 answers feature_not_supported: keep the default then.
    op.execute(f"""
        DO $$ BEGIN
            ALTER TABLE instances ALTER COLUMN state SET COMPRESSION {method};
        EXCEPTION WHEN feature_not_supported THEN
            RAISE NOTICE 'instances.state keeps its compression: %', SQLERRM;
        END $$""")


def upgrade():
    _compression('lz4')


def downgrade():
    _compression('default')
