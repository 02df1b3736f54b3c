"""`approval notify [--once]`: sends due notifications (mail, chat) and digests, and gives the review reminders;
`approval notify requeue`: puts given-up mails back in the queue.

``notify`` is a group that runs the loop when no subcommand follows, so ``approval notify --once`` is what it was;
``approval/cli.py`` registers it as before (``app.cli.add_command(notify_cli.notify_command)``)."""

from __future__ import annotations

import getpass
import math
import signal
import socket
from datetime import UTC, datetime
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from approval.config import LOCAL_URL, public_url
from approval.db import db, utcnow
from approval.inputs import MAX_ID
from approval.logs import log_level_option


class Seconds(click.FloatRange):
    """Seconds within a range; "nan" is refused (it compares false with both ends, so the range let it through, and
    the notifier then waited no time at all between passes)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value!r} is not a number of seconds.", param, ctx)
        return number


class Instant(click.ParamType):
    """A date or a time in ISO 8601 (``2026-12-05``, ``2026-12-05T14:30``, with an offset or ``Z``); without an
    offset, in UTC."""

    name = "instant"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        try:
            instant = datetime.fromisoformat(str(value).strip())
            # In UTC, a time at either end of the calendar falls off it (0001-01-01T00:00+14:00): an OverflowError.
            return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
        except (ValueError, OverflowError):
            self.fail(f"{value!r} is no date or time: write it as 2026-12-05 or 2026-12-05T14:30 (UTC unless an "
                      "offset follows, as in 2026-12-05T14:30+01:00), between the years 1 and 9999 in UTC.",
                      param, ctx)


@click.group("notify", cls=AppGroup, invoke_without_command=True)
@click.option("--once", is_flag=True, help="One pass, then exit.")
@click.option("--interval", default=5.0, show_default=True, type=Seconds(0.1, 3600),
              help="Seconds between passes when there was nothing to do.")
@log_level_option
@click.pass_context
def notify_command(ctx: click.Context, once: bool, interval: float) -> None:
    """Send due notifications and digests; SIGTERM finishes the mail in hand and exits. `approval notify requeue`
    puts given-up mails back in the queue."""
    if ctx.invoked_subcommand is not None:
        return
    from approval.notifications.service import Notifier
    from approval.startup import start

    # Its connections' name, a schema older than the code waited for (refused in one line by a single pass), what it
    # runs on (README, Upgrading).
    start(current_app._get_current_object(), "approval-notify", wait_for_upgrade=not once)  # type: ignore[attr-defined]
    # Flask types current_app as the app; it is a proxy, whose _get_current_object() is the app itself.
    notifier = Notifier(current_app._get_current_object(), poll_interval=interval)  # type: ignore[attr-defined]
    signal.signal(signal.SIGTERM, notifier.stop)
    signal.signal(signal.SIGINT, notifier.stop)
    if not notifier.mailer.enabled:
        click.echo("APPROVAL_SMTP_URL is not set: no e-mail is sent (the app and chat notifications still are).",
                   err=True)
    if public_url(current_app) == LOCAL_URL:
        click.echo(f"APPROVAL_PUBLIC_URL is not set: the links in mails and chat messages lead to {LOCAL_URL}, "
                   "which only a browser on this machine can open, and only while a server runs there.", err=True)
    report = notifier.run(once=once)
    click.echo(f"mails {report.mail.sent}, digests {report.mail.digests}, mail failures {report.mail.failed}, "
               f"chat {report.chat.sent}, chat failures {report.chat.failed}, reminders {report.reminders.reminded}, "
               f"escalations {report.reminders.escalated}", err=True)


@notify_command.command("requeue")
@click.option("--since", type=Instant(), help="The given-up mails of notifications written since this date or time "
                                              "(UTC unless an offset is given).")
@click.option("--id", "ids", type=click.IntRange(1, MAX_ID), multiple=True,
              help="A notification's id (the log's \"mail to user ... given up\" lines, the database); repeatable.")
@click.option("--all", "everything", is_flag=True, help="Every given-up mail, however old.")
def requeue_command(since: datetime | None, ids: tuple[int, ...], everything: bool) -> None:
    """Put given-up mails back in the queue: the next pass of `approval notify` (or of the worker) sends them, except
    for the requests settled since (a review asked for and given). Prints how many on the last line; running it again
    puts back nothing more."""
    from approval.notifications.mailer import requeue_given_up

    if not (since or ids or everything):
        raise click.UsageError("Say which given-up mails: --since, --id or --all (every one, months old some of "
                               "them).")
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container's)
        who = "?"
    found = requeue_given_up(db.session, now=utcnow(), by=f"approval notify requeue ({who}@{socket.gethostname()})",
                             since=since, ids=ids)
    db.session.commit()
    for missing in sorted(set(ids) - set(found)):
        click.echo(f"Notification {missing} is not a given-up mail (sent, still being tried, not mailed, or no "
                   "such notification): left as it is.")
    click.echo("No given-up mail to put back." if not found else "1 given-up mail is back in the queue." if
               len(found) == 1 else f"{len(found)} given-up mails are back in the queue.")
    if found and not current_app.config.get("SMTP_URL"):
        click.echo("APPROVAL_SMTP_URL is not set: nothing sends them until it is.", err=True)
    click.echo(str(len(found)))
