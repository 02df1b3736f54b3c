"""The content calendar: month, week and list views of scheduled, published and missed posts, and of those the worker
could not publish (failed) or sent without a known answer (unconfirmed), in the viewer's zone or a market's; a project
manager moves a scheduled post or a missed one to another slot (drag and drop, the keyboard, or the list's form),
which is a ``schedule`` through the engine with its guards (a failed or unconfirmed post is retried or confirmed from
its page, not moved). A post of a set moves alone, and the answer says so, with a link to the set. A move by days
or hours counts them on the clock of the post's market, whatever zone the calendar is shown in: the market's
wall-clock time is what was scheduled (Paris and New York change their clocks on different dates). And the private
iCalendar feed (``/calendar.ics``).
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_interval, format_time, get_day_names
from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import func, select

from approval import operations as ops
from approval.access import visible_markets, visible_posts
from approval.administration import place_zone
from approval.db import db, utcnow
from approval.errors import answers_in_json, error_body
from approval.feeds import issue_feed_token, live_feed_token, revoke_feed_tokens, user_for_feed
from approval.filters import slot_time
from approval.labels import said_clock_in
from approval.localtime import repeated, utc_offset, wall_clock, zone_mark
from approval.models import Market, Post, User
from approval.models.notifications import NotificationProfile
from approval.style.network import network_name
from approval.notifications.zones import chosen_zone
from approval.publishing.status import not_going_out
from approval.queries import posts as listing
from approval.queries.calendar import Entry, window
from approval.security import safe_next
from approval.views import form_version
from approval.views.posts import PUBLISH_NOW, ask_publish_now, would_hold_now
from approval.workflow import engine
from approval.workflow.errors import GuardFailed, WorkflowError
from approval.workflow.states import Action, State

bp = Blueprint("calendar", __name__)

VIEWS = ("month", "week", "list")
#: A day of the month grid lists this many entries, then "+N more" (a link to that day in the list).
MONTH_DAY_ENTRIES = 6
#: The feed covers this much of the past and of the future.
FEED_PAST, FEED_FUTURE = timedelta(days=60), timedelta(days=366)


def _zone(name: str | None, markets: list[Market], filters: listing.PostFilters) -> tuple[ZoneInfo, str]:
    """The zone asked for, else the filtered market's, else the user's own (their profile's), else their browser's,
    else their first market's for someone bound to markets; else UTC (a group-wide user's "first market" would
    change with each market an admin adds). With where it came from: ``url``, ``market``, ``profile``,
    ``browser`` or ``default`` (the page's script, knowing the browser's zone, shows it again in that zone)."""
    if (zone := place_zone(name)) is not None:
        return zone, "url"
    by_code = {m.code: m for m in markets}
    if filters.market in by_code:
        return by_code[filters.market].zone, "market"
    if not filters.market:
        profile = db.session.get(NotificationProfile, current_user.id)
        own = profile.timezone if profile else None
        if (zone := place_zone(chosen_zone(own))) is not None:
            return zone, "profile" if place_zone(own) is not None else "browser"
    if markets and not current_user.all_markets:
        return markets[0].zone, "default"
    return ZoneInfo("UTC"), "default"


#: The calendar's range: a month or a week around any day of it can be shown and stepped out of.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9000, 12, 31)


def _anchor(text: str | None, zone: ZoneInfo) -> date:
    try:
        day = date.fromisoformat(text) if text and len(text) <= 10 else utcnow().astimezone(zone).date()
    except ValueError:
        day = utcnow().astimezone(zone).date()
    return min(max(day, FIRST_DAY), LAST_DAY)


def _days(view: str, anchor: date, first_weekday: int) -> tuple[list[date], date, date]:
    """The days the view shows, and the previous and next anchors."""
    def week_start(day: date) -> date:
        return day - timedelta(days=(day.weekday() - first_weekday) % 7)

    if view == "week":
        start = week_start(anchor)
        return [start + timedelta(days=n) for n in range(7)], start - timedelta(days=7), start + timedelta(days=7)
    first = anchor.replace(day=1)
    last = first.replace(day=monthrange(first.year, first.month)[1])
    previous = (first - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    if view == "list":
        return [first + timedelta(days=n) for n in range(last.day)], previous, following
    start, end = week_start(first), week_start(last) + timedelta(days=6)
    return [start + timedelta(days=n) for n in range((end - start).days + 1)], previous, following


@dataclass(frozen=True)
class Slot:
    """Where a post can be dropped in the week: an hour of a day in the calendar's zone, with the posts it holds; on
    the night the clocks go back, one of the two readings of the hour they repeat (``fold`` 0, the first, or 1), with
    the zone's short name for it ("CEST", "CET") and its words ("the first time (before the clocks go back) ·
    UTC+02:00")."""

    day: date
    hour: int
    entries: list[Entry] = field(default_factory=list)
    fold: int | None = None
    mark: str = ""
    said: str = ""


@dataclass(frozen=True)
class HourCell:
    """An hour of a day in the week: one slot; two on the night the clocks read the hour twice; none when they skip
    it (the morning they go forward), ``skipped`` saying so."""

    day: date
    hour: int
    slots: list[Slot]
    skipped: str | None = None


def _odd_hours(day: date, zone: ZoneInfo) -> tuple[set[int], dict[int, datetime]]:
    """The hours of ``day`` the clocks of ``zone`` skip whole (they go forward over them), and those they read twice
    in part or whole (they go back), each with its first minute read twice. Nothing on a day they do not change."""
    midnight = datetime.combine(day, time(), zone)
    following = datetime.combine(day + timedelta(days=1), time(), zone)
    if midnight.utcoffset() == following.utcoffset() == midnight.replace(fold=1).utcoffset() \
            == following.replace(fold=1).utcoffset():  # an hour read twice up to midnight changes the next one's
        return set(), {}
    gaps: Counter[int] = Counter()
    twice: dict[int, datetime] = {}
    start = datetime.combine(day, time())
    for minute in range(24 * 60):  # a minute at a time: some zones change by half an hour, at half past
        naive = start + timedelta(minutes=minute)
        first, second = (naive.replace(tzinfo=zone, fold=fold).utcoffset() for fold in (0, 1))
        if first is None or second is None or first == second:
            continue
        if first < second:  # PEP 495: a time the clocks skip reads the offset before the change with fold 0
            gaps[naive.hour] += 1
        else:
            twice.setdefault(naive.hour, naive)
    return {hour for hour, minutes in gaps.items() if minutes == 60}, twice


def _week_rows(days: list[date], zone: ZoneInfo, by_day: dict[date, list[Entry]]) -> list[tuple[int, list[HourCell]]]:
    """The week's 24 rows of hours in the calendar's zone, each with a cell per day: an hour the clocks skip that day
    is no slot (a post cannot be dropped there: the time does not exist), an hour they repeat is two (each post at
    the reading of its instant, a drop saying which)."""
    cells: dict[tuple[date, int], HourCell] = {}
    for day in days:
        gaps, twice = _odd_hours(day, zone)
        for hour in range(24):
            if hour in gaps:
                said = ops.skipped_time(datetime.combine(day, time(hour)), zone.key)
                cells[day, hour] = HourCell(day, hour, [], skipped=said)
            elif hour in twice:
                readings = [twice[hour].replace(tzinfo=zone, fold=fold) for fold in (0, 1)]
                words = (_("the first time (before the clocks go back)"),
                         _("the second time (after the clocks go back)"))
                cells[day, hour] = HourCell(day, hour, [
                    Slot(day, hour, fold=fold, mark=zone_mark(reading), said=f"{words[fold]} · {utc_offset(reading)}")
                    for fold, reading in enumerate(readings)])
            else:
                cells[day, hour] = HourCell(day, hour, [Slot(day, hour)])
    for day, entries in by_day.items():
        for entry in entries:
            local = entry.at.astimezone(zone)
            cell = cells.get((local.date(), local.hour))
            if cell is not None and cell.slots:
                cell.slots[min(local.fold, len(cell.slots) - 1)].entries.append(entry)
    return [(hour, [cells[day, hour] for day in days]) for hour in range(24)]


#: The action that starts a move, per kind of entry: unschedule then schedule for a scheduled post, schedule for one
#: whose slot was missed. Published, failed and unconfirmed posts do not move (the table's ``retry`` has no time).
_FIRST_MOVE = {"scheduled": Action.unschedule, "missed": Action.schedule}


def _movable(entry: Entry, user: User) -> bool:
    """Whether ``user`` may give this post another time: what the table allows."""
    first = _FIRST_MOVE.get(entry.kind)
    if first is None:
        return False
    try:
        engine.find_transition(entry.post, first, user)
    except WorkflowError:
        return False
    return True


@bp.get("/calendar")
@login_required
def show_calendar():
    filters = listing.PostFilters.from_args(request.args)
    view = request.args.get("view") if request.args.get("view") in VIEWS else "month"
    markets = list(db.session.scalars(visible_markets(current_user)))
    zone, zone_from = _zone(request.args.get("tz"), markets, filters)
    anchor = _anchor(request.args.get("date"), zone)
    locale = get_locale()
    days, previous, following = _days(view, anchor, locale.first_week_day)
    start = datetime.combine(days[0], time(), zone).astimezone(UTC)
    end = datetime.combine(days[-1] + timedelta(days=1), time(), zone).astimezone(UTC)
    # The month grid shows the first entries of each day and how many more; the week and the list show them all.
    found = window(db.session, current_user, filters, start, end,
                   per_day=(zone, MONTH_DAY_ENTRIES) if view == "month" else None)
    by_day: dict[date, list[Entry]] = {day: [] for day in days}
    for entry in found.entries:
        by_day.setdefault(entry.at.astimezone(zone).date(), []).append(entry)
    movable = {e.post.id for e in found.entries if _movable(e, current_user)}
    zones = sorted({m.timezone for m in markets} | {"UTC", zone.key})

    def local_time(at: datetime) -> str:
        """"09:30"; "01:30 EDT" and "01:30 EST" on the night the clocks go back, when 01:30 happens twice."""
        local = at.astimezone(zone)
        shown = format_time(local, "HH:mm", locale=locale)
        return f"{shown} {zone_mark(local)}" if repeated(local) else shown

    def market_time(entry: Entry) -> str | None:
        """The post's time in its market when the calendar's zone reads another: "09:30 (Europe/Paris, UTC+01:00)",
        with the date when it is another day there ("Dec 5, 2026, 03:30 (...)")."""
        market_zone = entry.post.account.market.timezone
        there, here = wall_clock(entry.at, market_zone), entry.at.astimezone(zone)
        if there is None or there.replace(tzinfo=None) == here.replace(tzinfo=None):
            return None
        return said_clock_in(entry.at, market_zone, on=here.date())

    def local_fold(at: datetime) -> int | None:
        """Which reading of a time the clocks repeat in the calendar's zone (0, the first; 1, the second); None for
        a time they read once."""
        local = at.astimezone(zone)
        return local.fold if repeated(local) else None

    keep = {k: v for k, v in filters.args().items() if k in ("market", "network", "account_id", "campaign_id")}
    return render_template(
        "calendar/show.html", view=view, days=days, by_day=by_day, anchor=anchor, previous=previous,
        week_rows=_week_rows(days, zone, by_day) if view == "week" else [], local_fold=local_fold,
        following=following, zone=zone, zones=zones, filters=filters, keep=keep, truncated=found.truncated,
        total=found.total, per_day=found.per_day, movable=movable, today=utcnow().astimezone(zone).date(),
        choices=listing.filter_choices(db.session, current_user), zone_from=zone_from,
        weekday_names=get_day_names("abbreviated", locale=locale),
        local_time=local_time, market_time=market_time,
        local_iso=lambda at: at.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        market_iso=lambda entry: entry.at.astimezone(entry.post.account.market.zone).strftime("%Y-%m-%dT%H:%M"),
        day_title=lambda day, fmt="full": format_date(day, fmt, locale=locale),
        week_title=format_interval(days[0], days[-1], "yMMMd", locale=locale) if days else "",
        month_title=format_date(anchor, "LLLL y", locale=locale),
    )


#: The most days and hours one move shifts a post by (a schedule reaches a year ahead).
MOST_DAYS, MOST_HOURS = 400, 24
_SHIFT = re.compile(r"[+-]?[0-9]{1,3}")


@bp.post("/calendar/move")
@login_required
def move_post():
    """Give a post another slot: ``local_time`` (``YYYY-MM-DDTHH:MM``) in zone ``tz``, and ``fold`` (0 or 1) when
    that time happens twice (the list's form; a drop on an hour of the week, in the zone the calendar shows); or
    ``days`` and ``hours`` later (negative: earlier) on its market's clock (a drop on a day of the month, and the
    keyboard: Paris 03:30 a day earlier is Paris 03:30 the day before, whatever zone the calendar shows). A
    scheduled post is unscheduled then scheduled again, both through the engine and audited, in one transaction. A
    time that happens twice, without ``fold``, sends the person to the post's page, whose move form then offers
    both. A time the clocks skip is refused, saying from when to when they jump.

    The answer is JSON for the calendar's script (``Accept: application/json``) and any script that says it is one
    (``X-Requested-With: fetch``), as the errors this raises are (``errors.answers_in_json``); a redirection for
    the form posted without scripts."""
    wants_json = answers_in_json()
    post_id = request.form.get("post_id", type=int)
    version = form_version()
    if not post_id or post_id > 2**31 - 1:
        abort(404)
    post = ops.load_post(db.session, current_user, post_id, for_update=True)
    if request.form.get("when") == "now":  # the post page's "Publish now" (a post a switch held, once it is off)
        if request.form.get("ask_first") == "now":  # a browser without scripts asked nothing: the post's page asks
            first = _FIRST_MOVE["scheduled" if post.state == State.scheduled else "missed"]
            if wants_json:
                return _ask_publish_now_json(post, version, first)
            return ask_publish_now(post, version, first)
        return _move(post, version, utcnow() + PUBLISH_NOW, wants_json, now=True)
    try:
        shift = _shift(request.form.get("days", ""), request.form.get("hours", ""))
        if shift is not None:
            zone, local, fold = _shifted(post, shift)
        else:
            zone = place_zone(request.form.get("tz") or post.account.market.timezone)
            typed = request.form.get("local_time", "")
            # Exactly a wall-clock time: "…T10:00+05:00" cut to 16 characters was read as 10:00 in the zone, hours
            # off; strptime also reads full-width digits.
            if zone is None or len(typed) != 16 or not typed.isascii():
                raise ValueError(typed)
            local = datetime.strptime(typed, "%Y-%m-%dT%H:%M")
            fold = {"": None, "0": 0, "1": 1}[request.form.get("fold", "")]
    except (ValueError, KeyError):
        if request.form.get("days") or request.form.get("hours"):  # a move by so many days and hours
            message = _("Move it by whole days or hours (up to a year), and by at least one.")
            return _refused(GuardFailed(message, {"days": [message]}), post, wants_json)
        message = _("Give the new time as YYYY-MM-DDTHH:MM.")
        return _refused(GuardFailed(message, {"local_time": [message]}), post, wants_json)
    try:
        instant = ops.instant_in(local, zone.key, fold)  # refused: a time the clocks skip, or repeat without fold
    except WorkflowError as refused:
        db.session.rollback()
        if "fold" in (refused.errors or {}):
            return _which_one(refused, post, local, zone.key, wants_json)
        return _refused(refused, post, wants_json)
    return _move(post, version, instant, wants_json)


def _ask_publish_now_json(post: Post, version: int | None, first: Action):  # noqa: ANN202
    """"Publish now" with ``ask_first`` from a script: what the post's page would ask (``posts.ask_publish_now``),
    in JSON, nothing done. A 422 as a time the clocks repeat gets (a question to answer before it can be done):
    ``confirm`` is the question, and the same request without ``ask_first`` is the answer "yes". Asked only of
    someone who could do it as the post stands: a role that may not, a version overtaken, raise the engine's typed
    error (403, 409), in JSON too."""
    engine.check_fresh(post, version)
    engine.find_transition(post, first, current_user)
    question = _("Publish this post on %(network)s @%(handle)s now? It cannot be undone.",
                 network=network_name(post.account.network), handle=post.account.handle)
    if held := would_hold_now(post):
        question += " " + _("%(warning)s “%(action)s” all the same?", warning=held, action=_("Publish now"))
    answer = error_body(422, question, {"ask_first": [_("Nothing is done yet.")]})
    answer.update(confirm=question, post_id=post.id, version=post.version)
    return jsonify(answer), 422


def _shift(days: str, hours: str) -> timedelta | None:
    """The ``days`` and ``hours`` of a move as one shift; None when neither is given; ValueError for anything but
    whole numbers within a year's reach."""
    if not days and not hours:
        return None
    if not all(_SHIFT.fullmatch(given) for given in (days or "0", hours or "0")):
        raise ValueError((days, hours))
    by_days, by_hours = int(days or 0), int(hours or 0)
    if abs(by_days) > MOST_DAYS or abs(by_hours) > MOST_HOURS or by_days == by_hours == 0:
        raise ValueError((days, hours))  # no move at all unscheduled and scheduled again for nothing
    return timedelta(days=by_days, hours=by_hours)


def _shifted(post: Post, shift: timedelta) -> tuple[ZoneInfo, datetime, None]:
    """The post's slot (a scheduled post's time, a missed one's) moved by ``shift`` on its market's clock: the zone,
    the new wall-clock time there, and no fold (a time the clocks repeat there is asked about)."""
    zone = post.account.market.zone
    slot = post.scheduled_at if post.state == State.scheduled else post.missed_at
    if slot is None:
        raise ValueError(shift)
    try:
        return zone, slot.astimezone(zone).replace(tzinfo=None) + shift, None
    except OverflowError:
        raise ValueError(shift) from None


def _move(post: Post, version: int | None, instant: datetime, wants_json: bool, *, now: bool = False):  # noqa: ANN202
    """Unschedule (a scheduled post) and schedule at ``instant``, both through the engine, in one transaction."""
    try:
        if post.state == State.scheduled:
            slot = post.scheduled_at
            ops.act_on_post(db.session, post, Action.unschedule, current_user, expected_version=version)
            if slot == instant and not now:
                # Dropped where it was (a fold on a time read once, the same cell): nothing to move. Two audit rows
                # and a new version would have made a colleague's open page a conflict for nothing.
                said = _("Post #%(id)s is already at %(time)s: nothing was moved.", id=post.id,
                         time=slot_time(instant, post.account.market.timezone))
                raise GuardFailed(said, {"local_time": [said]})
            version = post.version
        ops.act_on_post(db.session, post, Action.schedule, current_user, expected_version=version,
                        scheduled_at=instant)
    except WorkflowError as refused:
        db.session.rollback()
        return _refused(refused, post, wants_json)
    db.session.commit()
    # Where it went in its market's time, with the zone's name (the calendar may show another zone), and in the
    # viewer's when their clock reads otherwise.
    moved = _("Post #%(id)s moved to %(time)s.", id=post.id, time=slot_time(instant, post.account.market.timezone))
    in_set = _set_left_behind(post)
    if wants_json:
        answer = {"post_id": post.id, "state": post.state.value, "version": post.version,
                  "scheduled_at": instant.astimezone(UTC).isoformat().replace("+00:00", "Z"), "message": moved}
        if in_set is not None:
            answer["set"] = in_set
        return jsonify(answer)
    if held := not_going_out(db.session, post):
        flash(held, "warning")
    elif now:
        flash(_("Publishing now: the post goes out within a minute. This page shows when it is online."), "success")
    else:
        flash(moved, "success")
    if in_set is not None:
        flash(Markup('{} <a href="{}">{}</a>').format(in_set["note"], in_set["url"], in_set["link"]), "info")
    # Back where the move was asked: the calendar, or the post's page.
    return redirect(safe_next(request.form.get("next")) or url_for("calendar.show_calendar"), 303)


def _set_left_behind(post: Post) -> dict[str, str] | None:
    """What a move of one post of a set says of the others, which it leaves where they were: a market's post moved
    alone is easily taken for the whole message moved. The note, the set's page and its link's words (the calendar's
    script shows them after the move's message, whether the post was dragged or moved with the keyboard; the list's
    form flashes them). None for a post written alone, or the only one of its set the mover sees (the others are
    neither named nor counted to them, as on the set's page)."""
    if post.set_id is None:
        return None
    members = visible_posts(current_user).where(Post.set_id == post.set_id).subquery()
    others = (db.session.scalar(select(func.count()).select_from(members)) or 1) - 1
    if not others:
        return None
    note = ngettext("This post is one of set #%(set)s: the set's %(num)d other post was not moved.",
                    "This post is one of set #%(set)s: the set's %(num)d other posts were not moved.",
                    others, set=post.set_id)
    return {"note": note, "url": url_for("sets.show_set", set_id=post.set_id),
            "link": _("See the set side by side")}


def _which_one(refused: WorkflowError, post: Post, local: datetime, zone: str, wants_json: bool):  # noqa: ANN202
    """A time the clocks repeat in ``zone``: the post's page asks which of the two (its move form, filled in with
    the time and the zone, offers both)."""
    page = url_for("posts.show_post", post_id=post.id, move_time=local.strftime("%Y-%m-%dT%H:%M"),
                   move_tz=zone, _anchor="move")
    flash(refused.message, "error")  # said on the post's page, whichever way the person gets there
    if wants_json:  # the calendar's drag: its script goes to ``choose_at``
        choose = _("Open the post to choose which: its move form offers both.")
        return jsonify({"code": refused.status, "message": refused.message, "errors": {"fold": [choose]},
                        "choose_at": page}), refused.status
    return redirect(page, 303)


def _refused(refused: WorkflowError, post: Post, wants_json: bool):  # noqa: ANN202
    status = refused.status
    if wants_json:
        return jsonify({"code": status, "message": refused.message, "errors": refused.errors}), status
    flash(refused.message, "error")
    for reasons in (refused.errors or {}).values():
        for reason in reasons:
            if reason != refused.message:  # a guard's one reason is often the message itself
                flash(reason, "error")
    return redirect(safe_next(request.form.get("next")) or url_for("calendar.show_calendar"), 303)


# The private feed -------------------------------------------------------------------------------------------


@bp.get("/calendar/feed")
@login_required
def feed_settings():
    token = live_feed_token(db.session, current_user)
    markets = list(db.session.scalars(visible_markets(current_user)))
    return render_template("calendar/feed.html", token=token, secret=None, markets=markets)


@bp.post("/calendar/feed")
@login_required
def create_feed():
    token, secret = issue_feed_token(db.session, current_user)
    db.session.commit()
    markets = list(db.session.scalars(visible_markets(current_user)))
    # Shown in this answer only, never stored: a new one can be made at any time.
    return render_template("calendar/feed.html", token=token, secret=secret, markets=markets)


@bp.post("/calendar/feed/revoke")
@login_required
def revoke_feed():
    revoked = revoke_feed_tokens(db.session, current_user)
    db.session.commit()
    if revoked:
        flash(_("Your calendar feed link is revoked: calendars that used it no longer update."), "success")
    return redirect(url_for("calendar.feed_settings"), 303)


@bp.get("/calendar.ics")
def feed():
    """The user's scheduled and published posts, and the slots that went wrong (missed, failed, unconfirmed: their
    summary says so), RFC 5545; ``market=CODE`` narrows it to one of their markets."""
    from approval.calendar_feed import feed_domain, ical_feed

    user = user_for_feed(db.session, request.args.get("token", ""))
    if user is None:
        abort(404)
    market = (request.args.get("market") or "").strip().upper() or None
    if market is not None and db.session.scalar(
            visible_markets(user).where(Market.code == market).with_only_columns(Market.id)) is None:
        abort(404)
    now = utcnow()
    found = window(db.session, user, listing.PostFilters(market=market), now - FEED_PAST, now + FEED_FUTURE)
    # In its owner's language: calendar programs fetch it from their own servers, in theirs.
    with force_locale(user.locale) if user.locale else nullcontext():
        body = ical_feed(found.entries, name=_("approval: %(who)s", who=user.name) + (f" · {market}" if market else ""),
                         post_url=lambda post_id: url_for("posts.show_post", post_id=post_id, _external=True),
                         domain=feed_domain(current_app))
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="approval.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response

