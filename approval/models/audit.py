"""The audit trail: one row per action on a post, written by the engine in the same transaction as the change.

Rows are append-only: no code updates or deletes them, and a trigger (PostgreSQL and SQLite) refuses it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from approval.db import Base, utcnow
from approval.models.markets import str_enum
from approval.models.posts import Post, Revision
from approval.models.users import User
from approval.workflow.states import Action, State


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    action: Mapped[Action] = mapped_column(str_enum(Action, "audit_action"))
    from_state: Mapped[State] = mapped_column(str_enum(State, "audit_from_state"))
    to_state: Mapped[State] = mapped_column(str_enum(State, "audit_to_state"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    comment: Mapped[str | None] = mapped_column(Text)
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id"))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)

    post: Mapped[Post] = relationship()
    actor: Mapped[User | None] = relationship()
    revision: Mapped[Revision | None] = relationship()

    __table_args__ = (Index("ix_audit_entries_post_id_id", "post_id", "id"),)


#: The DDL that makes the table append-only, per dialect (the migration runs it; tests check it).
APPEND_ONLY_DDL = {
    "postgresql": [
        """
        CREATE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'audit_entries is append-only: % refused', TG_OP;
        END;
        $$ LANGUAGE plpgsql
        """,
        """
        CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
        FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()
        """,
        # Row triggers do not fire on TRUNCATE.
        """
        CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
        FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()
        """,
    ],
    "sqlite": [
        """
        CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
        BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: UPDATE refused'); END
        """,
        """
        CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
        BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: DELETE refused'); END
        """,
        # INSERT OR REPLACE deletes the row it replaces without firing delete triggers.
        """
        CREATE TRIGGER audit_entries_no_replace BEFORE INSERT ON audit_entries
        WHEN EXISTS (SELECT 1 FROM audit_entries WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: REPLACE refused'); END
        """,
    ],
}
APPEND_ONLY_DROP = {
    "postgresql": [
        "DROP TRIGGER audit_entries_no_truncate ON audit_entries",
        "DROP TRIGGER audit_entries_append_only ON audit_entries",
        "DROP FUNCTION audit_entries_append_only()",
    ],
    "sqlite": ["DROP TRIGGER audit_entries_no_update", "DROP TRIGGER audit_entries_no_delete",
               "DROP TRIGGER audit_entries_no_replace"],
}
