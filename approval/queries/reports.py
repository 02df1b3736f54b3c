"""The reporting page's numbers, per market (or all the viewer's markets) and period, read from the audit trail.

Every figure is defined so that it can be checked by hand:

- **Posts per week by final state**: audit rows entering ``published``, ``rejected``, ``declined`` or
  ``withdrawn`` in the period, counted by the ISO week (Monday, UTC) of the row.
- **Time in review**: each stay in ``in_review`` that ended in the period (a decision, a recall, an edit back to
  draft...), from the row that entered it to the row that left it. Median and 90th percentile (nearest rank).
- **Time to publish**: for each post published in the period, from its first submission to its publication.
- **Approval rate**: approvals among the project managers' decisions (approve, request changes, reject) in the period.
- **Reasons**: the most frequent words (four letters or more, common English and French words left out) in the
  comments of the change requests, rejections and declines of the period.
- **Style findings**: the rules found most often in the revisions written in the period.
- **On time**: posts the publisher put online in the period within their market's grace period after their slot,
  among those and the slots missed in the period.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from approval.models import Account, AuditEntry, Market, Post, Revision
from approval.workflow.states import Action, State

FINAL = (State.published, State.rejected, State.declined, State.withdrawn)
DECISIONS = (Action.approve, Action.request_changes, Action.reject)
REASON_ACTIONS = (Action.request_changes, Action.reject, Action.decline)
#: A stay in review is looked for this far before the period's start.
LOOKBACK = timedelta(days=60)
TOP = 12
_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
STOP_WORDS = frozenset("""
this that with from have will your please more what when them they their there than then into also just only
very been were about which would could should these those here make some other over such after before because
dans pour avec cette sont nous vous leur leurs mais plus moins comme elle elles être avoir fait faire tout tous
toute toutes encore aussi alors donc sans sous chez entre très bien merci peut peux sera sont était notre votre
""".split())


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # excluded


@dataclass
class Durations:
    count: int = 0
    median_h: float | None = None
    p90_h: float | None = None

    @classmethod
    def of(cls, seconds: list[float]) -> Durations:
        if not seconds:
            return cls()
        ordered = sorted(seconds)
        p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]
        return cls(len(ordered), round(statistics.median(ordered) / 3600, 2), round(p90 / 3600, 2))


@dataclass
class Report:
    period: Period
    weeks: list[date] = field(default_factory=list)
    #: week -> final state -> posts
    per_week: dict[date, Counter] = field(default_factory=dict)
    review: Durations = field(default_factory=Durations)
    to_publish: Durations = field(default_factory=Durations)
    decisions: Counter = field(default_factory=Counter)
    reasons: list[tuple[str, int]] = field(default_factory=list)
    findings: list[tuple[str, int]] = field(default_factory=list)
    on_time: int = 0
    late: int = 0
    missed: int = 0

    @property
    def approval_rate(self) -> float | None:
        total = sum(self.decisions.values())
        return round(self.decisions[Action.approve] / total, 4) if total else None

    @property
    def on_time_rate(self) -> float | None:
        total = self.on_time + self.late + self.missed
        return round(self.on_time / total, 4) if total else None


def week_of(instant: datetime) -> date:
    day = instant.date()
    return day - timedelta(days=day.weekday())


def build(session: Session, markets: ColumnElement[bool], period: Period) -> Report:
    """The report for the posts whose account's market satisfies ``markets`` (a clause on ``Market``)."""
    report = Report(period)
    in_scope = select(Post.id).join(Account, Post.account_id == Account.id) \
        .join(Market, Account.market_id == Market.id) \
        .where(markets)
    rows = session.execute(
        select(AuditEntry.post_id, AuditEntry.action, AuditEntry.from_state, AuditEntry.to_state, AuditEntry.at,
               AuditEntry.comment)
        .where(AuditEntry.post_id.in_(in_scope), AuditEntry.at >= period.start - LOOKBACK,
               AuditEntry.at < period.end)
        .order_by(AuditEntry.post_id, AuditEntry.id)
    ).all()
    inside = lambda at: period.start <= at < period.end  # noqa: E731
    entered: dict[int, datetime] = {}
    first_submit: dict[int, datetime] = {}
    reviews: list[float] = []
    to_publish: list[float] = []
    words: Counter = Counter()
    published_ids: list[int] = []
    for post_id, action, from_state, to_state, at, comment in rows:
        if action == Action.submit and post_id not in first_submit:
            first_submit[post_id] = at
        if to_state == State.in_review and from_state != State.in_review:
            entered[post_id] = at
        elif from_state == State.in_review and to_state != State.in_review and post_id in entered:
            start = entered.pop(post_id)
            if inside(at):
                reviews.append((at - start).total_seconds())
        if not inside(at):
            continue
        if to_state in FINAL and from_state != to_state:
            report.per_week.setdefault(week_of(at), Counter())[State(to_state)] += 1
        if action in DECISIONS:
            report.decisions[Action(action)] += 1
        if action in REASON_ACTIONS and comment:
            words.update(w for w in (m.lower() for m in _WORD.findall(comment)) if w not in STOP_WORDS)
        if to_state == State.published and from_state != State.published and post_id in first_submit:
            to_publish.append((at - first_submit[post_id]).total_seconds())
        if action == Action.publish:
            published_ids.append(post_id)
        if action == Action.miss:
            report.missed += 1
    report.review = Durations.of(reviews)
    report.to_publish = Durations.of(to_publish)
    report.reasons = sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    week = week_of(period.start)
    while week < period.end.date():
        report.weeks.append(week)
        week += timedelta(days=7)
    _on_time(session, report, published_ids)
    report.findings = _findings(session, in_scope, period)
    return report


def _on_time(session: Session, report: Report, post_ids: list[int]) -> None:
    for chunk in range(0, len(post_ids), 500):
        for published_at, scheduled_at, grace in session.execute(
            select(Post.published_at, Post.scheduled_at, Market.grace_minutes)
            .join(Account, Post.account_id == Account.id).join(Market, Account.market_id == Market.id)
            .where(Post.id.in_(post_ids[chunk:chunk + 500]))
        ):
            if published_at is None:
                continue
            if scheduled_at is None or published_at <= scheduled_at + timedelta(minutes=grace):
                report.on_time += 1
            else:
                report.late += 1


def _findings(session: Session, in_scope, period: Period) -> list[tuple[str, int]]:  # noqa: ANN001
    counts: Counter = Counter()
    for (findings,) in session.execute(
        select(Revision.findings).where(Revision.post_id.in_(in_scope), Revision.created_at >= period.start,
                                        Revision.created_at < period.end)
    ):
        counts.update({f.get("rule") for f in findings or [] if isinstance(f, dict) and f.get("rule")})
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]


def per_week_table(report: Report) -> list[list]:
    """Rows for the CSV and the chart: the week, then one column per final state."""
    return [[week.isoformat(), *(report.per_week.get(week, Counter())[state] for state in FINAL)]
            for week in report.weeks]

