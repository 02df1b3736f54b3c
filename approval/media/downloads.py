"""Links to a publication's files, for what puts it online: the webhook's receiver and the outbox's reader fetch each
file from the ``url`` of its ``media`` item, without an account.

A link names one file by its id and SHA-256 and is signed with the application's key (itsdangerous); it opens for
``LINK_DAYS`` days after the worker wrote it, long enough for a receiver that retries or a reader that comes by
once a day. Whoever holds it can fetch that file and nothing else: what a network's own media upload asks of it.
"""

from __future__ import annotations

from flask import Flask
from itsdangerous import BadSignature, URLSafeTimedSerializer

from approval.config import public_url

SALT = "approval.media.download"
LINK_DAYS = 7


def _signer(app: Flask) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app.secret_key or "", salt=SALT)


def link(app: Flask, file_id: int, sha256: str) -> str:
    """The address of the file's bytes, for a receiver outside the application (``APPROVAL_PUBLIC_URL``)."""
    return f"{public_url(app)}/media/files/{_signer(app).dumps([file_id, sha256])}"


def opened(app: Flask, token: str) -> tuple[int, str] | None:
    """The file id and SHA-256 a link names, or None for a link this application did not sign or that has expired."""
    try:
        named = _signer(app).loads(token, max_age=LINK_DAYS * 24 * 3600)
    except BadSignature:  # SignatureExpired is one
        return None
    if not (isinstance(named, list) and len(named) == 2 and isinstance(named[0], int) and isinstance(named[1], str)):
        return None
    return named[0], named[1]
