"""The publishing worker: puts due posts online, each at most once, whatever the number of workers or crashes.

The posts table is the queue. Each pass:

1. **Housekeeping**, in short transactions: leases that expired (a worker died or stalled) are resolved from the
   attempts table — nothing sent: back to ``scheduled``; a ``sending`` attempt: the connector's lookup decides, or
   the post becomes ``unconfirmed`` and a person decides (never re-sent by itself); slots missed beyond the
   market's grace period go back to ``approved`` (``miss``); posts an embargo held are ``release``d once it lifts
   (a stop switch's stay held after it is off, until a project manager gives them a new time).
2. **Claim**, one transaction: the earliest due posts are locked in the due index's order (``FOR UPDATE SKIP
   LOCKED`` on PostgreSQL, so any number of workers share the queue; SQLite's ``BEGIN IMMEDIATE`` serialises them on
   one machine), then their accounts that have no post in flight; one post per account. The checks run again on the
   locked row: the approval is for the current revision and its SHA-256 matches the text and the media; the stored
   files still hold those bytes (read and hashed just before the claim, outside any transaction: a large video
   takes seconds, the locks are held for milliseconds); the style gate passes under the policy in force; no stop
   switch or embargo holds it; the account is active and connected; its network's quota has room. The claim stamps
   a token and a lease on the post and takes the account's one publishing slot.
3. **Send.** A transactional connector (the outbox) writes the publication in the claiming transaction itself, so it
   commits with the ``published`` state or not at all. Any other connector: an attempt row (``sending``) is
   committed first, under the claim token, then the connector is called, then the outcome is recorded in a
   transaction that checks the token again: a worker whose lease expired and whose post was taken over can commit
   nothing. A pass's calls go one after the other: a worker killed mid-pass leaves at most one post whose outcome
   nobody knows, for a person to check (calls side by side left every post in flight unconfirmed). The calls go
   in the order of each account's last call, the quickest first: a network that answered late (or not at all, a
   15 s timeout) holds up the rest of its worker's pass only the first time; after that the others go before it.

4. **After the pass**: mail, chat and reminders (``approval.notifications``), and once a market's day has closed in
   its zone, its reports' figures (``approval.queries.reports.roll_up``).

While posts keep falling due (a pass handled some), the housekeeping and step 4 run every five seconds rather than
once a pass: they are several transactions each, and a busy queue would pay them between every batch.

Every change of state goes through ``engine.record_step`` (or ``record_steps`` for a batch), which writes its audit
row in the same transaction. Each outcome recorded is logged in one line once its transaction has committed
(``Worker._note``): the post, its account, the connector and where it called, the HTTP status, the call's duration,
the attempt and the reason; a warning for what a person must look at (failed, unconfirmed, missed).
"""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Engine, Select, bindparam, exists, func, or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload, sessionmaker

from approval import policies
from approval.bulk import among
from approval.db import driver_says, utcnow
from approval.loop import one_pass
from approval.media import publication as media_publication
from approval.models import (
    Account,
    Campaign,
    Market,
    Outcome,
    Post,
    PublicationAttempt,
    Revision,
    StopScope,
    StopSwitch,
    audit,
)
from approval.models.media import RevisionMedia, revision_sha256
from approval.notifications import dispatch
from approval.notifications import service as notifications
from approval.publishing import reasons
from approval.publishing.addresses import bare_address
from approval.publishing.reasons import own_words
from approval.publishing.connectors import (
    Connector,
    LookupUnavailable,
    OutboxConnector,
    Publication,
    Result,
    connector_for,
)
from approval.publishing.controls import MIN_GRACE
from approval.publishing.holds import (
    active_stops,
    covering_stops,
    held_clause,
    hold_for,
    reading_stops,
    reading_stops_lock,
)
from approval.publishing.quotas import Quota, quota_for
from approval.queries import reports
from approval.style.text import shows_anything
from approval.workflow import engine as workflow
from approval.workflow.engine import PostRow
from approval.workflow.states import Action, State

log = logging.getLogger(__name__)

#: After a temporary error: 30 s, 1 min, 2 min... at most 15 min; after this many attempts the post fails.
BACKOFF_FIRST_S = 30
BACKOFF_MAX_S = 15 * 60
MAX_ATTEMPTS = 6
#: A rate limit without Retry-After waits this long; no answer makes a post wait less than ``RETRY_MIN_S`` (a
#: Retry-After of 0, -1 or a past date sent the worker back 25 times a second), and after ``MAX_RATE_LIMITED``
#: attempts at its slot a rate-limited post fails (the grace period usually ends it first).
RATE_LIMIT_DEFAULT_S = 60
RETRY_MIN_S = 10
MAX_RATE_LIMITED = 20
#: The housekeeping looks at this many missed slots, and as many lifted holds, a pass.
HOUSEKEEPING_BATCH = 200
#: A busy worker (posts falling due pass after pass) runs its housekeeping and the mail at most this often: the
#: claims' own checks miss, hold and refuse the due posts meanwhile, and with several workers each runs them (once a
#: second, a drain's workers spent a tenth of their time on them).
CHORES_INTERVAL = timedelta(seconds=5)
#: How long a worker leaves alone a post whose checks raised and that could not be failed either (a fault that may
#: pass: the next look may fail it properly, or publish it).
QUARANTINE = timedelta(minutes=5)


#: The namespace of the publishing keys (``publishing_key``).
KEY_NAMESPACE = uuid.UUID("6f1d3c52-8a0e-4d7b-9b1e-2f4a5c6d7e80")


def publishing_key(post: Post) -> str:
    """The key that names the post's publication to the network: the one it has, else the one its current revision
    gets at its first try. Derived from the post and the revision rather than drawn at random: a worker that dies
    after the outbox's line reached the disk and before the commit that would have kept the key writes the line
    again under the same key, which the feed's reader takes once. Each new revision (an edit, after a failure or a
    postponed try too) clears the post's key (``workflow.table``): another text goes out under a key of its own."""
    return post.publish_key or _first_key(post.id, post.created_at, post.current_revision_id)


def _first_key(post_id: int, created_at: datetime, revision_id: int | None) -> str:
    """``publishing_key`` of a post that has none yet."""
    return uuid.uuid5(KEY_NAMESPACE, f"{post_id}:{created_at.isoformat()}:{revision_id}").hex


def publication_of(app: Flask, post: Post, key: str | None = None) -> Publication:
    """Exactly what goes out: the approved revision (the current one: the claim checked it) and its media, under the
    post's publishing key (or ``key``, the one it is about to get)."""
    account, revision = post.account, post.current_revision
    assert revision is not None
    return _publication(post.id, key or post.publish_key or "", account.id, account.network.value, account.handle,
                        account.market.code, revision.number, revision.sha256, revision.body,
                        media_publication.describe(app, revision, post.scheduled_at, post.id), post.scheduled_at)


def _publication(post_id: int, key: str, account_id: int, network: str, handle: str, market: str, number: int,
                 sha256: str, text: str, media: list[dict], scheduled_at: datetime | None) -> Publication:
    """``publication_of`` from the values it reads (a post loaded as an object, or read as a row)."""
    return Publication(
        post_id=post_id, idempotency_key=key,
        account={"id": account_id, "network": network, "handle": handle, "market": market},
        revision={"number": number, "sha256": sha256}, text=text, media=media,
        scheduled_at=scheduled_at.isoformat(timespec="seconds").replace("+00:00", "Z") if scheduled_at else None,
    )


def _same_connector(now: Connector | None, claimed: Connector) -> bool:
    """Whether the account's connector is still the one the post was claimed for (its kind, address and secret)."""
    def what(connector: Connector | None) -> tuple:
        return (None,) if connector is None else (
            connector.name, getattr(connector, "url", None), getattr(connector, "secret", None))
    return what(now) == what(claimed)


def _utc(at: datetime) -> str:
    """An instant as the log lines write theirs: UTC, to the second ("2026-12-06T00:34:30Z")."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _past_grace(slot: datetime | None, minutes: int, now: datetime) -> bool:
    """Whether a post slotted at ``slot`` in a market whose grace period is ``minutes`` may no longer go out at
    ``now``: its slot is missed."""
    return slot is not None and slot + _grace(minutes) < now


def _grace(minutes: int) -> timedelta:
    """A market's grace period; a minute at least (a grace of 0, set in the database by hand, missed every slot)."""
    return timedelta(minutes=max(minutes, MIN_GRACE))


#: The outcomes logged as warnings: a person must look at them (the others are INFO).
WARNED = frozenset({"failed", "unconfirmed", "missed"})
#: An address in a text the log quotes (a network's answer): shown by its scheme, host, port and path alone.
_ADDRESS = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]+")


def _for_the_log(text: str, longest: int = 500) -> str:
    """``text`` as the log quotes it: on one line (a network's answer cannot forge the next), its addresses without
    their passwords and tokens, at most ``longest`` characters."""
    text = _ADDRESS.sub(lambda found: bare_address(found.group()), text)
    text = "".join(c if c.isprintable() else " " for c in text)
    return text if len(text) <= longest else text[:longest - 1] + "…"


@dataclass(frozen=True)
class AccountLine:
    """What the log says of an account read as a row (``Worker._note``)."""

    id: int
    handle: str
    connector: str | None
    connector_url: str | None = None


@dataclass(frozen=True)
class Outgoing:
    """A post about to go out through the outbox in its claiming transaction: the post (loaded, or read as a row
    when its row answered every check: ``Worker._sealed``), its account, and what goes out."""

    post: Post | PostRow
    account: Account | AccountLine
    publication: Publication

    @property
    def id(self) -> int:
        return self.post.id


@cache
def _due_posts(batch: int, postgres: bool, leaving_some: bool) -> Select[int, int] | Select[int, int, Any]:
    """The ids of the earliest due posts at ``now`` and their accounts, in the due index's order (twice a batch: an
    account's posts go one a pass), locked (skipping those another worker holds), leaving out the accounts that have
    a post in flight (an account with a backlog behind a slow call filled the window pass after pass, and the other
    accounts' posts behind it missed their slots; the accounts in flight are a handful, read once per statement,
    their ids not joined to each due post) and, ``leaving_some``, the posts ``left_alone`` (quarantined). Built once:
    a pass runs it without making it again.

    On PostgreSQL the statement also takes the shared side of the stop switches' lock (``holds.reading_stops``), the
    claim's first statement, so that the next ones, which read the switches, see any switch turned on before: a
    round trip of its own cost the claim as much as a write."""
    in_flight = select(Account.id).where(Account.publishing_post_id.is_not(None))
    now = bindparam("now", type_=Post.__table__.c.scheduled_at.type)
    due = (select(Post.id, Post.account_id)
           .where(Post.state == State.scheduled, Post.scheduled_at <= now, Post.held_at.is_(None),
                  or_(Post.next_attempt_at.is_(None), Post.next_attempt_at <= now),
                  Post.account_id.not_in(in_flight))
           .order_by(Post.scheduled_at, Post.id).limit(batch * 2))
    if leaving_some:
        due = due.where(Post.id.not_in(bindparam("left_alone", expanding=True)))
    if not postgres:  # SQLite's ``BEGIN IMMEDIATE`` already serialises the claims and the switches
        return due
    return due.add_columns(reading_stops_lock().label("reading_stops")).with_for_update(skip_locked=True, of=Post)


@cache
def _taken_rows(batch: int, postgres: bool) -> Select[Any]:
    """Of the posts ``posts`` (each the first due of its account), those whose account has no post in flight, the
    first ``batch`` in due order, their accounts locked (skipping those another worker holds): the posts the claim
    takes. With what ``Worker._sealed`` reads of them: the gate's inputs (``policies.gate_keys``, its first
    columns), then what the other checks and the publication read. (Locking the accounts in a statement of their own
    cost every pass a round trip.)"""
    revision, market = policies.KEY_REVISION, policies.KEY_MARKET
    taken = policies.gate_keys(select(Post.id).join(Post.account)).add_columns(
        Post.version, Post.state, Post.approved_revision_id, Post.scheduled_at,
        Post.created_at.label("post_created_at"), Post.publish_key, Post.gate_seal, Post.sent_to_cabinet_at,
        Post.account_id, Account.active, Account.connector, Account.handle, market.grace_minutes, revision.number,
        revision.body,
        exists(select(RevisionMedia.id).where(RevisionMedia.revision_id == Post.current_revision_id))
        .label("has_media"),
        # What the lists call held (``holds.held_clause``): a switch over it, one that held it, its embargo in force.
        held_clause(bindparam("now", type_=Post.__table__.c.scheduled_at.type)).label("held"),
        audit.last_link(Post.id).label("last_link"),
    ).where(among(Post.id, "posts", postgres), Account.publishing_post_id.is_(None)
            ).order_by(Post.scheduled_at, Post.id).limit(batch)
    # SQLite's ``BEGIN IMMEDIATE`` already serialises the claims.
    return taken.with_for_update(skip_locked=True, of=Account) if postgres else taken


class LeaseLost(Exception):
    """The post is no longer this worker's: its lease expired and another worker took it over."""


class UnreadFiles(Exception):
    """A claim loaded posts whose stored files were not hashed before it: it gives them up (rolled back, nothing
    checked or written), the worker reads ``keys`` outside any transaction and claims again."""

    def __init__(self, keys: set[str]) -> None:
        super().__init__(len(keys))
        self.keys = keys


class PostFault(Exception):
    """The checks of one post raised (its data, or a fault of this code): the claim was rolled back, and the post is
    failed on its own (``Worker.fail_on_fault``) so that the posts behind it in the queue still go out."""

    def __init__(self, post_id: int, version: int, error: Exception) -> None:
        super().__init__(post_id, error)
        self.post_id, self.version, self.error = post_id, version, error


@dataclass(frozen=True)
class Claim:
    post_id: int
    token: str
    publication: Publication
    account_id: int


@dataclass
class PassReport:
    published: int = 0
    failed: int = 0
    unconfirmed: int = 0
    postponed: int = 0
    held: int = 0
    missed: int = 0
    released: int = 0

    @property
    def handled(self) -> int:
        return self.published + self.failed + self.unconfirmed + self.postponed


class Worker:
    def __init__(
        self,
        app: Flask,
        *,
        lease: timedelta | None = None,
        batch: int = 16,
        clock: Callable[[], datetime] = utcnow,
        poll_interval: float = 0.5,
        name: str | None = None,
    ) -> None:
        self.app = app
        db_engine: Engine = app.extensions["approval.db"]["engine"]
        self.postgres = db_engine.dialect.name == "postgresql"
        self.sessions = sessionmaker(db_engine, expire_on_commit=False)
        self.lease = lease or timedelta(seconds=app.config.get("PUBLISH_LEASE_SECONDS", 120))
        self.batch = batch
        self.clock = clock
        self.poll_interval = poll_interval
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.instance_path = Path(app.instance_path)
        self.quotas = app.config.get("PUBLISH_QUOTAS") or {}
        #: Seconds a webhook has to answer once the request left; past them the outcome is unknown.
        self.webhook_timeout = float(app.config.get("PUBLISH_WEBHOOK_TIMEOUT_S", 15))
        self.stopping = threading.Event()
        self.outbox = OutboxConnector(self.instance_path)
        #: The quarter of an hour in which the reports' figures were last kept (see roll_up_reports).
        self.reports_kept_at: datetime | None = None
        #: Whether the last pass handled posts, and when the housekeeping and the mail last ran (``run_once``).
        self.busy = False
        self.chores_done_at: datetime | None = None
        #: After the database failed a pass (down, unreachable), the worker waits this long before the next one.
        self.outage_wait_s = 5.0
        #: Posts whose checks raised and that could not even be failed, with when this worker tries them again
        #: (``QUARANTINE``): meanwhile the posts behind them go out.
        self.quarantined: dict[int, datetime] = {}
        #: The log lines of the outcomes the transaction in progress records (``_transaction``, ``_note``).
        self.notes: list[tuple[int, str]] = []
        #: The act of the pass in progress (``run_once``): the notices of its transactions are one act.
        self.act: int | None = None

    # The loop ---------------------------------------------------------------------------------------------------

    def run(self, *, once: bool = False) -> PassReport:
        """Publish until stopped (SIGTERM or ``stop()``); the post in hand is finished first."""
        total = PassReport()
        with self.app.app_context():
            while not self.stopping.is_set():
                # A pass that failed was rolled back: a post already sent and not recorded is found by its lease
                # later, as after a crash, and never sent again.
                report = one_pass(self.run_once, self.stopping, once=once, wait_s=self.outage_wait_s, log=log,
                                  outage="the database cannot be used (%s); the worker tries again in %g s",
                                  fault="a publishing pass failed; the worker tries again in %g s")
                if report is None:
                    continue
                for name in vars(total):
                    setattr(total, name, getattr(total, name) + getattr(report, name))
                if once:
                    break
                if report.handled == 0:
                    self.stopping.wait(self.poll_interval)
        return total

    def stop(self, *_args: Any) -> None:
        self.stopping.set()

    def checkpoint(self, where: str, post_id: int) -> None:
        """Called at the points where a crash matters (``claimed``: the claim committed, nothing sent;
        ``sending``: the attempt committed, about to call; ``answered``: the network answered, nothing recorded;
        ``recorded``: the outcome committed). Does nothing; the crash tests override it to kill or stop the
        process there."""

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def run_once(self) -> PassReport:
        report = PassReport()
        now = self.clock()
        # One act for the pass's notices, whatever the transactions they are written in: the posts of a set a webhook
        # published (an outcome recorded in a transaction of its own each) are one line in their readers' lists.
        self.act = dispatch.new_act()
        # While posts keep falling due, passes follow each other without a pause: the housekeeping and the mail run
        # once per interval then, not once per pass (a pass's checks still refuse a post past its grace period).
        chores = (not self.busy or self.chores_done_at is None
                  or now - self.chores_done_at >= CHORES_INTERVAL or now < self.chores_done_at)
        if chores:
            self.recover_expired_leases(report)
            self.miss_overdue(report)
            self.release_lifted_holds(report)
        for _ in range(self.batch + 1):  # a post whose checks raise is failed alone, and the claim runs again
            counted = replace(report)  # the claim rolled back is counted once, by the claim run again
            try:
                claims = self.claim(report)
            except PostFault as fault:
                vars(report).update(vars(counted))
                self.fail_on_fault(fault, report)
                continue
            break
        else:
            claims = []
        for index, (claim, connector) in enumerate(claims):
            if self.stopping.is_set():
                # Nothing was sent for the claims left: back in the queue now, for the next worker, not at their
                # lease's end (a restart delayed them by a whole lease, past the grace period with a long one).
                self.put_back_unsent(claims[index:], report)
                break
            self.send(claim, connector, report)
        if chores and not self.stopping.is_set():  # stopping: mail and housekeeping are the next worker's
            notifications.deliver(self.app, self.clock)  # mail, chat and reminders after these commits (issue 12)
            self.roll_up_reports()
            self.chores_done_at = now
        self.busy = report.handled > 0
        return report

    def roll_up_reports(self) -> None:
        """Once a market's day has closed in its zone, keep its reports' figures, so that no reader waits for them:
        asked whenever a day may have closed somewhere (``reports.closing_mark``: every quarter of an hour), for the
        days each market has closed since the day before yesterday. A failure here is logged, never allowed to stop
        publishing (a report computes what is missing itself)."""
        now = self.clock()
        mark = reports.closing_mark(now)
        if mark == self.reports_kept_at:
            return
        try:
            with self.sessions() as session, session.begin():
                # Every zone's last closed day is within them (UTC-12 to UTC+14).
                reports.roll_up(session, now.date() - timedelta(days=2), now.date() + timedelta(days=2), now=now)
        except Exception:  # noqa: BLE001 - the reports must never stop the publishing worker
            log.exception("reports: keeping the figures of the days closed by %s failed; the next pass retries", mark)
            return
        self.reports_kept_at = mark

    # Housekeeping -----------------------------------------------------------------------------------------------

    def recover_expired_leases(self, report: PassReport) -> None:
        now = self.clock()
        with self._transaction() as session:
            expired = session.scalars(self._locked(
                select(Post).where(Post.state == State.publishing, Post.claimed_until < now)
                .options(joinedload(Post.account)).order_by(Post.claimed_until).limit(self.batch)
            )).all()
            for post in expired:
                attempt = session.scalar(select(PublicationAttempt).where(
                    PublicationAttempt.post_id == post.id, PublicationAttempt.outcome == Outcome.sending))
                if attempt is None:
                    # The worker died before sending anything: the post may go again, and its account with it.
                    self._release_claim(post)
                    self._put_back(session, post, now, reasons.reason(reasons.STOPPED_BEFORE_SENDING),
                                   details=("lease recovered",))
                    report.postponed += 1
                    continue
                connector = self._connector(post.account)
                found: Result | None
                if connector is None or connector.name != attempt.connector:
                    # The account was disconnected or given another connector while the call was in flight: the
                    # one asked now is not the one that was called, and its "no such post" would send it again.
                    found = Result(Outcome.unknown, **own_words(reasons.STOPPED_CONNECTOR_CHANGED))
                else:
                    try:
                        found = connector.lookup(attempt.idempotency_key, session=session)
                    except LookupUnavailable:
                        found = Result(Outcome.unknown, **own_words(reasons.STOPPED_NO_LOOKUP))
                if found is None:
                    found = Result(Outcome.temporary_error, **own_words(reasons.STOPPED_NOT_FOUND))
                self._record(session, post, attempt, found, now, report, recovered=True)

    def miss_overdue(self, report: PassReport) -> None:
        """Slots passed beyond the market's grace period: back to ``approved``, never sent late."""
        now = self.clock()
        with self._transaction() as session:
            graces = session.scalars(select(Market.grace_minutes).distinct()).all()
            for grace in graces:
                overdue = session.scalars(self._locked(
                    select(Post).join(Post.account).join(Account.market)
                    .where(Post.state == State.scheduled, Post.scheduled_at < now - _grace(grace),
                           Market.grace_minutes == grace)
                    .order_by(Post.scheduled_at).limit(HOUSEKEEPING_BATCH)
                )).all()
                for post in overdue:
                    self._miss(session, post, now)
                    report.missed += 1

    def release_lifted_holds(self, report: PassReport) -> None:
        """Posts an embargo held, once it has lifted. A stop switch's posts stay held after it is turned off: a
        project manager gives each a new time (``approval stop off``, CONTRACT)."""
        now = self.clock()
        with self._transaction() as session:
            # Only those whose embargo has lifted, earliest first: a batch's worth still under theirs, taken
            # first, kept the others held (and then missed) however long ago theirs lifted.
            held = session.scalars(self._locked(
                select(Post).outerjoin(Post.campaign)
                .where(Post.state == State.scheduled, Post.held_at.is_not(None), Post.held_by_stop_id.is_(None),
                       or_(Campaign.embargo_until.is_(None), Campaign.embargo_until <= now))
                .options(joinedload(Post.account), contains_eager(Post.campaign))
                .order_by(Post.scheduled_at, Post.id).limit(HOUSEKEEPING_BATCH)
            )).all()
            stops = active_stops(session) if held else []
            for post in held:
                hold = hold_for(session, post, stops, now)
                if hold is None:
                    post.clear_hold()
                    self._step(session, post, Action.release, now, {})
                    self._note(post, "released", "its embargo lifted")
                    report.released += 1
                elif hold.stop_id is not None:
                    # A switch holds it now, where the embargo did: it stays held once that is off, and the trail
                    # says so (the page named the switch while the trail still named the embargo alone).
                    post.held_at, post.held_by_stop_id = now, hold.stop_id
                    self._step(session, post, Action.hold, now, {"reason": hold.reason, "stop_id": hold.stop_id})
                    self._note(post, "held", hold.reason)
                    report.held += 1

    # Claiming ---------------------------------------------------------------------------------------------------

    def claim(self, report: PassReport) -> list[tuple[Claim, Connector]]:
        """Claim up to ``batch`` due posts, one per account; the outbox's are published in the same transaction.

        The earliest due posts are locked first, by their ids alone (skipping those another worker holds): read in
        the due index's order, the first rows only, however many are due. Joined to their accounts and revisions in
        the same statement, every due post was read and sorted before the first could be taken. Then, in one
        statement (``_taken_rows``), the first ``batch`` of those posts, one per account, whose accounts have no
        post in flight are read with what the checks read, their accounts locked as they are read (skipping those
        another worker holds; the others are not read at all). The posts and the accounts are read as locked (the
        posts by the first statement; an account changed since the statement began is read again, and dropped if
        it now has a post in flight); the tables they join (markets, policies, campaigns, revisions) as the
        statement began. Whether an active stop switch covers a post comes with it; the switches themselves are
        read, once, only when one does (after the first statement took ``reading_stops``' lock).

        The stored files of the posts' media are hashed outside any transaction (``read_media``): a claim that
        loads posts whose files it has not read gives them up before any check or write (rolled back), the files
        are read, and the claim runs again with their digests; the files of posts that fell due in between are read
        in that second claim. A batch without media asks the database nothing for them."""
        try:
            return self._claim(report, {}, first=True)
        except UnreadFiles as unread:
            keys = unread.keys
        try:
            digests = self.read_media(keys)
        except Exception:  # a stored file that cannot be read (EIO, permissions): each post's checks read it again
            log.exception("reading the due posts' media before the claim failed; the claim reads each post's itself")
            digests = {}
        return self._claim(report, digests, first=False)

    def _claim(self, report: PassReport, digests: dict[str, str | None], *,
               first: bool) -> list[tuple[Claim, Connector]]:
        now = self.clock()
        claims: list[tuple[Claim, Connector]] = []
        with self._transaction() as session:
            # Statements built once, run on the session's connection: read first in the transaction, they have no
            # change of the session's to see (and the ORM's handling of a statement cost as much as running it).
            connection = session.connection()
            due = connection.execute(*self._due(now)).all()
            if not due:
                return claims
            # One post per account (its earliest); of those, the first ``batch`` whose accounts have no post in
            # flight, their accounts locked (the others stay due, for the next pass or another worker). A switch
            # being turned on is committed first, and seen: ``_due_posts`` took ``reading_stops``' lock.
            first_of_account: dict[int, int] = {}
            for post_id, account_id, *_lock in due:
                first_of_account.setdefault(account_id, post_id)
            taken = connection.execute(_taken_rows(self.batch, self.postgres),
                                       {"posts": list(first_of_account.values()), "now": now}).all()
            chosen = [row.id for row in taken]
            if not chosen:
                return claims
            # The outbox's posts whose checks their rows answer go out as rows (``_sealed``); the others are loaded.
            outgoing = {item.id: item for item in self._sealed(session, taken, now)}
            rest = [post_id for post_id in chosen if post_id not in outgoing]
            # In one statement, with what the checks read (the account, its market and policy, the revision and its
            # media, the campaign): the last link of each post's audit trail, read with the row locked
            # (``operations.load_post`` does the same), on which the steps below chain without reading the trails
            # again; and whether an active stop switch covers the post, so that the switches are read only then.
            loaded = session.execute(
                select(Post, audit.last_link(Post.id), exists(select(StopSwitch.id).where(
                    covering_stops(Account.market_id, Post.campaign_id))))
                .join(Post.account).where(Post.id.in_(rest)).order_by(Post.scheduled_at, Post.id)
                .options(contains_eager(Post.account).joinedload(Account.market).joinedload(Market.policy_in_force),
                         joinedload(Post.current_revision).joinedload(Revision.media), joinedload(Post.campaign))
            ).unique().all() if rest else []
            for post, link, _stopped in loaded:
                audit.remember_link(session, post.id, link)
            posts = [post for post, _link, _stopped in loaded]
            if first and (unread := {item.file.storage_key for post in posts if post.current_revision is not None
                                     for item in post.current_revision.media} - digests.keys()):
                raise UnreadFiles(unread)  # nothing checked or written yet: the rollback only frees the rows
            stops = active_stops(session) if any(stopped for _post, _link, stopped in loaded) else []
            try:
                for post in posts:
                    try:
                        connector = self._ready(session, post, now, report, stops, digests)
                    except OperationalError:
                        raise  # the database, not the post: the whole pass waits and tries again
                    except Exception as error:
                        raise PostFault(post.id, post.version, error) from error
                    if connector is None:
                        continue
                    if connector is self.outbox:  # it writes in this transaction
                        outgoing[post.id] = Outgoing(post, post.account, self._publication(post, publishing_key(post)))
                    else:
                        claims.append((self._take(session, post, now), connector))
                if outgoing:  # in the order they fell due
                    self._publish_in_place(session, [outgoing[post_id] for post_id in chosen if post_id in outgoing],
                                           now, report)
                self.outbox.sync()  # the batch's lines reach the disk before the commit that records them
            finally:
                self.outbox.pending.clear()  # a batch that failed leaves no line for the next one
        for claim, _connector in claims:
            self.checkpoint("claimed", claim.post_id)
        return self._quickest_first(claims)

    def _quickest_first(self, claims: list[tuple[Claim, Connector]]) -> list[tuple[Claim, Connector]]:
        """The pass's calls with the accounts whose last call was slow (a quarter of the webhook's timeout or more)
        after the others, each group in its due order: one network hanging until its timeout held up every post
        claimed after it. Read after the claim's commit: should the read fail, the calls keep the claim's order."""
        if len(claims) < 2:
            return claims
        slow_after = timedelta(seconds=self.webhook_timeout / 4)
        last = select(PublicationAttempt.id).where(
            PublicationAttempt.account_id == Account.id, PublicationAttempt.finished_at.is_not(None),
        ).order_by(PublicationAttempt.started_at.desc()).limit(1).correlate(Account).scalar_subquery()
        attempt = aliased(PublicationAttempt)
        try:
            with self.sessions() as session:
                slow = {account_id for account_id, started, finished in session.execute(
                    select(Account.id, attempt.started_at, attempt.finished_at).join(attempt, attempt.id == last)
                    .where(Account.id.in_({claim.account_id for claim, _ in claims}))
                ) if finished is not None and finished - started >= slow_after}
        except OperationalError as error:
            log.warning("the last calls' durations could not be read (%s); the calls go in the claim's order",
                        driver_says(error))
            return claims
        return sorted(claims, key=lambda pair: pair[0].account_id in slow)  # stable: due order within each group

    def _due(self, now: datetime) -> tuple[Any, dict[str, Any]]:
        """``_due_posts``, and its parameters at ``now``."""
        left_alone = [post_id for post_id, until in self.quarantined.items() if until > now]
        return _due_posts(self.batch, self.postgres, bool(left_alone)), {"now": now, "left_alone": left_alone}

    def fail_on_fault(self, fault: PostFault, report: PassReport) -> None:
        """A post whose checks raised goes to ``failed``, nothing sent, where the publishing desk shows it: left
        due, it stopped every pass at the same place, and every post behind it waited. A post that cannot even be
        failed is left alone by this worker (a person reads the log)."""
        log.error("post %s: the checks before sending raised; the post is failed, nothing sent",
                  fault.post_id, exc_info=fault.error)
        now = self.clock()
        why = [reasons.reason(reasons.CHECK_FAULT, error=type(fault.error).__name__)]
        english = reasons.text(why)
        try:
            with self._transaction() as session:
                # As the claim saw it: a post a person changed since (a new time, a new text) is checked afresh.
                post = session.scalars(self._locked(select(Post).where(
                    Post.id == fault.post_id, Post.state == State.scheduled, Post.version == fault.version))).first()
                if post is not None:
                    post.next_attempt_at = None
                    self._step(session, post, Action.fail, now, {"reasons": [english], "why": why}, comment=english)
                    self._note(post, "failed", english)
                    report.failed += 1
        except OperationalError:
            raise
        except Exception:
            log.exception("post %s: it could not be failed either; this worker leaves it alone for %s",
                          fault.post_id, QUARANTINE)
            self.quarantined[fault.post_id] = now + QUARANTINE

    def read_media(self, keys: Iterable[str]) -> dict[str, str | None]:
        """The stored files under ``keys`` (the media of the posts a claim is about to take), read and hashed
        outside any transaction: a 512 MB video takes a second to read from a disk and longer from a bucket, and the
        claim's locks (the posts, their accounts) are held for milliseconds, not that long. The claim then compares
        these digests with what the approval bound. Several workers may read the same files: reading twice costs
        time, never a second publication."""
        return media_publication.stored_digests(self.app, keys)

    def _publish_in_place(self, session: Session, outgoing: list[Outgoing], now: datetime,
                          report: PassReport) -> None:
        """The outbox, a transactional connector: the publications, their attempts and the posts' new states in the
        claiming transaction, so nothing can be sent without being recorded: one step, ``publish``, straight from
        ``scheduled``. The batch goes together: its publications and their attempts
        (``OutboxConnector.publish_recorded``), then the posts' steps, their audit rows and who is told
        (``workflow.record_steps``); on PostgreSQL a statement each."""
        connector = self.outbox
        recorded = connector.publish_recorded([item.publication for item in outgoing], [dict(
            post_id=item.id, revision_id=item.post.current_revision_id, account_id=item.account.id,
            sha256=item.publication.revision["sha256"], idempotency_key=item.publication.idempotency_key,
            connector=connector.name, started_at=now, finished_at=now,
        ) for item in outgoing], session=session)
        steps = []
        for item, (result, attempt_id) in zip(outgoing, recorded, strict=True):
            key = item.publication.idempotency_key
            if result.outcome != Outcome.published:  # a local store has no other answer; say so if it ever does
                steps.append(workflow.Step(item.post, Action.fail, {"attempt": attempt_id,
                                                                    "outcome": result.outcome.value}, result.message,
                                           values={"publish_key": key, "next_attempt_at": None}))
                self._note(item, "failed", result.message, connector=connector.name)
                report.failed += 1
                continue
            steps.append(workflow.Step(item.post, Action.publish, {
                "attempt": attempt_id, "outcome": result.outcome.value, "url": result.url, "id": result.remote_id,
                "worker": self.name, "sha256": item.publication.revision["sha256"]},
                values={"publish_key": key, "published_url": result.url, "published_at": now,
                        "next_attempt_at": None}))
            # The outbox's own address: no password or token in it to leave out (``bare_address``).
            self._note(item, "published", connector=connector.name, details=(f"url {result.url}",))
            report.published += 1
        workflow.record_steps(session, steps, now=now)

    def _sealed(self, session: Session, taken: Sequence[Any], now: datetime) -> list[Outgoing]:
        """Of the posts the claim took (``taken``: their rows, ``_taken_rows``), those that go out through the outbox
        and whose every check before sending their row answers, without loading an object: what goes out for each.
        The others are left to the checks on the loaded post (``_ready``), which say why one may not go, and do what
        follows.

        A row answers the checks when the post is still scheduled and within its grace period; nothing holds it
        (no stop switch covers it, none held it, its campaign's embargo is not in force); its account is active and
        connected to the outbox, and its network's quota has room; the approved revision is the current one, has no
        media, and its SHA-256 is the one of the text that goes out; and the seal the post got when it was scheduled
        is the seal of the gate's inputs as they are now (``policies.seal``): the same text, policy version, market,
        network and campaign, under the same rules, on which the gate found no error. Any of them otherwise: the
        loaded post's checks decide, the gate run again. So does a row whose reading raised (odd data, a fault of
        this code): the loaded post's checks fail it alone if they raise too (``PostFault``)."""
        answered = []
        for row in taken:
            try:
                item = self._outgoing(row, now)
            except Exception:  # noqa: BLE001 - the loaded post's checks decide, and say why
                log.exception("post %s: its row could not be read for sending; the post is loaded and checked", row.id)
                continue
            if item is not None:
                answered.append((row, item))
        # The quotas of their networks, for all their accounts at once: a post whose quota is used is loaded, and its
        # checks hold it back and say until when.
        quotas = {row.account_id: quota for row, _item in answered
                  if (quota := quota_for(row.network.value, self.quotas)) is not None}
        used = self._quotas_used(session, quotas, now)
        outgoing = []
        for row, item in answered:
            if row.account_id in quotas and used.get(row.account_id, (0, None))[0] >= quotas[row.account_id].posts:
                continue
            audit.remember_link(session, row.id, row.last_link)
            if row.sent_to_cabinet_at is None:
                dispatch.never_sent(session, [row.id])
            outgoing.append(item)
        return outgoing

    def _outgoing(self, row: Any, now: datetime) -> Outgoing | None:
        """What goes out for ``row`` (``_taken_rows``), when it answers every check (``_answered_by``)."""
        if not self._answered_by(row, now):
            return None
        key = row.publish_key or _first_key(row.id, row.post_created_at, row.current_revision_id)
        return Outgoing(PostRow(row.id, row.version, row.state, row.current_revision_id),
                        AccountLine(row.account_id, row.handle, row.connector),
                        _publication(row.id, key, row.account_id, row.network.value, row.handle, row.code,
                                     row.number, row.sha256, row.body, [], row.scheduled_at))

    def _answered_by(self, row: Any, now: datetime) -> bool:
        """Whether ``row`` (``_taken_rows``) answers every check before sending (``_sealed``)."""
        return (row.state == State.scheduled and not row.held and row.connector == "outbox" and row.active is not False
                and row.scheduled_at is not None and not _past_grace(row.scheduled_at, row.grace_minutes, now)
                and row.current_revision_id is not None and row.approved_revision_id == row.current_revision_id
                and not row.has_media and revision_sha256(row.body) == row.sha256 and shows_anything(row.body)
                and row.gate_seal is not None and row.gate_seal == policies.seal(policies.key_of_row(row)))

    def _ready(self, session: Session, post: Post, now: datetime, report: PassReport,
               stops: list[StopSwitch] | None = None, digests: dict[str, str | None] | None = None) -> Connector | None:
        """The checks before sending, on the locked post; None when it must not go now (and where it went)."""
        account = post.account
        if _past_grace(post.scheduled_at, account.market.grace_minutes, now):
            self._miss(session, post, now)
            report.missed += 1
            return None
        hold = hold_for(session, post, stops, now)
        if hold is not None:
            post.held_at, post.held_by_stop_id = now, hold.stop_id
            self._step(session, post, Action.hold, now, {"reason": hold.reason, "stop_id": hold.stop_id})
            self._note(post, "held", hold.reason)
            report.held += 1
            return None
        why = self._refusals(session, post, digests)
        connector = self._connector(account)
        if connector is None and not why:
            why.append(reasons.reason(reasons.NOT_CONNECTED))
        if why:
            # In English in the trail; the pages render ``why`` in their reader's language (publishing.reasons).
            english = [reasons.text([one]) for one in why]
            post.next_attempt_at = None  # a post that failed waits for no try (the API showed one)
            self._step(session, post, Action.fail, now, {"reasons": english, "why": why}, comment=" ".join(english))
            self._note(post, "failed", " ".join(english))
            report.failed += 1
            return None
        quota = quota_for(account.network.value, self.quotas)
        if quota is not None:
            used, oldest = self._quota_used(session, account.id, quota, now)
            if used >= quota.posts:
                # Not before the oldest attempt of the window leaves it; the grace period still applies.
                post.next_attempt_at = (oldest or now) + timedelta(seconds=quota.window_s)
                self._note(post, "postponed", f"the network's quota for the account ({quota.posts} posts in "
                           f"{quota.window_s} s) is used", details=(f"next try {_utc(post.next_attempt_at)}",))
                report.postponed += 1
                return None
        return connector

    @staticmethod
    def _quotas_used(session: Session, quotas: dict[int, Quota], now: datetime
                     ) -> dict[int, tuple[int, datetime | None]]:
        """How many attempts each account of ``quotas`` made within its network's quota window, and the oldest of
        them (accounts with none are left out): a statement per length of window (one per network at most), whatever
        the number of accounts."""
        accounts_by_window: dict[int, list[int]] = {}
        for account_id, quota in quotas.items():
            accounts_by_window.setdefault(quota.window_s, []).append(account_id)
        used: dict[int, tuple[int, datetime | None]] = {}
        for window_s, account_ids in accounts_by_window.items():
            used.update((account_id, (count, oldest)) for account_id, count, oldest in session.execute(
                select(PublicationAttempt.account_id, func.count(), func.min(PublicationAttempt.started_at))
                .where(PublicationAttempt.account_id.in_(account_ids),
                       PublicationAttempt.started_at > now - timedelta(seconds=window_s))
                .group_by(PublicationAttempt.account_id)))
        return used

    def _quota_used(self, session: Session, account_id: int, quota: Quota, now: datetime
                    ) -> tuple[int, datetime | None]:
        """How many attempts the account made within its network's quota window, and the oldest of them."""
        return self._quotas_used(session, {account_id: quota}, now).get(account_id, (0, None))

    def _refusals(self, session: Session, post: Post,
                  digests: dict[str, str | None] | None = None) -> list[reasons.Reason]:
        """Why the approved revision may not go out as it stands (empty: it may). ``digests``: the stored files
        ``read_media`` hashed before the claim (the others are read here)."""
        revision = post.current_revision
        if post.account.active is False:
            return [reasons.reason(reasons.DEACTIVATED)]
        if revision is None or post.approved_revision_id != post.current_revision_id:
            return [reasons.reason(reasons.NOT_APPROVED)]
        if revision.computed_sha256() != revision.sha256:
            return [reasons.reason(reasons.DIGEST_CHANGED)]
        if missing := media_publication.missing_files(self.app, revision, digests):
            return [reasons.reason(reasons.FILE_CHANGED, sha=sha[:12]) for sha in missing]
        verdict = policies.check_revision(session, post, revision)
        why = [reasons.reason(reasons.STYLE_GATE, findings=[f.as_dict(translatable=True) for f in verdict.errors])
               ] if verdict.errors else []
        return why + [reasons.reason(reasons.NO_TEXT)] if not shows_anything(revision.body) else why

    def _take(self, session: Session, post: Post, now: datetime) -> Claim:
        token = uuid.uuid4().hex
        post.claim_token = token
        post.claimed_until = now + self.lease
        post.publish_key = publishing_key(post)
        post.account.publishing_post_id = post.id
        revision = post.current_revision
        assert revision is not None
        self._step(session, post, Action.claim, now, {"worker": self.name, "sha256": revision.sha256})
        return Claim(post_id=post.id, token=token, publication=self._publication(post), account_id=post.account_id)

    def _publication(self, post: Post, key: str | None = None) -> Publication:
        return publication_of(self.app, post, key)

    def _connector(self, account: Account) -> Connector | None:
        """The account's connector; the outbox is one per worker, so a batch's lines reach the disk together."""
        if account.connector == "outbox":
            return self.outbox
        return connector_for(account, self.instance_path, webhook_timeout=self.webhook_timeout)

    # Sending ----------------------------------------------------------------------------------------------------

    def send(self, claim: Claim, connector: Connector, report: PassReport) -> None:
        """A connector that is not transactional: the attempt committed first, then the call, then the outcome."""
        now = self.clock()
        try:
            with self._transaction() as session:
                # Still this worker's claim (its token), locked: nobody took the post over, even should the lease
                # have run out while the pass's calls before it went on (``_attempt`` renews it).
                post = self._mine(session, claim)
                if (why := self._changed_since_claim(session, post, connector, now)) is not None:
                    # Nothing sent: back in the queue, where the next pass misses, holds or fails it as the claim's
                    # checks say (a person sees it on the publishing desk then).
                    self._release_claim(post)
                    self._put_back(session, post, now, why, details=("nothing sent",))
                    report.postponed += 1
                    return
                publication = self._attempt(session, post, claim, connector, now)
                lease_ends = now + self.lease  # as ``_attempt`` renewed it
        except LeaseLost:
            log.warning("post %s: lease lost before sending; nothing sent", claim.post_id)
            return
        self.checkpoint("sending", claim.post_id)
        if self.clock() >= lease_ends:
            # Paused past the lease (stopped, swapped out): another worker may have found the post unconfirmed and
            # a person retried it. Sending now could publish it twice; the attempt stays "sending", unconfirmed.
            log.error("post %s: lease expired before the call; nothing sent, the post will be unconfirmed",
                      claim.post_id)
            return
        started = time.monotonic()
        result = connector.publish(publication)
        took_ms = round((time.monotonic() - started) * 1000)
        self.checkpoint("answered", claim.post_id)
        now = self.clock()
        try:
            with self._transaction() as session:
                post = self._mine(session, claim)
                attempt = session.scalars(select(PublicationAttempt).where(
                    PublicationAttempt.post_id == post.id, PublicationAttempt.outcome == Outcome.sending)).one()
                self._record(session, post, attempt, result, now, report, took_ms=took_ms)
        except LeaseLost:
            log.error("post %s: lease lost while sending (%s); the outcome is left to the worker that took it over",
                      claim.post_id, result.outcome)
            return
        self.checkpoint("recorded", claim.post_id)

    def put_back_unsent(self, claims: Iterable[tuple[Claim, Connector]], report: PassReport) -> None:
        """Claims this worker will not send (it is stopping), back in the queue, each in its own transaction."""
        for claim, _connector in claims:
            try:
                with self._transaction() as session:
                    post = self._mine(session, claim)
                    self._release_claim(post)
                    self._put_back(session, post, self.clock(), reasons.reason(reasons.WORKER_STOPPING),
                                   details=("nothing sent",))
                    report.postponed += 1
            except LeaseLost:
                continue  # another worker has it already

    def _changed_since_claim(self, session: Session, post: Post, connector: Connector,
                             now: datetime) -> reasons.Reason | None:
        """Why the claimed post may no longer go out now, or None. A batch's posts are
        sent one after the other, each call up to the webhook's timeout: a stop switch turned on meanwhile, a grace
        period run out, the account deactivated or connected elsewhere stop a post here, before anything leaves."""
        account = post.account
        if _past_grace(post.scheduled_at, account.market.grace_minutes, now):
            return reasons.reason(reasons.GRACE_ENDED)
        reading_stops(session)
        if hold_for(session, post, now=now, in_flight=True) is not None:
            return reasons.reason(reasons.HELD_SINCE_CLAIM)
        if account.active is False:
            return reasons.reason(reasons.DEACTIVATED_SINCE_CLAIM)
        if _same_connector(self._connector(account), connector) is False:
            return reasons.reason(reasons.CONNECTOR_CHANGED_SINCE_CLAIM)
        return None

    def _put_back(self, session: Session, post: Post, now: datetime, why: reasons.Reason,
                  details: Iterable[str] = ()) -> None:
        """A claimed post back in the queue unsent, and why: in English in the trail, in its reader's language on the
        pages (``why``)."""
        english = reasons.text([why])
        self._step(session, post, Action.postpone, now, {"reason": english, "why": [why]})
        self._note(post, "postponed", english, details=details)

    def _mine(self, session: Session, claim: Claim) -> Post:
        post = session.scalars(
            select(Post).where(Post.id == claim.post_id, Post.claim_token == claim.token,
                               Post.state == State.publishing)
            .options(joinedload(Post.account)).with_for_update(of=Post)
        ).first()
        if post is None:
            raise LeaseLost(claim.post_id)
        return post

    def _attempt(self, session: Session, post: Post, claim: Claim, connector: Connector,
                 now: datetime) -> Publication:
        """The attempt, committed before the call, and what the call sends: the body of the key's first call, if it
        had one (a retry, a new slot after a missed one: the key is the same, so is the body), else this one's,
        kept with its attempt (the first only: the later ones read it there). And the lease renewed, so that the
        call has a whole lease (a pass's calls go one after the other: a third slow call ran past a lease taken at
        the claim, and another worker took the post for a dead one's while it was still in the call)."""
        key = claim.publication.idempotency_key
        sent_before = session.scalar(select(PublicationAttempt.body).where(
            PublicationAttempt.post_id == post.id, PublicationAttempt.idempotency_key == key,
            PublicationAttempt.body.is_not(None)).order_by(PublicationAttempt.id).limit(1))
        post.claimed_until = now + self.lease
        session.add(PublicationAttempt(
            post_id=post.id, revision_id=post.current_revision_id, account_id=post.account_id,
            sha256=claim.publication.revision["sha256"], idempotency_key=key,
            connector=connector.name, outcome=Outcome.sending, started_at=now,
            body=None if sent_before else claim.publication.encoded(),
        ))
        session.flush()
        return replace(claim.publication, sent_before=sent_before) if sent_before else claim.publication

    # Outcomes ---------------------------------------------------------------------------------------------------

    def _record(self, session: Session, post: Post, attempt: PublicationAttempt, result: Result, now: datetime,
                report: PassReport, *, took_ms: int | None = None, recovered: bool = False) -> None:
        """The outcome of ``attempt`` (its call took ``took_ms``; ``recovered``: found by its expired lease)."""
        # The tries of this slot: a project manager's retry gives the post a new one (``_due_now``), and its first
        # answer no longer failed it at once for the tries before. Counted before the claim is released: the post is
        # still ``publishing``, and a lease it no longer has would not flush.
        tries = self._tries(session, [post]).get(post.id, 1)
        attempt.outcome = result.outcome
        attempt.remote_id, attempt.url, attempt.message = result.remote_id, result.url, result.message
        attempt.why = result.why
        attempt.finished_at = now
        payload: dict[str, Any] = {"attempt": attempt.id, "outcome": result.outcome.value, "message": result.message}
        if result.why is not None:  # the pages say it in their reader's language (``status.failure_reasons``)
            payload["why"] = [result.why]
        self._release_claim(post)

        def note(outcome: str, reason: str | None, *details: str) -> None:
            self._note(post, outcome, reason, connector=attempt.connector, status=result.status, took_ms=took_ms,
                       attempt=tries, details=(*(("lease recovered",) if recovered else ()), *details))

        if result.outcome == Outcome.published:
            post.published_url, post.published_at = result.url, now
            post.next_attempt_at = None
            self._step(session, post, Action.publish, now, {**payload, "url": result.url, "id": result.remote_id})
            note("published", result.message, f"url {bare_address(result.url)}")
            report.published += 1
            return
        if result.outcome in (Outcome.rate_limited, Outcome.temporary_error):
            limited = result.outcome == Outcome.rate_limited
            if tries >= (MAX_RATE_LIMITED if limited else MAX_ATTEMPTS):
                # Given up at this slot: the reason says so, and that a retry starts a new series of tries (the
                # network's last words alone read as a definite refusal).
                gave_up = reasons.reason(reasons.GAVE_UP_RATE_LIMITED if limited else reasons.GAVE_UP_FAILING,
                                         tries=tries, last=result.why or result.message or result.outcome.value)
                english = reasons.text([gave_up])
                post.next_attempt_at = None
                self._step(session, post, Action.fail, now, {**payload, "why": [gave_up]}, comment=english)
                note("failed", english)
                report.failed += 1
                return
            wait = result.retry_after
            if wait is None:
                wait = RATE_LIMIT_DEFAULT_S if limited else min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (tries - 1))
            wait = max(wait, RETRY_MIN_S)
            post.next_attempt_at = now + timedelta(seconds=wait)
            self._step(session, post, Action.postpone, now, {**payload, "next_attempt_at":
                                                              post.next_attempt_at.isoformat()},
                       comment=result.message)  # the trail and the desk say what the network answered
            note("postponed", result.message, f"next try {_utc(post.next_attempt_at)}")
            slot = post.scheduled_at
            if slot is not None and slot + _grace(post.account.market.grace_minutes) < post.next_attempt_at:
                # No try can come within the grace period: the slot is missed now, not when the period ends (the
                # pages and the API announced a try that would never be made, and the project manager waited).
                self._miss(session, post, now, early=True)
                report.missed += 1
                return
            report.postponed += 1
            return
        # Unconfirmed or failed: no try is coming (the API showed one for a post that had waited for it).
        post.next_attempt_at = None
        if result.outcome == Outcome.unknown:
            self._step(session, post, Action.lose, now, payload, comment=result.message)
            note("unconfirmed", result.message)
            report.unconfirmed += 1
        else:  # refused, needs_reconnect
            self._step(session, post, Action.fail, now, payload, comment=result.message)
            note("failed", result.message)
            report.failed += 1

    def _tries(self, session: Session, posts: list[Post]) -> dict[int, int]:
        """How many attempts each of ``posts`` has had at its slot (since ``scheduled_at``), in one query. Read
        without flushing: the caller may have changed the posts in ways the database would refuse halfway."""
        by_id = {post.id: post.scheduled_at for post in posts}
        with session.no_autoflush:
            rows = session.execute(
                select(PublicationAttempt.post_id, PublicationAttempt.started_at)
                .where(PublicationAttempt.post_id.in_(by_id))
            ).all()
        tries: dict[int, int] = {}
        for post_id, started in rows:
            slot = by_id[post_id]
            if slot is None or started >= slot:
                tries[post_id] = tries.get(post_id, 0) + 1
        return tries

    def _release_claim(self, post: Post) -> None:
        post.claim_token = None
        post.claimed_until = None
        if post.account.publishing_post_id == post.id:
            post.account.publishing_post_id = None

    def _miss(self, session: Session, post: Post, now: datetime, *, early: bool = False) -> None:
        """Back to ``approved``, the slot kept as missed: its grace period passed, or (``early``) the next try the
        network asked for would come after it."""
        slot = post.scheduled_at
        why = [self._missed_because(session, post, slot, early)]
        post.missed_at = slot
        post.scheduled_at = post.next_attempt_at = None
        post.clear_hold()
        self._step(session, post, Action.miss, now, {"slot": slot.isoformat() if slot else None, "why": why},
                   comment=reasons.text(why))
        self._note(post, "missed", reasons.text(why), details=(f"slot {slot.isoformat()}",) if slot else ())

    def _missed_because(self, session: Session, post: Post, slot: datetime | None,
                        early: bool = False) -> reasons.Reason:
        """Why the slot passed: a hold, the network's waits, the quota, or no worker at all (the desk says which)."""
        if post.held_at is not None:
            return self._held_because(post)
        if post.next_attempt_at is not None:
            last = session.execute(
                select(PublicationAttempt.outcome, PublicationAttempt.message, PublicationAttempt.why)
                .where(PublicationAttempt.post_id == post.id, PublicationAttempt.started_at >= slot)
                .order_by(PublicationAttempt.id.desc()).limit(1)
            ).first() if slot is not None else None
            if last is None:  # waited without a try: the quota held it back
                return reasons.reason(reasons.MISSED_QUOTA)
            # A receiver that could not be reached (refused, no such name, a TLS error) did not ask to wait.
            unreachable = (last.why or {}).get("id") == reasons.NO_CONNECTION
            said = ((reasons.MISSED_UNREACHABLE_EARLY, reasons.MISSED_REFUSED_EARLY) if early else
                    (reasons.MISSED_UNREACHABLE, reasons.MISSED_REFUSED))
            return reasons.reason(said[0] if unreachable else said[1],
                                  last=last.why or last.message or last.outcome.value)
        return reasons.reason(reasons.MISSED_UNSENT)

    @staticmethod
    def _held_because(post: Post) -> reasons.Reason:
        """What held a missed post: the stop switch that held it (its scope, reason, and who turned it on), else its
        campaign's embargo; the general words when neither is known any more."""
        stop = post.held_by_stop
        if stop is not None:
            name: object = stop.turned_on_by.name if stop.turned_on_by is not None \
                else reasons.reason(reasons.FROM_THE_COMMAND_LINE)
            if stop.scope == StopScope.all:
                return reasons.reason(reasons.MISSED_HELD_BY_ALL, reason=stop.reason, name=name)
            if stop.scope == StopScope.market and stop.market is not None:
                return reasons.reason(reasons.MISSED_HELD_BY_MARKET, market=stop.market.code, reason=stop.reason,
                                      name=name)
            if stop.campaign is not None:
                return reasons.reason(reasons.MISSED_HELD_BY_CAMPAIGN, campaign=stop.campaign.name,
                                      reason=stop.reason, name=name)
        elif post.campaign is not None and post.campaign.embargo_until is not None \
                and post.scheduled_at is not None and post.scheduled_at < post.campaign.embargo_until:
            return reasons.reason(reasons.MISSED_EMBARGO, campaign=post.campaign.name)
        return reasons.reason(reasons.MISSED_HELD)

    def _step(self, session: Session, post: Post, step: Action, now: datetime, payload: dict,
              comment: str | None = None) -> None:
        workflow.record_step(session, post, step, now=now, payload=payload, comment=comment)

    # The log ----------------------------------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """A session in a transaction whose outcomes (``_note``) are logged once it has committed: one rolled back
        (a post whose checks raised, a lease lost, the database gone) logs nothing it did not do."""
        self.notes.clear()
        try:
            with self.sessions() as session, session.begin():
                if self.act is not None:
                    dispatch.share_act(session, self.act)
                yield session
        except BaseException:
            self.notes.clear()
            raise
        notes, self.notes = self.notes, []
        for level, line in notes:
            log.log(level, "%s", line)

    def _note(self, post: Post | Outgoing, outcome: str, reason: str | None = None, *, connector: str | None = None,
              status: int | None = None, took_ms: int | None = None, attempt: int | None = None,
              details: Iterable[str] = ()) -> None:
        """The log line of an outcome recorded, for when its transaction commits: the post, its account and handle,
        the connector and where it calls (scheme, host, port and path: never a password or a token), the HTTP
        status, the call's duration, the attempt at this slot, what else the outcome has (a link, the next try),
        then the reason in English. A warning for what a person must look at."""
        level = logging.WARNING if outcome in WARNED else logging.INFO
        if not log.isEnabledFor(level):
            return
        account = post.account
        name = connector or account.connector
        where = bare_address(account.connector_url) if name == "webhook" and account.connector == "webhook" else ""
        parts = [f"account {account.id} (@{_for_the_log(account.handle)})",
                 f"{name} to {where}" if where else name or "no connector"]
        if status is not None:
            parts.append(f"HTTP {status}")
        if took_ms is not None:
            parts.append(f"{took_ms} ms")
        if attempt is not None:
            parts.append(f"attempt {attempt}")
        parts.extend(details)
        line = f"post {post.id} {outcome}: {', '.join(parts)}"
        self.notes.append((level, f"{line}; {_for_the_log(reason)}" if reason else line))

    def _locked(self, query: Any, of: Any = Post) -> Any:
        """Rows locked for this transaction, skipping those another worker holds (PostgreSQL); SQLite's
        ``BEGIN IMMEDIATE`` already made this transaction the only writer."""
        return query.with_for_update(skip_locked=True, of=of) if self.postgres else query
