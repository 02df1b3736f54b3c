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
from contextlib import nullcontext
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
from approval.feeds import issue_feed_token, live_feed_token, revoke_feed_tokens, user_for_feed
from approval.filters import slot_time
from approval.labels import said_clock_in
from approval.localtime import repeated, wall_clock, zone_mark
from approval.models import Market, Post, User
from approval.models.notifications import NotificationProfile
from approval.notifications.zones import chosen_zone
from approval.publishing.status import not_going_out
from approval.queries import posts as listing
from approval.queries.calendar import Entry, window
from approval.security import safe_next
from approval.views import form_version
from approval.views.posts import PUBLISH_NOW, ask_publish_now
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

    keep = {k: v for k, v in filters.args().items() if k in ("market", "network", "account_id", "campaign_id")}
    return render_template(
        "calendar/show.html", view=view, days=days, by_day=by_day, anchor=anchor, previous=previous,
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
    both."""
    wants_json = request.accept_mimetypes.best == "application/json"
    post_id = request.form.get("post_id", type=int)
    version = form_version()
    if not post_id or post_id > 2**31 - 1:
        abort(404)
    post = ops.load_post(db.session, current_user, post_id, for_update=True)
    if request.form.get("when") == "now":  # the post page's "Publish now" (a post a switch held, once it is off)
        if request.form.get("ask_first") == "now":  # a browser without scripts asked nothing: the post's page asks
            first = _FIRST_MOVE["scheduled" if post.state == State.scheduled else "missed"]
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
            ops.act_on_post(db.session, post, Action.unschedule, current_user, expected_version=version)
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

