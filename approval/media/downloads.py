"""Links to a publication's files, for what puts it online: the webhook's receiver and the outbox's reader fetch each
file from the ``url`` of its ``media`` item, without an account.

A link names one file by its id and SHA-256 and the time it closes, and is signed with the application's key
(itsdangerous). It closes ``LINK_DAYS`` days after the post's slot, long enough for a receiver that retries or a
reader that comes by once a day, and stays open past that while the file is still to go out (a post that failed,
is unconfirmed, or missed its slot, whose retry sends its first call's body again, links and all:
``approval.media.publication.still_to_go_out``). Its text depends on nothing else, so every try of one publication
sends the same body under its idempotency key. Whoever holds it can fetch that file and nothing else: what a
network's own media upload asks of it.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from flask import Flask
from itsdangerous import BadSignature, URLSafeSerializer

from approval.config import public_url

SALT = "approval.media.download"
LINK_DAYS = 7
#: A link is about 150 characters; the route (views.media) takes no longer a token.
MAX_TOKEN = 400


def _signer(app: Flask) -> URLSafeSerializer:
    return URLSafeSerializer(app.secret_key or "", salt=SALT)


def closes(slot: datetime) -> int:
    """When the links of a publication slotted at ``slot`` close (a Unix time)."""
    return int((slot + timedelta(days=LINK_DAYS)).timestamp())


def link(app: Flask, file_id: int, sha256: str, until: int) -> str:
    """The address of the file's bytes until ``until`` (``closes``), for a receiver outside the application
    (``APPROVAL_PUBLIC_URL``)."""
    return f"{public_url(app)}/media/files/{_signer(app).dumps([file_id, sha256, until])}"


def opened(app: Flask, token: str) -> tuple[int, str, bool] | None:
    """The file id and SHA-256 a link names, and whether it has closed (its time passed); None for a link this
    application did not sign."""
    try:
        named = _signer(app).loads(token)
    except BadSignature:
        return None
    if not (isinstance(named, list) and len(named) == 3 and isinstance(named[0], int)
            and isinstance(named[1], str) and isinstance(named[2], int)):
        return None
    return named[0], named[1], named[2] < time.time()
