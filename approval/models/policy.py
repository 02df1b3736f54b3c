"""A market's editorial policy, versioned: which style rules run and how hard, and what may be said.

A version is immutable, like a post's revision: saving the policy writes the next version, and every check of the
style gate names the version it applied (``FR-v3``) in its audit row. A market's policy is its highest version; a
market with none runs the house defaults.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from approval.db import Base, utcnow
from approval.models.markets import Market
from approval.models.users import User


class PolicyVersion(Base):
    """One saved state of a market's policy. Nothing updates a version once written (the database refuses it,
    migration 0046): the style gate's seal names a version by its id and time (``approval.policies.seal``)."""

    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("markets.id"))
    #: 1, 2, ... per market.
    number: Mapped[int]
    #: rule id -> "off" | "warning" | "error"; a rule absent runs with its default severity.
    rules: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: [{"phrase", "reason", "instead"?}, ...]: an error, its reason shown to the writer.
    forbidden: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: [{"phrase", "reason"}, ...]: a warning the approving project manager must acknowledge.
    sensitive: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: Words that may start a sentence in lower case (bpifrance, sosh).
    capital_exceptions: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Markers a partnership campaign's post must carry; empty means the gate's defaults (#ad, #partenariat...).
    disclosures: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: A sentence ends with "." and nothing else ("!", "?" and "…" refused).
    strict_full_stop: Mapped[bool] = mapped_column(default=False)
    #: What changed, in the admin's words.
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    market: Mapped[Market] = relationship(foreign_keys=[market_id])
    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("market_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    @property
    def label(self) -> str:
        """How audit rows and pages name it: ``FR-v3``."""
        return version_label(self.market.code, self.number)

    def policy_data(self) -> dict[str, Any]:
        """The shape ``approval.style.Policy.from_dict`` reads."""
        return {
            "forbidden": self.forbidden or [],
            "sensitive": self.sensitive or [],
            "capital_exceptions": self.capital_exceptions or [],
            "disclosures": self.disclosures or [],
            "strict_full_stop": self.strict_full_stop,
            "version": self.label,
        }

    def __repr__(self) -> str:
        return f"<PolicyVersion {self.market_id} v{self.number}>"


def version_label(market_code: str, number: int) -> str:
    """``FR-v3``; ``FR-v0`` names the defaults of a market that never saved a policy."""
    return f"{market_code}-v{number}"
