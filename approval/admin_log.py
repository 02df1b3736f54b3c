"""Who changed which setting, and when: the administration log (``approval.models.admin_log``).

Every flush that changes a watched field of a market, an account (its connector included), a user, an executive, a
campaign, a kiosk link, an API token or the wall's thresholds writes one row per changed object, in the flush's
transaction, whatever path made the change: the admin pages, the API, a command, a script. Nothing has to remember
to call it, so nothing can forget. A secret (a webhook's signing secret, a password's hash) is never copied into
the log: only whether it was set, changed or removed. Events that change no watched column (ending someone's
sessions, unlocking their login, inviting them) are written by ``note``.

The author is the request's user; outside a request, the command run on the server ("approval account connect"),
with the Unix user and the host, unless ``acting_as`` names someone.
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from functools import cache
from typing import Any

import click
from flask import g, has_app_context, has_request_context
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE, get_history

from approval.db import utcnow
from approval.models import Account, ApiToken, Campaign, Executive, KioskLink, Market, User, WallSettings
from approval.models.admin_log import AdminLogEntry
from approval.models.users import NO_PASSWORD_PREFIX
from approval.style.network import network_name


@dataclass(frozen=True)
class Subject:
    #: The word stored in ``AdminLogEntry.subject``.
    name: str
    #: The attributes watched, in the order a change lists them.
    fields: tuple[str, ...]
    #: How the object reads in the log ("KE — Kenya", "X @helio_ke").
    label: Callable[[Any], str]


SUBJECTS: dict[type, Subject] = {
    Market: Subject("market", ("code", "name", "timezone", "languages", "grace_minutes"),
                    lambda m: f"{m.code} — {m.name}"),
    Account: Subject("account", ("network", "handle", "brand", "market", "executive", "active", "connector",
                                 "connector_url", "connector_secret"),
                     lambda a: f"{network_name(a.network)} @{a.handle}"),
    User: Subject("user", ("email", "name", "role", "all_markets", "markets", "executives", "active",
                           "password_hash"), lambda u: u.email),
    Executive: Subject("executive", ("name", "title", "cabinet"), lambda e: e.name),
    Campaign: Subject("campaign", ("name", "market", "hashtag", "description", "disclosure_required",
                                   "embargo_until"), lambda c: c.name),
    KioskLink: Subject("kiosk", ("name", "markets", "revoked_at"), lambda k: k.name),
    ApiToken: Subject("api_token", ("name", "revoked_at"), lambda t: f"{t.name} ({t.prefix}…)"),
    WallSettings: Subject("wall", ("review_amber_minutes", "review_red_minutes"), lambda _w: ""),
}
#: Fields whose values never reach the log: only whether one was set ([false, true], [true, true] for a new one).
SECRETS = frozenset({"connector_secret", "password_hash"})
#: Fields logged as the log may show them: a webhook's address without credentials, query or a path segment that
#: reads as a token (``publishing.addresses.bare_address``; the table is append-only: a token kept there could
#: never be removed).
MASKED = frozenset({"connector_url"})

#: ``session.info`` key of the author ``acting_as`` gives: (user id or None, label).
_ACTOR = "approval.admin_log_actor"


@contextmanager
def acting_as(session: Session, label: str, user_id: int | None = None) -> Iterator[None]:
    """Changes flushed in the block are logged as ``label``'s (the demo's seeding, a script that knows whose)."""
    previous = session.info.get(_ACTOR)
    session.info[_ACTOR] = (user_id, label)
    try:
        yield
    finally:
        if previous is None:
            session.info.pop(_ACTOR, None)
        else:
            session.info[_ACTOR] = previous


def note(session: Session, subject: Any, action: str, changes: dict | None = None) -> None:
    """Log an event that changes no watched field (``sessions_ended``, ``login_unlocked``, ``invited``: its
    ``delivery``, ``mail`` or ``link``), in ``session``'s transaction."""
    kind = SUBJECTS[type(subject)]
    _write(session, [_row(session, kind, subject, action, changes or {})])


@event.listens_for(Session, "after_flush")
def _log_changes(session: Session, _context: Any) -> None:
    """After the flush wrote the objects (new ones have their ids), before it forgets what they were."""
    rows = []
    for obj, created, deleted in _watched(session):
        kind = SUBJECTS[type(obj)]
        changes = _changes(obj, kind, created=created)
        if created or deleted or changes:
            rows.append(_row(session, kind, obj, _action(changes, created=created, deleted=deleted), changes))
    if rows:
        _write(session, rows)


def _watched(session: Session) -> Iterator[tuple[Any, bool, bool]]:
    for obj in session.new:
        if type(obj) in SUBJECTS:
            yield obj, True, False
    for obj in session.dirty:
        if type(obj) in SUBJECTS:
            yield obj, False, False
    for obj in session.deleted:
        if type(obj) in SUBJECTS:
            yield obj, False, True


def _changes(obj: Any, kind: Subject, *, created: bool) -> dict[str, list]:
    changes: dict[str, list] = {}
    state = inspect(obj)
    for name in kind.fields:
        # Never loads what was not: an attribute nobody read was not changed (the worker's flush of an account's
        # post in flight must not read its market).
        history = get_history(obj, name, passive=PASSIVE_NO_INITIALIZE)
        if not history.has_changes():
            continue
        before: Any
        after: Any
        if getattr(state.mapper.attrs[name], "uselist", False):  # a collection: its members by name, sorted
            before = sorted(_shown(item) for item in (*history.unchanged, *history.deleted))
            after = sorted(_shown(item) for item in (*history.unchanged, *history.added))
        else:
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if name in SECRETS:
                had, has = _holds_secret(name, old), _holds_secret(name, new)
                if old != new and (had or has):  # None set over nothing, or the same secret again, is no change
                    changes[name] = [False if created else had, has]
                continue
            if name in MASKED:
                if old != new:
                    changes[name] = [None if created else _masked(old), _masked(new)]
                continue
            before, after = _shown(old), _shown(new)
        if created and after in (None, "", [], False):
            continue  # a new object's empty fields say nothing
        if before != after:
            changes[name] = [None if created else before, after]
    return changes


def _holds_secret(name: str, value: Any) -> bool:
    """Whether a secret field's value is a secret: an invited user's "no password" is none (a new invitation draws
    another, which changes no password; ``invited`` notes the invitation)."""
    if name == "password_hash" and isinstance(value, str) and value.startswith(NO_PASSWORD_PREFIX):
        return False
    return bool(value)


def secret_change(before: object, after: object) -> str:
    """What a secret field's ``[before, after]`` says: ``set``, ``removed`` or ``changed`` (its value is never kept)."""
    return "set" if not before and after else "removed" if before and not after else "changed"


def _masked(value: str | None) -> str | None:
    from approval.publishing.addresses import bare_address  # the publishing package imports the models

    return bare_address(value) or None


def note_revoked_tokens(session: Session, tokens: list[Any], at: datetime) -> None:
    """API tokens revoked by one statement (their user deactivated, their sessions ended, their password reset), which
    no flush sees: a row each, as for a token revoked on its page. ``tokens``: rows with ``id``, ``name`` and
    ``prefix``."""
    if tokens:
        kind = SUBJECTS[ApiToken]
        _write(session, [_row(session, kind, token, "revoked", {"revoked_at": [None, _shown(at)]}) for token in tokens])


def _shown(value: Any) -> Any:
    """A value as the log keeps it: a related row by its name, an enum by its value, a time in UTC."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, Market):
        return value.code
    if isinstance(value, User):
        return value.email
    if isinstance(value, Executive):
        return value.name
    if isinstance(value, list | tuple):
        return [_shown(item) for item in value]
    return str(value)


def _action(changes: dict[str, list], *, created: bool, deleted: bool) -> str:
    if created:
        return "created"
    if deleted:
        return "deleted"
    revoked = changes.get("revoked_at")
    if revoked is not None and revoked[0] is None and revoked[1] is not None:
        return "revoked"
    active = changes.get("active")
    if active is not None and set(changes) == {"active"}:
        return "reactivated" if active[1] else "deactivated"
    if set(changes) == {"password_hash"}:
        return "password_set"
    return "changed"


def _row(session: Session, kind: Subject, obj: Any, action: str, changes: dict) -> dict[str, Any]:
    actor_id, actor_label = _actor(session)
    return {"at": utcnow(), "actor_id": actor_id, "actor_label": actor_label[:300], "subject": kind.name,
            "subject_id": obj.id, "subject_label": kind.label(obj)[:300], "action": action, "changes": changes}


def _write(session: Session, rows: list[dict[str, Any]]) -> None:
    session.connection().execute(insert(AdminLogEntry), rows)


def _actor(session: Session) -> tuple[int | None, str]:
    given = session.info.get(_ACTOR)
    if given is not None:
        return given
    if has_app_context():
        # The API's caller (its token's user), or Flask-Login's user of this request when one is logged in.
        user = g.get("api_user") or g.get("_login_user")
        if user is not None and getattr(user, "is_authenticated", False):
            identity = inspect(user).identity
            return (identity[0] if identity else None), user.email
    if has_request_context():
        return None, "anonymous request"
    return None, command_origin()


def command_origin() -> str:
    """The command running and who runs it: "approval post retry (ops@vm-3)"."""
    return f"{_command()} ({_unix_user()})"


def _command() -> str:
    """The command running, named as typed after ``approval`` ("approval account connect"), however it was started
    (``python -m approval.cli``, a script)."""
    context = click.get_current_context(silent=True)
    words = []
    while context is not None and context.parent is not None:
        words.append(context.info_name or "")
        context = context.parent
    return " ".join(["approval", *reversed(words)]) if context is not None else "command line"


@cache
def _unix_user() -> str:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container's)
        who = "?"
    return f"{who}@{socket.gethostname()}"
