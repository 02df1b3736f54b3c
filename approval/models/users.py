"""People: their role, their markets (or the whole group) and, for cabinet members, the executives they serve."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, Index, String, Table, event, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from approval.db import Base, utcnow
from approval.models.markets import Executive, Market, str_enum
from approval.workflow.states import Role

_hasher = PasswordHasher()

#: How a hash that no password matches begins (an invited user's, until they choose theirs): argon2's begin with
#: "$". A random tail follows, so that each new one differs from the last, and the links bound to the last one
#: (``approval.password_links``) stop working.
NO_PASSWORD_PREFIX = "!"

user_markets = Table(
    "user_markets",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("market_id", ForeignKey("markets.id", ondelete="CASCADE"), primary_key=True),
    # The key finds a user's markets; this, a market's users (its managers, its staff), from the index alone.
    Index("ix_user_markets_market_id_user_id", "market_id", "user_id"),
)

cabinet_members = Table(
    "cabinet_members",
    Base.metadata,
    Column("executive_id", ForeignKey("executives.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    password_hash: Mapped[str] = mapped_column(String(255))
    all_markets: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Part of every session's key: raising it ends every session opened before (logout, deactivation, an admin's
    #: "end all sessions"). A new password ends them too, through the password's fingerprint.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    #: An admin (a page, or `approval user create`) typed this password: until the user chooses their own on their
    #: profile, the pages send them there. Their API tokens are unaffected.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    markets: Mapped[list[Market]] = relationship(secondary=user_markets, order_by=Market.code)
    executives: Mapped[list[Executive]] = relationship(
        secondary=cabinet_members, back_populates="cabinet", order_by=Executive.name
    )

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher.hash(password)

    def forget_password(self) -> None:
        """No password opens the account until its user chooses one from a link (an invitation); a new one each
        time, so that the links bound to the last one stop working."""
        self.password_hash = NO_PASSWORD_PREFIX + secrets.token_urlsafe(32)

    @property
    def has_password(self) -> bool:
        """Whether a password opens this account: false for an invited user who has not chosen theirs yet."""
        return not self.password_hash.startswith(NO_PASSWORD_PREFIX)

    def check_password(self, password: str) -> bool:
        if not self.has_password:
            return False
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def get_id(self) -> str:
        """The session's key: the id, the session epoch and a fingerprint of the password hash, so that ending the
        sessions or setting a new password ends every session opened before."""
        return f"{self.id}:{self.session_epoch}:{self.password_fingerprint()}"

    def opens_session(self, session_key: str) -> bool:
        """Whether a session saved with ``session_key`` still belongs to this (active) user."""
        return self.active and session_key == self.get_id()

    def end_sessions(self) -> None:
        """End every session this user has open, on every device (flushed with the caller's transaction)."""
        self.session_epoch = (self.session_epoch or 0) + 1

    def password_fingerprint(self) -> str:
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:24]

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def group_wide(self) -> bool:
        return self.all_markets or self.role == Role.admin

    def market_ids(self) -> set[int]:
        return {m.id for m in self.markets}

    def __str__(self) -> str:
        return self.name


@event.listens_for(User.active, "set")
def _deactivation_ends_sessions(user: User, value: bool, oldvalue: object, _initiator: object) -> None:
    """A deactivated user's sessions end at once, and reactivating them later does not bring those back."""
    if value is False and oldvalue is not False:
        user.end_sessions()


def verify_password(user: User | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s, in the time a real check takes even when there is no such user, so that
    the answer's delay does not tell which addresses have an account."""
    if user is None or not user.has_password:  # an invited user, who has none yet, is told apart no sooner
        try:
            _hasher.verify(_dummy_hash(_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism), password)
        except (VerificationError, InvalidHashError):
            pass
        return False
    return user.check_password(password)


@functools.cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    """A hash of a password nobody has, at the cost the real ones have."""
    return _hasher.hash("no such user: " + hashlib.sha256(b"approval").hexdigest())
