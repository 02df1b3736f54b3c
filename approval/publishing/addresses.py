"""Where a webhook may point. A webhook is called by the server, from inside its network: an address on the machine
itself or its private network (a database, a cloud's metadata service at 169.254.169.254) would let whoever sets a
webhook reach what the outside cannot. Such addresses are refused, when the webhook is set and again before each
call (a name may resolve elsewhere by then), unless the operator allows them for a relay on their own network:
``APPROVAL_WEBHOOK_PRIVATE_ADDRESSES=1`` (``WEBHOOK_PRIVATE_ADDRESSES`` in the app's config).

A call connects to the very address its check accepted (``connection_to``): the name is resolved once. Resolved
again to connect, a name whose owner answers a public address to the check and a private one a moment later (DNS
rebinding) would lead the call inside.

The name is looked up within the call's time (``lookup``): the system's resolver has no timeout of its own, and one
whose name servers do not answer held the caller (the publishing worker, and every post behind it) for as long as it
kept asking them. When a webhook is set, within ``SET_LOOKUP_S``: a name not resolved by then is refused
(``refusal``), as its address could not be checked.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from flask_babel import gettext

from approval.config import Settings


Address = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Seconds a webhook's name is looked up for when the webhook is set (the publishing settings page, ``approval
#: account connect``, a market's chat settings): the web worker, or the command, waits no longer for name servers
#: that do not answer. Not resolved by then, the address is refused: it could not be checked.
SET_LOOKUP_S = 5.0


def _seconds(seconds: float) -> str:
    """``seconds`` as said: 5, 0.5."""
    return f"{seconds:.1f}".removesuffix(".0")


class NotResolvedInTime(TimeoutError):
    """The name servers did not answer within the time the call had: nothing was sent."""

    def __init__(self, host: str, seconds: float) -> None:
        super().__init__(f"{host}'s address could not be resolved within {_seconds(seconds)} s")
        self.host = host
        self.seconds = seconds


class _Lookup:
    """One question to the system's resolver, asked in a thread of its own that nobody waits for longer than they
    have: a resolver that does not answer keeps that thread, never its caller."""

    def __init__(self, host: str, port: int) -> None:
        self.key = (host, port)
        self.done = threading.Event()
        self.answer: list[tuple[Any, ...]] = []
        self.error: Exception | None = None
        threading.Thread(target=self._ask, name=f"lookup {host}", daemon=True).start()

    def _ask(self) -> None:
        try:
            self.answer = socket.getaddrinfo(*self.key, proto=socket.IPPROTO_TCP)
        except Exception as error:  # noqa: BLE001 - handed to whoever waits, as getaddrinfo would have raised it
            self.error = error
        finally:
            with _LOOKUPS_LOCK:
                if _LOOKUPS.get(self.key) is self:
                    del _LOOKUPS[self.key]
            self.done.set()


#: The questions still unanswered, by name and port: a call that finds one waits for its answer instead of asking
#: again, so that a resolver that does not answer holds one thread per name, not one per call.
_LOOKUPS: dict[tuple[str, int], _Lookup] = {}
_LOOKUPS_LOCK = threading.Lock()


def lookup(host: str, port: int, within: float | None = None) -> list[tuple[Any, ...]]:
    """``socket.getaddrinfo(host, port)`` for TCP, waited for ``within`` seconds at most (None: as long as the resolver
    takes); ``NotResolvedInTime`` after that, and its answer, when it comes, is nobody's. Raises what getaddrinfo
    raises."""
    if within is None or _is_address(host):  # an address is read, no name server asked
        return socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    with _LOOKUPS_LOCK:
        asked = _LOOKUPS.get((host, port))
        if asked is None:
            asked = _LOOKUPS[(host, port)] = _Lookup(host, port)
    if not asked.done.wait(max(0.0, within)):
        raise NotResolvedInTime(host, within)
    if asked.error is not None:
        raise asked.error
    return asked.answer


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def resolve(host: str, port: int | None = None, *, within: float | None = None) -> list[Address]:
    """The addresses ``host`` stands for (itself, if it is one); none when the name does not resolve. With ``within``
    (seconds), the resolver is waited for that long at most (``lookup``): ``NotResolvedInTime`` after."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        found = lookup(host, port or 443, within)
    except NotResolvedInTime:
        raise
    except (OSError, UnicodeError):
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]


#: IPv6 forms that carry an IPv4 address a router hands on (NAT64's well-known prefix): judged by that address.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
#: IPv6 ranges Python calls global that lead to private networks (local-use NAT64, the old site-local range).
_NOT_PUBLIC = (ipaddress.ip_network("64:ff9b:1::/48"), ipaddress.ip_network("fec0::/10"))


def is_public(address: Address) -> bool:
    """Whether ``address`` is reachable from the internet and leads nowhere inside: an IPv6 form that wraps an IPv4
    address (mapped, NAT64, 6to4, Teredo) is judged by the IPv4 address it carries."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped.is_global
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF).is_global
        if address.sixtofour is not None:
            return address.sixtofour.is_global
        if address.teredo is not None:
            return all(part.is_global for part in address.teredo)
        if any(address in network for network in _NOT_PUBLIC):
            return False
    return address.is_global


def first_internal(addresses: list[Address]) -> str | None:
    """The first of ``addresses`` that is not a public one (loopback, private, link-local, shared or reserved)."""
    return next((str(address) for address in addresses if not is_public(address)), None)


def internal_address(host: str, port: int | None = None, *, within: float | None = None) -> str | None:
    """The first address of ``host`` that is not a public one, or None. A name that does not resolve gives None:
    calling it fails on its own. ``NotResolvedInTime`` when it is not resolved within ``within`` seconds."""
    return first_internal(resolve(host, port, within=within))


class InternalAddress(OSError):
    """A call refused before connecting: the webhook's host is ``address``, on this server's own network."""

    def __init__(self, address: str) -> None:
        super().__init__(f"{address} is on this server's own network")
        self.address = address


class _Pinned(http.client.HTTPConnection):
    """Connects to the addresses checked (``pinned``, in the resolver's order, the next one when one cannot be
    reached), never to a new resolution of the name; the host's name still goes in the ``Host`` header and, for
    HTTPS, in the TLS handshake and the certificate's check (``HTTPSConnection.connect`` wraps what this opens)."""

    pinned: tuple[str, ...] = ()
    #: The deadline running on the exchange (``deadline``), while one does: when its time is up (``time.monotonic``)
    #: and the event it sets when it cuts. A connection opened under it is opened within the time left.
    ends_at: float | None = None
    cut: threading.Event | None = None

    def connect(self) -> None:
        sys.audit("http.client.connect", self, self.host, self.port)
        failure: OSError = OSError(f"{self.host} has no address to connect to")
        for address in self.pinned:
            try:
                opened = socket.create_connection((address, self.port), self._opening_timeout())
            except OSError as error:
                failure = error
                continue
            opened.settimeout(self._own_timeout())  # each step's own, once opened; the deadline bounds them all
            opened.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock = opened
            if self.cut is not None and (self.cut.is_set() or (self.ends_at is not None
                                                               and time.monotonic() >= self.ends_at)):
                # The time was up as it opened: the deadline's timer found no socket to shut (or, on a busy machine,
                # has not run yet: the clock says it all the same). Nothing goes through it.
                self.cut.set()
                _shut(opened)
            return
        raise failure

    def _opening_timeout(self) -> float | None:
        """How long an address is tried for: the connection's timeout, and no longer than its deadline's time left
        (a connect still waiting when the time is up had no socket the deadline could shut)."""
        own = self._own_timeout()
        if self.ends_at is None:
            return own
        left = self.ends_at - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"the call's time was up before its connection to {self.host} was opened")
        return left if own is None else min(own, left)

    def _own_timeout(self) -> float | None:
        """Each step's timeout: the connection's, or the socket module's default when it was given none."""
        given: object = self.timeout
        return given if given is None or isinstance(given, int | float) else socket.getdefaulttimeout()


class _PinnedHTTPS(http.client.HTTPSConnection, _Pinned):
    """HTTPS over a pinned connection: ``HTTPSConnection.connect`` calls ``_Pinned.connect``, then wraps it."""


def connection_to(url: str, *, timeout: float, allow_internal: bool | None = None,
                  resolve_within: float | None = None) -> http.client.HTTPConnection:
    """An HTTP(S) connection to ``url``'s host, not yet open, pinned to the addresses checked here. Raises
    ``InternalAddress`` when one of them is on this server's own network and the operator did not allow it
    (``allow_internal``: None reads the setting), ``OSError`` when the name does not resolve (never resolved again
    to connect: a name server may answer the second time what it refused the first), ``NotResolvedInTime`` (an
    ``OSError`` too) when it does not within ``resolve_within`` seconds (default: ``timeout``, the bound of each step
    of the call), ``ValueError`` for an address that names no host. ``http.client`` never follows a redirect."""
    parts = urlsplit(url)
    host, https = parts.hostname or "", parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    if not host:
        raise ValueError(f"{bare_address(url)!r} names no host")  # said in the trail: no password, no token
    addresses = resolve(host, port, within=timeout if resolve_within is None else resolve_within)
    if not addresses:
        raise OSError(f"{host} does not resolve")
    if not (internal_allowed() if allow_internal is None else allow_internal):
        if inside := first_internal(addresses):
            raise InternalAddress(inside)
    connection: _Pinned
    if https:
        connection = _PinnedHTTPS(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        connection = _Pinned(host, port, timeout=timeout)
    connection.pinned = tuple(dict.fromkeys(str(address) for address in addresses))
    return connection


def request_target(url: str) -> str:
    """What a request to ``url`` names after its method: the path (``/`` when there is none) and the query."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


@contextmanager
def deadline(connection: http.client.HTTPConnection, seconds: float) -> Iterator[threading.Event]:
    """The exchange on ``connection`` ends after ``seconds`` in all, whatever each read's own timeout: a server that
    answers a byte at a time cannot hold its caller longer (its socket is shut; the read in progress fails, or
    returns what had come). The event it yields is set when it cut: what was read then is not the whole answer.
    A connection ``connection_to`` made and opened inside is opened within the time left; one opened as the time is
    up is shut at once, nothing sent, and none is opened after."""
    cut = threading.Event()
    # A connection still to be opened (``_Pinned``) is opened within the time left, and a socket it gets once the
    # time is up is shut at once: the timer, finding none, would have cut nothing.
    pinned = connection if isinstance(connection, _Pinned) else None
    if pinned is not None:
        pinned.ends_at, pinned.cut = time.monotonic() + seconds, cut

    def shut() -> None:
        cut.set()  # before the socket is read: a connection that gets its socket now sees the cut (_Pinned.connect)
        if connection.sock is not None:
            _shut(connection.sock)

    timer = threading.Timer(seconds, shut)
    timer.daemon = True
    timer.start()
    try:
        yield cut
    finally:
        timer.cancel()
        if pinned is not None:
            pinned.ends_at = pinned.cut = None


def _shut(sock: socket.socket) -> None:
    """Ends both directions of ``sock``: a read in progress fails or returns what had come, a write fails."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def forbidden_address(url: str, *, within: float | None = None) -> str | None:
    """The address on this server's own network that ``url``'s host is, when webhooks may not go there (the operator
    did not allow it), else None. Checked when a webhook is set, and again before each call. ``NotResolvedInTime``
    when the name is not resolved within ``within`` seconds (None: as long as the resolver takes)."""
    if internal_allowed():
        return None
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return internal_address(parts.hostname or "", port, within=within) if parts.hostname else None


#: A segment of a path that reads as a secret: long, letters and digits mixed (a Slack-style webhook's last
#: segment, a catch hook's key). Words, numbers and dashed names are not.
_OPAQUE_SEGMENT = re.compile(r"(?=[A-Za-z0-9_-]*[0-9])(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{16,}")


def _without_opaque_segments(path: str) -> str:
    return "/".join(segment[:4] + "…" if _OPAQUE_SEGMENT.fullmatch(segment) else segment
                    for segment in path.split("/"))


def bare_address(url: str | None) -> str:
    """``url`` as the log and the trail may show it: its scheme, host, port and path, without a user name, a password,
    a query (a token), a fragment, or a path segment that reads as a token (``_OPAQUE_SEGMENT``: its first four
    characters are kept, to tell two apart); "" for nothing."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:  # a port that is no number, a bracket left open: nothing of it is shown
        return "?"
    if ":" in host:
        host = f"[{host}]"
    where = host + (f":{port}" if port is not None else "")
    if parts.netloc:
        path = _without_opaque_segments(parts.path)
        shown = f"{parts.scheme}://{where}{path}" if parts.scheme else f"//{where}{path}"
    else:  # outbox:12, a relative path
        shown = f"{parts.scheme}:{parts.path}" if parts.scheme else parts.path
    # Whatever it holds, on one line.
    return "".join(c if c.isprintable() else "?" for c in shown)


def has_credentials(url: str) -> bool:
    """Whether ``url`` names a user or a password (``https://user:password@host/``), which no call sends."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return "@" in parts.netloc


def refusal(url: str, *, signed: bool = True) -> str | None:
    """What a person reads when a webhook they set (publishing or chat) may not be called as it stands: a user name
    or a password in its address (never sent: ``http.client`` drops them, and the receiver of a signed call checks
    its signature, ``signed``), an address on the server's own network, or a name not resolved within
    ``SET_LOOKUP_S`` (its address could not be checked); None when it may be called."""
    if has_credentials(url):
        if signed:
            return gettext("Put no user name or password in the address: the receiver checks the "
                           "X-Approval-Signature header instead.")
        return gettext("Put no user name or password in the address: they would not be sent.")
    try:
        inside = forbidden_address(url, within=SET_LOOKUP_S)
    except NotResolvedInTime as late:
        return gettext("%(host)s could not be resolved in %(seconds)s s; check the name or try again.",
                       host=late.host, seconds=_seconds(late.seconds))
    if inside is None:
        return None
    return gettext("%(address)s is on this server's own network: a webhook must be reachable from the internet (the "
                   "operator can allow private addresses with %(setting)s=1).", address=inside,
                   setting="APPROVAL_WEBHOOK_PRIVATE_ADDRESSES")


def internal_allowed() -> bool:
    """Whether the operator allows webhooks on the private network (the app's config, else the environment)."""
    if has_app_context():
        return bool(current_app.config.get("WEBHOOK_PRIVATE_ADDRESSES"))
    return Settings.from_env().webhook_private_addresses
