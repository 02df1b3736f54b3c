"""Connectors: how a publication reaches a network. One small interface, designed for the real networks to come
(OAuth tokens that expire, rate limits with ``retry_after``, media uploads, a lookup by idempotency key where the
network has one).

``publish`` returns a typed outcome and never raises for what the network answered; ``lookup`` (optional) says
whether a publication with that key exists, so an unknown outcome can be resolved without sending again.

Built in: ``outbox`` (a table and a JSON Lines file in the instance folder, for teams that hand publishing to another
tool) and ``webhook`` (CONTRACT.md: a signed POST, the same ``Idempotency-Key`` for every attempt).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import math
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Protocol, cast
from urllib.parse import urljoin, urlsplit

from sqlalchemy import Select, Table, Text, bindparam, insert, literal, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from approval import bulk
from approval.bulk import insert_rows
from approval.db import utcnow
from approval.inputs import web_address
from approval.models import Account, OutboxMessage, Outcome, PublicationAttempt
from approval.publishing import reasons
from approval.publishing.addresses import (
    InternalAddress,
    bare_address,
    connection_to,
    deadline,
    internal_allowed,
    request_target,
)
from approval.publishing.reasons import own_words


@dataclass(frozen=True)
class Publication:
    """Exactly what goes out: the approved revision's text, its digest and where."""

    post_id: int
    idempotency_key: str
    account: dict[str, Any]
    revision: dict[str, Any]
    text: str
    media: list[dict[str, Any]]
    scheduled_at: str | None
    #: The body of the key's first call, when there was one: sent again as it is (``encoded``).
    sent_before: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"post_id": self.post_id, "idempotency_key": self.idempotency_key, "account": self.account,
                "revision": self.revision, "text": self.text, "media": self.media, "scheduled_at": self.scheduled_at}

    def encoded(self) -> str:
        """The body a call sends: under one key, always the same (the key's first call's, once there was one)."""
        return self.sent_before or json.dumps(self.as_json(), ensure_ascii=False)


@dataclass(frozen=True)
class Result:
    """A connector's answer. ``retry_after`` (seconds) with ``rate_limited``; ``remote_id`` and ``url`` with
    ``published``; ``message`` says why otherwise, in the network's words or in English the worker's own, which
    ``why`` then holds as a message id and its parameters (``reasons.own_words``) for the pages to translate.
    ``status``: the HTTP status the network answered, where it answered one (the worker's log names it)."""

    outcome: Outcome
    remote_id: str | None = None
    url: str | None = None
    message: str | None = None
    retry_after: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    why: reasons.Reason | None = None
    status: int | None = None


class Connector(Protocol):
    name: str
    #: True when ``publish`` writes through the caller's session, so the publication and the post's new state
    #: commit together (nothing can be sent without being recorded).
    transactional: bool

    def publish(self, publication: Publication, *, session: Session | None = None) -> Result: ...

    def lookup(self, idempotency_key: str, *, session: Session | None = None) -> Result | None:
        """The publication with this key if the network knows it, None if it says there is none; raises
        ``LookupUnavailable`` where the network cannot tell."""
        ...


class LookupUnavailable(Exception):
    """The network offers no way to tell whether a publication went through."""


#: The outbox's rows are only ever added: one INSERT of the table's (``bulk.insert_rows``: without the unit of work's
#: bookkeeping, nor the ORM's bulk insert's, which cost as much as the statement), returning their ids.
_MESSAGES = cast(Table, OutboxMessage.__table__)
_MESSAGE_TYPES = {key: _MESSAGES.c[key].type for key in ("idempotency_key", "post_id", "account_id", "body",
                                                          "created_at")}
#: The attempts that record the outbox's publications (``OutboxConnector.publish_recorded``): what the worker gives
#: of each; the outbox writes its answer into the rest.
_ATTEMPTS = cast(Table, PublicationAttempt.__table__)
RECORDED = ("post_id", "revision_id", "account_id", "sha256", "idempotency_key", "connector", "started_at",
            "finished_at")
_ATTEMPT_TYPES = {key: _ATTEMPTS.c[key].type for key in RECORDED}
#: The outbox's name of a publication (``Result.remote_id``), before its row's id.
REMOTE_ID_PREFIX = "outbox-"


@cache
def _published_and_recorded() -> Select[int, int, str]:
    """The publications' rows, and the attempts' joined to them by their key with the outbox's answer (published,
    under the names ``OutboxConnector._published`` gives), in one statement; the ids of each attempt and row, with
    their key. The rows come as arrays (``bulk.unnested``), the publications' bound as ``m_*``, the attempts' as
    ``a_*``; ``url_prefix`` is what the address puts before the row's id."""
    messages = bulk.unnested(_MESSAGE_TYPES, "new_messages", "m_")
    written = (insert(_MESSAGES).from_select(list(_MESSAGE_TYPES), select(
        *(bulk.value_of(messages, key, type_) for key, type_ in _MESSAGE_TYPES.items())))
        .returning(_MESSAGES.c.id, _MESSAGES.c.idempotency_key).cte("written"))
    attempts = bulk.unnested(_ATTEMPT_TYPES, "new_attempts", "a_")
    message_id = sql_cast(written.c.id, Text)
    recorded = (insert(_ATTEMPTS).from_select([*RECORDED, "outcome", "remote_id", "url"], select(
        *(attempts.c[key] for key in RECORDED), literal(Outcome.published, _ATTEMPTS.c.outcome.type),
        literal(REMOTE_ID_PREFIX, Text) + message_id, bindparam("url_prefix", type_=Text) + message_id,
    ).join_from(attempts, written, written.c.idempotency_key == attempts.c.idempotency_key))
        .returning(_ATTEMPTS.c.id, _ATTEMPTS.c.idempotency_key).cte("recorded"))
    return select(recorded.c.id, written.c.id, written.c.idempotency_key).join_from(
        recorded, written, recorded.c.idempotency_key == written.c.idempotency_key)


class OutboxConnector:
    """Stores the publication in ``outbox_messages`` (unique by key) in the worker's transaction, and appends it to
    ``outbox.jsonl`` in the instance folder. The table is the record; the file is a feed for another tool, which
    deduplicates by ``idempotency_key`` (a worker that dies between the append and its commit leaves a line whose
    publication will be written again under the same key)."""

    name = "outbox"
    transactional = True

    def __init__(self, instance_path: Path, base_url: str = "") -> None:
        self.path = Path(instance_path) / "outbox.jsonl"
        self.base_url = base_url.rstrip("/")
        self.pending: list[str] = []

    def publish(self, publication: Publication, *, session: Session | None = None) -> Result:
        assert session is not None, "the outbox writes in the worker's transaction"
        return self.publish_all([publication], session=session)[0]

    def publish_all(self, publications: list[Publication], *, session: Session) -> list[Result]:
        """Several publications in one INSERT (a worker's batch), their lines kept for ``sync``."""
        messages = self._messages(publications)
        ids = insert_rows(session.connection(), _MESSAGES, messages, returning=_MESSAGES.c.id,
                          by=_MESSAGES.c.idempotency_key)
        return self._kept(messages, ids)

    def publish_recorded(self, publications: list[Publication], attempts: list[dict[str, Any]], *,
                         session: Session) -> list[tuple[Result, int]]:
        """``publish_all``, and the attempts that record the publications: for each, the row the worker gives
        (``RECORDED``, in the publications' order), the outbox's answer written into it; each result with its
        attempt's id. On PostgreSQL, a batch's rows and attempts in one statement (``_published_and_recorded``): a
        round trip each cost the worker's every pass as much as the writing. Elsewhere, the two INSERTs."""
        connection = session.connection()
        if connection.dialect.name != "postgresql" or len(publications) < 2:
            results = self.publish_all(publications, session=session)
            ids = insert_rows(connection, _ATTEMPTS, [
                {**attempt, "outcome": result.outcome, "remote_id": result.remote_id, "url": result.url,
                 "message": result.message} for attempt, result in zip(attempts, results, strict=True)],
                returning=_ATTEMPTS.c.id, by=_ATTEMPTS.c.idempotency_key)
            return list(zip(results, ids, strict=True))
        messages = self._messages(publications)
        written = {key: (message_id, attempt_id) for attempt_id, message_id, key in connection.execute(
            _published_and_recorded(), {**bulk.arrays(messages, _MESSAGE_TYPES, "m_"),
                                        **bulk.arrays(attempts, _ATTEMPT_TYPES, "a_"),
                                        "url_prefix": self._url_prefix()})}
        ids = [written[message["idempotency_key"]] for message in messages]
        results = self._kept(messages, [message_id for message_id, _attempt_id in ids])
        return [(result, attempt_id) for result, (_message_id, attempt_id) in zip(results, ids, strict=True)]

    @staticmethod
    def _messages(publications: list[Publication]) -> list[dict[str, Any]]:
        """The outbox's rows of ``publications`` (``_MESSAGE_TYPES``)."""
        now = utcnow()
        return [{"idempotency_key": publication.idempotency_key, "post_id": publication.post_id,
                 "account_id": publication.account["id"], "body": publication.as_json(), "created_at": now}
                for publication in publications]

    def _kept(self, messages: list[dict[str, Any]], ids: list[int]) -> list[Result]:
        """The rows ``messages`` written under ``ids``: their lines kept for ``sync``, and the outbox's answers."""
        self.pending.extend(json.dumps({"id": id_, **message["body"]}, ensure_ascii=False)
                            for message, id_ in zip(messages, ids, strict=True))
        return [self._published(id_) for id_ in ids]

    def sync(self) -> None:
        """Append what was published since the last call to the feed, on disk (one fsync), before the commit."""
        if not self.pending:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as feed:
            feed.write("".join(line + "\n" for line in self.pending))
            feed.flush()
            os.fsync(feed.fileno())
        self.pending.clear()

    def lookup(self, idempotency_key: str, *, session: Session | None = None) -> Result | None:
        assert session is not None
        message_id = session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == idempotency_key))
        return None if message_id is None else self._published(message_id)

    def _published(self, message_id: int) -> Result:
        return Result(Outcome.published, remote_id=f"{REMOTE_ID_PREFIX}{message_id}",
                      url=f"{self._url_prefix()}{message_id}")

    def _url_prefix(self) -> str:
        """What a publication's address puts before its row's id."""
        return f"{self.base_url}/outbox/" if self.base_url else "outbox:"


class WebhookConnector:
    """POSTs the publication to the account's URL (CONTRACT.md, "Webhook connector").

    Connecting is kept apart from sending: a refused or failed connection means nothing left, so it is a temporary
    error; once the request is on its way, a timeout or a dropped connection is an unknown outcome, never retried.
    """

    name = "webhook"
    transactional = False

    def __init__(self, url: str, secret: str, *, connect_timeout: float = 5.0, read_timeout: float = 15.0,
                 allow_internal: bool = False) -> None:
        self.url = url
        self.secret = secret
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        #: Whether the URL may lead to this server's own network (approval.publishing.addresses).
        self.allow_internal = allow_internal

    def sign(self, body: bytes) -> str:
        return "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()

    def publish(self, publication: Publication, *, session: Session | None = None) -> Result:
        body = publication.encoded().encode("utf-8")
        try:
            # Resolved once, within the connection's timeout, and checked; the connection goes to the addresses
            # checked (addresses.connection_to).
            connection = connection_to(self.url, timeout=self.connect_timeout, allow_internal=self.allow_internal)
        except InternalAddress as inside:
            return Result(Outcome.refused, **own_words(reasons.INTERNAL_ADDRESS, address=str(inside.address),
                                                       setting="APPROVAL_WEBHOOK_PRIVATE_ADDRESSES"))
        except ValueError as error:  # no host, a bad port: set by hand in the database, the page refuses them
            return Result(Outcome.refused, **own_words(reasons.UNCALLABLE_ADDRESS, error=str(error)))
        except OSError as error:  # the name does not resolve, or not in time: nothing left, to try again later
            return Result(Outcome.temporary_error, **own_words(reasons.NO_CONNECTION, error=str(error)))
        try:
            try:
                connection.connect()
            except (OSError, http.client.HTTPException, ValueError) as error:  # ValueError: a name IDNA refuses
                return Result(Outcome.temporary_error, **own_words(reasons.NO_CONNECTION, error=str(error)))
            connection.sock.settimeout(self.read_timeout)
            try:
                # The timeout is the whole exchange's: a server that answers a byte every few seconds held the
                # worker, its other claims waiting, for as long as it wished.
                with deadline(connection, self.read_timeout) as cut:
                    connection.request("POST", request_target(self.url), body=body, headers={
                        "Content-Type": "application/json",
                        "Idempotency-Key": publication.idempotency_key,
                        "X-Approval-Signature": self.sign(body),
                        "User-Agent": user_agent(),
                    })
                    response = connection.getresponse()
                    answer = response.read(MAX_ANSWER)
            except (TimeoutError, socket.timeout):
                return self._cut()
            except (OSError, http.client.HTTPException) as error:
                if cut.is_set():
                    return self._cut()
                return Result(Outcome.unknown, **own_words(reasons.CONNECTION_BROKE,
                                                           error=f"{type(error).__name__}: {error}"))
            if cut.is_set():  # what was read is part of the answer, whatever it says
                return self._cut()
            return self._read(response.status, response.getheader("Retry-After"), answer,
                              location=response.getheader("Location"), base=self.url)
        finally:
            connection.close()

    def _cut(self) -> Result:
        # A server may have said nothing, or begun an answer it never finished: either way, none came in time.
        return Result(Outcome.unknown, **own_words(reasons.NO_ANSWER_IN_TIME, seconds=float(self.read_timeout)))

    def lookup(self, idempotency_key: str, *, session: Session | None = None) -> Result | None:
        raise LookupUnavailable("the webhook protocol has no lookup")

    @staticmethod
    def _read(status: int, retry_after: str | None, answer: bytes, *, location: str | None = None,
              base: str = "") -> Result:
        """The outcome of an answer: its status, its ``Retry-After`` and body, and for a redirect its ``Location``
        (relative to ``base``, the address called)."""
        # PostgreSQL refuses NUL in text: a network's answer holding one must not make its outcome unrecordable.
        whole = answer.decode("utf-8", "replace").replace("\x00", "\ufffd")
        text = whole[:2000]  # what a message quotes; the JSON is read whole (an answer may echo the post)
        if status < 200:
            # An interim answer (103 Early Hints) read as the final one: the request arrived, its outcome is not
            # known. Retried, it was a second delivery each time.
            return Result(Outcome.unknown, status=status, **own_words(reasons.INTERIM_ANSWER, status=status))
        if 200 <= status < 300 or status == 409:
            try:
                # Numbers kept as written: an id of 1e999 (or Infinity) was stored as "inf".
                data = json.loads(whole, parse_float=str, parse_int=str, parse_constant=str) if whole.strip() else {}
            except (ValueError, RecursionError):  # "[[[[…": nested past Python's depth
                data = {}
            data = data if isinstance(data, dict) else {}
            url = web_address(data.get("url"))  # a javascript: one would become a link
            if status == 409 and _str_or_none(data.get("id")) is None:
                url = None  # a 409 is "this key again" only with the post's id and address; else any conflict
            if url is None:
                # CONTRACT: a 2xx with {"id", "url"} means published. Without the post's address it may be any
                # server answering 200 to a POST: the outcome is unknown, for a person to confirm or retry (never
                # sent again by itself). A 409, a receiver's "this key again", may mean the post is online: the
                # same (failed, a person's retry would be refused the same way, or send it twice).
                return Result(Outcome.unknown, status=status, **(
                    own_words(reasons.CONFLICT_WITHOUT_ADDRESS) if status == 409 else
                    own_words(reasons.NO_ADDRESS_IN_ANSWER, status=status)))
            own = (urlsplit(base).hostname or "").lower()
            if own and (urlsplit(url).hostname or "").lower() == own:
                return Result(Outcome.unknown, status=status,
                              **own_words(reasons.OWN_ADDRESS_IN_ANSWER, status=status, host=own))
            remote_id = _str_or_none(data.get("id"))  # may be absent: the address is what the pages need
            return Result(Outcome.published, remote_id=remote_id, url=url, status=status,
                          **(own_words(reasons.NO_USABLE_ID) if remote_id is None else {}))
        if status in REDIRECTS:
            # Never followed, never retried: the receiver moved, or the address is wrong; an admin sets the new one.
            # But a 303, or the 302 of Post/Redirect/Get, follows a POST the server took: unknown, for a person to
            # check (failed, it was retried without the warning that the network may already show it).
            where = web_address(urljoin(base, location.strip())) if location else None
            if status in TAKEN_THEN_REDIRECTED:
                return Result(Outcome.unknown, status=status, **own_words(
                    reasons.REDIRECTS_AFTER_TAKING, status=status,
                    location=_shortened(bare_address(where)) if where else "?"))
            if where is None:
                return Result(Outcome.needs_reconnect, status=status,
                              **own_words(reasons.REDIRECTS_NOWHERE, status=status))
            return Result(Outcome.needs_reconnect, status=status,
                          **own_words(reasons.REDIRECTS_TO, status=status, location=_shortened(bare_address(where))))
        if status == 408:  # the receiver timed out waiting for the request it never read whole: taken by no one
            return Result(Outcome.temporary_error, message=f"HTTP 408 {text}".strip(),
                          retry_after=_seconds(retry_after), status=status)
        if status == 429:
            return Result(Outcome.rate_limited, message=f"HTTP 429 {text}".strip(), retry_after=_seconds(retry_after),
                          status=status)
        if status in (401, 403):
            return Result(Outcome.needs_reconnect, message=f"HTTP {status} {text}".strip(), status=status)
        if 300 <= status < 500:  # another 3xx (300, 304) answers no POST the contract knows: a definite failure
            return Result(Outcome.refused, message=f"HTTP {status} {text}".strip(), status=status)
        return Result(Outcome.temporary_error, message=f"HTTP {status} {text}".strip(),
                      retry_after=_seconds(retry_after), status=status)


#: The redirects: a webhook's address that answers one must be changed.
REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: Those that may follow a POST the server processed (RFC 9110: 303 always, 302 in Post/Redirect/Get): unknown.
TAKEN_THEN_REDIRECTED = frozenset({302, 303})


@cache
def user_agent() -> str:
    """``approval/<version>``: who calls, for the receiver's logs."""
    try:
        return f"approval/{version('approval')}"
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "approval"


def _shortened(address: str, longest: int = 300) -> str:
    """An address a message quotes, at most ``longest`` characters (the rest said by an ellipsis)."""
    return address if len(address) <= longest else address[:longest - 1] + "…"


def _str_or_none(value: Any) -> str | None:
    """An id as text, cut to what the attempts table holds (a longer one made the pass fail on PostgreSQL)."""
    return None if value is None else str(value)[:REMOTE_ID_LENGTH].replace("\x00", "\ufffd")


#: A Retry-After further than this is taken as this: a network's answer never parks a post for years.
RETRY_AFTER_MAX_S = 24 * 3600
#: The longest answer read from a webhook, and the longest id kept (``PublicationAttempt.remote_id``).
MAX_ANSWER = 1_000_000
REMOTE_ID_LENGTH = 200


def _seconds(retry_after: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not retry_after:
        return None
    try:
        seconds = float(retry_after)
    except ValueError:
        pass
    else:
        return min(RETRY_AFTER_MAX_S, max(0.0, seconds)) if math.isfinite(seconds) else None
    try:
        when: datetime = parsedate_to_datetime(retry_after)
        return min(RETRY_AFTER_MAX_S, max(0.0, (when - utcnow()).total_seconds()))
    except (TypeError, ValueError, OverflowError):
        return None


def connector_for(account: Account, instance_path: Path, *, base_url: str = "",
                  webhook_timeout: float = 15.0) -> Connector | None:
    """The account's connector, or None when it is not connected. ``webhook_timeout``: seconds a webhook has to
    answer once the request is sent (``PUBLISH_WEBHOOK_TIMEOUT_S``)."""
    if account.connector == "outbox":
        return OutboxConnector(instance_path, base_url)
    if account.connector == "webhook" and account.connector_url:
        return WebhookConnector(account.connector_url, account.connector_secret or "", read_timeout=webhook_timeout,
                                allow_internal=internal_allowed())
    return None
