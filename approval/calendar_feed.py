"""The calendar's entries as an iCalendar document (RFC 5545), written by the ``icalendar`` library.

One VEVENT per post: its UID stays the same for the post's whole life (a calendar program then moves the event when
the post moves), DTSTART is the UTC instant, SEQUENCE the post's version, SUMMARY the account and an excerpt,
DESCRIPTION the kind, the market and its wall-clock time ("2027-03-27 10:00 (Europe/Paris, UTC+01:00)"), then the
text, URL the post's page. A slot that went wrong (missed, failed, unconfirmed) stays where it was, its SUMMARY
starting with the word for it in brackets ("[Failed] X @helio_fr: ..."): a calendar program shows it at a glance,
and the URL leads to the page that says what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from flask_babel import gettext
from icalendar import Calendar, Event

from approval.db import utcnow
from approval.labels import label
from approval.localtime import in_zone
from approval.queries.calendar import PROBLEMS, Entry
from approval.style.network import network_name

#: How long an event lasts in the calendar: a post is an instant, a calendar wants a span.
EVENT_LENGTH = timedelta(minutes=15)


def post_uid(post_id: int) -> str:
    return f"post-{post_id}@approval"


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


def ical_feed(entries: Iterable[Entry], *, name: str, post_url: Callable[[int], str]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//approval//publication calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = utcnow().replace(microsecond=0)
    for entry in entries:
        post, account = entry.post, entry.post.account
        event = Event()
        event.add("uid", post_uid(post.id))
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.at.replace(microsecond=0))
        event.add("dtend", entry.at.replace(microsecond=0) + EVENT_LENGTH)
        event.add("sequence", post.version)
        event.add("last-modified", post.updated_at.replace(microsecond=0))
        event.add("summary", f"{_mark(entry.kind)}{network_name(account.network)} @{account.handle}: {entry.excerpt}")
        # The market's wall-clock time in words: DTSTART is UTC, and a calendar program shows it in its own zone.
        event.add("description", f"{_word(entry.kind)} · {account.market.code} · "
                                 f"{in_zone(entry.at, account.market.timezone)}\n{post.body}")
        event.add("url", post_url(post.id))
        event.add("status", "CONFIRMED" if entry.kind == "published" else "TENTATIVE")
        event.add("categories", [account.market.code, network_name(account.network), entry.kind])
        calendar.add_component(event)
    return calendar.to_ical()
