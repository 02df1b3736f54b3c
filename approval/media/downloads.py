"""Links to a publication's files, for what puts it online: the webhook's receiver and the outbox's reader fetch each
file from the ``url`` of its ``media`` item, without an account.

A link names one file by its id and SHA-256 and the time it closes, and is signed with the application's key
(itsdangerous), and names the post it was made for. It closes ``LINK_DAYS`` days after the post's slot, long enough
for a receiver that retries or a reader that comes by once a day, and stays open past that, for ``KEPT_OPEN_DAYS``
at most, while that post may still go out with that file (it failed, is unconfirmed, or missed its slot: a retry
sends its first call's body again, links and all: ``approval.media.publication.still_to_go_out``); another post
holding the same file opens nothing. Its text depends on nothing else, so every try of one publication sends the
same body under its idempotency key. Whoever holds it can fetch that file and nothing else: what a
network's own media upload asks of it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from itsdangerous import BadSignature, URLSafeSerializer

from approval.config import public_url

SALT = "approval.media.download"
LINK_DAYS = 7
#: How long past its closing a link stays open while its post may still go out.
KEPT_OPEN_DAYS = 90
#: A link is about 150 characters; the route (views.media) takes no longer a token.
MAX_TOKEN = 400


def _signer(app: Flask) -> URLSafeSerializer:
    return URLSafeSerializer(app.secret_key or "", salt=SALT)


def closes(slot: datetime) -> int:
    """When the links of a publication slotted at ``slot`` close (a Unix time)."""
    return int((slot + timedelta(days=LINK_DAYS)).timestamp())


def link(app: Flask, file_id: int, sha256: str, until: int, post_id: int | None = None) -> str:
    """The address of the file's bytes until ``until`` (``closes``), for a receiver outside the application
    (``APPROVAL_PUBLIC_URL``); ``post_id``: the post it goes out with, which may keep it open longer."""
    named = [file_id, sha256, until] if post_id is None else [file_id, sha256, until, post_id]
    return f"{public_url(app)}/media/files/{_signer(app).dumps(named)}"


@dataclass(frozen=True)
class Opened:
    """What a link names: the file, its SHA-256, its post (links made before they named one: None), and whether it
    has closed (its time passed) or is past even what its post may keep open."""

    file_id: int
    sha256: str
    post_id: int | None
    closed: bool
    expired: bool


def opened(app: Flask, token: str) -> Opened | None:
    """What a link names, or None for a link this application did not sign."""
    try:
        named = _signer(app).loads(token)
    except BadSignature:
        return None
    if not (isinstance(named, list) and len(named) in (3, 4) and all(isinstance(n, int) for n in named[:1] + named[2:])
            and isinstance(named[1], str)):
        return None
    now, until = time.time(), named[2]
    post_id = named[3] if len(named) == 4 else None
    return Opened(named[0], named[1], post_id, closed=until < now,
                  expired=post_id is None and until < now or until + KEPT_OPEN_DAYS * 86400 < now)
