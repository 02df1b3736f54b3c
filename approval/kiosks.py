"""Kiosk links: a read-only wall for a screen, without a session (CONTRACT.md, "Wall").

A kiosk link names the markets its screen may show (none: every market). It opens the wall and its live stream,
nothing else: ``refuse_elsewhere`` answers 404 to any other request that carries a kiosk token. Revoking one stops
its open walls within seconds (the change feed re-reads the live links every tick). These functions flush; the
caller commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from approval.administration import _name_key as name_key
from approval.db import utcnow
from approval.inputs import parse_id
from approval.models import KioskLink, Market, User
from approval.operations import NotFound
from approval.style.text import shows_anything
from approval.workflow.errors import GuardFailed

PREFIX = "kio1_"
#: The longest name a screen may have (the column's size).
MAX_NAME = 100


def create_kiosk(session: Session, name: str, markets: Iterable[str] = (), created_by: User | None = None) -> KioskLink:
    """A new link; refused, with the reason, for a name blank, too long (it was cut and saved without a word) or that
    of a live link (two "Screen 3" in the list: which one to revoke?), however its case or accents were typed."""
    name = " ".join(name.split())
    if not shows_anything(name):
        raise GuardFailed(_("Name the screen."), {"name": [_("Name the screen.")]})
    if len(name) > MAX_NAME:
        message = _("At most %(n)s characters.", n=MAX_NAME)
        raise GuardFailed(message, {"name": [message]})
    live = session.scalars(select(KioskLink).where(KioskLink.revoked_at.is_(None)))
    if (other := next((k for k in live if name_key(k.name) == name_key(name)), None)) is not None:
        message = _("A kiosk link named “%(name)s” exists already.", name=other.name)
        raise GuardFailed(message, {"name": [message]})
    codes = sorted({code.strip().upper() for code in markets if code.strip()})
    known = list(session.scalars(select(Market).where(Market.code.in_(codes))))
    if unknown := sorted(set(codes) - {market.code for market in known}):
        message = _("No market %(code)s.", code=", ".join(unknown))
        raise GuardFailed(message, {"markets": [message]})
    kiosk = KioskLink(name=name, token=PREFIX + secrets.token_urlsafe(32), markets=known,
                      created_by=created_by)
    session.add(kiosk)
    session.flush()
    return kiosk


def find_kiosk(session: Session, id_or_token: str | int) -> KioskLink:
    """A kiosk link by its id or its token (or its path), revoked or not."""
    text = str(id_or_token).strip().rsplit("/", 1)[-1]
    clause = KioskLink.token == text
    if (kiosk_id := parse_id(text)) is not None:
        clause = or_(clause, KioskLink.id == kiosk_id)
    kiosk = session.scalar(select(KioskLink).where(clause))
    if kiosk is None:
        raise NotFound(id_or_token)
    return kiosk


def revoke_kiosk(session: Session, id_or_token: str | int) -> KioskLink:
    kiosk = find_kiosk(session, id_or_token)
    if kiosk.revoked_at is None:
        kiosk.revoked_at = utcnow()
        session.flush()
    return kiosk


def list_kiosks(session: Session) -> list[KioskLink]:
    return list(session.scalars(select(KioskLink).options(selectinload(KioskLink.markets))
                                .order_by(KioskLink.revoked_at.is_not(None), KioskLink.id)))


def live_kiosk(session: Session, token: str) -> KioskLink | None:
    if not token.startswith(PREFIX) or len(token) > 64:
        return None
    kiosk = session.scalar(select(KioskLink).where(KioskLink.token == token))
    return kiosk if kiosk is not None and kiosk.revoked_at is None else None


def carries_kiosk_token(path: str, values: Iterable[str], authorization: str) -> bool:
    """Whether a request shows a kiosk token somewhere: its path, a query or form value, its Authorization."""
    return PREFIX in path or PREFIX in authorization or any(PREFIX in value for value in values)
