"""`approval notify [--once]`: sends due notifications (mail, chat) and digests, and gives the review reminders."""

from __future__ import annotations

import signal

import click
from flask import current_app


@click.command("notify")
@click.option("--once", is_flag=True, help="One pass, then exit.")
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(0.1, 3600),
              help="Seconds between passes when there was nothing to do.")
def notify_command(once: bool, interval: float) -> None:
    """Send due notifications and digests; SIGTERM finishes the mail in hand and exits."""
    from approval.notifications.service import Notifier

    # Flask types current_app as the app; it is a proxy, whose _get_current_object() is the app itself.
    notifier = Notifier(current_app._get_current_object(), poll_interval=interval)  # type: ignore[attr-defined]
    signal.signal(signal.SIGTERM, notifier.stop)
    signal.signal(signal.SIGINT, notifier.stop)
    if not notifier.mailer.enabled:
        click.echo("APPROVAL_SMTP_URL is not set: no e-mail is sent (the app and chat notifications still are).",
                   err=True)
    report = notifier.run(once=once)
    click.echo(f"mails {report.mail.sent}, digests {report.mail.digests}, mail failures {report.mail.failed}, "
               f"chat {report.chat.sent}, chat failures {report.chat.failed}, reminders {report.reminders.reminded}, "
               f"escalations {report.reminders.escalated}", err=True)
