"""The calendar's entries as an iCalendar document (RFC 5545), written by the ``icalendar`` library.

One VEVENT per post: its UID stays the same for the post's whole life (a calendar program then moves the event when
the post moves), DTSTART is the UTC instant, SEQUENCE the post's version, SUMMARY the account and an excerpt, URL
the post's page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from icalendar import Calendar, Event

from approval.db import utcnow
from approval.queries.calendar import Entry
from approval.style.network import network_name

#: How long an event lasts in the calendar: a post is an instant, a calendar wants a span.
EVENT_LENGTH = timedelta(minutes=15)


def post_uid(post_id: int) -> str:
    return f"post-{post_id}@approval"


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
        event.add("summary", f"{network_name(account.network)} @{account.handle}: {entry.excerpt}")
        event.add("description", f"{entry.kind} · {account.market.code}\n{post.body}")
        event.add("url", post_url(post.id))
        event.add("status", "CONFIRMED" if entry.kind == "published" else "TENTATIVE")
        event.add("categories", [account.market.code, network_name(account.network), entry.kind])
        calendar.add_component(event)
    return calendar.to_ical()
