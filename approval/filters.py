"""Template helpers: local times with their zone, ages, word diffs, the buttons of a post."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.lists import format_list
from babel.units import format_unit
from flask import Flask
from flask_babel import (
    format_datetime,
    format_decimal,
    format_percent,
    format_timedelta,
    get_locale,
    get_timezone,
    gettext,
)
from markupsafe import Markup

from approval.db import utcnow
from approval.labels import (
    decimal,
    done,
    finding_message,
    heading,
    label,
    said_clock,
    said_date,
    said_in,
    said_wall,
    state_label,
    utc_offset,
)
from approval.localtime import repeating_zones, wall_clock
from approval.operations import diff_texts
from approval.publishing import reasons
from approval.publishing.status import answer, overdue
from approval.style.media import MB, media_index, size_figure, size_unit
from approval.style.media import KIND_NAMES
from approval.media.convert import converted_types
from approval.style.media import accepted as accepted_media
from approval.style.network import network_name
from approval.workflow.engine import available_actions, can_edit, withheld_actions


def word_diff(old: str, new: str) -> Markup:
    """``new`` with words added in <ins> and words removed in <del>."""
    tags = {"insert": Markup("<ins>%s</ins>"), "delete": Markup("<del>%s</del>"), "equal": Markup("%s")}
    return Markup("").join(tags[op.op] % op.text for op in diff_texts(old, new))


def now_in(zone: str) -> str:
    """The time it is now in ``zone``, as a sentence tells it (beside a time to type in that zone)."""
    return said_wall(utcnow().astimezone(ZoneInfo(zone)))


@dataclass(frozen=True)
class ZoneFold:
    """A zone where a wall-clock time typed once for several markets happens twice: its two instants, as the
    choice shows them, and the one chosen (0 or 1), if any."""

    zone: str
    instants: tuple[str, str]
    chosen: int | None


def zone_folds(local: datetime, zones: Iterable[str], chosen: Callable[[str], int | None]) -> list[ZoneFold]:
    """The ``zones`` where ``local`` happens twice (``localtime.repeating_zones``), each with its two instants and
    ``chosen(zone)``: each asks its own "which one?" (a set's proposed time, "Approve and schedule all at")."""
    typed = local.strftime("%Y-%m-%dT%H:%M")
    return [ZoneFold(zone, repeated_instants(typed, zone) or ("", ""), chosen(zone))
            for zone in repeating_zones(local, zones)]


def repeated_instants(typed: str, zone: str) -> tuple[str, str] | None:
    """A wall-clock time the clocks repeat in ``zone`` (``YYYY-MM-DDTHH:MM``, as the form sends it), as its two
    instants: "Oct 31, 2027, 02:30 UTC+02:00", then "... UTC+01:00"; None for any other time, or one that cannot be
    read."""
    try:
        local = datetime.strptime(typed, "%Y-%m-%dT%H:%M")
        place = ZoneInfo(zone)
    except (ValueError, KeyError):
        return None
    told = [local.replace(tzinfo=place, fold=fold) for fold in (0, 1)]
    # Repeated: the first reading is the earlier offset's, ahead of the second (the clocks went back). A time the
    # clocks skip reads the other way round, and is no choice between two instants: it does not exist.
    first, second = told[0].utcoffset(), told[1].utcoffset()
    if first is None or second is None or first <= second:
        return None

    def said(instant: datetime) -> str:
        return f"{said_wall(instant)} {utc_offset(instant)}"

    return said(told[0]), said(told[1])


def age(instant: datetime | None) -> str:
    if instant is None:
        return ""
    return format_timedelta(utcnow() - instant, granularity="minute", threshold=1.1)


def ago(instant: datetime | None) -> str:
    """How long ago, in the reader's language: "3 minutes ago", "il y a 3 minutes"."""
    if instant is None:
        return ""
    return format_timedelta(instant - utcnow(), granularity="minute", threshold=1.1, add_direction=True)


def number(value: float | None, digits: int = 1) -> str:
    """A figure in the reader's language ("72.7" in English, "72,7" in French); "—" for none."""
    if value is None:
        return "—"
    return format_decimal(value, format="#,##0." + "0" * digits if digits else "#,##0")


def file_size(size: int) -> str:
    """A file's size as its findings and the upload's refusals write it ("8.5 MB: Instagram takes at most 8 MB."):
    1 MB = 1,024 KB, as the networks count their limits, to one decimal (``approval.style.media.size_figure``), in
    the reader's language: "29.7 KB", "8.5 MB"; "29,7 Ko", "8,5 Mo" in French. The figure and its unit never part
    at a line's end."""
    unit = size_unit(size)
    figure = decimal(size_figure(size, unit))
    shown = gettext("%(size)s MB", size=figure) if unit == MB else gettext("%(size)s KB", size=figure)
    return shown.replace(" ", "\u00a0")


def duration(hours: float | None) -> str:
    """A duration given in hours, in the unit that reads best: "45 s", "12 min", "3.5 h" ("3,5 h" in French); a
    review of a few minutes read "0.0 h"."""
    if hours is None:
        return "—"
    seconds = hours * 3600
    if round(seconds) < 60:
        return format_unit(round(seconds), "duration-second", length="short", locale=get_locale())
    if round(seconds / 60) < 60:
        return format_unit(round(seconds / 60), "duration-minute", length="short", locale=get_locale())
    return format_unit(hours, "duration-hour", length="short", format="#,##0.0", locale=get_locale())


def percentage(rate: float | None) -> float | None:
    """A rate (0 to 1) as the percentage a report shows: one decimal, rounded once, half up, from the rate's decimal
    value (60 of 79: 75.9). The page, the charts and the CSV files all show this one: a rate rounded to 4 digits
    first (0.7595) and again on the page read 76.0 on its card and 75.9 in its chart."""
    if rate is None:
        return None
    return float((Decimal(repr(rate)) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP))


def percent(rate: float | None) -> str:
    """A rate (0 to 1) as a percentage in the reader's language ("72.7%", "72,7 %"), as ``percentage`` rounds it;
    "—" for none."""
    shown = percentage(rate)
    if shown is None:
        return "—"
    pattern = get_locale().percent_formats[None].pattern  # the language's own: "#,##0%", "#,##0\u00a0%"...
    last = pattern.rfind("0")
    # A Decimal of one decimal place: Babel has nothing left to round.
    return format_percent(Decimal(repr(shown)) / 100, format=pattern[:last + 1] + ".0" + pattern[last + 1:])


def worker_reasons(why: list[dict]) -> str:
    """The worker's reasons for not sending a post (an audit row's ``why``), in the reader's language."""
    return reasons.text(why, gettext, decimal)


def about_media(finding: dict, body: str) -> bool:
    """A stored finding about the post's media, not its text (``approval.style.media.media_index``)."""
    return media_index(finding["start"], finding["end"], body) is not None


def either(items: list) -> str:
    """"a, b or c" in the page's language (Babel's list patterns)."""
    return format_list([str(item) for item in items], style="or", locale=get_locale() or "en")


def viewer_zone() -> str:
    """The zone of the signed-in person's own dates (their profile's, else their first market's; UTC otherwise),
    for what belongs to no market: a stop switch on everything, a group-wide campaign's."""
    return str(get_timezone())


def slot_time(instant: datetime | None, zone: str) -> str:
    """A slot (when a post goes out, went out, missed its time or is tried again) in its market's time, and, when
    the viewer's clock reads otherwise at that instant, in theirs: "Dec 8, 2026, 09:00 (Europe/Paris, UTC+01:00) ·
    03:00 your time (America/New_York)", with the date when it is another day there. A New York project manager
    scheduling for Paris worked the hour out in their head."""
    market_time = said_in(instant, zone)
    mine = viewer_zone()
    if instant is None or mine == zone:
        return market_time
    there, here = wall_clock(instant, zone), wall_clock(instant, mine)
    if there is None or here is None or there.replace(tzinfo=None, second=0, microsecond=0) == \
            here.replace(tzinfo=None, second=0, microsecond=0):
        return market_time
    time = said_clock(here) if here.date() == there.date() else said_wall(here)
    return gettext("%(market_time)s · %(time)s your time (%(zone)s)", market_time=market_time, time=time, zone=mine)


def said_in_viewers(instant: datetime | None) -> str:
    """An instant that belongs to no market (a token made, a link revoked), in the viewer's own zone."""
    return said_in(instant, viewer_zone())


def campaign_zone(campaign: Any) -> ZoneInfo:
    """The zone a campaign's times (its embargo) are typed and shown in: its market's; a group-wide campaign's in the
    viewer's own (their profile's, else UTC), the zone every other time without a market is shown in: an admin read
    an embargo typed in UTC as a slip."""
    return ZoneInfo(campaign.market.timezone) if campaign.market else ZoneInfo(viewer_zone())


#: What a cut text loses at its end before its ellipsis: "boutiques.…" and "boutiques...." read as typos.
_CUT_END = " \t\n.,;:!?…"


def truncate(text: Any, length: int = 255, killwords: bool = False, end: str = "…", leeway: int = 5) -> str:
    """Jinja's ``truncate``, as the pages want it: an ellipsis (not three dots), after the last whole word (or mid-word
    with ``killwords``), with the punctuation the cut left at the end dropped first."""
    text = str(text or "")
    if len(text) <= length + leeway:
        return text
    cut = text[:max(0, length - len(end))]
    if not killwords and " " in cut.strip():
        cut = cut.rstrip().rsplit(" ", 1)[0]
    return cut.rstrip(_CUT_END) + end


def register(app: Flask) -> None:
    app.jinja_env.filters.update(answer=answer, word_diff=word_diff, age=age, ago=ago,
                                 truncate=truncate,
                                 datetime=format_datetime,
                                 done=done, duration=duration, either=either, file_size=file_size,
                                 finding_message=finding_message,
                                 heading=heading, label=label, media_type_name=KIND_NAMES.get,
                                 network_name=network_name, number=number, percent=percent, slot_time=slot_time,
                                 state_label=state_label,
                                 worker_reasons=worker_reasons, said_date=said_date, said_in=said_in,
                                 said_in_viewers=said_in_viewers)
    app.jinja_env.tests.update(about_media=about_media)
    app.jinja_env.globals.update(accepted_media=accepted_media, converted_media=converted_types,
                                 available_actions=available_actions,
                                 can_edit=can_edit, get_locale=get_locale, is_overdue=overdue, now_in=now_in,
                                 repeated_instants=repeated_instants,
                                 viewer_zone=viewer_zone, withheld_actions=withheld_actions)
