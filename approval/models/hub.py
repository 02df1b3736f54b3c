"""The read side's own tables: kiosk links for the wall, the wall's thresholds, and the indexes that keep the lists,
the calendar and the wall bounded at a million posts.

A kiosk link is a secret in a URL: as for API tokens and calendar feed tokens (``approval.models.tokens``), its
SHA-256 is kept, with the first characters a person recognises it by; its secret is shown again on the admin page (it
must be typed into a screen), so it is kept too, readable by admins only; revoking it stops it at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from approval.db import Base, utcnow
from approval.models.audit import AuditEntry
from approval.models.markets import Market, str_enum
from approval.models.posts import Post, Revision
from approval.models.users import User
from approval.workflow.states import State


#: The markets a kiosk link may show, by id: a market keeps its identity through a new code. A market a kiosk names
#: cannot be deleted (no ``CASCADE``): the list must never empty itself, since an empty list means every market.
kiosk_link_markets = Table(
    "kiosk_link_markets",
    Base.metadata,
    Column("kiosk_link_id", ForeignKey("kiosk_links.id", ondelete="CASCADE"), primary_key=True),
    Column("market_id", ForeignKey("markets.id", ondelete="RESTRICT"), primary_key=True),
)


class KioskLink(Base):
    """A read-only link to the wall for a screen: no session, no user, the wall and its live updates only."""

    __tablename__ = "kiosk_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    #: The secret in the link (``kio1_...``): a screen's URL is typed and shown again, so it is kept.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()
    #: The markets the screen may show; none means every market.
    markets: Mapped[list[Market]] = relationship(secondary=kiosk_link_markets, order_by=Market.code)

    @property
    def market_codes(self) -> list[str]:
        """The codes of its markets today (empty: every market)."""
        return [market.code for market in self.markets]

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def path(self) -> str:
        return f"/hub/k/{self.token}"


class WallSettings(Base):
    """What the admins set for the wall: when a post waiting for review turns amber, then red. One row."""

    __tablename__ = "wall_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_amber_minutes: Mapped[int] = mapped_column(default=120)
    review_red_minutes: Mapped[int] = mapped_column(default=480)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def lateness(self, waited: timedelta) -> str:
        """How late a wait for review of ``waited`` is: "" before the amber threshold, then "amber", then "red"."""
        if waited >= timedelta(minutes=self.review_red_minutes):
            return "red"
        return "amber" if waited >= timedelta(minutes=self.review_amber_minutes) else ""

    __table_args__ = (
        CheckConstraint("review_amber_minutes > 0 AND review_red_minutes > review_amber_minutes",
                        name="thresholds_ordered"),
    )


class PostCount(Base):
    """How many posts each account has in each state, kept by the database itself (triggers on ``posts``, below):
    the wall and the summary read a few hundred rows instead of counting a million posts."""

    __tablename__ = "post_counts"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[State] = mapped_column(str_enum(State, "post_count_state"), primary_key=True)
    #: No CHECK (n >= 0): PostgreSQL checks an INSERT ... ON CONFLICT's proposed row before it finds the conflict,
    #: and the triggers propose a decrement that way. tests/test_hub.py compares the counts with a real count.
    n: Mapped[int] = mapped_column(default=0)


#: The triggers that keep ``post_counts`` (migration 0007 runs them). On PostgreSQL, one statement-level trigger per
#: event adds up a statement's changes and applies them in (account, state) order, so two transactions lock the
#: counters in the same order; SQLite has row triggers only (and one writer at a time).
_PG_APPLY = """
        INSERT INTO post_counts (account_id, state, n)
        SELECT account_id, state, sum(delta) FROM ({changes}) AS changes
        GROUP BY account_id, state HAVING sum(delta) <> 0 ORDER BY account_id, state
        ON CONFLICT (account_id, state) DO UPDATE SET n = post_counts.n + excluded.n
"""
COUNT_TRIGGERS = {
    "postgresql": [
        f"""
        CREATE FUNCTION post_counts_after_insert() RETURNS trigger AS $$
        BEGIN
            {_PG_APPLY.format(changes="SELECT account_id, state, 1 AS delta FROM new_rows")};
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
        """,
        f"""
        CREATE FUNCTION post_counts_after_update() RETURNS trigger AS $$
        BEGIN
            {_PG_APPLY.format(changes="SELECT account_id, state, 1 AS delta FROM new_rows "
                                      "UNION ALL SELECT account_id, state, -1 FROM old_rows")};
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
        """,
        f"""
        CREATE FUNCTION post_counts_after_delete() RETURNS trigger AS $$
        BEGIN
            {_PG_APPLY.format(changes="SELECT account_id, state, -1 AS delta FROM old_rows")};
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
        """,
        "CREATE TRIGGER post_counts_insert AFTER INSERT ON posts REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION post_counts_after_insert()",
        "CREATE TRIGGER post_counts_update AFTER UPDATE ON posts REFERENCING OLD TABLE AS old_rows "
        "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION post_counts_after_update()",
        "CREATE TRIGGER post_counts_delete AFTER DELETE ON posts REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION post_counts_after_delete()",
    ],
    "sqlite": [
        """
        CREATE TRIGGER post_counts_insert AFTER INSERT ON posts BEGIN
            INSERT INTO post_counts (account_id, state, n) VALUES (NEW.account_id, NEW.state, 1)
            ON CONFLICT (account_id, state) DO UPDATE SET n = n + 1;
        END
        """,
        """
        CREATE TRIGGER post_counts_update AFTER UPDATE OF state, account_id ON posts
        WHEN OLD.state <> NEW.state OR OLD.account_id <> NEW.account_id BEGIN
            UPDATE post_counts SET n = n - 1 WHERE account_id = OLD.account_id AND state = OLD.state;
            INSERT INTO post_counts (account_id, state, n) VALUES (NEW.account_id, NEW.state, 1)
            ON CONFLICT (account_id, state) DO UPDATE SET n = n + 1;
        END
        """,
        """
        CREATE TRIGGER post_counts_delete AFTER DELETE ON posts BEGIN
            UPDATE post_counts SET n = n - 1 WHERE account_id = OLD.account_id AND state = OLD.state;
        END
        """,
    ],
}
COUNT_TRIGGERS_DROP = {
    "postgresql": ["DROP TRIGGER post_counts_delete ON posts", "DROP TRIGGER post_counts_update ON posts",
                   "DROP TRIGGER post_counts_insert ON posts", "DROP FUNCTION post_counts_after_delete()",
                   "DROP FUNCTION post_counts_after_update()", "DROP FUNCTION post_counts_after_insert()"],
    "sqlite": ["DROP TRIGGER post_counts_delete", "DROP TRIGGER post_counts_update", "DROP TRIGGER post_counts_insert"],
}
#: Counts the posts already there (the migration, and a bulk load that ran with triggers off).
COUNT_BACKFILL = ("INSERT INTO post_counts (account_id, state, n) "
                  "SELECT account_id, state, count(*) FROM posts GROUP BY account_id, state")


# Indexes of the read side on tables other modules own: lists page by id within a state or an account, the calendar
# reads a window of scheduled or published times, the wall's change feed reads the newest change.
LIST_INDEXES = (
    Index("ix_posts_state_id", Post.state, Post.id),
    Index("ix_posts_state_updated_at", Post.state, Post.updated_at),
    Index("ix_posts_account_id_id", Post.account_id, Post.id),
    # Per account: the first post waiting for review, the next to go out (the summary), a window of
    # publications (the calendar of one market). PostgreSQL's carry what the calendar reads besides the key
    # (migration 0014), so a month is read from the index alone.
    Index("ix_posts_account_id_state_submitted_at", Post.account_id, Post.state, Post.submitted_at),
    Index("ix_posts_account_id_state_scheduled_at", Post.account_id, Post.state, Post.scheduled_at,
          postgresql_include=["id"]),
    Index("ix_posts_account_id_published_at", Post.account_id, Post.published_at,
          postgresql_include=["state", "id"]),
    Index("ix_posts_created_by_id_id", Post.created_by_id, Post.id),
    Index("ix_posts_campaign_id_id", Post.campaign_id, Post.id),
    Index("ix_posts_published_at", Post.published_at),
    Index("ix_posts_missed_at", Post.missed_at),
    Index("ix_posts_updated_at", Post.updated_at),
    Index("ix_posts_current_revision_id", Post.current_revision_id),
    Index("ix_revisions_created_at", Revision.created_at),
    Index("ix_audit_entries_at", AuditEntry.at),
)
#: Built by migration 0013 on PostgreSQL only: each post's ``search`` document (the words of its current text, kept
#: by a trigger, read by approval.queries.posts) and its GIN index. No Python code reads or writes the column, so
#: the models do not declare it and Alembic's comparison leaves both out (migrations/env.py).
Base.metadata.info.setdefault("backend_only_indexes", set()).add("ix_posts_search")
Base.metadata.info.setdefault("backend_only_columns", set()).add("posts.search")
