"""Where posts go: markets (a country and its time zone), the executives, the accounts and the campaigns."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from approval.db import Base, utcnow
from approval.style.network import network_name

if TYPE_CHECKING:
    from approval.models.policy import PolicyVersion
    from approval.models.users import User


class Network(StrEnum):
    facebook = "facebook"
    x = "x"
    instagram = "instagram"
    youtube = "youtube"
    linkedin = "linkedin"
    snapchat = "snapchat"


class AccountKind(StrEnum):
    brand = "brand"
    executive = "executive"


def str_enum(enum_cls: type[StrEnum], name: str) -> Enum:
    """A string column holding an enum's values, with a CHECK constraint listing them."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls) + 8,
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


class Market(Base):
    __tablename__ = "markets"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(2), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The editorial policy in force: the market's latest version, None for the house defaults. Only
    #: ``policies.save_policy`` moves it; the gate reads it with the market instead of searching the versions.
    policy_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("policy_versions.id", use_alter=True, name="fk_markets_policy_version_id_policy_versions")
    )
    #: Minutes after its time within which a post may still go out; past them the slot is missed.
    grace_minutes: Mapped[int] = mapped_column(default=15, server_default="15")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    accounts: Mapped[list[Account]] = relationship(back_populates="market", order_by="Account.handle")
    # Read-only, like a post's current revision: ``save_policy`` sets the id, which keeps the markets <->
    # policy_versions cycle out of the unit of work.
    policy_in_force: Mapped[PolicyVersion | None] = relationship(foreign_keys=[policy_version_id], viewonly=True)

    __table_args__ = (
        CheckConstraint("length(code) = 2", name="code_alpha2"),
        CheckConstraint("grace_minutes BETWEEN 0 AND 1440", name="grace_minutes_range"),
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Executive(Base):
    """A member of the executive committee: suggested messages for their accounts go to their cabinet."""

    __tablename__ = "executives"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    accounts: Mapped[list[Account]] = relationship(back_populates="executive")
    cabinet: Mapped[list[User]] = relationship(
        secondary="cabinet_members", back_populates="executives", order_by="User.name"
    )

    def __str__(self) -> str:
        return self.name


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("markets.id"), index=True)
    network: Mapped[Network] = mapped_column(str_enum(Network, "network"))
    handle: Mapped[str] = mapped_column(String(120))
    brand: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[AccountKind] = mapped_column(str_enum(AccountKind, "account_kind"), default=AccountKind.brand)
    executive_id: Mapped[int | None] = mapped_column(ForeignKey("executives.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    #: How the account publishes (approval.publishing.connectors): None until connected.
    connector: Mapped[str | None] = mapped_column(String(20))
    connector_url: Mapped[str | None] = mapped_column(String(2000))
    #: The webhook's signing secret: written, never shown again.
    connector_secret: Mapped[str | None] = mapped_column(String(200))
    #: The post this account is publishing now: one at a time per account, claimed with the post.
    publishing_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", use_alter=True, name="fk_accounts_publishing_post_id_posts")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # active_history: the market or executive it had is loaded when another is set, for the administration log.
    market: Mapped[Market] = relationship(back_populates="accounts", active_history=True)
    executive: Mapped[Executive | None] = relationship(back_populates="accounts", active_history=True)

    __table_args__ = (
        UniqueConstraint("network", "handle"),
        CheckConstraint("connector IS NULL OR connector IN ('outbox', 'webhook')", name="connector_known"),
        CheckConstraint("connector IS NULL OR connector <> 'webhook' OR connector_url IS NOT NULL",
                        name="webhook_has_url"),
        CheckConstraint(
            "(kind = 'executive' AND executive_id IS NOT NULL) OR (kind = 'brand' AND executive_id IS NULL)",
            name="executive_iff_kind",
        ),
    )

    @property
    def is_executive(self) -> bool:
        return self.kind == AccountKind.executive

    def __str__(self) -> str:
        return f"{self.network.value}:{self.handle}"

    @property
    def display_name(self) -> str:
        """As people read it: "LinkedIn @helio-group" (``str()`` is the command line's ``linkedin:helio-group``)."""
        return f"{network_name(self.network)} @{self.handle}"


class Campaign(Base):
    """A campaign groups posts (a tournament sponsorship, the annual report); market None means group-wide."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    market_id: Mapped[int | None] = mapped_column(ForeignKey("markets.id"), index=True)
    hashtag: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    #: A partnership (sponsored) campaign: its posts carry one of the market's disclosure markers (#ad...).
    disclosure_required: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: No post of the campaign goes out before this instant (an annual report, a match result).
    embargo_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    market: Mapped[Market | None] = relationship(active_history=True)  # the one it had, for the administration log

    def __str__(self) -> str:
        return self.name

