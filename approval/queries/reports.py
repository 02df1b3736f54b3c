"""The reporting page's numbers, per market (or all the viewer's markets) and period, read from the audit trail.

A market's figures are those of the rows written for its posts (each audit row names its post's market), each
aggregated by the database over the period's rows, read through the index on market and time.

Every figure is defined so that it can be checked by hand:

- **Posts per week by final state**: audit rows entering ``published``, ``rejected``, ``declined`` or
  ``withdrawn`` in the period, counted by the ISO week (Monday, UTC) of the row.
- **Time in review**: each stay in ``in_review`` that ended in the period (a decision, a recall, an edit back to
  draft...), from the row that entered it (however long before) to the row that left it. Median and 90th
  percentile (nearest rank).
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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Float, Select, case, func, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from approval.models import Account, AuditEntry, Market, Post, Revision
from approval.workflow.states import Action, State

FINAL = (State.published, State.rejected, State.declined, State.withdrawn)
DECISIONS = (Action.approve, Action.request_changes, Action.reject)
REASON_ACTIONS = (Action.request_changes, Action.reject, Action.decline)
#: The parts of a report; a chart asks for its own only.
PARTS = frozenset({"weekly", "durations", "rates", "reasons", "findings"})
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
        return cls.hours(len(ordered), statistics.median(ordered), p90)

    @classmethod
    def hours(cls, count: int, median_s: float | None, p90_s: float | None) -> Durations:
        if not count or median_s is None or p90_s is None:
            return cls()
        return cls(count, round(median_s / 3600, 2), round(p90_s / 3600, 2))


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


def week_of(instant: datetime | date) -> date:
    day = instant.date() if isinstance(instant, datetime) else instant
    return day - timedelta(days=day.weekday())


# Two expressions each backend writes its own way ---------------------------------------------------------------

class utc_day(FunctionElement[date]):  # noqa: N801 (a SQL function)
    """The UTC calendar day of a timestamp."""

    type = Date()
    inherit_cache = True


@compiles(utc_day)
def _utc_day_sqlite(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:  # kept as UTC text
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(timezone('UTC', {compiler.process(element.clauses, **kw)}) AS DATE)"


class seconds_between(FunctionElement[float]):  # noqa: N801 (a SQL function)
    """``seconds_between(earlier, later)``: the seconds from one timestamp to the other."""

    type = Float()
    inherit_cache = True


@compiles(seconds_between)
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    earlier, later = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    earlier, later = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS DOUBLE PRECISION)"


# The report ----------------------------------------------------------------------------------------------------

def build(session: Session, markets: ColumnElement[bool] | None, period: Period, *,
          parts: Iterable[str] = PARTS) -> Report:
    """The report for the posts whose account's market satisfies ``markets`` (a clause on ``Market``; None: every
    market). Each figure is aggregated by the database over the period's audit rows (read through their market and
    time index), so that the cost follows the period's activity, not the size of the history; ``parts`` leaves out
    what a chart does not draw."""
    parts = frozenset(parts)
    report = Report(period)
    week = week_of(period.start)
    while week < period.end.date():
        report.weeks.append(week)
        week += timedelta(days=7)
    if parts & {"weekly", "rates"}:
        _counts(session, report, markets)
    if "durations" in parts:
        _durations(session, report, markets)
    if "rates" in parts:
        _on_time(session, report, markets)
    if "reasons" in parts:
        _reasons(session, report, markets)
    if "findings" in parts:
        _findings(session, report, markets)
    return report


def _audit_rows(markets: ColumnElement[bool] | None, period: Period, *columns: Any) -> Select:
    """A SELECT of ``columns`` over the audit rows of the period in the markets (each row names its post's market:
    the index on market and time finds them)."""
    query = select(*columns).select_from(AuditEntry).where(AuditEntry.at >= period.start, AuditEntry.at < period.end)
    if markets is None:
        return query
    return query.join(Market, Market.id == AuditEntry.market_id).where(markets)


def _counts(session: Session, report: Report, markets: ColumnElement[bool] | None) -> None:
    """Final states per week, decisions and missed slots: one grouped count over the period's rows."""
    day = utc_day(AuditEntry.at)
    kinds = (day, AuditEntry.action, AuditEntry.from_state, AuditEntry.to_state)
    rows = session.execute(
        _audit_rows(markets, report.period, *kinds, func.count())
        .where(AuditEntry.action.in_([*DECISIONS, Action.miss]) | AuditEntry.to_state.in_(FINAL))
        .group_by(*kinds)
    ).all()
    for on, action, from_state, to_state, count in rows:
        if action in DECISIONS:
            report.decisions[Action(action)] += count
        if action == Action.miss:
            report.missed += count
        if to_state in FINAL and from_state != to_state:
            on_day = on if isinstance(on, date) else date.fromisoformat(on)
            report.per_week.setdefault(week_of(on_day), Counter())[State(to_state)] += count


def _durations(session: Session, report: Report, markets: ColumnElement[bool] | None) -> None:
    """Each stay in review that ended in the period (from the row that entered it, the latest before the one that
    left it), and each publication's time since its post's first submission."""
    earlier = aliased(AuditEntry)
    entered = (select(func.max(earlier.at))
               .where(earlier.post_id == AuditEntry.post_id, earlier.id < AuditEntry.id,
                      earlier.to_state == State.in_review, earlier.from_state != State.in_review)
               .scalar_subquery())
    report.review = _summary(session, _audit_rows(markets, report.period, seconds_between(entered, AuditEntry.at))
                             .where(AuditEntry.from_state == State.in_review,
                                    AuditEntry.to_state != State.in_review))
    submitted = (select(func.min(earlier.at))
                 .where(earlier.post_id == AuditEntry.post_id, earlier.id < AuditEntry.id,
                        earlier.action == Action.submit)
                 .scalar_subquery())
    report.to_publish = _summary(session, _audit_rows(markets, report.period,
                                                      seconds_between(submitted, AuditEntry.at))
                                 .where(AuditEntry.to_state == State.published,
                                        AuditEntry.from_state != State.published))


def _summary(session: Session, seconds: Select) -> Durations:
    """Count, median and 90th percentile (nearest rank) of a one-column query of seconds (NULLs left out):
    PostgreSQL computes them; SQLite has no percentile, its values are read."""
    # Materialised: inlined, the lookups of each row would run once per aggregate.
    values = seconds.cte().prefix_with("MATERIALIZED", dialect="postgresql").c[0]
    if session.get_bind().dialect.name == "postgresql":
        count, median, p90 = session.execute(select(
            func.count(values), func.percentile_cont(0.5).within_group(values),
            func.percentile_disc(0.9).within_group(values))).one()
        return Durations.hours(count, median, p90)
    return Durations.of(list(session.scalars(select(values).where(values.is_not(None)))))


def _on_time(session: Session, report: Report, markets: ColumnElement[bool] | None) -> None:
    """The posts the publisher put online in the period: within their market's grace period after their slot (or
    with no slot), or late."""
    published = _audit_rows(markets, report.period, AuditEntry.post_id).where(AuditEntry.action == Action.publish)
    in_time = case((Post.scheduled_at.is_(None), 1),
                   (seconds_between(Post.scheduled_at, Post.published_at) <= Market.grace_minutes * 60, 1),
                   else_=0)
    total, on_time = session.execute(
        select(func.count(), func.coalesce(func.sum(in_time), 0))
        .select_from(Post).join(Account, Post.account_id == Account.id).join(Market, Account.market_id == Market.id)
        .where(Post.id.in_(published), Post.published_at.is_not(None))
    ).one()
    report.on_time, report.late = int(on_time), int(total) - int(on_time)


def _reasons(session: Session, report: Report, markets: ColumnElement[bool] | None) -> None:
    words: Counter = Counter()
    for comment in session.scalars(_audit_rows(markets, report.period, AuditEntry.comment)
                                   .where(AuditEntry.action.in_(REASON_ACTIONS), AuditEntry.comment.is_not(None))):
        words.update(w for w in (m.lower() for m in _WORD.findall(comment)) if w not in STOP_WORDS)
    report.reasons = sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]


def _findings(session: Session, report: Report, markets: ColumnElement[bool] | None) -> None:
    """The rules found in the most revisions written in the period (each written by a ``create`` or an ``edit``
    audit row; a rule found twice in one revision counts once)."""
    if session.get_bind().dialect.name == "postgresql":
        each = func.json_array_elements(Revision.findings).table_valued("value", joins_implicitly=True)
        rule = func.json_extract_path_text(each.c.value, "rule")
    else:
        each = func.json_each(Revision.findings).table_valued("value", joins_implicitly=True)
        rule = func.json_extract(each.c.value, "$.rule")
    query = (_audit_rows(markets, report.period, rule, func.count(Revision.id.distinct()))
             .join(Revision, Revision.id == AuditEntry.revision_id).join(each, true())
             .where(AuditEntry.action.in_([Action.create, Action.edit]), func.coalesce(rule, "") != "")
             .group_by(rule))
    counts = session.execute(query).all()
    report.findings = sorted(((str(name), count) for name, count in counts), key=lambda kv: (-kv[1], kv[0]))[:TOP]


def per_week_table(report: Report) -> list[list]:
    """Rows for the CSV and the chart: the week, then one column per final state."""
    return [[week.isoformat(), *(report.per_week.get(week, Counter())[state] for state in FINAL)]
            for week in report.weeks]

