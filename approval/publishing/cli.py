"""`approval worker`, `approval account connect|list`, `approval stop on|off|list` (CONTRACT.md)."""

from __future__ import annotations

import logging

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from approval.config import LOCAL_URL, public_url
from approval.db import db
from approval.logs import log_level_option
from approval.models import Account, AuditEntry, Market, Post, StopScope, StopSwitch
from approval.publishing import controls
from approval.publishing.addresses import bare_address
from approval.style.network import network_name
from approval.workflow.errors import GuardFailed
from approval.workflow.states import WORKER_STEPS, Action, State

stop_cli = AppGroup("stop", help="Stop switches: nothing in their scope is published while they are on.")


@click.command("worker")
@click.option("--once", is_flag=True, help="One pass over the due posts, then exit.")
@click.option("--batch", default=16, show_default=True, type=click.IntRange(1, 500),
              help="Posts claimed per transaction (one per account).")
@log_level_option
def worker_command(once: bool, batch: int) -> None:
    """Publish due posts; SIGTERM finishes the post in hand and exits.

    With --once, one line per post the pass handled follows on stdout, tab-separated: the post's id, its account's
    market, network and handle, what became of it, and why:

    \b
      published    its address
      failed       the reason (a project manager retries it)
      unconfirmed  sent, no answer: someone checks the network, then confirms or retries
      postponed    it waits for a new try (what the network answered)
      held         a stop switch or an embargo, and which
      released     its embargo lifted
      missed       its slot passed beyond the grace period: back to approved, for a new time
      claimed      sent or about to be, its outcome not recorded yet

    A post the network's quota holds back is counted, not listed; with other workers at work, their posts of the
    same moments are listed too. The counts follow on stderr. The exit status is 0 whenever the pass ran, whatever
    became of the posts.
    """
    from approval.publishing.worker import Worker
    from approval.startup import start
    from approval.style.language import preload_in_background

    # Its connections' name, a schema older than the code waited for (refused in one line by a single pass), what it
    # runs on (README, Upgrading).
    start(current_app._get_current_object(), "approval-worker",  # type: ignore[attr-defined]
          announce=not once, wait_for_upgrade=not once)
    trail_end = _last_audit_id() if once else 0
    preload_in_background()  # the style gate's language models: loaded while the first pass runs, not in it
    # Flask types current_app as the app; it is a proxy, whose _get_current_object() is the app itself.
    worker = Worker(current_app._get_current_object(), batch=batch)  # type: ignore[attr-defined]
    worker.install_signal_handlers()
    # A running worker's lines are log lines (time, level, logger), as every other line it writes; a single pass
    # (``--once``) answers as a command does.
    said = logging.getLogger("approval.publishing.worker")
    if not once:
        if public_url(current_app) == LOCAL_URL:
            said.warning("APPROVAL_PUBLIC_URL is not set: the links to the publications' files say %s, which a "
                         "webhook's receiver elsewhere cannot open.", LOCAL_URL)
        said.info("publishing worker %s started", worker.name)
    report = worker.run(once=once)
    counts = (f"published {report.published}, failed {report.failed}, unconfirmed {report.unconfirmed}, "
              f"postponed {report.postponed}, held {report.held}, missed {report.missed}")
    if once:
        click.echo(counts, err=True)
        for line in handled_since(trail_end):
            click.echo(line)
    else:
        said.info("publishing worker %s stopped; its last pass: %s", worker.name, counts)


# The worker's pass, post by post (`approval worker --once`) -------------------------------------------------------

#: What became of a post, by the last step the worker recorded for it.
OUTCOME_OF_STEP = {
    Action.publish: "published", Action.fail: "failed", Action.lose: "unconfirmed", Action.postpone: "postponed",
    Action.hold: "held", Action.release: "released", Action.miss: "missed", Action.claim: "claimed",
}


def _last_audit_id() -> int:
    """The trail's last entry before the pass, read in a transaction of its own: none is left open while the pass
    writes."""
    with db.transaction() as session:
        return session.scalar(select(func.max(AuditEntry.id))) or 0


def handled_since(audit_id: int) -> list[str]:
    """What the worker's steps written after ``audit_id`` did, one line a post (``approval worker --help``): its
    last step (the steps have no actor), oldest first. Read from the trail, which says it for every worker the same
    way."""
    last: dict[int, AuditEntry] = {}
    for entry in db.session.scalars(select(AuditEntry).where(
            AuditEntry.id > audit_id, AuditEntry.actor_id.is_(None), AuditEntry.action.in_(WORKER_STEPS))
            .order_by(AuditEntry.id)):
        last.pop(entry.post_id, None)
        last[entry.post_id] = entry  # insertion order: the order of each post's last step
    accounts = {post_id: (code, network, handle) for post_id, code, network, handle in db.session.execute(
        select(Post.id, Market.code, Account.network, Account.handle).join(Post.account).join(Account.market)
        .where(Post.id.in_(last)))}
    lines = []
    for post_id, entry in last.items():
        code, network, handle = accounts[post_id]
        lines.append("\t".join([str(post_id), code, network_name(network), f"@{handle}",
                                 OUTCOME_OF_STEP[entry.action], _why(entry)]))
    return lines


def _why(entry: AuditEntry) -> str:
    payload = entry.payload or {}
    if entry.action == Action.publish:
        return str(payload.get("url") or "")
    if entry.action == Action.claim:
        return "sent or about to be; its outcome is not recorded yet"
    why = entry.comment or payload.get("reason") or ""
    if entry.action == Action.postpone and payload.get("next_attempt_at"):
        why = f"{why} (next try {payload['next_attempt_at']})".strip()
    return _one_line(str(why))


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@click.command("connect")
@click.argument("account_id", type=click.IntRange(1, 2**31 - 1))
@click.option("--connector", type=click.Choice(controls.CONNECTORS), required=True)
@click.option("--url", default=None, help="The webhook's address.")
@click.option("--secret", default=None, help="The webhook's signing secret (16 to 200 characters); - reads it from "
                                            "the first line of standard input, out of the shell's history and the "
                                            "process list.")
def account_connect(account_id: int, connector: str, url: str | None, secret: str | None) -> None:
    """Set how an account publishes."""
    if secret == "-":
        secret = sys.stdin.readline().rstrip("\r\n")
        if not secret:
            raise click.BadParameter("standard input held no secret on its first line.", param_hint="--secret")
    # The webhook's name is looked up (up to SET_LOOKUP_S) before the transaction begins: on SQLite its first read
    # takes the database's write lock, which the worker and the web pages would wait for meanwhile.
    checked = controls.check_webhook(url) if connector == "webhook" else None
    with _refusals_as_usage_errors(), db.transaction() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise click.ClickException(f"No account {account_id}.")
        controls.connect_account(session, account, connector, url=url, secret=secret, checked=checked)
    click.echo(f"Account {account_id} publishes through {connector}.")


@click.command("list")
@click.option("--market", "market_code", default=None, help="Only this market's accounts.")
def account_list(market_code: str | None) -> None:
    """The accounts, one a line: id, market, network, handle, how it publishes (a webhook's address, never its
    secret), and whether it is deactivated."""
    query = select(Account).join(Account.market).options(contains_eager(Account.market)).order_by(
        Market.code, Account.network, Account.handle)
    if market_code is not None:
        query = query.where(Market.code == market_code.upper())
    for account in db.session.scalars(query):
        # A webhook's address as it is called: no user name, password or query (an address saved with them before
        # they were refused printed them).
        publishes = (bare_address(account.connector_url) if account.connector == "webhook" else account.connector) \
            or "not connected"
        click.echo("\t".join([str(account.id), account.market.code, network_name(account.network),
                              f"@{account.handle}", publishes] + ([] if account.active else ["deactivated"])))


@stop_cli.command("on")
@click.option("--market", "market_code", default=None, help="A market's code.")
@click.option("--campaign", "campaign_id", default=None, type=click.IntRange(1, 2**31 - 1), help="A campaign's id.")
@click.option("--all", "everything", is_flag=True, help="Everything, everywhere.")
@click.option("--reason", required=True)
def stop_on(market_code: str | None, campaign_id: int | None, everything: bool, reason: str) -> None:
    """Turn a stop switch on; prints its id alone on the last line."""
    chosen = [name for name, given in (("market", market_code), ("campaign", campaign_id), ("all", everything))
              if given]
    if len(chosen) != 1:
        raise click.UsageError("Give exactly one of --market, --campaign, --all.")
    with _refusals_as_usage_errors(), db.transaction() as session:
        stop = controls.turn_on(session, None, chosen[0], campaign_id=campaign_id,
                                market_code=market_code.upper() if market_code else None,  # fr is FR, as in list
                                reason=reason)
        stop_id = stop.id
    click.echo(f"Stop switch on: {reason}", err=True)
    click.echo(stop_id)


@stop_cli.command("off")
@click.argument("stop_id", type=click.IntRange(1, 2**31 - 1))
def stop_off(stop_id: int) -> None:
    """Turn a stop switch off and say how many posts it held: they stay held until a project manager releases them
    or gives each a new time (Publishing desk); those it covered that were not due yet go out at their time. A
    switch already off is an error (exit 1): nothing changes."""
    with db.transaction() as session:
        stop = session.get(StopSwitch, stop_id)
        if stop is None:
            raise click.ClickException(f"No stop switch {stop_id} (`approval stop list --all` lists them).")
        was_off = stop.turned_off_at
        if was_off is None:
            controls.turn_off(session, None, stop_id)
        held = _held_by(session, [stop_id]).get(stop_id, 0)
    if was_off is not None:
        still = (f" {_posts(held)} it held still {'waits' if held == 1 else 'wait'} for a release or a new time "
                 "(Publishing desk).")
        raise click.ClickException(f"Stop switch {stop_id} was already off (since {_utc(was_off)}): nothing "
                                   f"changed.{still if held else ''}")
    if held == 0:
        click.echo(f"Stop switch {stop_id} off. It held no post; the posts it covered go out at their time.")
    else:
        click.echo(f"Stop switch {stop_id} off. {_posts(held)} it held "
                   + ("stays held until a project manager releases it or gives it" if held == 1 else
                      "stay held until a project manager releases them or gives each")
                   + " a new time (Publishing desk).")


@stop_cli.command("list")
@click.option("--all", "everything", is_flag=True, help="Also the switches turned off (after those on).")
def stop_list(everything: bool) -> None:
    """The stop switches on, one a line, tab-separated: id; scope (market CODE, campaign NAME or everything); on
    (or off) since when, in UTC; by whom; how many scheduled posts it holds now; the reason. A post a switch held
    stays held once it is off, until a project manager releases it or gives it a new time (Publishing desk)."""
    query = select(StopSwitch).options(
        selectinload(StopSwitch.market), selectinload(StopSwitch.campaign),
        selectinload(StopSwitch.turned_on_by), selectinload(StopSwitch.turned_off_by))
    if not everything:
        query = query.where(StopSwitch.turned_off_at.is_(None))
    stops = db.session.scalars(query.order_by(StopSwitch.turned_off_at.is_not(None), StopSwitch.turned_off_at.desc(),
                                              StopSwitch.turned_on_at.desc(), StopSwitch.id.desc())).all()
    if not stops:
        click.echo("No stop switch is on." if not everything else "No stop switch.", err=True)
        return
    held = _held_by(db.session, [stop.id for stop in stops])
    for stop in stops:
        if stop.scope == StopScope.market and stop.market is not None:
            scope = f"market {stop.market.code}"
        elif stop.scope == StopScope.campaign and stop.campaign is not None:
            scope = f"campaign {_one_line(stop.campaign.name)}"
        else:
            scope = "everything"
        on = stop.turned_off_at is None
        since = _utc(stop.turned_off_at or stop.turned_on_at)
        by = stop.turned_on_by if on else stop.turned_off_by
        click.echo("\t".join([str(stop.id), scope, f"{'on' if on else 'off'} since {since}",
                              f"by {by.email if by else 'the command line'}",
                              f"holds {_posts(held.get(stop.id, 0))}", _one_line(stop.reason)]))


def _held_by(session: Session, stop_ids: list[int]) -> dict[int, int]:
    """How many scheduled posts each switch holds now (recorded by the worker; they stay held once it is off)."""
    if not stop_ids:
        return {}
    return {stop_id: count for stop_id, count in session.execute(
        select(Post.held_by_stop_id, func.count()).where(Post.state == State.scheduled,
                                                          Post.held_by_stop_id.in_(stop_ids))
        .group_by(Post.held_by_stop_id)) if stop_id is not None}


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _posts(n: int) -> str:
    return f"{n} post" if n == 1 else f"{n} posts"


@contextmanager
def _refusals_as_usage_errors() -> Iterator[None]:
    """A refused input names its option (exit 2), as the other commands do."""
    try:
        yield
    except GuardFailed as refused:
        field, reasons = next(iter(refused.errors.items()))
        raise click.BadParameter(" ".join(reasons), param_hint=f"--{field.removesuffix('_id')}") from None


def register(app, account_group: AppGroup) -> None:  # noqa: ANN001
    app.cli.add_command(worker_command)
    app.cli.add_command(stop_cli)
    account_group.add_command(account_connect)
    account_group.add_command(account_list)
