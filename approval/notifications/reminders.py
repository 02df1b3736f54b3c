"""Review reminders: a post waiting in review longer than its market's threshold (working time: Monday to Friday,
09:00 to 18:00 in the market's zone; 4 hours unless an admin set another) reminds the market's project managers
once; at twice the threshold, the group-wide project managers are told. A suggestion left with an executive's
cabinet is chased the same way: after the same threshold its cabinet is reminded, at twice the threshold the
project manager who sent it is told. Each level is given once per stay (a unique row per post, submission time and
level: a suggestion comes back to the cabinet only through a new review, a new submission time), whoever runs the
pass and however often."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import Engine, SQLColumnExpression, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from approval.db import utcnow
from approval.models import Account, AuditEntry, Market, Post
from approval.models.notifications import MarketNotificationSettings, NotificationKind, ReviewReminder
from approval.notifications import dispatch, outbox
from approval.notifications.zones import load_zone
from approval.workflow.states import State

DEFAULT_MINUTES = 240
SHORTEST_MINUTES = 15
WORK_START, WORK_END = time(9, 0), time(18, 0)
#: A stay longer than this is counted as this (the count walks the days).
LONGEST_DAYS = 60

LEVELS = {1: (NotificationKind.review_reminder, (dispatch.Audience.market_pms,)),
          2: (NotificationKind.review_escalation, (dispatch.Audience.group_pms,)),
          3: (NotificationKind.cabinet_reminder, (dispatch.Audience.cabinet,)),
          4: (NotificationKind.cabinet_escalation, (dispatch.Audience.approver,))}
#: The stays that are chased: the state, when it began, and its reminder's level (its escalation's is the next).
#: A stay with the cabinet began at the trail's last move there (the post keeps only its first sending).
_ENTERED_CABINET = (select(func.max(AuditEntry.at))
                    .where(AuditEntry.post_id == Post.id, AuditEntry.to_state == State.with_cabinet)
                    .correlate(Post).scalar_subquery())
STAYS = ((State.in_review, Post.submitted_at, 1), (State.with_cabinet, _ENTERED_CABINET, 3))


def working_minutes(start: datetime, end: datetime, zone_name: str) -> float:
    """Minutes of working time between two instants in ``zone_name``."""
    if end <= start:
        return 0.0
    zone = load_zone(zone_name)
    start = max(start, end - timedelta(days=LONGEST_DAYS))
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    total = 0.0
    while day <= last:
        if day.weekday() < 5:
            opens = datetime.combine(day, WORK_START, tzinfo=zone)
            closes = datetime.combine(day, WORK_END, tzinfo=zone)
            overlap = min(end, closes) - max(start, opens)
            if overlap > timedelta(0):
                total += overlap.total_seconds() / 60
        day += timedelta(days=1)
    return total


@dataclass
class ReminderReport:
    reminded: int = 0
    escalated: int = 0


class Reminders:
    def __init__(self, app, *, clock: Callable[[], datetime] = utcnow, batch: int = 500) -> None:  # noqa: ANN001
        engine: Engine = app.extensions["approval.db"]["engine"]
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.clock, self.batch = clock, batch

    def run_once(self) -> ReminderReport:
        now = self.clock()
        report = ReminderReport()
        for state, since, first in STAYS:
            self._remind(state, since, first, now, report)
        return report

    def _remind(self, state: State, since: SQLColumnExpression[datetime | None], first: int, now: datetime,
                report: ReminderReport) -> None:
        threshold = func.coalesce(MarketNotificationSettings.reminder_minutes, DEFAULT_MINUTES)
        with self.sessions() as session, session.begin():
            # The posts locked until the reminders are written (skipped if a change holds them: the next pass sees
            # them again): a review given meanwhile waits for this commit, and then settles the reminders with the
            # stay (``dispatch.record``) rather than leave them unread on a post no longer in review.
            postgres = session.get_bind().dialect.name == "postgresql"
            waiting = session.execute(outbox.locked(
                select(Post.id, Post.submitted_at, since, Market.timezone, threshold)
                .join(Account, Post.account_id == Account.id).join(Market, Account.market_id == Market.id)
                .outerjoin(MarketNotificationSettings, MarketNotificationSettings.market_id == Market.id)
                .where(Post.state == state, Post.submitted_at.is_not(None),
                       since < now - timedelta(minutes=SHORTEST_MINUTES))
                .order_by(since).limit(self.batch), postgres, Post)).all()
            given = {(r.post_id, r.submitted_at, r.level) for r in session.execute(
                select(ReviewReminder.post_id, ReviewReminder.submitted_at, ReviewReminder.level)
                .where(ReviewReminder.post_id.in_([row.id for row in waiting])))} if waiting else set()
            for post_id, submitted_at, began_at, zone, minutes in waiting:
                assert submitted_at is not None and began_at is not None  # the query selects submitted posts only
                worked = working_minutes(began_at, now, zone)
                due = 2 if worked >= 2 * minutes else 1 if worked >= minutes else 0
                for level in range(first, first + due):
                    if (post_id, submitted_at, level) in given:
                        continue
                    try:
                        with session.begin_nested():
                            session.add(ReviewReminder(post_id=post_id, submitted_at=submitted_at, level=level,
                                                       at=now))
                            session.flush()
                    except IntegrityError:  # another pass gave it at the same moment
                        continue
                    kind, audiences = LEVELS[level]
                    dispatch.notify_post(session, kind, audiences, post_id=post_id, actor_id=None, at=now,
                                         comment=None)
                    if level == first:
                        report.reminded += 1
                    else:
                        report.escalated += 1
