"""Where a webhook may point. A webhook is called by the server, from inside its network: an address on the machine
itself or its private network (a database, a cloud's metadata service at 169.254.169.254) would let whoever sets a
webhook reach what the outside cannot. Such addresses are refused, when the webhook is set and again before each
call (a name may resolve elsewhere by then), unless the operator allows them for a relay on their own network:
``APPROVAL_WEBHOOK_PRIVATE_ADDRESSES=1`` (``WEBHOOK_PRIVATE_ADDRESSES`` in the app's config).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from flask_babel import gettext

from approval.config import Settings


def internal_address(host: str, port: int | None = None) -> str | None:
    """The first address of ``host`` that is not a public one (loopback, private, link-local, shared or reserved),
    or None. A name that does not resolve gives None: calling it fails on its own."""
    try:
        addresses = [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        try:
            found = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    for address in addresses:
        if not address.is_global:
            return str(address)
    return None


def forbidden_address(url: str) -> str | None:
    """The address on this server's own network that ``url``'s host is, when webhooks may not go there (the operator
    did not allow it), else None. Checked when a webhook is set, and again before each call."""
    if internal_allowed():
        return None
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return internal_address(parts.hostname or "", port) if parts.hostname else None


def refusal(url: str) -> str | None:
    """What a person reads when a webhook they set (publishing or chat) leads to the server's own network; None
    when it may be called."""
    inside = forbidden_address(url)
    if inside is None:
        return None
    return gettext("%(address)s is on this server's own network: a webhook must be reachable from the internet (the "
                   "operator can allow private addresses).", address=inside)


def internal_allowed() -> bool:
    """Whether the operator allows webhooks on the private network (the app's config, else the environment)."""
    if has_app_context():
        return bool(current_app.config.get("WEBHOOK_PRIVATE_ADDRESSES"))
    return Settings.from_env().webhook_private_addresses
