"""The reporting page's numbers, per market (or all the viewer's markets), period and campaign, read from the audit
trail.

A market's figures are those of the rows written for its posts (each audit row names its post's market), counted by
the market's own days: a day runs from midnight to midnight in the market's zone (``Market.timezone``: 23 or 25
hours when its clocks change), so that a post published at 00:30 in Paris counts on that Paris day, and one at
00:15 in Kolkata on that Kolkata day. The bounds of each market's days are computed here with ``zoneinfo`` (SQLite
has no time-zone functions) and handed to the database as a few rows (``_pieces``: a market, a span of time, the
zone's offset from UTC over it), a row's day being the UTC day of its instant plus that offset; the database
aggregates per market, day and network over the rows the index on market and time finds. A market's day never
changes once it is over there: its figures are kept (``report_days``, a row per market and day holding each
network's figures) once that day has closed in the market's zone, and a report over weeks sums those, plus the live
figures of the days still open. The same sums give the report's totals, a row per market and a row per network. A
report over several markets ("all markets") sums each market's own days: its 10 November is Paris's 10 November
for France and Kolkata's for India, 4 h 30 apart.

A campaign's figures (``campaign``: the posts in that campaign now) are computed from its posts' audit rows on
every report, never kept: ``report_days`` holds each market's day of every post, and keeping it per campaign too
would write a row per campaign, market and day each night for the few reports that ask for one, and rewrite the
past days of a campaign whenever a post is moved into it or out. A campaign has few posts: its rows are found
through ``posts.campaign_id`` and the trail's index on the post, however long the period and the trail. Measured on
PostgreSQL with the group ``bench/hub.py`` generates (28 markets, 40 campaigns, the closed days kept as the worker
keeps them), on a loaded machine: with 3,400 audit rows, a campaign's 8 weeks over the 28 markets in about 20 ms
and its page in about 85 ms; with 112,000 rows (a campaign of 174 posts), 30 ms and 125 ms; the page without a
campaign, read from the kept days, 140 to 160 ms.

Every figure is defined so that it can be checked by hand. Days are each market's days, as above; weeks run from
Monday to Sunday (the market's days):

- **Posts per week by final state**: audit rows entering ``published``, ``rejected``, ``declined`` (by the cabinet)
  or ``withdrawn`` in the period, counted by the week of the row; a week counts the days of it begun by the time
  the report is drawn (a week after today: none, "not started").
- **Time in review**: each stay in ``in_review`` that ended in the period in a decision (approve, request changes,
  reject), from the row that entered it (however long before) to the decision. A recall or an edit is no review.
  Median and 90th percentile (nearest rank) of the stays.
- **Time to publish**: for each publication in the period (by the publishing worker, by hand, or confirmed after an
  unknown outcome), from its post's first submission to it.
- **Approval rate**: approvals among the project managers' decisions (approve, request changes, reject) in the period.
- **Slots**: each end the publishing worker gave a slot in the period: published on time (within its market's grace
  period after the slot the project manager set: the time of the post's last ``schedule`` row, not the "now" of a
  retry), published late, missed (its grace period passed), failed, or unconfirmed (outcome unknown). A post retried
  after a failure ends its slot once more: the failure counts, and so does the retry's outcome. **On time** is the
  share of those ends published on time.
- **Publications**: by the publishing worker (on time or late), marked as published by hand, or confirmed as
  published after an unknown outcome.
- **Reasons**: the most frequent words (four letters or more) in the comments of the change requests, rejections and
  declines of the period, per language: a comment is read in the language it is written in, whatever its market's
  (a reviewer writes French on a Kenyan post: ``comment_language``), whose common words (the ``stop-words``
  package's lists) and the words every review says ("add", "please", "ajoutez"...: ``REVIEW_WORDS``) are left out,
  as are the executives' names. Words are counted regardless of case and accents ("Lien", "lien"; "évènement",
  "evenement"), and shown as most often written; ties in alphabetical order, accents aside. The report counts the
  comments it read (``Report.comments_read``); the chart draws the words written at least twice. No preset reasons
  nor rule ids come with a decision (its comment is free text; the rules the gate found are the **style findings**
  below), so words are what there is.
- **Style findings**: the rules found in the most posts among the texts sent for review in the period (a rule counts
  once per post), as the Social Hub wall counts them (``approval.queries.findings``): a draft fixed before it was
  sent counts nothing.
"""

from __future__ import annotations

import math
import re
import unicodedata
from operator import add
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    CTE,
    Date,
    Float,
    Integer,
    Select,
    bindparam,
    case,
    column,
    false,
    func,
    null,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from stop_words import LANGUAGE_MAPPING, get_stop_words

from approval.db import UTCDateTime, only_reads, utcnow
from approval.models import Account, AuditEntry, Executive, Market, Post, ReportDay, Revision
from approval.queries.findings import most_found, rules_of, sent_with_findings
from approval.style.language import CANDIDATES, detect
from approval.workflow.states import Action, State

FINAL = (State.published, State.rejected, State.declined, State.withdrawn)
DECISIONS = (Action.approve, Action.request_changes, Action.reject)
REASON_ACTIONS = (Action.request_changes, Action.reject, Action.decline)
#: How each slot the publishing worker ended came out; the first is the good one.
SLOT_ENDS = ("on_time", "late", "missed", "failed", "unconfirmed")
#: The audit rows that end a slot or publish a post, and what each counts as (publications on time or late are the
#: worker's ``publish`` rows, timed apart).
OUTCOMES = {Action.miss: "missed", Action.fail: "failed", Action.lose: "unconfirmed",
            Action.mark_published: "by_hand", Action.confirm_published: "confirmed"}
#: The parts of a report; a chart asks for its own only, the page for all (``table``: a row per market). The rows per
#: network are asked for apart (``NETWORKS``): for them the day in progress is split by network, a lookup of each of
#: its audit rows' post (the closed days are split once, when they are kept).
PARTS = frozenset({"weekly", "durations", "rates", "reasons", "findings", "table"})
NETWORKS = "networks"
TOP = 12
#: The shape of the kept figures (``report_days``): a day kept by an earlier definition is computed again, when a
#: report reads it (``_fold_closed``; the worker's roll-up keeps only the days nobody kept). 10: a comment's words are
#: kept under the language it is written in among all the product's (9 read it in its market's or English: a French
#: comment on a Kenyan post was English, "vous" and all), and the comments read are counted; 9: the
#: reasons' words are kept per language, folded, without each language's common words (8 mixed English and French
#: lists); 8: a market's days are its zone's (7 kept UTC days); 7: the style findings are the posts sent for review
#: with each rule (6 counted every revision written, drafts too).
FIGURES_VERSION = 10
_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
#: The words every change request or rejection says, whatever its reason ("please add the link", "ajoutez le lien,
#: merci"), per language, beyond the language's common words: what the reviewer asks for is in the other words.
REVIEW_WORDS: dict[str, frozenset[str]] = {language: frozenset(words.split()) for language, words in {
    "en": """add added adding address addressed change changed changes check fix fixed make need needs needed please
             remove removed replace rewrite thanks thank update wait waiting write written post posts text tweet
             message sure again let""",
    # Common words the package's French list lacks (this module's own list before it).
    "fr": """toute peux jamais rien celle celui déjà mêmes ainsi assez toujours sinon aucune
             ajoutez ajouter ajoute ajout attendons attendez attendre changez changer corrigez corriger enlevez enlever
             retirez retirer remplacez remplacer mettez mettre précisez préciser vérifiez vérifier indiquez indiquer
             reformulez reformuler merci post posts texte message publication faut""",
    "de": "bitte danke fügt hinzufügen ändern ändert entfernen prüfen text beitrag",
    "es": "gracias añadir añade cambiar cambia quitar revisar texto mensaje",
    "it": "grazie aggiungere aggiungi cambiare cambia togliere rivedere testo messaggio",
    "pl": "proszę dziękuję dopisz dodaj zmień usuń popraw tekst wpis",
}.items()}
#: The language a comment is read in when its market names none.
DEFAULT_LANGUAGE = "en"
#: The letters of a comment the language detector reads: enough to tell, and a long comment costs no more.
DETECTED_CHARS = 600
#: The fewest common words of another language than its market's that a comment too short for the detector needs to
#: be read in it.
FOREIGN_LEAST = 2


@dataclass(frozen=True)
class Period:
    """Days, not instants: from ``start``'s day to ``end``'s (excluded), each market's own (its zone's), written as
    midnights (UTC) for the dates they carry."""

    start: datetime
    end: datetime  # excluded

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def end_day(self) -> date:
        """The day after the period (excluded)."""
        return self.end.date()

    @property
    def last_day(self) -> date:
        """The period's last day (included)."""
        return self.end.date() - timedelta(days=1)


@dataclass
class Durations:
    count: int = 0
    median_h: float | None = None
    p90_h: float | None = None

    @classmethod
    def of_runs(cls, runs: list[list[int]]) -> Durations:
        """The median and the 90th percentile (nearest rank) of the values of several sorted lists of whole seconds,
        without merging them: each rank is found by halving the range of values, counting the values at or below
        the middle in each list (a report's markets and networks each take theirs from the same lists)."""
        runs = [run for run in runs if run]
        n = sum(len(run) for run in runs)
        if not n:
            return cls()

        def ranked(k: int) -> int:  # the k-th smallest value (1-based)
            low, high = min(run[0] for run in runs), max(run[-1] for run in runs)
            while low < high:
                middle = (low + high) // 2
                if sum(bisect_right(run, middle) for run in runs) >= k:
                    high = middle
                else:
                    low = middle + 1
            return low

        half = n // 2
        median = ranked(half + 1) if n % 2 else (ranked(half) + ranked(half + 1)) / 2
        return cls.hours(n, median, ranked(max(1, math.ceil(0.9 * n))))

    @classmethod
    def hours(cls, count: int, median_s: float | None, p90_s: float | None) -> Durations:
        if not count or median_s is None or p90_s is None:
            return cls()
        # To the second: the page writes a few seconds as such (rounded to hundredths of hours, 52 s read "0 sec").
        return cls(count, round(median_s / 3600, 4), round(p90_s / 3600, 4))


@dataclass
class Totals:
    """The figures of a report, or of one of its markets or networks."""

    #: final state -> posts
    final: Counter = field(default_factory=Counter)
    #: decision -> project managers' decisions
    decisions: Counter = field(default_factory=Counter)
    #: on_time, late, missed, failed, unconfirmed (slots ended), by_hand, confirmed (publications) -> count
    outcomes: Counter = field(default_factory=Counter)
    review: Durations = field(default_factory=Durations)
    to_publish: Durations = field(default_factory=Durations)

    @property
    def decided(self) -> int:
        return sum(self.decisions.values())

    @property
    def approved(self) -> int:
        return self.decisions[Action.approve]

    @property
    def approval_rate(self) -> float | None:
        """Exact: rounded where it is shown, once (``approval.filters.percentage``)."""
        return self.approved / self.decided if self.decided else None

    @property
    def on_time(self) -> int:
        return self.outcomes["on_time"]

    @property
    def late(self) -> int:
        return self.outcomes["late"]

    @property
    def missed(self) -> int:
        return self.outcomes["missed"]

    @property
    def failed(self) -> int:
        return self.outcomes["failed"]

    @property
    def unconfirmed(self) -> int:
        return self.outcomes["unconfirmed"]

    @property
    def by_hand(self) -> int:
        return self.outcomes["by_hand"]

    @property
    def confirmed(self) -> int:
        return self.outcomes["confirmed"]

    @property
    def slots(self) -> int:
        """The slots the publishing worker ended in the period, however each ended."""
        return sum(self.outcomes[end] for end in SLOT_ENDS)

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.slots if self.slots else None  # exact, as ``approval_rate``

    @property
    def by_worker(self) -> int:
        return self.on_time + self.late

    @property
    def published(self) -> int:
        return self.by_worker + self.by_hand + self.confirmed

    @property
    def active(self) -> bool:
        """Whether anything was counted."""
        return bool(+self.final or +self.decisions or +self.outcomes or self.review.count or self.to_publish.count)


@dataclass
class Report(Totals):
    period: Period = field(default_factory=lambda: Period(datetime.min.replace(tzinfo=UTC),
                                                          datetime.min.replace(tzinfo=UTC)))
    weeks: list[date] = field(default_factory=list)
    #: week -> final state -> posts
    per_week: dict[date, Counter] = field(default_factory=dict)
    #: (language, word, uses): the words of the change requests, rejections and declines, each language's most used
    #: first, the language with the most uses first; all of them (the CSV has them all; its chart draws each
    #: language's first few).
    reasons: list[tuple[str, str, int]] = field(default_factory=list)
    #: The comments the reasons' words were read from.
    comments_read: int = 0
    findings: list[tuple[str, int]] = field(default_factory=list)
    #: The day the report was drawn on, in its market's zone (several markets: the latest of their days, as India's
    #: Monday begins before France's): a week that has not ended by then is counted so far.
    today: date | None = None
    #: Each market's figures (by id) and each network's (by value), for the markets and networks with any.
    by_market: dict[int, Totals] = field(default_factory=dict)
    by_network: dict[str, Totals] = field(default_factory=dict)
    #: Closed days (market id, day) read through a session that only reads, computed here, and that the caller may
    #: keep (``keep``): those nobody kept yet, and those kept by an earlier definition.
    unkept: set[tuple[int, date]] = field(default_factory=set)
    stale: set[tuple[int, date]] = field(default_factory=set)

    @property
    def spans(self) -> list[WeekSpan]:
        """Each week of the period with the days of it the period holds (its first and last may be cut), counted up
        to today."""
        first, last = self.period.start.date(), self.period.last_day
        today = self.today or date.max
        return [WeekSpan(week, max(week, first), min(week + timedelta(days=6), last), today) for week in self.weeks]

    @property
    def partial_weeks(self) -> list[WeekSpan]:
        """The weeks begun whose bar counts fewer than their seven days: cut by the period, or not over yet."""
        return [span for span in self.spans if span.partial and span.started]

    @property
    def not_started(self) -> list[WeekSpan]:
        """The weeks of the period after today: nothing to count yet."""
        return [span for span in self.spans if not span.started]


@dataclass(frozen=True)
class WeekSpan:
    """An ISO week (its Monday) of a report and the days of it that its bar counts (each market's own days)."""

    week: date
    first: date
    last: date
    today: date = date.max

    @property
    def started(self) -> bool:
        """The period's first day of it has begun (today, or before)."""
        return self.first <= self.today

    @property
    def ongoing(self) -> bool:
        """The period's days of it have begun and are not over yet: today is among them."""
        return self.first <= self.today <= self.last

    @property
    def days(self) -> int:
        """The days counted: those of the period begun by today (today, not over, among them)."""
        return max(0, (min(self.last, self.today) - self.first).days + 1)

    @property
    def partial(self) -> bool:
        return self.ongoing or self.days < 7

    @property
    def status(self) -> str:
        """``over``, ``in progress`` or ``not started``."""
        return "in progress" if self.ongoing else "over" if self.started else "not started"


def week_of(instant: datetime | date) -> date:
    day = instant.date() if isinstance(instant, datetime) else instant
    return day - timedelta(days=day.weekday())


# Expressions each backend writes its own way -----------------------------------------------------------------

class local_day(FunctionElement[date]):  # noqa: N801 (a SQL function)
    """``local_day(at, offset)``: the calendar day of a timestamp in a zone that is ``offset`` seconds ahead of UTC
    at that instant (a piece's offset: ``_pieces``)."""

    type = Date()
    inherit_cache = True


@compiles(local_day)
def _local_day_sqlite(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:  # kept as UTC text
    at, offset = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"date({at}, ({offset}) || ' seconds')"


@compiles(local_day, "postgresql")
def _local_day_postgresql(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:
    at, offset = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(timezone('UTC', {at}) + CAST({offset} AS INTEGER) * INTERVAL '1 second' AS DATE)"


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


class iso_instant(FunctionElement[datetime]):  # noqa: N801 (a SQL function)
    """An instant written as ISO 8601 text with its offset (an audit row's payload), as the backend compares it:
    SQLite's date functions read the text as it is."""

    inherit_cache = True


@compiles(iso_instant)
def _iso_instant_sqlite(element: iso_instant, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(iso_instant, "postgresql")
def _iso_instant_postgresql(element: iso_instant, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS TIMESTAMP WITH TIME ZONE)"


# The figures of a day -----------------------------------------------------------------------------------------

#: The counts kept for a market on a network on a day, in this order: a list in ``report_days`` (a report folds
#: thousands of them: a list adds up faster than a dictionary, and decodes into fewer objects).
COUNTED: tuple[str, ...] = (*FINAL, *DECISIONS, *SLOT_ENDS, "by_hand", "confirmed")
_FINAL = slice(0, len(FINAL))
_DECISIONS = slice(len(FINAL), len(FINAL) + len(DECISIONS))
_OUTCOMES = slice(len(FINAL) + len(DECISIONS), len(COUNTED))
_POSITION = {name: n for n, name in enumerate(COUNTED)}


@dataclass
class Figures:
    """A slice of the report before it is summed (a market's, on a network, on one of its days): counts add up, and
    durations are kept as values (percentiles do not add up). Kept per market and closed day (the market's) in
    ``report_days`` (each network's apart), and computed live for the open day."""

    counts: list[int] = field(default_factory=lambda: [0] * len(COUNTED))  # COUNTED's counts, in its order
    review: list[int] = field(default_factory=list)        # seconds of each stay in review ended by a decision
    to_publish: list[int] = field(default_factory=list)    # seconds from first submission to publication
    reasons: Counter = field(default_factory=Counter)      # "language<TAB>word" -> uses
    comments: int = 0                                       # the comments the reasons' words were read from
    findings: dict[str, set[int]] = field(default_factory=dict)  # rule -> the posts sent for review with it

    def count(self, name: str, n: int = 1) -> None:
        self.counts[_POSITION[name]] += n


#: How many numbers precede a network's durations in its part of the kept list: its counts, then how many of each.
_TIMES = len(COUNTED) + 2


def kept_json(networks: dict[str, Figures]) -> dict[str, Any]:
    """A market's day as ``report_days`` keeps it: its counts (``COUNTED``'s), its networks' figures in one flat list
    (a report reads a thousand days: one list apiece decodes into few objects, which the garbage collector then has
    few to walk), each ``network, *counts, len(review), len(to_publish), *review, *to_publish`` (the durations
    sorted: a report ranks them without sorting them all again); and the words of the day, and its rules with the
    posts sent with each (a post sent with a rule on two days of a report counts once)."""
    flat: list[Any] = []
    counts = [0] * len(COUNTED)
    for network, figures in sorted(networks.items()):
        if any(figures.counts) or figures.review or figures.to_publish:
            flat += [network, *figures.counts, len(figures.review), len(figures.to_publish), *sorted(figures.review),
                     *sorted(figures.to_publish)]
            counts = list(map(add, counts, figures.counts))
    kept: dict[str, Any] = {"version": FIGURES_VERSION, "counts": counts, "networks": flat}
    reasons: Counter = Counter()
    findings: dict[str, set[int]] = {}
    comments = 0
    for figures in networks.values():
        reasons.update(figures.reasons)
        comments += figures.comments
        for rule, posts in figures.findings.items():
            findings.setdefault(rule, set()).update(posts)
    if reasons:
        kept["reasons"] = dict(reasons)
    if comments:
        kept["comments"] = comments
    if findings:
        kept["findings"] = {rule: sorted(posts) for rule, posts in findings.items()}
    return kept


# A market's days ---------------------------------------------------------------------------------------------

#: A market's day is closed (its figures kept) this long after it ends there: a transaction that read the clock just
#: before midnight may commit its audit rows a little after it.
CLOSING_DELAY = timedelta(minutes=10)


def closed_before(now: datetime, zone: str) -> date:
    """The first day of a market in ``zone`` that is not closed at ``now`` (its days before it are)."""
    return (now - CLOSING_DELAY).astimezone(_zone(zone)).date()


def closing_mark(now: datetime) -> datetime:
    """The quarter of an hour (UTC) that ``now``, less the closing delay, falls in. The zones in use are offset from
    UTC by whole quarters of an hour, so every market's days close as it changes: the publishing worker keeps the
    days over then (a zone offset otherwise would have its days kept at the next quarter)."""
    moment = now - CLOSING_DELAY
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def today_in(now: datetime, zone: str) -> date:
    """The day it is at ``now`` in ``zone``."""
    return now.astimezone(_zone(zone)).date()


def day_bounds(zone: str, day: date) -> tuple[datetime, datetime]:
    """The instants (UTC) a market's ``day`` begins and ends: its midnights in ``zone``, 23 or 25 hours apart when
    the clocks change there (a midnight the clocks skip: the day begins at the change)."""
    tz = _zone(zone)
    return _midnight(tz, day), _midnight(tz, day + timedelta(days=1))


@lru_cache(maxsize=None)
def _zone(name: str) -> ZoneInfo:
    """The zone, kept: ``ZoneInfo`` keeps only the last 8 strongly, and 28 markets' read their file again each time."""
    return ZoneInfo(name)


def _midnight(zone: ZoneInfo, day: date) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


def _offset(zone: ZoneInfo, instant: datetime) -> int:
    offset = instant.astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


#: The days a report reads from the audit trail, per market: its id -> its zone, the first day, the day after the last.
Spans = dict[int, tuple[str, date, date]]
#: A span of time over which a market's zone keeps one offset from UTC: the market's id, the first instant, the
#: instant after the last (UTC), and the offset in seconds. Within it, a row's day is the UTC day of its instant
#: plus the offset.
Piece = tuple[int, datetime, datetime, int]


def _pieces(spans: Spans) -> list[Piece]:
    return [(market_id, start, stop, offset) for market_id, (zone, first, end) in sorted(spans.items())
            for start, stop, offset in _zone_pieces(zone, first, end)]


@lru_cache(maxsize=1024)
def _zone_pieces(zone: str, first: date, end: date) -> tuple[tuple[datetime, datetime, int], ...]:
    """The time from ``first``'s midnight in ``zone`` to ``end``'s, cut where the zone's offset from UTC changes:
    the offset is read at each midnight and just before the next, and a change during a day (its 23 or 25 hours) is
    found to the second."""
    tz = _zone(zone)
    pieces: list[tuple[datetime, datetime, int]] = []
    start = begun = _midnight(tz, first)
    offset = _offset(tz, start)
    day = first
    while day < end:
        day += timedelta(days=1)
        midnight = _midnight(tz, day)
        if (before := _offset(tz, midnight - timedelta(seconds=1))) != offset:  # a change during the day
            change = _change(tz, begun, midnight - timedelta(seconds=1), offset)
            pieces.append((start, change, offset))
            start, offset = change, before
        if (after := _offset(tz, midnight)) != offset:  # a change at midnight
            pieces.append((start, midnight, offset))
            start, offset = midnight, after
        begun = midnight
    if begun > start:
        pieces.append((start, begun, offset))
    return tuple(pieces)


def _change(zone: ZoneInfo, low: datetime, high: datetime, offset: int) -> datetime:
    """The first second after ``low`` (at ``offset``) and up to ``high`` (at another offset) at another offset."""
    first, last = int(low.timestamp()), int(high.timestamp())
    while last - first > 1:
        middle = (first + last) // 2
        if _offset(zone, datetime.fromtimestamp(middle, UTC)) == offset:
            first = middle
        else:
            last = middle
    return datetime.fromtimestamp(last, UTC)


def _pieces_table(pieces: list[Piece]) -> CTE:
    """The pieces as rows for the database to join the audit rows to, through the index on market and time: a
    VALUES list (SQLite and PostgreSQL both name its columns ``column1`` to ``column4``: market, start, stop,
    offset)."""
    rows, values = [], []
    for n, (market_id, start, stop, offset) in enumerate(pieces):
        rows.append(f"(:market_{n}, :start_{n}, :stop_{n}, :offset_{n})")
        values += [bindparam(f"market_{n}", market_id, Integer()), bindparam(f"start_{n}", start, UTCDateTime()),
                   bindparam(f"stop_{n}", stop, UTCDateTime()), bindparam(f"offset_{n}", offset, Integer())]
    return (text("VALUES " + ", ".join(rows)).bindparams(*values)
            .columns(column("column1", Integer()), column("column2", UTCDateTime()), column("column3", UTCDateTime()),
                     column("column4", Integer()))
            .cte("pieces"))


def _zones(session: Session, markets: ColumnElement[bool] | None) -> dict[int, str]:
    """The zone of each market ``markets`` selects (a clause on ``Market``; None: every market), by id."""
    query = select(Market.id, Market.timezone)
    return {market_id: zone for market_id, zone in session.execute(query if markets is None else query.where(markets))}


# The report ----------------------------------------------------------------------------------------------------

def build(session: Session, markets: ColumnElement[bool] | None, period: Period, *,
          parts: Iterable[str] = PARTS, now: datetime | None = None, campaign: int | None = None) -> Report:
    """The report for the posts whose account's market satisfies ``markets`` (a clause on ``Market``; None: every
    market), each market's days counted in its zone; ``campaign``: that campaign's posts only. A market's closed days
    are read from their kept figures (computed here first if no report or worker has yet: see ``roll_up``; again if
    they were kept by an earlier definition), its open days from their audit rows; a campaign's days all from its
    posts' rows (the kept figures count every post). ``parts`` leaves out what a chart does not draw."""
    parts = frozenset(parts)
    now = now or utcnow()
    zones = _zones(session, markets)
    first, end = period.first_day, period.end_day
    report = Report(period=period, today=max((today_in(now, zone) for zone in zones.values()), default=now.date()))
    week = week_of(first)
    while week < end:
        report.weeks.append(week)
        week += timedelta(days=7)
    tally = _Tally(report, networks=NETWORKS in parts)
    live: Spans = {}
    closed: Spans = {}
    for market_id, zone in zones.items():
        # A campaign's days: all from the trail.
        open_from = min(max(closed_before(now, zone), first), end) if campaign is None else first
        if first < open_from:
            closed[market_id] = (zone, first, open_from)
        if open_from < end:
            live[market_id] = (zone, open_from, end)
    if closed:
        _fold_closed(session, tally, report, closed)
    if live:
        found = _figures(session, _pieces(live), parts, networks=NETWORKS in parts, campaign=campaign)
        for (market_id, day), networks in _by_market_and_day(found).items():
            tally.fold(market_id, day, kept_json(networks))
    tally.finish(parts, _names_of_executives(session) if "reasons" in parts else frozenset())
    return report


def _fold_closed(session: Session, tally: _Tally, report: Report, closed: Spans) -> None:
    """Fold the markets' closed days of the report: those kept, and those nobody kept yet (the worker keeps each as
    it closes) or kept by an earlier definition, computed now and kept, unless this session only reads (a page being
    viewed: ``approval.db.read_only``), which folds them as they are and names them (``Report.unkept``,
    ``Report.stale``) for its caller to keep (``keep``)."""
    first = min(first for _zone, first, _end in closed.values())
    end = max(end for _zone, _first, end in closed.values())
    query = select(ReportDay.market_id, ReportDay.day, ReportDay.figures).where(
        ReportDay.day >= first, ReportDay.day < end, ReportDay.market_id.in_(list(closed)))
    have = set()
    for market_id, day, figures in session.execute(query):
        if day < closed[market_id][2]:  # the SQL's bounds are the markets' first: their ends may differ
            have.add((market_id, day))
            if figures.get("version") == FIGURES_VERSION:
                tally.fold(market_id, day, figures)
            else:
                report.stale.add((market_id, day))
    report.unkept = {(market_id, day) for market_id, (_zone, start, stop) in closed.items()
                     for day in _days(start, stop) if (market_id, day) not in have}
    computed = _computed(session, {market_id: zone for market_id, (zone, _first, _end) in closed.items()},
                         report.unkept | report.stale)
    if not only_reads(session):
        _keep(session, computed, replace=True)
        report.unkept, report.stale = set(), set()
    for row in computed:
        tally.fold(row["market_id"], row["day"], row["figures"])


def _days(first: date, end: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((end - first).days)]


class _Cell:
    """What a market, or a network, did over the period, summed from its days."""

    __slots__ = ("counts", "review", "to_publish")

    def __init__(self) -> None:
        self.counts: list[int] = [0] * len(COUNTED)
        self.review: list[int] = []
        self.to_publish: list[int] = []


class _Tally:
    """The period's figures summed per market (and per network, ``networks``) as the days are read; then the
    report's totals and its rows from the same sums."""

    def __init__(self, report: Report, *, networks: bool) -> None:
        self.report, self.networks = report, networks
        self.markets: dict[int, _Cell] = {}
        self.by_network: dict[str, _Cell] = {}
        self.weeks: dict[date, list[int]] = {}
        self.week_of: dict[date, date] = {}
        self.reasons: dict[str, int] = {}
        self.comments = 0
        self.findings: dict[str, set[int]] = {}

    def fold(self, market_id: int, day: date, kept: dict[str, Any]) -> None:
        """Add a market's day, as kept (``kept_json``): plain steps through its lists (a report over weeks folds a
        thousand days of a few networks each)."""
        for word, count in kept.get("reasons", {}).items():
            self.reasons[word] = self.reasons.get(word, 0) + count
        self.comments += kept.get("comments", 0)
        for rule, posts in kept.get("findings", {}).items():
            self.findings.setdefault(rule, set()).update(posts)
        flat = kept["networks"]
        if not flat:  # nothing counted nor timed (the market's counts are its networks')
            return
        market = self.markets.get(market_id)
        if market is None:
            market = self.markets[market_id] = _Cell()
        counts = kept["counts"]
        market.counts = list(map(add, market.counts, counts))
        if any(counts[_FINAL]):
            week = self.week_of.get(day) or self.week_of.setdefault(day, week_of(day))
            self.weeks[week] = list(map(add, self.weeks.get(week) or [0] * len(FINAL), counts[_FINAL]))
        at, counted = 0, len(COUNTED)
        while at < len(flat):
            first = at + 1
            reviews, publications = flat[first + counted], flat[first + counted + 1]
            times = first + _TIMES
            review, to_publish = flat[times:times + reviews], flat[times + reviews:times + reviews + publications]
            market.review += review
            market.to_publish += to_publish
            if self.networks and flat[at]:  # "": the day in progress, not split by network
                network = self.by_network.get(flat[at])
                if network is None:
                    network = self.by_network[flat[at]] = _Cell()
                network.counts = list(map(add, network.counts, flat[first:first + counted]))
                network.review += review
                network.to_publish += to_publish
            at = times + reviews + publications

    def finish(self, parts: frozenset[str], names: frozenset[str]) -> None:
        report = self.report
        report.per_week = {week: Counter(dict(zip(FINAL, counts, strict=True))) for week, counts in self.weeks.items()}
        timed = bool(parts & {"durations", "table", NETWORKS})
        if timed:
            for cell in (*self.markets.values(), *self.by_network.values()):  # sorted runs of days
                cell.review.sort()
                cell.to_publish.sort()
        self._total(report, list(self.markets.values()), timed)  # the markets' sorted lists ranked, never merged
        if "table" in parts:
            for market_id, cell in self.markets.items():
                report.by_market[market_id] = self._total(Totals(), [cell], True)
        if NETWORKS in parts:
            for network, cell in self.by_network.items():
                report.by_network[network] = self._total(Totals(), [cell], True)
        report.reasons = ranked_reasons(self.reasons, names)
        report.comments_read = self.comments
        report.findings = most_found(self.findings, TOP)

    @staticmethod
    def _total(totals: Totals, cells: list[_Cell], timed: bool) -> Totals:
        counts = [sum(column) for column in zip(*(cell.counts for cell in cells), strict=True)] if cells else []
        if counts:
            totals.final.update(dict(zip(FINAL, counts[_FINAL], strict=True)))
            totals.decisions.update(dict(zip(DECISIONS, counts[_DECISIONS], strict=True)))
            totals.outcomes.update(dict(zip(COUNTED[_OUTCOMES], counts[_OUTCOMES], strict=True)))
        if timed:
            totals.review = Durations.of_runs([cell.review for cell in cells])
            totals.to_publish = Durations.of_runs([cell.to_publish for cell in cells])
        return totals


def kept_totals(figures: dict[str, Any]) -> Totals:
    """A market's closed day as ``report_days`` keeps it (``kept_json``), read as totals: what a check or a script
    needs of a kept day without knowing its layout. A day kept by an earlier definition reads as nothing."""
    report = Report()
    if figures.get("version") == FIGURES_VERSION:
        tally = _Tally(report, networks=False)
        tally.fold(0, date.min, figures)
        tally.finish(PARTS, frozenset())
    return report


def _names_of_executives(session: Session) -> frozenset[str]:
    """The words of the executives' names: "Mme Marchand préfère…" names a person, not a reason."""
    return frozenset(fold(word) for name in session.scalars(select(Executive.name)) for word in _WORD.findall(name))


def fold(word: str) -> str:
    """A word as the reasons count it: in lower case, without accents ("Évènement", "evenement")."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.casefold()) if not unicodedata.combining(c))


@lru_cache(maxsize=64)
def left_out(language: str) -> frozenset[str]:
    """The words (folded) a comment in ``language`` says whatever its reason: the language's common words and the
    words of every review (``REVIEW_WORDS``); a language the lists do not know has only the latter."""
    common = get_stop_words(language) if language in LANGUAGE_MAPPING else []
    return frozenset(fold(word) for word in (*common, *REVIEW_WORDS.get(language, ())))


_ANY_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def comment_language(comment: str, languages: Iterable[str], every: Iterable[str] = ()) -> str:
    """The language ``comment`` is written in, whatever its market's (``languages``): a reviewer may write French on
    a Kenyan post. Told by the style gate's detector (``approval.style.language.detect``, among the languages of the
    group's markets and their neighbours: the models the web and worker processes load anyway, each text weighed
    once per process, ~120 µs; its first ``DETECTED_CHARS`` only); a comment too short or too mixed for it
    ("Précisez l'heure du rendez-vous." is four words) is read in the language whose common words it uses most: its
    market's or English, which reviewers often write in (the market's first on a tie; with no common word at all,
    "Hors charte.", its first), unless another language has more of them, and at least ``FOREIGN_LEAST`` (one
    common word of a language far from the market is chance: "Hors" is Swedish's, "charte" nobody's). ``every``: the
    languages of all the markets, weighed by the detector besides its own (a Czech comment on a Czech market was read
    as French among the detector's nine alone)."""
    own = list(dict.fromkeys([*(code.lower() for code in languages if isinstance(code, str) and code),
                              DEFAULT_LANGUAGE]))
    detected = detect(comment[:DETECTED_CHARS], (*own, *every))
    if detected:
        return detected
    words = [fold(word) for word in _ANY_WORD.findall(comment)]

    def score(language: str) -> int:
        return sum(word in left_out(language) for word in words)

    market = max(own, key=score)  # the first of the best
    others = [language for language in dict.fromkeys((DEFAULT_LANGUAGE, *CANDIDATES)) if language not in own]
    other = max(others, key=score, default=None)
    if other is not None and score(other) >= max(FOREIGN_LEAST, score(market) + 1):
        return other
    return market


def ranked_reasons(counts: dict[str, int], names: frozenset[str]) -> list[tuple[str, str, int]]:
    """The reasons' words (``"language<TAB>word"`` -> uses, as kept) merged regardless of accents, each shown as
    most often written, less the executives' names (``names``, folded): each language's words, most used first, the
    language with the most uses first."""
    spellings: dict[tuple[str, str], Counter] = {}
    for key, count in counts.items():
        language, _tab, word = key.rpartition("\t")
        folded = fold(word)
        if count and folded not in names:
            spellings.setdefault((language, folded), Counter())[word] += count
    by_language: dict[str, Counter] = {}
    for (language, _folded), written in spellings.items():
        shown = min(written, key=lambda word: (-written[word], word))
        by_language.setdefault(language, Counter())[shown] += written.total()
    ordered = sorted(by_language.items(), key=lambda item: (-item[1].total(), item[0]))
    return [(language, word, count) for language, words in ordered for word, count in _ranked(words)]


def _ranked(counts: Counter) -> list[tuple[str, int]]:
    """Most used first; ties in alphabetical order, accents aside ("étiquette" between "date" and "fanion")."""
    return sorted(((str(name), count) for name, count in counts.items() if count),
                  key=lambda kv: (-kv[1], fold(kv[0]), kv[0]))


#: Days kept under an earlier definition of the figures that a roll-up computes again, the newest first: a new
#: definition (``FIGURES_VERSION``) otherwise left each to the first page that read it, in the reader's request (a
#: year of a market's comments read again, seconds).
STALE_PER_ROLL_UP = 60


def roll_up(session: Session, first: date, end: date, *, now: datetime | None = None) -> int:
    """Compute and keep the figures of every market for its days from ``first`` to ``end`` (excluded) that are
    closed at ``now`` in its zone and have none kept yet, then those of up to ``STALE_PER_ROLL_UP`` days kept under an
    earlier definition, whenever they are. Returns the number of market days computed. Two processes may do the
    same day at once: the figures are the same, the second insert is ignored."""
    now = now or utcnow()
    spans: Spans = {}
    for market_id, zone in _zones(session, None).items():
        if first < (stop := min(end, closed_before(now, zone))):
            spans[market_id] = (zone, first, stop)
    if not spans:
        return 0
    have = {(market_id, day) for market_id, day in session.execute(select(ReportDay.market_id, ReportDay.day).where(
        ReportDay.day >= first, ReportDay.day < end))}
    rows = _computed(session, {market_id: zone for market_id, (zone, _first, _stop) in spans.items()},
                     {(market_id, day) for market_id, (_zone, start, stop) in spans.items()
                      for day in _days(start, stop) if (market_id, day) not in have})
    _keep(session, rows)
    return len(rows) + keep(session, stale_days(session, STALE_PER_ROLL_UP))


def stale_days(session: Session, most: int) -> list[tuple[int, date]]:
    """Up to ``most`` market days whose kept figures are of an earlier definition than ``FIGURES_VERSION``, the
    newest first (the ones read most)."""
    version = ReportDay.figures["version"].as_integer()
    return [(market_id, day) for market_id, day in session.execute(
        select(ReportDay.market_id, ReportDay.day).where(or_(version.is_(None), version != FIGURES_VERSION))
        .order_by(ReportDay.day.desc(), ReportDay.market_id).limit(most))]


def keep(session: Session, days: Iterable[tuple[int, date]]) -> int:
    """Compute and keep the figures of markets' closed days (market id, day): kept by nobody yet, or by an earlier
    definition (kept again)."""
    wanted = set(days)
    zones = _zones(session, Market.id.in_({market_id for market_id, _day in wanted}))
    rows = _computed(session, zones, {(market_id, day) for market_id, day in wanted if market_id in zones})
    _keep(session, rows, replace=True)
    return len(rows)


def _computed(session: Session, zones: dict[int, str], days: set[tuple[int, date]]) -> list[dict[str, Any]]:
    """The figures of markets' days (market id, day; each market's zone in ``zones``), as rows of ``ReportDay``: one
    read of the trail for every run of consecutive days of every market."""
    if not days:
        return []
    by_market: dict[int, list[date]] = defaultdict(list)
    for market_id, day in sorted(days):
        by_market[market_id].append(day)
    pieces = [piece for market_id, market_days in by_market.items() for start, stop in _runs(market_days)
              for piece in _pieces({market_id: (zones[market_id], start, stop)})]
    found = _by_market_and_day(_figures(session, pieces, PARTS))
    return [{"day": day, "market_id": market_id, "figures": kept_json(found.get((market_id, day), {}))}
            for market_id, day in sorted(days)]


def _by_market_and_day(found: dict[Key, Figures]) -> dict[tuple[int, date], dict[str, Figures]]:
    """Figures per market and day, each network's apart."""
    grouped: dict[tuple[int, date], dict[str, Figures]] = defaultdict(dict)
    for (market_id, day, network), figures in found.items():
        grouped[market_id, day][network] = figures
    return grouped


def _keep(session: Session, rows: list[dict[str, Any]], *, replace: bool = False) -> None:
    if rows:
        insert = (postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(ReportDay)
        if replace:
            statement = insert.on_conflict_do_update(
                index_elements=[ReportDay.day, ReportDay.market_id],
                set_={"figures": insert.excluded.figures, "computed_at": utcnow()})
        else:
            statement = insert.on_conflict_do_nothing()
        session.execute(statement, rows)


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

Key = tuple[int, date, str]


def _figures(session: Session, pieces: list[Piece], parts: frozenset[str], *, networks: bool = True,
             campaign: int | None = None) -> dict[Key, Figures]:
    """The figures of the audit rows of ``pieces`` (each a market's time, and its offset from UTC), per market, day
    (the market's) and network (``networks``: else the network is "", and no row's post is looked up for it), each
    part aggregated by the database over the rows the index on market and time finds; ``campaign``: the rows of
    that campaign's posts only, found through them."""
    found: dict[Key, Figures] = defaultdict(Figures)
    if not pieces:
        return found
    rows = _AuditRows(_pieces_table(pieces), campaign, sorted({piece[0] for piece in pieces}),
                      min(piece[1] for piece in pieces), max(piece[2] for piece in pieces))
    accounts: Accounts = {account_id: str(network.value) for account_id, network in
                          session.execute(select(Account.id, Account.network))} if networks else {}
    counting = bool(parts & {"weekly", "rates", "table", NETWORKS})
    timing = bool(parts & {"durations", "table", NETWORKS})
    if counting or timing:
        _activity(session, found, accounts, rows, counting=counting, timing=timing, networks=networks)
    if parts & {"rates", "table", NETWORKS}:
        _on_time(session, found, accounts, rows, networks=networks)
    if "reasons" in parts:
        _reasons(session, found, rows)
    if "findings" in parts:
        _findings(session, found, rows)
    return found


Accounts = dict[int, str]  # account id -> network


def _key(accounts: Accounts, market_id: int, day: date | str, account_id: int | None) -> Key:
    """The market, day and network of figures (the network "": not split by network)."""
    return (market_id, day if isinstance(day, date) else date.fromisoformat(day),
            "" if account_id is None else accounts[account_id])


#: The account of an audit row's post, looked up for each row a figure reads (a join let the planner read every
#: post to hash them): its network. A lookup per row: the day in progress is split by network only when a report
#: shows its networks (the closed days are split once, when they are kept).
_ACCOUNT = select(Post.account_id).where(Post.id == AuditEntry.post_id).scalar_subquery()


@dataclass(frozen=True)
class _AuditRows:
    """The audit rows a report reads: those of its pieces of time (a market's, each with its offset from UTC), of a
    campaign's posts only when it has one."""

    pieces: CTE
    campaign: int | None
    #: The pieces' markets and the time they span, as values: the database reads each market's rows of that time
    #: from the index on market and time, then keeps those of each piece (joined to the pieces alone, PostgreSQL
    #: read the whole trail to hash it). A campaign's rows are found through its posts instead.
    markets: list[int]
    start: datetime
    stop: datetime

    @property
    def day(self) -> ColumnElement[date]:
        """A row's day in its market's zone."""
        return local_day(AuditEntry.at, self.pieces.c.column4)

    def select(self, *columns: Any, account: Any = _ACCOUNT) -> Select:
        """A SELECT of the market, the day, the post's account and ``columns`` over the rows (each row names its
        post's market: the index on market and time finds a piece's rows)."""
        pieces = self.pieces.c
        query = (select(AuditEntry.market_id, self.day, account, *columns).select_from(AuditEntry)
                 .join(self.pieces, (pieces.column1 == AuditEntry.market_id) & (AuditEntry.at >= pieces.column2)
                       & (AuditEntry.at < pieces.column3))
                 .join(Market, Market.id == AuditEntry.market_id))
        if self.campaign is not None:  # its few posts, then their rows through the index on the post
            return query.where(AuditEntry.post_id.in_(select(Post.id).where(Post.campaign_id == self.campaign)))
        return query.where(AuditEntry.market_id.in_(self.markets), AuditEntry.at >= self.start,
                           AuditEntry.at < self.stop)


def _activity(session: Session, found: dict[Key, Figures], accounts: Accounts, audit: _AuditRows, *,
              counting: bool, timing: bool, networks: bool) -> None:
    """One read of the period's rows that count, grouped: final states, decisions, the slots missed, failed or
    unconfirmed and the publications by hand (``counting``); and the durations of each stay in review a decision
    ended in the period (from the row that entered it, the latest before the decision) and of each publication
    since its post's first submission (``timing``). Their posts' accounts are looked up once for both."""
    earlier = aliased(AuditEntry)
    entered = (select(func.max(earlier.at))
               .where(earlier.post_id == AuditEntry.post_id, earlier.id < AuditEntry.id,
                      earlier.to_state == State.in_review, earlier.from_state != State.in_review)
               .scalar_subquery())
    submitted = (select(func.min(earlier.at))
                 .where(earlier.post_id == AuditEntry.post_id, earlier.id < AuditEntry.id,
                        earlier.action == Action.submit)
                 .scalar_subquery())
    decided = (AuditEntry.from_state == State.in_review) & AuditEntry.action.in_(DECISIONS)
    publishes = (AuditEntry.to_state == State.published) & (AuditEntry.from_state != State.published)
    kinds = (AuditEntry.action, AuditEntry.from_state, AuditEntry.to_state)
    # Each lookup runs for the rows it concerns only; a duration to the second is a group of its own.
    timed = ((case((decided, func.round(seconds_between(entered, AuditEntry.at)))),
              case((publishes, func.round(seconds_between(submitted, AuditEntry.at))))) if timing
             else (null(), null()))
    account = _ACCOUNT if networks else null()
    rows = session.execute(
        audit.select(*kinds, *timed, func.count(), account=account)
        .where((AuditEntry.action.in_([*DECISIONS, *OUTCOMES]) | AuditEntry.to_state.in_(FINAL)) if counting
               else (decided | publishes))
        .group_by(AuditEntry.market_id, audit.day, *((account,) if networks else ()), *kinds,
                  *(timed if timing else ()))
    ).all()
    for market_id, day, account_id, action, from_state, to_state, in_review, to_publish, count in rows:
        figures = found[_key(accounts, market_id, day, account_id)]
        if counting:
            if action in DECISIONS and from_state == State.in_review:  # not a cabinet's: from with_cabinet
                figures.count(action, count)
            if action in OUTCOMES:
                figures.count(OUTCOMES[action], count)
            if to_state in FINAL and from_state != to_state:
                figures.count(to_state, count)
        if in_review is not None:
            figures.review += [int(in_review)] * count  # whole seconds: the report shows hundredths of hours
        if to_publish is not None:
            figures.to_publish += [int(to_publish)] * count


def _on_time(session: Session, found: dict[Key, Figures], accounts: Accounts, audit: _AuditRows, *,
             networks: bool) -> None:
    """The posts the publishing worker put online in the period: within their market's grace period after the slot
    their project manager set (the post's last ``schedule`` row before; a retry's "now" is no slot), or late."""
    account = Post.account_id if networks else null()
    rows = session.execute(
        audit.select(func.count(), func.coalesce(func.sum(_in_time(Post)), 0), account=account)
        .join(Post, Post.id == AuditEntry.post_id)
        .where(AuditEntry.action == Action.publish)
        .group_by(AuditEntry.market_id, audit.day, *((account,) if networks else ())))
    for market_id, day, account_id, total, on_time in rows:
        figures = found[_key(accounts, market_id, day, account_id)]
        figures.count("on_time", int(on_time))
        figures.count("late", int(total) - int(on_time))


def _in_time(post: type[Post]) -> ColumnElement[int]:
    """1 when the ``publish`` row ``AuditEntry`` (of ``post``, in the market ``Market``, both joined) came within
    the market's grace period after the slot its project manager set, else 0."""
    earlier = aliased(AuditEntry)
    set_slot = (select(earlier.payload["scheduled_at"].as_string())
                .where(earlier.post_id == AuditEntry.post_id, earlier.id < AuditEntry.id,
                       earlier.action == Action.schedule)
                .order_by(earlier.id.desc()).limit(1).scalar_subquery())
    slot = func.coalesce(iso_instant(set_slot), post.scheduled_at)  # a trail without the slot: the post's
    return case((slot.is_(None), 1),
                (seconds_between(slot, AuditEntry.at) <= Market.grace_minutes * 60, 1),
                else_=0)


def _reasons(session: Session, found: dict[Key, Figures], audit: _AuditRows) -> None:
    """The words of the comments of the change requests, rejections and declines (a market's: no network), each
    under the language the comment is read in (``comment_language``), less that language's common words."""
    languages: dict[int, list[str]] = {market_id: codes for market_id, codes in session.execute(
        select(Market.id, Market.languages))}
    every = sorted({code for codes in languages.values() for code in codes or () if isinstance(code, str)})
    for market_id, day, account_id, comment in session.execute(
            audit.select(AuditEntry.comment, account=null())
            .where(AuditEntry.action.in_(REASON_ACTIONS), AuditEntry.comment.is_not(None))):
        language = comment_language(comment, languages.get(market_id) or (), every)
        common = left_out(language)
        words = (word.casefold() for word in _WORD.findall(comment))
        figures = found[_key({}, market_id, day, account_id)]
        figures.comments += 1
        figures.reasons.update(f"{language}\t{word}" for word in words if fold(word) not in common)


def _findings(session: Session, found: dict[Key, Figures], audit: _AuditRows) -> None:
    """The posts sent for review with each rule (``approval.queries.findings``, as the wall counts them), a market's
    (no network), from the sendings of the period (the index on market and time finds them)."""
    for market_id, day, _account, post_id, findings in session.execute(
            sent_with_findings(audit.select(AuditEntry.post_id, Revision.findings, account=null()))):
        posts = found[_key({}, market_id, day, None)].findings
        for rule in rules_of(findings):
            posts.setdefault(rule, set()).add(post_id)


def per_week_table(report: Report) -> list[list]:
    """Rows for the CSV and the chart: the week, then one column per final state."""
    return [[week.isoformat(), *(report.per_week.get(week, Counter())[state] for state in FINAL)]
            for week in report.weeks]


# The posts behind a count ------------------------------------------------------------------------------------

#: What the publishing worker's publications are told apart by (``SLOT_ENDS``): not an action of the trail, but
#: its ``publish`` rows within the grace period after their slot, or beyond it.
PUBLISHED_IN_TIME = {"on_time": 1, "late": 0}
#: The counts of a report that name posts, and what the posts list lists for each (its ``action`` filter). Each
#: counts audit rows: a post whose slot failed twice is counted twice and listed once (``acted_rows`` counts them).
#: Not linked: the change requests (a cabinet's are ``request_changes`` rows too, which the report leaves out), the
#: publications by the worker (on time and late are), the rates, the review stays and the durations.
ACTED: dict[str, str] = {"approved": Action.approve, "rejected": Action.reject, "declined": Action.decline,
                         "withdrawn": Action.withdraw, "missed": Action.miss, "failed": Action.fail,
                         "unconfirmed": Action.lose, "by_hand": Action.mark_published,
                         "confirmed": Action.confirm_published, "on_time": "on_time", "late": "late"}
#: What the posts list may list the posts of (its ``action`` filter): what a report's count links to, and no other
#: part of the trail.
LISTED = frozenset(str(value) for value in ACTED.values())


def acted_rows(action: str, first: date | None, last: date | None,
               markets: ColumnElement[bool] | None = None, *, session: Session | None = None) -> Select[int]:
    """The post of each audit row that a report's count of ``action`` (``LISTED``) counts on the days from ``first``
    to ``last`` (both included; None: no bound), in the markets ``markets`` selects (a clause on ``Market``; None:
    any), as the report counts them: by the market the row names, on that market's days (its zone's, read through
    ``session``; without one, UTC days). Read through the index on the action and the time (migration 0032): those
    rows are few among the trail's."""
    rows = select(AuditEntry.post_id).join(Market, Market.id == AuditEntry.market_id)
    if action in PUBLISHED_IN_TIME:
        post = aliased(Post)
        rows = rows.join(post, post.id == AuditEntry.post_id).where(
            AuditEntry.action == Action.publish, _in_time(post) == PUBLISHED_IN_TIME[action])
    else:
        rows = rows.where(AuditEntry.action == Action(action))
    if (first or last) and session is not None:
        rows = rows.where(or_(false(), *(_days_of(market_id, zone, first, last)
                                         for market_id, zone in _zones(session, markets).items())))
    elif first or last:
        rows = rows.where(_days_of(None, "UTC", first, last))
    if markets is not None:
        rows = rows.where(markets)
    return rows


def _days_of(market_id: int | None, zone: str, first: date | None, last: date | None) -> ColumnElement[bool]:
    """The audit rows of a market (None: any) on its days from ``first`` to ``last`` (both included; None: no
    bound) in ``zone``."""
    tz = _zone(zone)
    clause: ColumnElement[bool] = true() if market_id is None else AuditEntry.market_id == market_id
    if first:
        clause = clause & (AuditEntry.at >= _midnight(tz, first))
    if last:
        clause = clause & (AuditEntry.at < _midnight(tz, last + timedelta(days=1)))
    return clause


def acted(action: str, first: date | None, last: date | None,
          markets: ColumnElement[bool] | None = None, *, session: Session | None = None) -> ColumnElement[bool]:
    """A clause on ``Post``: the posts of ``acted_rows`` (a post counted twice, a slot it failed twice, once)."""
    return Post.id.in_(acted_rows(action, first, last, markets, session=session))
