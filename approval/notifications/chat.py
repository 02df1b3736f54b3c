"""The chat outbox's sender: each market's Slack-compatible incoming webhook gets ``{"text": ...}`` for posts
awaiting review and for posts that failed, missed their slot or are unconfirmed.

Rows are claimed like the mail's (``outbox``), posted after the claim's commit, and marked sent under the claim once
the webhook answered 2xx; any other answer or a network error retries with the backoff. The text is in the market's
first language when the app speaks it, else English.

The one format spoken is Slack's message text (Mattermost, Rocket.Chat and others take it too): ``<...>`` is markup
there (``<!channel>`` notifies a whole channel, ``<https://x|label>`` shows a link under any label), so what people or
servers wrote (a post's text, a handle, a comment, a reason quoting a webhook's answer) is escaped as Slack asks (``&``
``<`` ``>`` as ``&amp;`` ``&lt;`` ``&gt;``), and the broadcast words those receivers also read typed out (``@here``,
``@channel``...) are broken with an invisible word joiner. The app's own link is written as Slack's ``<url>``.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import time as clock_time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, url_for
from flask_babel import force_locale
from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session, joinedload, sessionmaker

from approval.db import utcnow
from approval.models import Account, Post
from approval.models.notifications import ChatMessage, MarketNotificationSettings
from approval.notifications import outbox, texts
from approval.config import public_url
from approval.publishing import controls, reasons
from approval.publishing.addresses import connection_to, deadline, request_target
from approval.style.network import network_name

log = logging.getLogger(__name__)
TIMEOUT_S = 5.0
#: A webhook that failed is left alone this long by the sender that saw it fail, doubling at each new failure up to
#: ``REST_MAX_S``: one stalled chat server costs a pass once, not every pass, and the other markets' chats go on.
REST_S = 30.0
REST_MAX_S = 3600.0
#: A call, from its connection to its answer's status, takes this long at most (the lease is 2 minutes).
DEADLINE_S = 15.0


#: ``@here``, ``@channel``, ``@everyone``, ``@all``: Slack notifies only for ``<!here>``, but Slack-compatible
#: receivers (Mattermost, Rocket.Chat, Discord's Slack endpoint) notify for the words typed out.
_BROADCAST = re.compile(r"@(?=(?:here|channel|everyone|all)\b)", re.IGNORECASE)


def escaped(text: str) -> str:
    """``text`` as Slack's message format shows it as written: nobody notified, no link made of it."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@\u2060", text)


def sent_unencrypted(url: str | None) -> bool:
    """Whether a market's chat webhook at ``url`` sends its messages (excerpts of unpublished and embargoed posts,
    links to them) unencrypted off this machine: plain http, saved before https was required, by the rule the
    settings refuse a new one by (``controls.unencrypted``). It is still called: an upgrade does not silently stop a
    team's notifications; the settings flag it until an https address replaces it."""
    return url is not None and url != "" and controls.unencrypted(url)


def unencrypted_markets(session: Session) -> set[int]:
    """The markets whose chat webhook is ``sent_unencrypted``: a row a market, few."""
    settings = MarketNotificationSettings
    rows = session.execute(select(settings.market_id, settings.chat_webhook_url)
                           .where(settings.chat_webhook_url.is_not(None)))
    return {market_id for market_id, url in rows if sent_unencrypted(url)}


@dataclass
class ChatReport:
    sent: int = 0
    failed: int = 0


class ChatSender:
    def __init__(self, app: Flask, *, clock: Callable[[], datetime] = utcnow, batch: int = 50,
                 lease: timedelta = timedelta(minutes=2)) -> None:
        self.app = app
        engine: Engine = app.extensions["approval.db"]["engine"]
        self.postgres = engine.dialect.name == "postgresql"
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.clock, self.batch, self.lease = clock, batch, lease
        self.base_url = public_url(app)
        #: The webhooks this sender leaves alone for now: until when (``time.monotonic``), and the next rest.
        self.resting: dict[str, tuple[float, float]] = {}

    def run_once(self, budget: float | None = None) -> ChatReport:
        """Send what is due. A webhook that fails is left alone for a while (``REST_S``, doubling): its other
        messages are put back due when the rest ends, their tries unchanged, so the other markets' come first. With
        a ``budget`` (seconds) no call starts once it is spent; a call started has its whole timeout (cut short, a
        webhook that had taken the message would be sent it again): a stalled chat server costs one call a rest."""
        report = ChatReport()
        token = outbox.new_token()
        ends = clock_time.monotonic() + budget if budget is not None else None
        claimed = self.claim(token)
        for done, message_id in enumerate(claimed):
            if ends is not None and clock_time.monotonic() >= ends:
                self.release(claimed[done:], token)
                break
            self.send(message_id, token, report)
        return report

    def _rest_left(self, url: str) -> float:
        """The seconds ``url`` still rests (0: it does not)."""
        until, _next = self.resting.get(url, (0.0, REST_S))
        return max(0.0, until - clock_time.monotonic())

    def _failed(self, url: str) -> None:
        _until, rest = self.resting.get(url, (0.0, REST_S))
        self.resting[url] = (clock_time.monotonic() + rest, min(rest * 2, REST_MAX_S))

    def release(self, ids: list[int], token: str, *, due_at: datetime | None = None) -> None:
        """Give back claimed messages untried (their tries unchanged): a next pass sends them, from ``due_at``."""
        values: dict = {"claim": None, "claimed_until": None, **({"due_at": due_at} if due_at else {})}
        with self.sessions() as session, session.begin():
            session.execute(update(ChatMessage).where(ChatMessage.id.in_(ids), ChatMessage.claim == token)
                            .values(**values).execution_options(synchronize_session=False))

    def claim(self, token: str) -> list[int]:
        now = self.clock()
        with self.sessions() as session, session.begin():
            ids = list(session.scalars(outbox.locked(
                select(ChatMessage.id).where(
                    ChatMessage.sent_at.is_(None), ChatMessage.due_at <= now,
                    ChatMessage.attempts < outbox.MAX_ATTEMPTS,
                    or_(ChatMessage.claimed_until.is_(None), ChatMessage.claimed_until < now))
                .order_by(ChatMessage.id).limit(self.batch), self.postgres, ChatMessage)))
            if ids:
                session.execute(update(ChatMessage).where(ChatMessage.id.in_(ids))
                                .values(claim=token, claimed_until=now + self.lease)
                                .execution_options(synchronize_session=False))
        return ids

    def send(self, message_id: int, token: str, report: ChatReport) -> None:
        """Post one message, unless its webhook is resting (``run_once``): it then waits, untried, for the rest's
        end."""
        with self.sessions() as session:
            message = session.scalar(
                select(ChatMessage).where(ChatMessage.id == message_id, ChatMessage.claim == token)
                .options(joinedload(ChatMessage.market),
                         joinedload(ChatMessage.post).joinedload(Post.account).joinedload(Account.market),
                         joinedload(ChatMessage.post).joinedload(Post.current_revision)))
            settings = session.get(MarketNotificationSettings, message.market_id) if message else None
            if message is None:
                return
            url = settings.chat_webhook_url if settings else None
            text = self.text(message) if url else ""
            attempts = message.attempts
        if url and (rest := self._rest_left(url)):
            self.release([message_id], token, due_at=self.clock() + timedelta(seconds=rest))
            return
        error = None
        if url:
            try:
                self.post(url, {"text": text})
            except (OSError, http.client.HTTPException, ValueError) as failure:
                error = f"{type(failure).__name__}: {failure}"[:2000]
                self._failed(url)
            else:
                self.resting.pop(url, None)
        now = self.clock()
        values: dict = {"claim": None, "claimed_until": None}
        if error is None:
            values.update(sent_at=now, error=None if url else "the market has no chat webhook any more")
            report.sent += 1
        else:
            log.warning("chat message %s to market %s failed: %s", message_id, message.market_id, error)
            values.update(attempts=attempts + 1, due_at=outbox.backoff(attempts + 1, now), error=error)
            report.failed += 1
        with self.sessions() as session, session.begin():
            session.execute(update(ChatMessage).where(ChatMessage.id == message_id, ChatMessage.claim == token)
                            .values(**values).execution_options(synchronize_session=False))

    @staticmethod
    def post(url: str, body: dict) -> None:
        """POST ``body`` as JSON; anything but a 2xx raises (``OSError``, ``http.client.HTTPException``). Never to
        this server's own network: the name is resolved once, checked, and the connection made to the address
        checked (``addresses.connection_to``); a redirect is an answer like another, never followed."""
        # The whole call within DEADLINE_S, far inside the claim's lease: another sender never takes the message
        # over while a slow webhook is still answering it (it would be said twice). The name's lookup counts too: a
        # name server that does not answer is waited for no longer than a step of the call, nor than the call.
        started = clock_time.monotonic()
        connection = connection_to(url, timeout=TIMEOUT_S, resolve_within=min(TIMEOUT_S, DEADLINE_S))
        try:
            left = DEADLINE_S - (clock_time.monotonic() - started)
            if left <= 0:
                raise TimeoutError(f"no time left for the call after its lookup ({DEADLINE_S:g} s in all)")
            with deadline(connection, left):
                connection.request("POST", request_target(url), body=json.dumps(body).encode(),
                                   headers={"Content-Type": "application/json",
                                            "User-Agent": "approval-notifications"})
                answer = connection.getresponse()  # its status is all that counts: the body is not read
            if not 200 <= answer.status < 300:
                raise OSError(f"the webhook answered {answer.status}")
        finally:
            connection.close()

    def text(self, message: ChatMessage) -> str:
        languages = [code for code in (message.market.languages or []) if code in self.app.config["LANGUAGES"]]
        with self.app.test_request_context("/", base_url=self.base_url), force_locale(
                languages[0] if languages else "en"):
            post = message.post
            suggestion = post is not None and post.account.is_executive  # "a suggested message", agreed as one
            parts = [escaped(f"[{message.market.code}] {texts.title(message.kind, suggestion=suggestion)}")]
            if post is not None:
                parts.append(escaped(f"{network_name(post.account.network.value)} @{post.account.handle}: "
                                     f"{texts.excerpt(post.body, 140)}"))
                # The app's own link, as Slack's link markup (its address is percent-encoded: no "<", ">" or "|").
                parts.append(f"<{url_for('posts.show_post', post_id=post.id, _external=True)}>")
            if words := texts.said(message.comment, _for_a_chat(message.why)):
                parts.append(escaped(texts.quoted(words)))
        return "\n".join(parts)


#: What a market's chat, outside the app, is not told: a stop switch's reason and who turned it on (the switches
#: themselves are never told to chats). A slot missed under one reads there in the general words.
_SWITCH_NAMED = frozenset({reasons.MISSED_HELD_BY_ALL, reasons.MISSED_HELD_BY_MARKET, reasons.MISSED_HELD_BY_CAMPAIGN})


def _for_a_chat(why: list | None) -> list | None:
    return [reasons.reason(reasons.MISSED_HELD) if isinstance(reason, dict) and reason.get("id") in _SWITCH_NAMED
            else reason for reason in why] if why else why
