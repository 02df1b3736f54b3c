"""`approval notify [--once]`: sends due notifications (mail, chat) and digests, and gives the review reminders."""

from __future__ import annotations

import math
import signal
from typing import Any

import click
from flask import current_app

from approval.config import LOCAL_URL, public_url
from approval.logs import log_level_option


class Seconds(click.FloatRange):
    """Seconds within a range; "nan" is refused (it compares false with both ends, so the range let it through, and
    the notifier then waited no time at all between passes)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value!r} is not a number of seconds.", param, ctx)
        return number


@click.command("notify")
@click.option("--once", is_flag=True, help="One pass, then exit.")
@click.option("--interval", default=5.0, show_default=True, type=Seconds(0.1, 3600),
              help="Seconds between passes when there was nothing to do.")
@log_level_option
def notify_command(once: bool, interval: float) -> None:
    """Send due notifications and digests; SIGTERM finishes the mail in hand and exits."""
    from approval.notifications.service import Notifier
    from approval.startup import start

    # Its connections' name, a schema older than the code refused in one line, what it runs on (README, Upgrading).
    start(current_app._get_current_object(), "approval-notify")  # type: ignore[attr-defined]
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
