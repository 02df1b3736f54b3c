"""The calendar's entries as an iCalendar document (RFC 5545), written by the ``icalendar`` library.

One VEVENT per post: its UID stays the same for the post's whole life (a calendar program then moves the event when
the post moves) and names the installation (the host of ``APPROVAL_PUBLIC_URL``: staging and production subscribed in
one calendar stay apart), DTSTART is the UTC instant, SEQUENCE the post's version, SUMMARY the market, the account and
an excerpt, DESCRIPTION the kind, the market and its wall-clock time ("2027-03-27 10:00 (Europe/Paris, UTC+01:00)"),
then the text, URL the post's page, CATEGORIES the market, the network and the kind in the reader's language. The
calendar asks to be fetched again every 15 minutes (REFRESH-INTERVAL, and Outlook's X-PUBLISHED-TTL): a post moved at
9:00 showed at its old time until the afternoon. A slot that went wrong (missed, failed, unconfirmed) stays where it
was, its SUMMARY starting with the word for it in brackets ("[Failed] FR · X @helio_fr: ..."): a calendar program
shows it at a glance, and the URL leads to the page that says what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask
from flask_babel import gettext
from icalendar import Calendar, Event, vDuration

from approval.config import configured_public_url
from approval.db import utcnow
from approval.labels import label
from approval.localtime import in_zone
from approval.queries.calendar import PROBLEMS, Entry
from approval.style.network import network_name

#: How long an event lasts in the calendar: a post is an instant, a calendar wants a span.
EVENT_LENGTH = timedelta(minutes=15)
#: How often a calendar program should fetch the feed again (RFC 7986 REFRESH-INTERVAL).
REFRESH = timedelta(minutes=15)


def post_uid(post_id: int, domain: str = "approval") -> str:
    return f"post-{post_id}@{domain}"


def feed_domain(app: Flask) -> str:
    """The installation's host (``APPROVAL_PUBLIC_URL``'s), or "approval" where none is set."""
    configured = configured_public_url(app)
    return (urlsplit(configured).hostname if configured else None) or "approval"


def _mark(kind: str) -> str:
    """"[Failed] ", "[Unconfirmed] ", "[Missed] " (in the reader's language) before a slot that went wrong; "" else."""
    if kind not in PROBLEMS:
        return ""
    word = _word(kind)
    return f"[{word[:1].upper()}{word[1:]}] "


def _word(kind: str) -> str:
    """An entry's kind in the reader's language: a missed post is back in ``approved``, so its word is the
    calendar's own, not a state's."""
    return gettext("missed") if kind == "missed" else label(kind)


def ical_feed(entries: Iterable[Entry], *, name: str, post_url: Callable[[int], str],
              domain: str = "approval") -> bytes:
    """``domain``: what the events' UIDs end with, the installation's host."""
    calendar = Calendar()
    calendar.add("prodid", "-//approval//publication calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))  # an X- property: given its type, or written as text
    stamp = utcnow().replace(microsecond=0)
    for entry in entries:
        post, account = entry.post, entry.post.account
        event = Event()
        event.add("uid", post_uid(post.id, domain))
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.at.replace(microsecond=0))
        event.add("dtend", entry.at.replace(microsecond=0) + EVENT_LENGTH)
        event.add("sequence", post.version)
        event.add("last-modified", post.updated_at.replace(microsecond=0))
        event.add("summary", f"{_mark(entry.kind)}{account.market.code} · {network_name(account.network)} "
                             f"@{account.handle}: {entry.excerpt}")
        # The market's wall-clock time in words: DTSTART is UTC, and a calendar program shows it in its own zone.
        event.add("description", f"{_word(entry.kind)} · {account.market.code} · "
                                 f"{in_zone(entry.at, account.market.timezone)}\n{post.body}")
        event.add("url", post_url(post.id))
        event.add("status", "CONFIRMED" if entry.kind == "published" else "TENTATIVE")
        event.add("categories", [account.market.code, network_name(account.network), _word(entry.kind)])
        calendar.add_component(event)
    return calendar.to_ical()
