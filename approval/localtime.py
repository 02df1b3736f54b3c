"""Instants as people read them: wall-clock time in a market's zone, with the zone's name and offset. Used by the
pages (the ``in_zone`` filter) and by the messages the workflow and the worker write (an embargo, a stop switch)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def wall_clock(instant: datetime, zone: str) -> datetime | None:
    """``instant`` as the clocks of ``zone`` read it; None when the zone is unknown or the date out of range."""
    try:
        return instant.astimezone(ZoneInfo(zone))
    except (OverflowError, ValueError, ZoneInfoNotFoundError):
        return None


def in_zone(instant: datetime | None, zone: str) -> str:
    """An instant as wall-clock time in ``zone``, followed by the zone's name: "2026-12-02 17:01 (Europe/Paris,
    UTC+01:00)"."""
    if instant is None:
        return ""
    try:
        local = instant.astimezone(ZoneInfo(zone))
    except OverflowError:  # year 1 or 9999 pushed out of range by the zone's offset: shown in UTC, as stored
        return f"{instant.strftime('%Y-%m-%d %H:%M')} (UTC)"
    return f"{local.strftime('%Y-%m-%d %H:%M')} ({zone}, UTC{local.strftime('%z')[:3]}:{local.strftime('%z')[3:]})"
