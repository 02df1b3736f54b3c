"""The administration log: one row per change of a setting (a market, an account and its connector, a user's role or
markets, an executive's cabinet, a campaign and its embargo, a kiosk link, an API token, the wall's thresholds), who
made it and when. ``approval.admin_log`` writes the rows in the transaction of the change; like the posts' audit
trail, the table is append-only: migration 0028's triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from approval.db import Base, utcnow
from approval.models.users import User


class AdminLogEntry(Base):
    __tablename__ = "admin_log_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The user who made the change; None for a command run on the server (``actor_label`` says whose).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Who made it, as it read then: the user's e-mail, or the command run on the server with the Unix user and
    #: the host ("approval account connect (ops@web-1)").
    actor_label: Mapped[str] = mapped_column(String(300))
    #: What was changed: ``market``, ``account``, ``user``, ``executive``, ``campaign``, ``kiosk``, ``api_token``,
    #: ``wall`` (approval.admin_log.SUBJECTS), its id, and its name when the change was made.
    subject: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    subject_label: Mapped[str] = mapped_column(String(300))
    #: ``created``, ``changed``, ``deactivated``, ``reactivated``, ``revoked``, ``login_unlocked``.
    action: Mapped[str] = mapped_column(String(20))
    #: field -> [before, after], as shown (a related row by its name); a secret's value is never kept, only whether
    #: it was set: [false, true].
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_admin_log_entries_subject", "subject", "subject_id", "id"),
        Index("ix_admin_log_entries_actor_id", "actor_id"),
    )
