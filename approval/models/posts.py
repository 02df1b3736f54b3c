"""Posts, their immutable revisions and the comments on them.

A post's text lives in its revisions: each save makes a new one, identified by its SHA-256. An approval names the
revision it was given to (``approved_revision``); the database refuses a post holding an approval for another revision
than its current one.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from approval.db import Base, utcnow
from approval.models.markets import Account, Campaign, str_enum
from approval.models.users import User
from approval.workflow.states import APPROVAL_HOLDING_STATES, State

if TYPE_CHECKING:
    from approval.models.media import RevisionMedia
    from approval.models.publishing import StopSwitch


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _in(states: frozenset[State] | set[State]) -> str:
    return ", ".join(f"'{s.value}'" for s in sorted(states))


class PostSet(Base):
    """Posts written together for several accounts (the new-post form's several accounts, a duplicate to several):
    each member is a post of its own, with its own review, approval and time; the set keeps them together on a page
    (``views.sets``)."""

    __tablename__ = "post_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User] = relationship()


class SentPostForm(Base):
    """A new-post form a writer sent, by the key its page was drawn with, and what it made: the same form sent twice
    (a double click, a retry, the back button) waits on this row's unique index and makes its post, or its set of up
    to a dozen, once. Written first in the creation's transaction: a creation refused leaves no row."""

    __tablename__ = "sent_post_forms"
    __table_args__ = (UniqueConstraint("created_by_id", "form_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    form_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    set_id: Mapped[int | None] = mapped_column(ForeignKey("post_sets.id"))


class Post(Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The set it was written in with posts for other accounts (``PostSet``); None for a post written alone.
    set_id: Mapped[int | None] = mapped_column(ForeignKey("post_sets.id"), index=True)
    # Assigned by the workflow engine only (tests/test_single_writer.py walks the source to keep it so).
    state: Mapped[State] = mapped_column(str_enum(State, "post_state"), default=State.draft)
    # Bumped on every change; forms and the API post it back, and SQLAlchemy checks it on every UPDATE.
    version: Mapped[int] = mapped_column(default=1)
    current_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id", use_alter=True, name="fk_posts_current_revision_id_revisions")
    )
    approved_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id", use_alter=True, name="fk_posts_approved_revision_id_revisions")
    )
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    scheduled_at: Mapped[datetime | None]
    #: When its writer proposes it goes out (UTC): a proposal, not content (no part of a revision's SHA-256). A
    #: project manager approves and schedules it at that instant in one step (``operations.approve_and_schedule``).
    proposed_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    published_url: Mapped[str | None] = mapped_column(String(2000))
    submitted_at: Mapped[datetime | None]
    #: When an executive's post first went to their cabinet (``approve``): from then on the cabinet sees it; the
    #: drafting and reviewing before it stay between community and project managers (``access``).
    sent_to_cabinet_at: Mapped[datetime | None]
    #: The discussion as it stood at that first sending: the id of the post's last comment then (0: none). The
    #: cabinet reads the comments after it (``operations.told_from``): ids, which two web processes' clocks do not
    #: reorder.
    comments_before_cabinet: Mapped[int | None]
    # Publishing (approval.publishing.worker). The key names one publication to the network, the same for every
    # attempt of it; the claim token and its lease say which worker holds the post while it is ``publishing``.
    publish_key: Mapped[str | None] = mapped_column(String(64))
    claim_token: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    #: After a rate limit or a temporary error: not before this time.
    next_attempt_at: Mapped[datetime | None]
    #: The slot a post missed (beyond its market's grace period), until it gets a new one.
    missed_at: Mapped[datetime | None]
    #: When the worker first found this due post held by a stop switch or an embargo (recorded once).
    held_at: Mapped[datetime | None]
    #: The stop switch that held it. Such a post stays held once the switch is off, until a project manager gives
    #: it a new time (an embargo's hold, with none here, lifts with the embargo).
    held_by_stop_id: Mapped[int | None] = mapped_column(ForeignKey("stop_switches.id"))
    #: The style gate's seal (``policies.seal``): found no error on the inputs it names when the post was last
    #: scheduled. The worker runs the gate again only when the inputs at its claim make another seal.
    gate_seal: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    account: Mapped[Account] = relationship(foreign_keys=[account_id])
    campaign: Mapped[Campaign | None] = relationship()
    held_by_stop: Mapped[StopSwitch | None] = relationship(foreign_keys=[held_by_stop_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    # Read-only: the engine sets the ids itself, which keeps the posts <-> revisions cycle out of the unit of work
    # and lets one UPDATE carry a state together with the approval it needs (see ck_posts_approval_is_current).
    current_revision: Mapped[Revision | None] = relationship(foreign_keys=[current_revision_id], viewonly=True)
    approved_revision: Mapped[Revision | None] = relationship(foreign_keys=[approved_revision_id], viewonly=True)
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="post", foreign_keys="Revision.post_id", order_by="Revision.number"
    )
    comments: Mapped[list[Comment]] = relationship(back_populates="post", order_by="Comment.created_at")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("state <> 'scheduled' OR scheduled_at IS NOT NULL", name="scheduled_has_time"),
        CheckConstraint(
            f"state NOT IN ({_in(APPROVAL_HOLDING_STATES)}) OR "
            "(approved_revision_id IS NOT NULL AND current_revision_id IS NOT NULL "
            "AND approved_revision_id = current_revision_id)",
            name="approval_is_current",
        ),
        CheckConstraint("state <> 'published' OR published_at IS NOT NULL", name="published_has_time"),
        CheckConstraint("state <> 'publishing' OR (claim_token IS NOT NULL AND claimed_until IS NOT NULL)",
                        name="publishing_is_claimed"),
        Index("ix_posts_state_submitted_at", "state", "submitted_at"),
        # The worker's queue: due posts in the order it takes them (time, then id), leases by expiry.
        Index("ix_posts_state_scheduled_at_id", "state", "scheduled_at", "id"),
        Index("ix_posts_state_claimed_until", "state", "claimed_until"),
        Index("ix_posts_state_held_at", "state", "held_at"),
    )

    def clear_hold(self) -> None:
        """Not held any more: released, given a new time, missed or edited."""
        self.held_at = None
        self.held_by_stop_id = None

    @property
    def body(self) -> str:
        return self.current_revision.body if self.current_revision else ""

    def __repr__(self) -> str:
        return f"<Post {self.id} {self.state}>"


class Revision(Base):
    """One immutable text of a post. Nothing updates a revision once written."""

    __tablename__ = "revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    number: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    findings: Mapped[list[dict]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    post: Mapped[Post] = relationship(back_populates="revisions", foreign_keys=[post_id])
    author: Mapped[User] = relationship()
    #: Its pictures and videos in order (approval.models.media), written with it and never changed.
    media: Mapped[list[RevisionMedia]] = relationship(order_by="RevisionMedia.position", lazy="selectin")

    __table_args__ = (
        UniqueConstraint("post_id", "number"),
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
    )

    @property
    def ref(self) -> dict:
        return {"number": self.number, "sha256": self.sha256}

    def computed_sha256(self) -> str:
        """The digest of the text and media as they stand now; equal to ``sha256`` unless something changed them."""
        from approval.models.media import revision_sha256

        return revision_sha256(self.body, [(m.file.sha256, m.alt) for m in self.media])


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    post: Mapped[Post] = relationship(back_populates="comments")
    revision: Mapped[Revision | None] = relationship()
    author: Mapped[User] = relationship()
