"""People: their role, their markets (or the whole group) and, for cabinet members, the executives they serve."""

from __future__ import annotations

import hashlib
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from approval.db import Base, utcnow
from approval.models.markets import Executive, Market, str_enum
from approval.workflow.states import Role

_hasher = PasswordHasher()

user_markets = Table(
    "user_markets",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("market_id", ForeignKey("markets.id", ondelete="CASCADE"), primary_key=True),
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

    markets: Mapped[list[Market]] = relationship(secondary=user_markets, order_by=Market.code)
    executives: Mapped[list[Executive]] = relationship(
        secondary=cabinet_members, back_populates="cabinet", order_by=Executive.name
    )

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def get_id(self) -> str:
        """The session's key: the id and a fingerprint of the password hash, so that setting a new password ends
        every session opened with the old one."""
        return f"{self.id}:{self.password_fingerprint()}"

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
