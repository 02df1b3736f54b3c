"""Links that let a person choose their password: an admin's invitation to a new user, and the link "Forgot your
password?" mails.

A link's token carries the user's id and a fingerprint of their password hash and address, signed with the secret
key (itsdangerous, a salt per purpose: an invitation's token opens no reset page) and dated. It works until its time
runs out (``lifetime``) and once: choosing the password changes the hash it is bound to, and so ends every link sent
before. A newer invitation does too (an invited user's "no password" is drawn again); a newer reset link does not
end an older one, which works until its hour is out or a password is chosen. Nothing is stored (the page a link
opens keeps its token in the browser's session, out of its address: ``approval.views.auth``).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from flask import current_app
from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from approval.models import User

#: How long an invitation's link works, unless the app's ``INVITATION_HOURS`` says otherwise.
INVITATION_HOURS = 72
#: How long a link "Forgot your password?" mailed works.
RESET_MINUTES = 60
#: No token the application makes is this long: a longer one is refused before it is read.
MAX_TOKEN_LENGTH = 300


class Purpose(StrEnum):
    invitation = "invitation"
    reset = "reset"


class LinkRefused(Exception):
    """A link that opens nothing. ``reason``: ``expired`` (its time ran out), ``used`` (what it was bound to changed
    since: a password chosen with it or otherwise, a newer invitation, the user's sessions ended), ``closed`` (its
    user is deactivated or removed) or ``unreadable`` (no link of ours: cut short, mistyped, forged)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def lifetime(purpose: Purpose) -> timedelta:
    if purpose is Purpose.invitation:
        return timedelta(hours=invitation_hours())
    return timedelta(minutes=RESET_MINUTES)


def invitation_hours() -> int:
    return int(current_app.config.get("INVITATION_HOURS") or INVITATION_HOURS)


def make_token(user: User, purpose: Purpose, *, at: datetime | None = None) -> str:
    """The token of ``user``'s link for ``purpose``, dated now (``at``: another time, as a test of an old link)."""
    return _serializer(purpose, at).dumps([user.id, _binding(user)])


def user_of(session: Session, token: str, purpose: Purpose, *, lock: bool = False) -> User:
    """The user whose link for ``purpose`` ``token`` is, while it works; else ``LinkRefused`` saying why. ``lock``:
    their row is locked until the transaction ends (a password chosen with it: two tabs sending one link at once
    both saved a password)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkRefused("unreadable")
    serializer = _serializer(purpose)
    try:
        payload: Any = serializer.loads(token, max_age=int(lifetime(purpose).total_seconds()))
    except SignatureExpired:
        raise LinkRefused("expired") from None
    except (BadData, UnicodeError, ValueError):
        raise LinkRefused("unreadable") from None
    if not (isinstance(payload, list) and len(payload) == 2 and type(payload[0]) is int and 0 < payload[0] < 2**31
            and isinstance(payload[1], str)):
        raise LinkRefused("unreadable")  # signed by us, but no link's: the key's other uses are other salts
    user = session.get(User, payload[0], with_for_update=lock or None, populate_existing=lock)
    if user is None or not user.active:
        raise LinkRefused("closed")
    if not hmac.compare_digest(payload[1], _binding(user)):
        raise LinkRefused("used")
    return user


def _binding(user: User) -> str:
    """What a link is bound to: the user's password hash (a new one ends the link), address (a link mailed to an
    old address opens nothing once the address changed) and sessions' epoch (deactivating a user, or ending their
    sessions, ends their links too: one sent before a deactivation worked again once they were reactivated)."""
    return hashlib.sha256(f"{user.password_hash}\n{user.email}\n{user.session_epoch or 0}".encode()).hexdigest()[:32]


class _Signer(TimestampSigner):
    """itsdangerous's dated signer, dated ``at`` when given (a token made as of another time)."""

    def __init__(self, *args: Any, at: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.at = at

    def get_timestamp(self) -> int:
        return self.at if self.at is not None else super().get_timestamp()


def _serializer(purpose: Purpose, at: datetime | None = None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=f"approval.password-link.{purpose.value}", signer=_Signer,
        signer_kwargs={"at": int(at.timestamp()) if at is not None else None})
