"""The words a sentence tells a date in, built by the helpers the pages and mails use (``approval.labels``) in a
request of the page's language, so that a test expects what a reader reads without restating the format."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import force_locale

from approval.labels import said_clock, said_in, said_wall


def in_english(app: Flask, tell: Callable[..., str], *args: Any, **kwargs: Any) -> str:
    """``tell(*args, **kwargs)`` (``said_in``, ``said_wall``, ...) as an English page says it."""
    with app.test_request_context(), force_locale("en"):
        return tell(*args, **kwargs)


def said_in_english(app: Flask, instant: datetime, zone: str) -> str:
    """An instant in ``zone`` as an English sentence tells it: "Dec 8, 2027, 09:00 (Europe/Paris, UTC+01:00)"."""
    return in_english(app, said_in, instant, zone)


def with_your_time(app: Flask, instant: datetime, zone: str, mine: str) -> str:
    """A slot as the pages tell it to a reader whose clock reads another time than the market's: "Dec 8, 2027, 09:00
    (Europe/Paris, UTC+01:00) · 03:00 your time (America/New_York)", the reader's date told when it is another day."""
    there, here = instant.astimezone(ZoneInfo(zone)), instant.astimezone(ZoneInfo(mine))
    time = in_english(app, said_clock if here.date() == there.date() else said_wall, here)
    return f"{said_in_english(app, instant, zone)} · {time} your time ({mine})"
