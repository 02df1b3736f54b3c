"""`approval worker`, `approval account connect|list`, `approval stop on|off` (CONTRACT.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from approval.config import LOCAL_URL, public_url
from approval.db import db
from approval.models import Account, Market
from approval.publishing import controls
from approval.style.network import network_name
from approval.workflow.errors import GuardFailed

stop_cli = AppGroup("stop", help="Stop switches: nothing in their scope is published while they are on.")


@click.command("worker")
@click.option("--once", is_flag=True, help="One pass over the due posts, then exit.")
@click.option("--batch", default=16, show_default=True, type=click.IntRange(1, 500),
              help="Posts claimed per transaction (one per account).")
def worker_command(once: bool, batch: int) -> None:
    """Publish due posts; SIGTERM finishes the post in hand and exits."""
    from approval.publishing.worker import Worker
    from approval.style.language import preload_in_background

    preload_in_background()  # the style gate's language models: loaded while the first pass runs, not in it
    # Flask types current_app as the app; it is a proxy, whose _get_current_object() is the app itself.
    worker = Worker(current_app._get_current_object(), batch=batch)  # type: ignore[attr-defined]
    worker.install_signal_handlers()
    if not once:
        if public_url(current_app) == LOCAL_URL:
            click.echo(f"APPROVAL_PUBLIC_URL is not set: the links to the publications' files say {LOCAL_URL}, "
                       "which a webhook's receiver elsewhere cannot open.", err=True)
        click.echo(f"Publishing worker {worker.name} started.", err=True)
    report = worker.run(once=once)
    click.echo(f"published {report.published}, failed {report.failed}, unconfirmed {report.unconfirmed}, "
               f"postponed {report.postponed}, held {report.held}, missed {report.missed}", err=True)


@click.command("connect")
@click.argument("account_id", type=click.IntRange(1, 2**31 - 1))
@click.option("--connector", type=click.Choice(controls.CONNECTORS), required=True)
@click.option("--url", default=None, help="The webhook's address.")
@click.option("--secret", default=None, help="The webhook's signing secret (16 to 200 characters).")
def account_connect(account_id: int, connector: str, url: str | None, secret: str | None) -> None:
    """Set how an account publishes."""
    with _refusals_as_usage_errors(), db.transaction() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise click.ClickException(f"No account {account_id}.")
        controls.connect_account(session, account, connector, url=url, secret=secret)
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
        publishes = (account.connector_url if account.connector == "webhook" else account.connector) or "not connected"
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
    """Turn a stop switch off (held posts stay held until a project manager gives them new times)."""
    try:
        with db.transaction() as session:
            controls.turn_off(session, None, stop_id)
    except LookupError:
        raise click.ClickException(f"No stop switch {stop_id}.") from None
    click.echo(f"Stop switch {stop_id} off.")


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
