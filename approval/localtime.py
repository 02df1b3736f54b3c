"""Instants in a market's zone, with the zone's name and offset. ``in_zone`` writes them in a fixed ISO-like form
for what is read the same in every language (the command line, the calendar feed); sentences on pages and in mails
write them in the reader's language (``approval.labels.said_in``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def wall_clock(instant: datetime, zone: str) -> datetime | None:
    """``instant`` as the clocks of ``zone`` read it; None when the zone is unknown or the date out of range."""
    try:
        return instant.astimezone(ZoneInfo(zone))
    except (OverflowError, ValueError, ZoneInfoNotFoundError):
        return None


def utc_offset(local: datetime) -> str:
    """The offset of ``local``'s zone at that instant: "UTC+05:30"."""
    offset = local.strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"


def in_zone(instant: datetime | None, zone: str) -> str:
    """An instant as wall-clock time in ``zone``, followed by the zone's name: "2026-12-02 17:01 (Europe/Paris,
    UTC+01:00)"."""
    if instant is None:
        return ""
    try:
        local = instant.astimezone(ZoneInfo(zone))
    except OverflowError:  # year 1 or 9999 pushed out of range by the zone's offset: shown in UTC, as stored
        return f"{instant.strftime('%Y-%m-%d %H:%M')} (UTC)"
    return f"{local.strftime('%Y-%m-%d %H:%M')} ({zone}, {utc_offset(local)})"


def repeated(local: datetime) -> bool:
    """Whether the clocks of ``local``'s zone read this time twice (the night they go back)."""
    other = local.replace(fold=1 - local.fold)
    return other.utcoffset() != local.utcoffset()


def zone_mark(local: datetime) -> str:
    """The short name of the zone's time at ``local`` ("EDT", "CET"), or its offset where the zone has no name for it
    ("UTC+03:00")."""
    name = local.tzname() or ""
    return name if name[:1].isalpha() else utc_offset(local)


def skipped(local: datetime, zone: str) -> tuple[datetime, datetime] | None:
    """The clocks' jump that skips ``local`` (a wall-clock time) in ``zone``: the wall-clock time they leave and the
    one they jump to ("02:00" to "03:00" in Paris on the last Sunday of March); None when ``local`` exists."""
    place = ZoneInfo(zone)
    naive = local.replace(tzinfo=None, fold=0)
    before, after = (naive.replace(tzinfo=place, fold=fold).utcoffset() for fold in (0, 1))
    if before is None or after is None or after <= before or \
            naive.replace(tzinfo=place).astimezone(UTC).astimezone(place).replace(tzinfo=None) == naive:
        return None
    # The jump happens between these two instants (read with the offset after it, then the one before).
    early, late = naive - after, naive - before
    while late - early > timedelta(seconds=1):
        middle = early + (late - early) / 2
        if middle.replace(tzinfo=UTC).astimezone(place).utcoffset() == before:
            early = middle
        else:
            late = middle
    jump = late.replace(microsecond=0, tzinfo=UTC)
    return (jump + before).replace(tzinfo=None), (jump + after).replace(tzinfo=None)


def repeating_zones(local: datetime, zones: Iterable[str]) -> list[str]:
    """Those of ``zones`` (each once, in their order) whose clocks read the wall-clock time ``local`` twice, the night
    they go back: where a time typed once for several markets needs its own "which one?". A zone that skips the time
    (its first reading is the earlier offset, the spring change) or reads it once is not among them, nor one unknown."""
    naive = local.replace(tzinfo=None, fold=0)
    found = []
    for zone in dict.fromkeys(zones):
        try:
            place = ZoneInfo(zone)
        except (ValueError, ZoneInfoNotFoundError):
            continue
        first, second = (naive.replace(tzinfo=place, fold=fold).utcoffset() for fold in (0, 1))
        if first is not None and second is not None and first > second:
            found.append(zone)
    return found
