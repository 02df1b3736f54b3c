"""The audit trail: one row per action on a post, written by the engine in the same transaction as the change.

Rows are append-only: no code updates or deletes them, and a trigger (PostgreSQL and SQLite) refuses it. They are
also tamper-evident: each row carries ``chain_hash``, the SHA-256 of its own values and of the previous row of the
same post, so a row changed, removed from the middle or inserted later by someone who bypasses the triggers breaks
the chain, and ``approval audit verify`` names the first broken link. A chain per post needs no global lock: whoever
changes a post's state holds its row (``load_post(for_update=True)``, the version check), so reading the post's last
link and writing the next one cannot race.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    ScalarSelect,
    SQLColumnExpression,
    String,
    Text,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from approval.db import Base, of_the_transaction, utcnow
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
    #: SHA-256 (hex) of this row's values and of the previous row of the same post: see ``chain``.
    chain_hash: Mapped[str] = mapped_column(String(64))
    #: The market of the post's account when the row was written, so that a market's rows of a period are read
    #: through one index (the reports) instead of through every post of the market. Derived, not chained.
    market_id: Mapped[int | None] = mapped_column(ForeignKey("markets.id"))

    post: Mapped[Post] = relationship()
    actor: Mapped[User | None] = relationship()
    revision: Mapped[Revision | None] = relationship()

    __table_args__ = (
        Index("ix_audit_entries_post_id_id", "post_id", "id"),
        Index("ix_audit_entries_market_id_at", "market_id", "at"),
        Index("ix_audit_entries_action_at", "action", "at"),
    )


#: The columns a link covers, in this order (the id is the database's, given after the hash is computed).
CHAINED_COLUMNS = ("post_id", "action", "from_state", "to_state", "actor_id", "at", "comment", "revision_id", "payload")


def link_hash(previous: str | None, values: Mapping[str, Any]) -> str:
    """The link of a row with ``values`` after a row whose link is ``previous`` (None for a post's first row).

    The values are put in a canonical form that survives the round trip through either database: enums as their
    value, times in UTC to the microsecond, the payload as JSON with sorted keys.
    """
    canonical = [previous or "", [_canonical(name, values.get(name)) for name in CHAINED_COLUMNS]]
    encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _canonical(name: str, value: Any) -> Any:
    if value is None:
        return {} if name == "payload" else None
    if isinstance(value, datetime):
        if value.tzinfo is None:  # as SQLite hands it back
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if name == "payload":
        if isinstance(value, dict) and all(type(key) is str and (item is None or type(item) in _AS_THEY_ARE)
                                           for key, item in value.items()):
            return value  # the round trip through JSON would give it back as it is (the worker's every step)
        return json.loads(json.dumps(value, sort_keys=True))
    return getattr(value, "value", value)


#: The types of a payload's values that JSON gives back as they were (``_canonical``).
_AS_THEY_ARE = frozenset({str, int, float, bool})


def last_link(post_id: SQLColumnExpression[int]) -> ScalarSelect[str]:
    """The link of the last audit row of the post ``post_id`` names (a subquery correlated to it)."""
    return (select(AuditEntry.chain_hash).where(AuditEntry.post_id == post_id).order_by(AuditEntry.id.desc())
            .limit(1).scalar_subquery())


def chain(session: Session, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The hash columns of new audit rows with ``values`` (``post_id``, ``action``, ... as ``CHAINED_COLUMNS``), in
    the order they will be inserted (a post may have several): merge each into its row before inserting it. The
    caller holds the posts' rows, as every state change does. A post's last link is the one this transaction read
    with the locked post (``operations.load_post``) or wrote before; the others are read in one statement."""
    previous: dict[int, str | None] = dict(session.info.get(_KNOWN_LINKS, {}))
    unknown = {row["post_id"] for row in rows} - previous.keys()
    if unknown:
        previous.update((post_id, link) for post_id, link in
                        session.execute(select(Post.id, last_link(Post.id)).where(Post.id.in_(unknown))))
    links = []
    for row in rows:
        link = link_hash(previous.get(row["post_id"]), row)
        previous[row["post_id"]] = link
        remember_link(session, row["post_id"], link)
        links.append({"chain_hash": link})
    return links


#: ``session.info`` key of the last links read or written in the session's current transaction, by post.
_KNOWN_LINKS = of_the_transaction("approval.audit_links")


def remember_link(session: Session, post_id: int, link: str | None) -> None:
    """Note the last link of ``post_id``'s trail, read with its row locked or just written: ``chain`` then needs no
    query. Forgotten when the session's transaction or a savepoint ends (a savepoint rolled back may have taken the
    row that link names)."""
    session.info.setdefault(_KNOWN_LINKS, {})[post_id] = link


@dataclass(frozen=True)
class BrokenLink:
    #: The first row that cannot be trusted; None when the post has no row left at all.
    entry_id: int | None
    post_id: int
    reason: str
    #: Found by the post's state (``_cut_trail``): its chain holds, its last rows are gone.
    trail_cut: bool = False


@dataclass(frozen=True)
class Verification:
    entries: int
    posts: int
    broken: BrokenLink | None


def verify_chain(session: Session, *, batch: int = 1000) -> Verification:
    """Recompute every post's chain, oldest row first; stops at the first row whose link does not match. Then
    each post's state is compared with its last row's (``_cut_trail``)."""
    columns = [AuditEntry.__table__.c[name] for name in ("id", *CHAINED_COLUMNS, "chain_hash")]
    rows = session.execute(
        select(*columns).order_by(AuditEntry.post_id, AuditEntry.id).execution_options(yield_per=batch)
    )
    entries = posts = 0
    post_id, previous = None, None
    for row in _mappings(rows):
        if row["post_id"] != post_id:
            post_id, previous = row["post_id"], None
            posts += 1
        entries += 1
        expected = link_hash(previous, row)
        if row["chain_hash"] != expected:
            reason = "no link" if row["chain_hash"] is None else "the row or the one before it was changed or removed"
            return Verification(entries, posts, BrokenLink(row["id"], row["post_id"], reason))
        previous = row["chain_hash"]
    return Verification(entries, posts, _cut_trail(session))


def _cut_trail(session: Session) -> BrokenLink | None:
    """The chain cannot tell rows removed from its end: the posts' states can. Every change of state writes its row,
    so a post's state is the one its last row moved it to, and every post has at least its ``create`` row."""
    last = (select(AuditEntry.post_id, func.max(AuditEntry.id).label("id"))
            .group_by(AuditEntry.post_id).subquery())
    found = session.execute(
        select(Post.id, Post.state, AuditEntry.id, AuditEntry.to_state)
        .outerjoin(last, last.c.post_id == Post.id).outerjoin(AuditEntry, AuditEntry.id == last.c.id)
        .where(or_(AuditEntry.id.is_(None), AuditEntry.to_state != Post.state))
        .order_by(Post.id).limit(1)
    ).first()
    if found is None:
        return None
    post_id, state, entry_id, to_state = found
    if entry_id is None:
        return BrokenLink(None, post_id, "the post has no audit row: its whole trail was removed", trail_cut=True)
    return BrokenLink(entry_id, post_id, f"the post is {state} but its last audit row leaves it {to_state}: rows "
                                         "at the end of its trail were removed", trail_cut=True)


def _mappings(result: Any) -> Iterator[Mapping[str, Any]]:
    for row in result.mappings():
        yield row


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
