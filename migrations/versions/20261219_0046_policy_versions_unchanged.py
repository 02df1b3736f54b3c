"""A policy version is never changed once written (``approval.models.policy``): the database now refuses an UPDATE of
one (``policy_versions_unchanged``), as it refuses one of an audit row. Saving a policy writes its next version.

The style gate's seal (``approval.policies.seal``, 0045) names the version in force by its id and its time, not by
its rules and terms: a version changed in place (a hand-made fix in the database) would have let the worker publish,
on a seal of the old rules, a text the new ones refuse. Now such a fix is refused, and made as a new version.

Revision ID: 0046
Revises: 0045
Create Date: 2026-12-19 07:00:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0046'
down_revision: str | None = '0045'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSED = "policy_versions are never changed: save the policy, which writes its next version"
UNCHANGED = {
    "postgresql": [
        f"""
        CREATE FUNCTION policy_versions_unchanged() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '{REFUSED}';
        END;
        $$ LANGUAGE plpgsql
        """,
        """
        CREATE TRIGGER policy_versions_unchanged BEFORE UPDATE ON policy_versions
        FOR EACH ROW EXECUTE FUNCTION policy_versions_unchanged()
        """,
    ],
    "sqlite": [
        f"""
        CREATE TRIGGER policy_versions_unchanged BEFORE UPDATE ON policy_versions
        BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END
        """,
    ],
}
DROP = {
    "postgresql": ["DROP TRIGGER policy_versions_unchanged ON policy_versions",
                   "DROP FUNCTION policy_versions_unchanged()"],
    "sqlite": ["DROP TRIGGER policy_versions_unchanged"],
}


def upgrade() -> None:
    for ddl in UNCHANGED[op.get_bind().dialect.name]:
        op.execute(ddl)


def downgrade() -> None:
    for ddl in DROP[op.get_bind().dialect.name]:
        op.execute(ddl)
