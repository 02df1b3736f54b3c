"""The mails that carry a link to choose a password (``approval.password_links``): an admin's invitation, and the
answer to "Forgot your password?". In the reader's language, plain text and HTML, in the notifications' look.

They go out through ``APPROVAL_SMTP_URL`` as the notifications do, but not through their outbox: a link is a secret
the database must not keep. An invitation is sent once the request (or the command) that created or renewed it has
committed (``send_after_commit``), so no mail names an account that was rolled back, and the admin is told at once
whether the server took it. A reset link is sent beside the request (``send_in_background``): the answer does not
wait for the mail server, and the request reads and writes as much whether the address has an account or not.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

from flask import Flask, current_app, has_request_context, render_template, url_for
from flask_babel import force_locale, ngettext, pgettext
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, joinedload

from approval.config import configured_public_url, public_url
from approval.labels import label
from approval.models import Account, Executive, User
from approval.notifications.mailer import SmtpConnection, SmtpSettings, mail_locale
from approval.password_links import RESET_MINUTES, Purpose, invitation_hours, make_token
from approval.workflow.states import Role

log = logging.getLogger(__name__)

#: The page each purpose's link opens.
ENDPOINTS = {Purpose.invitation: "auth.accept_invitation", Purpose.reset: "auth.reset_password"}


def mail_on(app: Flask | None = None) -> bool:
    """Whether the application sends e-mail (``APPROVAL_SMTP_URL`` is set)."""
    return bool((app or current_app).config.get("SMTP_URL"))


def link_for(user: User, purpose: Purpose, *, mailed: bool) -> str:
    """The address of ``user``'s new link for ``purpose``. A mailed one leads to ``APPROVAL_PUBLIC_URL`` (never to
    the host a request named: "Forgot your password?" asked with another Host header would mail a link to that
    host, with the token); one shown to an admin, to the address their browser opened, unless the setting says."""
    token = make_token(user, purpose)
    if has_request_context() and not mailed and configured_public_url(current_app) is None:
        return url_for(ENDPOINTS[purpose], token=token, _external=True)
    with current_app.test_request_context("/", base_url=public_url(current_app)):
        return url_for(ENDPOINTS[purpose], token=token, _external=True)


# Writing -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """A mail's words, for its plain text and its HTML part alike."""

    subject: str
    greeting: str
    paragraphs: Sequence[str]
    #: (what, value) lines: the role, the markets.
    facts: Sequence[tuple[str, str]]
    link: str
    button: str
    after: Sequence[str]
    footer: str


def invitation_mail(user: User, link: str, invited_by: User | None) -> Message:
    """``user``'s invitation: who invited them, their role and markets, and the link to choose their password."""
    with force_locale(_language(user)):
        hours = invitation_hours()
        if invited_by is not None:
            subject = _("%(name)s invites you to approval", name=invited_by.name)
            opening = _("%(name)s (%(email)s) invites you to approval, where your team writes, reviews and schedules "
                        "its social-media posts.", name=invited_by.name, email=invited_by.email)
        else:
            subject = _("You are invited to approval")
            opening = _("You are invited to approval, where your team writes, reviews and schedules its "
                        "social-media posts.")
        written = Written(
            subject=subject, greeting=_("Hello %(name)s,", name=user.name), paragraphs=[opening],
            facts=[(_("Your role"), label(user.role)), *_scope(user), (_("You log in with"), user.email)],
            link=link, button=_("Choose my password"),
            after=[ngettext("The link works once, for %(num)d hour. Past that, ask an admin to send the invitation "
                            "again.",
                            "The link works once, for %(num)d hours. Past that, ask an admin to send the "
                            "invitation again.", hours)],
            footer=_("You receive this because an admin made an account for this address. Not expecting it? Ignore "
                     "this mail: nobody can log in to the account without choosing its password from this link."))
        return _message(user, written)


def reset_mail(user: User, link: str) -> Message:
    """The answer to "Forgot your password?": the link to choose a new one."""
    with force_locale(_language(user)):
        written = Written(
            subject=_("Choose a new password for approval"), greeting=_("Hello %(name)s,", name=user.name),
            paragraphs=[_("Someone asked to choose a new password for the approval account of %(email)s: you, we "
                          "hope.", email=user.email)],
            facts=[], link=link, button=_("Choose a new password"),
            after=[ngettext("The link works once, for %(num)d minute.", "The link works once, for %(num)d minutes.",
                            RESET_MINUTES),
                   _("Once you have chosen it, your sessions on other devices end.")],
            footer=_("Did not ask? Ignore this mail: your password stays as it is."))
        return _message(user, written)


def _language(user: User) -> str:
    return mail_locale(user, current_app.config["LANGUAGES"])


#: What a mail's language reads besides its user (``mail_locale``: their markets, else their executives' accounts'
#: markets), as options of the statement that loads the user: "Forgot your password?" reads as much, in one statement,
#: for an address without an account as for one with.
LANGUAGE_READS = (joinedload(User.markets),
                  joinedload(User.executives).joinedload(Executive.accounts).joinedload(Account.market))


def _scope(user: User) -> list[tuple[str, str]]:
    """Where the user works, as their role has it: their markets, or the executives they serve."""
    if user.role == Role.cabinet:
        served = ", ".join(executive.name for executive in user.executives)
        return [(_("You serve"), served)] if served else []
    if user.group_wide:
        return [(_("Your markets"), _("all markets"))]
    return [(_("Your markets"), ", ".join(f"{market.code} · {market.name}" for market in user.markets))]


def _message(user: User, written: Written) -> Message:
    lines = [written.greeting, "", *written.paragraphs, ""]
    if written.facts:
        lines += [f"{what}{_between()}{value}" for what, value in written.facts] + [""]
    lines += [f"{written.button}{_between()}", written.link, "", *written.after, "", "-- ", written.footer]
    html = render_template("mail/password_link.html", written=written, between=_between())
    settings = _settings()
    message = MIMEMultipart("alternative")
    message.attach(MIMEText("\n".join(lines), "plain", "utf-8"))
    message.attach(MIMEText(html, "html", "utf-8"))
    # typeshed types MIMEBase's header values as str; the email package documents Header values too.
    message["Subject"] = Header(written.subject, "utf-8")  # type: ignore[assignment]
    message["From"] = formataddr((settings.sender_name or "approval", settings.sender), charset="utf-8")
    message["To"] = _recipient(user)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = _language(user)
    return message


def _recipient(user: User) -> str:
    """"Name <address>", the name encoded as headers are; an address beyond ASCII (which only a server that speaks
    SMTPUTF8 takes) is written as it is, and the server says whether it takes it."""
    try:
        return formataddr((user.name, user.email), charset="utf-8")
    except UnicodeEncodeError:
        return user.email


def _between() -> str:
    """": " in English, " : " in French."""
    return pgettext("between a name and what follows", ": ")


def _settings(app: Flask | None = None) -> SmtpSettings:
    url = (app or current_app).config.get("SMTP_URL")
    # Without a server the mail is written all the same (the reset form's answer costs as much either way).
    return SmtpSettings.from_url(url) if url else SmtpSettings(host="localhost", port=25)


# Sending -------------------------------------------------------------------------------------------------------


def send(message: Message, app: Flask | None = None) -> None:
    """Send ``message`` now, on a connection of its own; raises what the server or the network raised."""
    connection = SmtpConnection(_settings(app))
    try:
        connection.send(message)
    finally:
        connection.close()


#: ``Session.info`` key of the mails to send once the session's transaction commits.
_AFTER_COMMIT = "approval.mail_after_commit"


def send_after_commit(session: Session, message: Message, *, sent: Callable[[], Any],
                      failed: Callable[[Exception], Any]) -> None:
    """Send ``message`` once ``session``'s transaction commits, then call ``sent``, or ``failed`` with what went
    wrong; nothing is sent when it rolls back. The callbacks run in the committing code (a request's flashes are
    still saved: Flask saves the session after its ``after_request`` hooks, the commit's included)."""
    session.info.setdefault(_AFTER_COMMIT, []).append((message, sent, failed))


@event.listens_for(Session, "after_commit")
def _send_committed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint: the transaction goes on
        return
    for message, sent, failed in session.info.pop(_AFTER_COMMIT, []):
        try:
            send(message)
        except Exception as error:  # noqa: BLE001 - the commit is done: any failure is the mail's, told
            log.warning("mail to %s not sent: %s: %s", message["To"], type(error).__name__, error)
            failed(error)
        else:
            sent()


@event.listens_for(Session, "after_transaction_end")
def _forget_rolled_back(session: Session, transaction: SessionTransaction) -> None:
    """The outermost transaction ended without its commit sending the mails (a rollback): they are not sent."""
    if transaction.parent is None:
        session.info.pop(_AFTER_COMMIT, None)


_POOLS_LOCK = threading.Lock()
_POOL = "approval.password_mail"


def send_in_background(message: Message | None) -> None:
    """Send ``message`` from a thread of the application's own; None: nothing, in the same way (the reset form sends
    nothing for an address without an account, and its answer must not tell). A failure is logged."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    _pool(app).submit(_send_quietly, message, _settings(app) if mail_on(app) else None)


def _send_quietly(message: Message | None, settings: SmtpSettings | None) -> None:
    if message is None or settings is None:
        return
    connection = SmtpConnection(settings)
    try:
        connection.send(message)
    except Exception as error:  # noqa: BLE001 - nobody waits for this thread: its failure is logged
        log.warning("mail to %s not sent: %s: %s", message["To"], type(error).__name__, error)
    finally:
        connection.close()


def wait_for_mail(app: Flask, timeout: float = 60) -> None:
    """Return once the mails handed to the background thread so far are sent (or failed): a test reads what the
    server received, a command ends after its mails."""
    _pool(app).submit(lambda: None).result(timeout)


def _pool(app: Flask) -> ThreadPoolExecutor:
    with _POOLS_LOCK:
        pool = app.extensions.get(_POOL)
        if pool is None:
            # One thread: mails in the order asked, and a slow server holds one thread, not one per request.
            pool = app.extensions[_POOL] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="approval-mail")
        return pool
