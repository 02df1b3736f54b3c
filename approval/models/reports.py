"""The reports' daily figures: what each market did on each of its closed days (from midnight to midnight in its
zone), kept once it is known.

A day's audit rows never change once the day is over (the trail is append-only and each row is stamped with the
moment it was written), so its figures are computed once (by the first report that needs them, or by the worker
after the market's midnight) and read back from then on: a report over weeks reads a row per market and day instead
of every audit row of the period.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from approval.db import Base, utcnow


class ReportDay(Base):
    __tablename__ = "report_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("markets.id", ondelete="CASCADE"), primary_key=True)
    #: approval.queries.reports.Figures, as JSON.
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
