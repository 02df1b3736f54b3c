"""One pass of everything notifications do after the commits: reminders, mail, chat. ``approval notify`` loops on
it; the publishing worker calls ``deliver`` on each of its passes."""

from __future__ import annotations

import logging
import threading
import time as clock_time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask

from approval.db import utcnow
from approval.loop import one_pass
from approval.notifications.chat import ChatReport, ChatSender
from approval.notifications.mailer import Mailer, MailReport
from approval.notifications.reminders import ReminderReport, Reminders

log = logging.getLogger(__name__)
#: The worker runs the reminders at most this often (seconds); mail and chat on every pass.
REMINDERS_EVERY_S = 60.0
#: The worker's mail pass takes at most this long (seconds), and its chat pass starts no call after this long (a
#: call started runs to its answer or its timeout): a stalled mail or chat server must not hold up publishing.
MAIL_BUDGET_S = 5.0
CHAT_BUDGET_S = 5.0


@dataclass
class NotifyReport:
    reminders: ReminderReport = field(default_factory=ReminderReport)
    mail: MailReport = field(default_factory=MailReport)
    chat: ChatReport = field(default_factory=ChatReport)

    @property
    def handled(self) -> int:
        return (self.mail.sent + self.mail.digests + self.mail.failed + self.chat.sent + self.chat.failed
                + self.reminders.reminded + self.reminders.escalated)


class Notifier:
    def __init__(self, app: Flask, *, clock: Callable[[], datetime] = utcnow, poll_interval: float = 5.0) -> None:
        self.app = app
        self.reminders = Reminders(app, clock=clock)
        self.mailer = Mailer(app, clock=clock)
        self.chat = ChatSender(app, clock=clock)
        self.poll_interval = poll_interval
        #: How long the loop waits after a pass the database failed (or any other fault) before the next.
        self.outage_wait_s = 5.0
        self.stopping = threading.Event()
        self.last_reminders = float("-inf")

    def run_once(self, *, reminders: bool = True, mail_budget: float | None = None,
                 chat_budget: float | None = None) -> NotifyReport:
        report = NotifyReport()
        if reminders:
            report.reminders = self.reminders.run_once()
            self.last_reminders = clock_time.monotonic()
        report.mail = self.mailer.run_once(budget=mail_budget)
        report.chat = self.chat.run_once(budget=chat_budget)
        return report

    def run(self, *, once: bool = False) -> NotifyReport:
        total = NotifyReport()
        with self.app.app_context():
            while not self.stopping.is_set():
                # What a failed pass had claimed and not sent is free again once its lease ends.
                report = one_pass(self.run_once, self.stopping, once=once, wait_s=self.outage_wait_s, log=log,
                                  outage="notifications: the database cannot be used (%s); trying again in %g s",
                                  fault="notifications: the pass failed; trying again in %g s")
                if report is None:
                    continue
                for part in ("reminders", "mail", "chat"):
                    mine, theirs = getattr(total, part), getattr(report, part)
                    for name in vars(mine):
                        setattr(mine, name, getattr(mine, name) + getattr(theirs, name))
                if once:
                    break
                if report.handled == 0:
                    self.stopping.wait(self.poll_interval)
        return total

    def stop(self, *_args: object) -> None:
        self.stopping.set()


def deliver(app: Flask, clock: Callable[[], datetime] = utcnow) -> None:
    """The publishing worker's share: mail and chat on each pass, the reminders once a minute. A failure here is
    logged, never allowed to stop publishing; the mail and the chat keep to ``MAIL_BUDGET_S`` and ``CHAT_BUDGET_S``."""
    notifier: Notifier | None = app.extensions.get("approval.notifier")
    if notifier is None:
        notifier = app.extensions["approval.notifier"] = Notifier(app, clock=clock)
    notifier.reminders.clock = notifier.mailer.clock = notifier.chat.clock = clock
    try:
        notifier.run_once(reminders=clock_time.monotonic() - notifier.last_reminders >= REMINDERS_EVERY_S,
                          mail_budget=MAIL_BUDGET_S, chat_budget=CHAT_BUDGET_S)
    except Exception:  # noqa: BLE001 - notifications must never stop the publishing worker
        log.exception("notifications: the pass failed; the next one retries")
