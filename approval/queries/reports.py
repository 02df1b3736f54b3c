"""The reporting page's numbers, per market (or all the viewer's markets) and period, read from the audit trail.

A market's figures are those of the rows written for its posts (each audit row names its post's market), aggregated
by the database per market and UTC day over the rows the index on market and time finds. A day's rows never change
once it is over: its figures are kept (``report_days``) and a report over weeks sums a row per market and day, plus
the live figures of the day in progress.

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
- **Style findings**: the rules found most often in the revisions written in the period (a rule counts once per
  revision).
- **On time**: posts the publisher put online in the period within their market's grace period after their slot,
  among those and the slots missed in the period.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, Float, Select, Text, case, cast, func, select, true
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from approval.db import only_reads, utcnow
from approval.models import Account, AuditEntry, Market, Post, ReportDay, Revision
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
        n, middle = len(ordered), len(ordered) // 2
        median = ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
        return cls.hours(n, median, ordered[max(0, math.ceil(0.9 * n) - 1)])  # 90th: nearest rank

    @classmethod
    def hours(cls, count: int, median_s: float | None, p90_s: float | None) -> Durations:
        if not count or median_s is None or p90_s is None:
            return cls()
        # To the second: the page writes a few seconds as such (rounded to hundredths of hours, 52 s read "0 sec").
        return cls(count, round(median_s / 3600, 4), round(p90_s / 3600, 4))


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
    #: The UTC day the report was drawn on: a week that has not ended by then is counted so far.
    today: date | None = None

    @property
    def spans(self) -> list[WeekSpan]:
        """Each week of the period with the days of it the period holds (its first and last may be cut)."""
        first, last = self.period.start.date(), self.period.end.date() - timedelta(days=1)
        spans = [(week, max(week, first), min(week + timedelta(days=6), last)) for week in self.weeks]
        return [WeekSpan(week, start, end, self.today is not None and end >= self.today)
                for week, start, end in spans]

    @property
    def partial_weeks(self) -> list[WeekSpan]:
        """The weeks whose bar counts fewer than their seven days: cut by the period, or not over yet."""
        return [span for span in self.spans if span.partial]

    @property
    def approval_rate(self) -> float | None:
        total = sum(self.decisions.values())
        return round(self.decisions[Action.approve] / total, 4) if total else None

    @property
    def on_time_rate(self) -> float | None:
        total = self.on_time + self.late + self.missed
        return round(self.on_time / total, 4) if total else None


@dataclass(frozen=True)
class WeekSpan:
    """An ISO week (Monday, UTC) of a report and the days of it that its bar counts."""

    week: date
    first: date
    last: date
    #: The period's days of it are not over yet: today (UTC) is among them, or before them.
    ongoing: bool

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def partial(self) -> bool:
        return self.ongoing or self.days < 7


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


# The figures of a day -----------------------------------------------------------------------------------------

@dataclass
class Figures:
    """A slice of the report before it is summed: counts add up, and durations are kept as values (percentiles do
    not add up). Kept per market and closed UTC day in ``report_days``, and computed live for the open day."""

    final: Counter = field(default_factory=Counter)        # final state -> posts
    decisions: Counter = field(default_factory=Counter)    # action -> decisions
    missed: int = 0
    review: list[float] = field(default_factory=list)      # seconds of each stay in review that ended
    to_publish: list[float] = field(default_factory=list)  # seconds from first submission to publication
    on_time: int = 0
    late: int = 0
    reasons: Counter = field(default_factory=Counter)      # word -> uses
    findings: Counter = field(default_factory=Counter)     # rule -> revisions

    def as_json(self) -> dict[str, Any]:
        return {"final": dict(self.final), "decisions": dict(self.decisions), "missed": self.missed,
                "review": self.review, "to_publish": self.to_publish, "on_time": self.on_time, "late": self.late,
                "reasons": dict(self.reasons), "findings": dict(self.findings)}


#: A UTC day is closed (its figures kept) this long after its end: a transaction that read the clock just before
#: midnight may commit its audit rows a little after it.
CLOSING_DELAY = timedelta(minutes=10)


def closed_before(now: datetime) -> date:
    """The first UTC day that is not closed at ``now``."""
    return (now - CLOSING_DELAY).date()


# The report ----------------------------------------------------------------------------------------------------

def build(session: Session, markets: ColumnElement[bool] | None, period: Period, *,
          parts: Iterable[str] = PARTS, now: datetime | None = None) -> Report:
    """The report for the posts whose account's market satisfies ``markets`` (a clause on ``Market``; None: every
    market). The closed days of the period are read from their kept figures (computed here first if no report or
    worker has yet: see ``roll_up``), the open days from their audit rows; ``parts`` leaves out what a chart does
    not draw."""
    parts = frozenset(parts)
    report = Report(period, today=(now or utcnow()).date())
    week = week_of(period.start)
    while week < period.end.date():
        report.weeks.append(week)
        week += timedelta(days=7)
    ids = None if markets is None else list(session.scalars(select(Market.id).where(markets)))
    open_from = closed_before(now or utcnow())
    first, end = period.start.date(), period.end.date()
    total = Figures()  # the period's figures, summed day by day (the weeks' final states apart)
    if first < open_from:
        # Closed days nobody kept yet (the worker keeps each when it closes): computed now, and kept unless this
        # session only reads (a page being viewed: ``approval.db.read_only``), which folds them as they are.
        unkept = _unkept(session, first, min(end, open_from))
        if unkept and not only_reads(session):
            _keep(session, unkept)
            unkept = []
        kept = select(ReportDay.day, ReportDay.figures).where(ReportDay.day >= first,
                                                               ReportDay.day < min(end, open_from))
        computed = {row["day"] for row in unkept}
        for day, figures in session.execute(kept if ids is None else kept.where(ReportDay.market_id.in_(ids))):
            if day not in computed:  # kept since this session looked (PostgreSQL reads what others committed)
                _fold(report, total, day, figures)
        for row in unkept:
            if ids is None or row["market_id"] in ids:
                _fold(report, total, row["day"], row["figures"])
    if end > open_from:
        live = Period(datetime.combine(max(first, open_from), time(), UTC), period.end)
        for (_market, day), figures in _figures(session, ids, live, parts).items():
            _fold(report, total, day, figures.as_json())
    report.decisions, report.missed, report.on_time, report.late = (total.decisions, total.missed, total.on_time,
                                                                    total.late)
    report.review, report.to_publish = Durations.of(total.review), Durations.of(total.to_publish)
    report.reasons, report.findings = _top(total.reasons), _top(total.findings)
    return report


def _fold(report: Report, total: Figures, day: date, figures: dict[str, Any]) -> None:
    """Add a day's figures (as kept: JSON) to the period's ``total`` and its week's final states to the report.
    Plain loops over the kept dictionaries: a report over weeks folds a thousand of them, mostly empty."""
    if final := figures["final"]:
        week = report.per_week.setdefault(week_of(day), Counter())
        for state, count in final.items():
            week[state] += count
    for action, count in figures["decisions"].items():
        total.decisions[action] += count
    total.missed += figures["missed"]
    total.review += figures["review"]
    total.to_publish += figures["to_publish"]
    total.on_time += figures["on_time"]
    total.late += figures["late"]
    for word, count in figures["reasons"].items():
        total.reasons[word] += count
    for rule, count in figures["findings"].items():
        total.findings[rule] += count


def _top(counts: Counter) -> list[tuple[str, int]]:
    return sorted(((str(name), count) for name, count in counts.items() if count),
                  key=lambda kv: (-kv[1], kv[0]))[:TOP]


def roll_up(session: Session, first: date, end: date) -> int:
    """Compute and keep the figures of every market for the days from ``first`` to ``end`` (excluded) that have
    none yet; the caller makes sure they are closed. Returns the number of days computed. Two processes may do the
    same day at once: the figures are the same, the second insert is ignored."""
    rows = _unkept(session, first, end)
    _keep(session, rows)
    return len({row["day"] for row in rows})


def _unkept(session: Session, first: date, end: date) -> list[dict[str, Any]]:
    """The figures of every market, as rows of ``ReportDay``, for the days from ``first`` to ``end`` (excluded) that
    have none kept."""
    have = set(session.scalars(select(ReportDay.day).distinct().where(ReportDay.day >= first, ReportDay.day < end)))
    missing = [first + timedelta(days=n) for n in range((end - first).days) if first + timedelta(days=n) not in have]
    if not missing:
        return []
    market_ids = list(session.scalars(select(Market.id)))
    rows = []
    for start_day, end_day in _runs(missing):
        period = Period(datetime.combine(start_day, time(), UTC), datetime.combine(end_day, time(), UTC))
        figures = _figures(session, None, period, PARTS)
        rows += [{"day": start_day + timedelta(days=n), "market_id": market_id,
                  "figures": figures.get((market_id, start_day + timedelta(days=n)), Figures()).as_json()}
                 for n in range((end_day - start_day).days) for market_id in market_ids]
    return rows


def _keep(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        insert = (postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)
        session.execute(insert(ReportDay).on_conflict_do_nothing(), rows)


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days as ``(first, end)`` ranges, ``end`` excluded."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and runs[-1][1] == day:
            runs[-1] = (runs[-1][0], day + timedelta(days=1))
        else:
            runs.append((day, day + timedelta(days=1)))
    return runs


# The figures, read from the audit rows --------------------------------------------------------------------------

Key = tuple[int, date]
#: The ids of the markets a report covers; None: every market.
MarketIds = list[int] | None


def _figures(session: Session, markets: MarketIds, period: Period,
             parts: frozenset[str]) -> dict[Key, Figures]:
    """The figures of the period's audit rows, per market and UTC day, each part aggregated by the database over
    the rows the index on market and time finds."""
    found: dict[Key, Figures] = defaultdict(Figures)
    if parts & {"weekly", "rates"}:
        _counts(session, found, markets, period)
    if "durations" in parts:
        _durations(session, found, markets, period)
    if "rates" in parts:
        _on_time(session, found, markets, period)
    if "reasons" in parts:
        _reasons(session, found, markets, period)
    if "findings" in parts:
        _findings(session, found, markets, period)
    return found


def _key(market_id: int, day: date | str) -> Key:
    return market_id, day if isinstance(day, date) else date.fromisoformat(day)


def _audit_rows(markets: MarketIds, period: Period, *columns: Any) -> Select:
    """A SELECT of the market, the UTC day and ``columns`` over the audit rows of the period in the markets (each
    row names its post's market: the index on market and time finds them)."""
    query = (select(AuditEntry.market_id, utc_day(AuditEntry.at), *columns).select_from(AuditEntry)
             .join(Market, Market.id == AuditEntry.market_id)
             .where(AuditEntry.at >= period.start, AuditEntry.at < period.end))
    # The markets' ids as values: the database then reads each market's rows of the period from its index.
    return query if markets is None else query.where(AuditEntry.market_id.in_(markets))


def _counts(session: Session, found: dict[Key, Figures], markets: MarketIds,
            period: Period) -> None:
    """Final states, decisions and missed slots: one grouped count over the period's rows."""
    kinds = (AuditEntry.action, AuditEntry.from_state, AuditEntry.to_state)
    rows = session.execute(
        _audit_rows(markets, period, *kinds, func.count())
        .where(AuditEntry.action.in_([*DECISIONS, Action.miss]) | AuditEntry.to_state.in_(FINAL))
        .group_by(AuditEntry.market_id, utc_day(AuditEntry.at), *kinds)
    ).all()
    for market_id, day, action, from_state, to_state, count in rows:
        figures = found[_key(market_id, day)]
        if action in DECISIONS and from_state == State.in_review:  # not a cabinet's: it sends back from with_cabinet
            figures.decisions[action] += count
        if action == Action.miss:
            figures.missed += count
        if to_state in FINAL and from_state != to_state:
            figures.final[to_state] += count


def _durations(session: Session, found: dict[Key, Figures], markets: MarketIds,
               period: Period) -> None:
    """Each stay in review that ended in the period (from the row that entered it, the latest before the one that
    left it), and each publication's time since its post's first submission."""
    earlier = aliased(AuditEntry)
    entered = (select(func.max(earlier.at))
               .where(earlier.post_id == AuditEntry.post_id, earlier.id < AuditEntry.id,
                      earlier.to_state == State.in_review, earlier.from_state != State.in_review)
               .scalar_subquery())
    submitted = (select(func.min(earlier.at))
                 .where(earlier.post_id == AuditEntry.post_id, earlier.id < AuditEntry.id,
                        earlier.action == Action.submit)
                 .scalar_subquery())
    leaves_review = (AuditEntry.from_state == State.in_review) & (AuditEntry.to_state != State.in_review)
    publishes = (AuditEntry.to_state == State.published) & (AuditEntry.from_state != State.published)
    rows = _audit_rows(  # one read of the period's rows; each lookup runs for the rows it concerns only
        markets, period, case((leaves_review, seconds_between(entered, AuditEntry.at))),
        case((publishes, seconds_between(submitted, AuditEntry.at)))).where(leaves_review | publishes)
    for market_id, day, in_review, to_publish in session.execute(rows):
        figures = found[_key(market_id, day)]
        if in_review is not None:
            figures.review.append(round(in_review))  # whole seconds: the report shows hundredths of hours
        if to_publish is not None:
            figures.to_publish.append(round(to_publish))


def _on_time(session: Session, found: dict[Key, Figures], markets: MarketIds,
             period: Period) -> None:
    """The posts the publisher put online in the period: within their market's grace period after their slot (or
    with no slot), or late."""
    in_time = case((Post.scheduled_at.is_(None), 1),
                   (seconds_between(Post.scheduled_at, Post.published_at) <= Market.grace_minutes * 60, 1),
                   else_=0)
    rows = session.execute(
        _audit_rows(markets, period, func.count(), func.coalesce(func.sum(in_time), 0))
        .join(Post, Post.id == AuditEntry.post_id)
        .where(AuditEntry.action == Action.publish, Post.published_at.is_not(None))
        .group_by(AuditEntry.market_id, utc_day(AuditEntry.at)))
    for market_id, day, total, on_time in rows:
        figures = found[_key(market_id, day)]
        figures.on_time += int(on_time)
        figures.late += int(total) - int(on_time)


def _reasons(session: Session, found: dict[Key, Figures], markets: MarketIds,
             period: Period) -> None:
    """The words of the comments of the change requests, rejections and declines."""
    for market_id, day, comment in session.execute(
            _audit_rows(markets, period, AuditEntry.comment)
            .where(AuditEntry.action.in_(REASON_ACTIONS), AuditEntry.comment.is_not(None))):
        found[_key(market_id, day)].reasons.update(
            w for w in (m.lower() for m in _WORD.findall(comment)) if w not in STOP_WORDS)


def _findings(session: Session, found: dict[Key, Figures], markets: MarketIds,
              period: Period) -> None:
    """The rules found in the revisions written in the period (a rule found twice in one revision counts once).
    Read from the revisions (their time index), the many without findings left out before their post is read."""
    if session.get_bind().dialect.name == "postgresql":
        each = func.json_array_elements(Revision.findings).table_valued("value", joins_implicitly=True)
        rule = func.json_extract_path_text(each.c.value, "rule")
    else:
        each = func.json_each(Revision.findings).table_valued("value", joins_implicitly=True)
        rule = func.json_extract(each.c.value, "$.rule")
    day = utc_day(Revision.created_at)
    # Looked up for each revision with findings (a join lets the planner read every post to hash them).
    market = (select(Account.market_id).join(Post, Post.account_id == Account.id).where(Post.id == Revision.post_id)
              .scalar_subquery())
    query = (select(market, day, rule, func.count(Revision.id.distinct())).select_from(Revision)
             .join(each, true())
             .where(Revision.created_at >= period.start, Revision.created_at < period.end,
                    cast(Revision.findings, Text) != "[]", func.coalesce(rule, "") != "")
             .group_by(market, day, rule))
    if markets is not None:
        query = query.where(market.in_(markets))
    for market_id, on, name, count in session.execute(query):
        found[_key(market_id, on)].findings[str(name)] += count


def per_week_table(report: Report) -> list[list]:
    """Rows for the CSV and the chart: the week, then one column per final state."""
    return [[week.isoformat(), *(report.per_week.get(week, Counter())[state] for state in FINAL)]
            for week in report.weeks]

