"""The `approval` command line (CONTRACT.md). `flask --app approval ...` reaches the same commands.

A command that writes does it inside ``_writing()``: one transaction, committed when the command succeeds, rolled
back when it fails. The rules are the administration use cases' (the same as the forms'); their refusals become usage
errors naming the option at fault (exit 2), a duplicate a one-line error (exit 1).
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, ScriptInfo
from sqlalchemy import make_url, select
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from approval import administration as admin
from approval import admin_log, audit_cli, kiosk_cli, policies, post_cli
from approval.config import SettingError, public_url, serving_at
from approval.db import db, driver_says, reading
from approval.inputs import forbidden_character
from approval.media import cli as media_cli
from approval.migrate import Upgrade
from approval.models import Market, Network, User
from approval.notifications import cli as notify_cli
from approval.password_links import Purpose, invitation_hours
from approval.password_mail import invitation_mail, link_for, mail_on, send_after_commit
from approval.publishing import cli as publishing_cli
from approval.style import cli as style_cli
from approval.style.cli import lint_command
from approval.style.text import shows_anything
from approval.workflow.states import Role

db_cli = AppGroup("db", help="The database schema.")
market_cli = AppGroup("market", help="Markets: countries with their time zone and languages.")
account_cli = AppGroup("account", help="Social-media accounts.")
user_cli = AppGroup("user", help="People and their roles.")
token_cli = AppGroup("token", help="Personal API tokens.")


def register_commands(app: Flask) -> None:
    """Every command of the `approval` group; a new area adds its group or command here, one line."""
    commands: list[click.Command] = [
        db_cli, market_cli, account_cli, user_cli, token_cli,
        demo_command, run_command, lint_command,
    ]
    for command in commands:
        app.cli.add_command(command)
    publishing_cli.register(app, account_cli)  # worker, stop on|off|list, account connect|list
    app.cli.add_command(kiosk_cli.kiosk_cli)  # kiosk create|revoke|list
    app.cli.add_command(post_cli.post_cli)  # post list|show|retry|confirm: the on-call person's
    app.cli.add_command(audit_cli.audit_cli)  # audit verify
    app.cli.add_command(media_cli.media_cli)  # media sweep
    app.cli.add_command(notify_cli.notify_command)  # notify [--once] (issue 12)
    _refuse_control_characters(app.cli)


def _refuse_control_characters(group: click.Group) -> None:
    """Every command refuses a text argument holding a control character, as the pages refuse one in any field
    (``approval.inputs``): the commands stored them (a market named "FR\x1b[2J" cleared the screen of whoever
    listed it). On the commands themselves, so that ``approval`` and ``flask --app approval`` both check."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            _refuse_control_characters(command)
        elif command.callback is not None and not getattr(command.callback, "refuses_control_characters", False):
            command.callback = _checked(command, command.callback)


def _checked(command: click.Command, callback: Any) -> Any:
    texts = {param.name: param for param in command.params if isinstance(param.type, click.types.StringParamType)}

    @functools.wraps(callback)
    def checked(*args: Any, **kwargs: Any) -> Any:
        for name, param in texts.items():
            values = kwargs.get(name)
            for value in values if isinstance(values, (tuple, list)) else [values]:
                if isinstance(value, str) and forbidden_character(value):
                    raise click.BadParameter("no control characters, please.", param=param)
        return callback(*args, **kwargs)

    checked.refuses_control_characters = True  # type: ignore[attr-defined]
    return checked


def _market_policy(code: str) -> style_cli.Context | None:
    """``policies.load_market_context``, a database in trouble told in one line (the style gate knows no database).
    ``approval lint`` runs without the application (``ApprovalGroup``): it is made here, for ``--market`` alone, and a
    setting it cannot use (``SettingError``) is raised to the command, which cannot check the market (status 2)."""
    if not current_app:
        context = click.get_current_context()
        info = context.find_object(ScriptInfo) or ScriptInfo(create_app=_create_app)
        with info.load_app().app_context():
            return _market_policy(code)
    try:
        return policies.load_market_context(code)
    except DBAPIError as error:
        raise RuntimeError(database_trouble(error)) from None


def upgrade_database() -> Upgrade:
    """The database brought to the head (``approval db upgrade``, and what `run` and `demo` do first). One it cannot
    reach is told in one line, without the group's advice to run `approval db upgrade`: this is it running."""
    from approval.migrate import upgrade

    url = current_app.config["DATABASE_URL"]
    try:
        return upgrade(url)
    except OperationalError as error:
        raise click.ClickException(database_trouble(error, upgrading=make_url(url).get_backend_name())) from None


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the newest migration (creating it when missing), and say which."""
    before, after = upgrade_database()
    if before is None:
        click.echo(f"Database created at revision {after}.")
    elif before == after:
        click.echo(f"Already up to date ({after}).")
    else:
        click.echo(f"Upgraded from {before} to {after}.")


_host_option = click.option("--host", default="127.0.0.1", show_default=True, help="The address to serve on.")
_port_option = click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535),
                            help="The port to serve on.")


def server_url(host: str, port: int) -> str:
    """The address a browser opens: an unspecified address (all interfaces) is reached through localhost."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104 - compared, not bound
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


@click.command("run")
@_host_option
@_port_option
@click.option("--debug/--no-debug", default=False)
@click.option("--worker/--no-worker", default=True, show_default=True,
              help="Also run a publishing worker, which puts this database's due posts online. --no-worker serves "
                   "alone (a database others share: its posts go out from their workers, not from here).")
def run_command(host: str, port: int, debug: bool, worker: bool) -> None:
    """Serve the application (development server), with a publishing worker beside it unless --no-worker;
    creates or upgrades the database first. In production, run `approval worker` processes of their own."""
    from werkzeug.serving import run_simple

    from approval.publishing.worker import Worker
    from approval.style.language import preload_in_background

    upgrade_database()
    preload_in_background()  # the first live checks need the language models: they load while the server starts
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    serving_at(app, server_url(host, port))
    publisher = Worker(app) if worker else None
    if publisher is None:
        # A worker of its own does not know where this server answers: its media links went to port 5000.
        click.echo(f"Serving on {server_url(host, port)} without a publishing worker (due posts wait for an "
                   f"`approval worker`: start it with APPROVAL_PUBLIC_URL={app.config['PUBLIC_URL']}, where its "
                   "links to their media lead)")
    else:
        # Publishing beside the development server, so a post scheduled in the demo goes out at its time. In
        # production, run `approval worker` processes of their own (README, "Deployment").
        threading.Thread(target=publisher.run, name="publishing-worker", daemon=True).start()
        click.echo(f"Serving on {server_url(host, port)} with a publishing worker: due posts of this database go out "
                   "from here (--no-worker: serve alone)")
    if _no_user_yet():
        click.echo(FIRST_ADMIN_HINT)
    run_simple(host, port, app, use_debugger=debug, threaded=True)
    if publisher is not None:
        publisher.stop()


#: What `approval run` says on a database without users: nobody could log in, and the login page cannot create one.
FIRST_ADMIN_HINT = ("No user yet: create the first admin with `approval user create EMAIL --name NAME --role admin` "
                    "(it asks for the password), then log in.")


def _no_user_yet() -> bool:
    """Whether the users table is empty: one read, on a connection that takes no lock and is given back at once
    (the command's own session would hold SQLite's write lock while the server runs)."""
    with reading(db.engine).connect() as connection:
        return connection.scalar(select(User.id).limit(1)) is None


@click.command("demo")
@_host_option
@_port_option
def demo_command(host: str, port: int) -> None:
    """Load a realistic demo data set into an empty database and print how to log in (at the address `approval
    run` gets with the same --host and --port)."""
    from approval.demo import load_demo

    upgrade_database()
    with _writing() as session:
        if session.scalar(select(User.id).limit(1)) is not None:
            raise click.ClickException("The database is not empty: the demo loads into an empty database only.")
        logins = load_demo(session)
    click.echo(f"Demo loaded. Log in at {server_url(host, port)} with:")
    for email, role, password in logins:
        click.echo(f"  {role:<18} {email:<28} {password}")


@market_cli.command("create")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--tz", "timezone", required=True, help="IANA time zone, e.g. Europe/Paris.")
@click.option("--lang", "languages", multiple=True, required=True, help="A language code; repeat for several.")
def market_create(code: str, name: str, timezone: str, languages: tuple[str, ...]) -> None:
    """Add a market (ISO 3166-1 alpha-2 CODE)."""
    with _writing() as session:
        market = admin.create_market(session, code, name, timezone, list(languages))
    click.echo(f"Market {market.code} created.")


@account_cli.command("create")
@click.option("--market", "market_code", required=True)
@click.option("--network", type=click.Choice([n.value for n in Network]), required=True)
@click.option("--handle", required=True)
@click.option("--brand", default="")
@click.option("--executive", "executive_name", default=None, help="Makes it an executive's account.")
def account_create(market_code: str, network: str, handle: str, brand: str, executive_name: str | None) -> None:
    """Add an account; prints its id alone on the last line."""
    with _writing() as session:
        market = _market(market_code)
        executive = admin.get_or_create_executive(session, executive_name) if executive_name else None
        account = admin.create_account(session, market, network, handle, brand, executive)
    click.echo(account.id)


@user_cli.command("create", help="Add a user. They choose their own password when they first log in, or from the "
                  "link of their invitation (--invite).")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--market", "market_codes", multiple=True)
@click.option("--all-markets", is_flag=True)
@click.option("--executive", "executive_names", multiple=True)
@click.option("--password", default=None, help="Asked for when not given: at a terminal, twice, unseen; from a "
              "pipe, the first line of standard input (a second line, if any, must repeat it).")
@click.option("--invite", is_flag=True, help="Mail them an invitation to choose their password instead (with e-mail "
              "off, print its link alone on the last line, to pass on).")
def user_create(email: str, name: str, role: str, market_codes: tuple[str, ...], all_markets: bool,
                executive_names: tuple[str, ...], password: str | None, invite: bool) -> None:
    if all_markets and market_codes:
        raise click.UsageError("give --market or --all-markets, not both.")
    if invite and password is not None:
        raise click.UsageError("give --invite or --password, not both.")
    if not invite and password is None:  # invited: none until they choose theirs from the link
        password = _password()
    outcome: dict[str, str] = {}
    with _writing() as session:
        executives = []
        for executive_name in executive_names:
            executive = admin.find_executive(session, executive_name)  # as the pages match names
            if executive is None:
                raise click.BadParameter(f"no executive named {executive_name!r}", param_hint="--executive")
            executives.append(executive)
        markets = [_market(code) for code in market_codes]
        # The operator typed it: the user chooses their own at their first login (README, "Start without the demo").
        user = admin.create_user(session, email, name, role, password, markets=markets,
                                 all_markets=all_markets, executives=executives, must_change_password=not invite)
        if invite:
            link = _invitation(session, user, outcome)
    click.echo(f"User {user.email} created ({user.role.value}).")
    if not invite:
        return
    hours = invitation_hours()
    if "failed" in outcome:
        click.echo(f"The invitation could not be sent ({outcome['failed']}). Pass this link on to them instead; it "
                   f"works once, for {hours} hours:", err=True)
        click.echo(link)
        sys.exit(1)
    if "sent" in outcome:
        click.echo(f"Invitation sent to {user.email}: its link works once, for {hours} hours.")
        return
    click.echo(f"E-mail is off (APPROVAL_SMTP_URL is not set): pass this link on to them. It works once, for {hours} "
               "hours, and leads to APPROVAL_PUBLIC_URL:")
    click.echo(link)


def _invitation(session: Session, user: User, outcome: dict[str, str]) -> str:
    """Invite ``user``, just created: the change log says so; the mail, when e-mail is on, goes once the command's
    transaction commits, and ``outcome`` then says ``sent``, or ``failed`` with why. Returns the link."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    mailed = mail_on(app)
    admin_log.note(session, user, "invited", {"delivery": [None, "mail" if mailed else "link"]})
    with app.test_request_context("/", base_url=public_url(app)):  # the mail's words and links, as a page's
        link = link_for(user, Purpose.invitation, mailed=True)
        if mailed:
            send_after_commit(session, invitation_mail(user, link, None),
                              sent=lambda: outcome.update(sent=""),
                              failed=lambda error: outcome.update(failed=f"{type(error).__name__}: {error}"))
    return link


def _password() -> str:
    """The password typed at a terminal (unseen, twice), or the line a script pipes: read as it is, without
    getpass's warnings that the input may be echoed (nothing is shown from a pipe)."""
    stdin = sys.stdin
    if stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    first = stdin.readline()
    if not first:
        raise click.UsageError("--password: not given, and standard input holds no line to read it from.")
    password = first.rstrip("\r\n")
    again = stdin.readline()
    if again and again.rstrip("\r\n") != password:
        raise click.UsageError("--password: the two lines of standard input differ (the second repeats the first).")
    return password


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
    if not shows_anything(label) or len(label.strip()) > 100:
        raise click.BadParameter("between 1 and 100 characters", param_hint="--name")
    with _writing() as session:
        _token, secret = issue_token(session, user, label)
    click.echo(secret)


@token_cli.command("list")
@click.option("--email", default=None, help="Only this user's tokens.")
def token_list(email: str | None) -> None:
    """The API tokens, one a line: id, user, label, created, last used, live or revoked (never the secret)."""
    from approval.api.tokens import list_tokens

    user = None
    if email is not None:
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise click.BadParameter(f"no user {email!r}", param_hint="--email")
    tokens = list_tokens(db.session, user)
    if not tokens and user is not None:
        click.echo(f"No API token for {user.email}.")
    for token in tokens:
        used = f"last used {token.last_used_at:%Y-%m-%d %H:%M}Z" if token.last_used_at else "never used"
        state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}Z" if token.revoked_at else "live"
        label = " ".join(token.name.split())  # one line, its columns in place, whatever the page let it hold
        click.echo(f"{token.id}\t{token.user.email}\t{label}\t{token.created_at:%Y-%m-%d %H:%M}Z\t{used}\t{state}")


@token_cli.command("revoke")
@click.argument("token_id", metavar="ID", type=click.IntRange(1, 2**31 - 1))
def token_revoke(token_id: int) -> None:
    """Revoke the API token ID (``approval token list`` shows the ids): it stops working at once. Revoking one
    already revoked changes nothing, and says so."""
    from approval.api.tokens import revoke_any_token
    from approval.operations import NotFound

    try:
        with _writing() as session:
            token, revoked_now = revoke_any_token(session, token_id)
            named = f"API token {token.id} ({' '.join(token.name.split())}, {token.user.email})"
            revoked_at = token.revoked_at
    except NotFound:
        raise click.ClickException(f"No API token {token_id}.") from None
    if revoked_now:
        click.echo(f"{named} revoked.")
    else:
        click.echo(f"{named} was already revoked on {revoked_at:%Y-%m-%d %H:%M}Z: nothing changed.")


def _market(code: str) -> Market:
    market = db.session.scalar(select(Market).where(Market.code == code.upper()))
    if market is None:
        raise click.BadParameter(f"no market {code!r}", param_hint="--market")
    return market


#: The option (or argument) of the commands that gives each field the administration rules may refuse.
OPTION_OF_FIELD = {
    "code": "CODE", "name": "--name", "timezone": "--tz", "languages": "--lang", "network": "--network",
    "handle": "--handle", "brand": "--brand", "email": "EMAIL", "role": "--role", "market_ids": "--market",
    "executive_ids": "--executive", "password": "--password", "title": "--title",
}


@contextmanager
def _writing() -> Iterator[Session]:
    """The command's one transaction (``db.transaction``): committed when the block ends, rolled back when it
    raises. A refusal of the administration rules is a usage error naming the option (exit 2); a duplicate, a
    one-line error (exit 1); never a traceback."""
    try:
        with db.transaction() as session:
            yield session
    except admin.Refused as refused:
        lines = [
            (f"{OPTION_OF_FIELD[field]}: " if field in OPTION_OF_FIELD else "") + message
            for field, messages in refused.errors.items() for message in messages
        ]
        # Each message is a sentence with its own full stop: one after another, as a paragraph reads them.
        said = " ".join(line if line.endswith((".", "?", "!")) else line + "." for line in lines)
        if refused.conflict:
            raise click.ClickException(said) from None
        raise click.UsageError(said) from None


def _create_app():  # noqa: ANN202
    from approval import create_app

    return create_app()


#: PostgreSQL's codes for a table or a column that is not there: a database older than the code.
MISSING_SCHEMA = frozenset({"42P01", "42703"})
#: PostgreSQL's code for a privilege the role has not been granted.
INSUFFICIENT_PRIVILEGE = "42501"


#: What the upgrade itself checks for, by backend, when it cannot reach the database: it cannot advise running it.
UPGRADE_CHECKS = {
    "sqlite": "its folder exists and this user may write there",
    "postgresql": "the role exists, may log in (with its password in the URL when the server asks for one) and has "
                  "CREATEDB while the database is still to be created (README, Deployment)",
}


def database_trouble(error: DBAPIError, *, upgrading: str | None = None) -> str:
    """One line for a database that cannot be reached or has not the tables this version needs; ``upgrading``:
    said by the upgrade itself, on a database of that backend."""
    said = (f"the database cannot be used: {driver_says(error)}. Check that it is running and that "
            "APPROVAL_DATABASE_URL points at it")
    if upgrading is not None:
        check = UPGRADE_CHECKS.get(upgrading)
        return said + (f": {check}." if check else ".")
    return said + "; if its tables are missing or older than this version, run `approval db upgrade`."


class ApprovalGroup(FlaskGroup):
    """Flask's command group, with a database that is down, unreachable or not migrated told in one line (exit 1)
    instead of a traceback.

    ``approval lint`` is a command of the group itself, not of the application: found without making it, it runs
    without an instance folder, a secret key or a database (house and network rules), and makes none of them; a CI
    gate reads its status 1 as "the text has an error" and nothing else. ``--market`` makes the application then
    (``_market_policy``). ``flask --app approval lint`` reaches the application's copy, as every other command."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SettingError as error:  # a setting of the environment the command cannot use
            raise click.ClickException(str(error)) from None
        except OperationalError as error:  # down, unreachable, refused; on SQLite also a missing table or column
            raise click.ClickException(database_trouble(error)) from None
        except ProgrammingError as error:
            code = getattr(error.orig, "sqlstate", None)
            if code == INSUFFICIENT_PRIVILEGE:
                raise click.ClickException(
                    f"the database refused: {driver_says(error)}. The database user of APPROVAL_DATABASE_URL lacks a "
                    "privilege this command needs (`approval db upgrade` needs the schema's owner; creating a "
                    "missing database needs CREATEDB).") from None
            if code not in MISSING_SCHEMA:
                raise  # a real fault of the command: its traceback is the report
            raise click.ClickException(database_trouble(error)) from None


main = ApprovalGroup(create_app=_create_app, add_default_commands=False, add_version_option=False,
                     help="approval: the publication approval workflow.")
main.add_command(lint_command)
_refuse_control_characters(main)
# `approval lint --market CODE` reads that market's policy from the application's database.
style_cli.market_policy_loader = _market_policy


if __name__ == "__main__":
    sys.exit(main())
