"""The `approval` command line (CONTRACT.md). `flask --app approval ...` reaches the same commands."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from approval import administration as admin
from approval import policies
from approval.db import db
from approval.models import Executive, Market, Network, User
from approval.style import cli as style_cli
from approval.style.cli import lint_command
from approval.workflow.states import Role

db_cli = AppGroup("db", help="The database schema.")
market_cli = AppGroup("market", help="Markets: countries with their time zone and languages.")
account_cli = AppGroup("account", help="Social-media accounts.")
user_cli = AppGroup("user", help="People and their roles.")
token_cli = AppGroup("token", help="Personal API tokens.")


def register_commands(app: Flask) -> None:
    for group in (db_cli, market_cli, account_cli, user_cli, token_cli):
        app.cli.add_command(group)
    app.cli.add_command(demo_command)
    app.cli.add_command(run_command)
    app.cli.add_command(lint_command)
    # `approval lint --market CODE` reads that market's policy from this application's database.
    style_cli.market_policy_loader = policies.load_market_context


def upgrade_database() -> None:
    from approval.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"])


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the newest migration (creating it when missing)."""
    upgrade_database()
    click.echo("Database is up to date.")


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug/--no-debug", default=False)
def run_command(host: str, port: int, debug: bool) -> None:
    """Serve the application (development server); creates or upgrades the database first."""
    from werkzeug.serving import run_simple

    upgrade_database()
    click.echo(f"Serving on http://{host}:{port}")
    run_simple(host, port, current_app._get_current_object(), use_debugger=debug, threaded=True)


@click.command("demo")
def demo_command() -> None:
    """Load a realistic demo data set into an empty database and print how to log in."""
    from approval.demo import load_demo

    upgrade_database()
    if db.session.scalar(select(User.id).limit(1)) is not None:
        raise click.ClickException("The database is not empty: the demo loads into an empty database only.")
    logins = load_demo(db.session)
    db.session.commit()
    click.echo("Demo loaded. Log in at http://127.0.0.1:5000 with:")
    for email, role, password in logins:
        click.echo(f"  {role:<18} {email:<28} {password}")


@market_cli.command("create")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--tz", "timezone", required=True, help="IANA time zone, e.g. Europe/Paris.")
@click.option("--lang", "languages", multiple=True, required=True, help="A language code; repeat for several.")
def market_create(code: str, name: str, timezone: str, languages: tuple[str, ...]) -> None:
    """Add a market (ISO 3166-1 alpha-2 CODE)."""
    if len(code) != 2 or not code.isalpha():
        raise click.BadParameter("a market code is two letters (ISO 3166-1 alpha-2)", param_hint="CODE")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown IANA time zone {timezone!r}", param_hint="--tz") from None
    with _saving(f"market {code.upper()} exists already"):
        market = admin.create_market(db.session, code, name, timezone, list(languages))
    click.echo(f"Market {market.code} created.")


@account_cli.command("create")
@click.option("--market", "market_code", required=True)
@click.option("--network", type=click.Choice([n.value for n in Network]), required=True)
@click.option("--handle", required=True)
@click.option("--brand", default="")
@click.option("--executive", "executive_name", default=None, help="Makes it an executive's account.")
def account_create(market_code: str, network: str, handle: str, brand: str, executive_name: str | None) -> None:
    """Add an account; prints its id alone on the last line."""
    market = _market(market_code)
    with _saving(f"account {network}:{handle} exists already"):
        executive = admin.get_or_create_executive(db.session, executive_name) if executive_name else None
        account = admin.create_account(db.session, market, network, handle, brand, executive)
    click.echo(account.id)


@user_cli.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--market", "market_codes", multiple=True)
@click.option("--all-markets", is_flag=True)
@click.option("--executive", "executive_names", multiple=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def user_create(email: str, name: str, role: str, market_codes: tuple[str, ...], all_markets: bool,
                executive_names: tuple[str, ...], password: str) -> None:
    """Add a user."""
    if "@" not in email:
        raise click.BadParameter("not an e-mail address", param_hint="EMAIL")
    if len(password) < 8:
        raise click.BadParameter("at least 8 characters", param_hint="--password")
    executives = []
    for executive_name in executive_names:
        executive = db.session.scalar(select(Executive).where(Executive.name == executive_name))
        if executive is None:
            raise click.BadParameter(f"no executive named {executive_name!r}", param_hint="--executive")
        executives.append(executive)
    if executives and role != Role.cabinet:
        raise click.BadParameter("only a cabinet member serves executives", param_hint="--executive")
    markets = [_market(code) for code in market_codes]
    with _saving(f"user {email} exists already"):
        user = admin.create_user(db.session, email, name, role, password, markets=markets,
                                 all_markets=all_markets, executives=executives)
    click.echo(f"User {user.email} created ({user.role.value}).")


@token_cli.command("create")
@click.argument("email")
@click.option("--name", "label", default="Command line", show_default=True, help="What the token is for.")
def token_create(email: str, label: str) -> None:
    """Create a personal API token for EMAIL and print it alone on stdout (it is shown only once)."""
    from approval.api.tokens import issue_token

    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.BadParameter(f"no user {email!r}", param_hint="EMAIL")
    if not user.active:
        raise click.ClickException(f"user {user.email} is deactivated")
    if not label.strip() or len(label.strip()) > 100:
        raise click.BadParameter("between 1 and 100 characters", param_hint="--name")
    _token, secret = issue_token(db.session, user, label)
    db.session.commit()
    click.echo(secret)


def _market(code: str) -> Market:
    market = db.session.scalar(select(Market).where(Market.code == code.upper()))
    if market is None:
        raise click.BadParameter(f"no market {code!r}", param_hint="--market")
    return market


@contextmanager
def _saving(conflict_message: str) -> Iterator[None]:
    """Commit what the block wrote; a uniqueness conflict is a one-line error, not a traceback."""
    try:
        yield
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise click.ClickException(conflict_message) from None


def _create_app():  # noqa: ANN202
    from approval import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, add_default_commands=False, add_version_option=False,
                  help="approval: the publication approval workflow.")


if __name__ == "__main__":
    sys.exit(main())
