"""The Social Hub wall for big screens (``/hub``, and ``/hub/k/<token>`` for kiosks), its live stream, the project
managers' dashboard, and the admins' page for kiosk links and the wall's thresholds.

The wall is read-only and live: the page holds the wall once, then a Server-Sent Events stream sends it again each
time the database says something changed (``approval.hub_feed``). A kiosk link opens the wall and its stream only:
``refuse_kiosk_tokens_elsewhere`` answers 404 to any other request that carries a kiosk token.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_timedelta
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from flask_babel import lazy_pgettext, ngettext
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from approval import kiosks
from approval.access import AsSent, visible_markets
from approval.db import db, driver_says, utcnow
from approval.filters import viewer_zone
from approval.inputs import parse_id
from approval.hub_feed import feed_for, new_session
from approval.labels import heading
from approval.models import AuditEntry, Outcome, Post, StopScope, StopSwitch, User
from approval.publishing.holds import active_stops, holds_for, stop_scope
from approval.publishing import reasons
from approval.publishing.status import WHY_STEPS, failure_reasons, policy_refusal
from approval.queries.hub import (
    COLUMNS,
    Selection,
    Viewer,
    Wall,
    build_wall,
    held_by_market,
    kiosk_viewer,
    nothing_pending,
    stops_over,
    summary,
    wall_settings,
)
from approval.style import BY_ID
from approval.views import roles_required
from approval.workflow.errors import GuardFailed
from approval.workflow.states import Action, Role, State

log = logging.getLogger(__name__)

bp = Blueprint("hub", __name__, url_prefix="/hub")

#: Seconds a stream waits for a change before it looks again (kiosk revoked? a minute passed?).
WAIT = 2.0
#: Seconds between two looks at a quiet stream's session (ended, password changed): a change is looked at first.
SESSION_CHECK = 15.0
#: Seconds between two comments on a quiet stream, so proxies keep it open and a gone client is noticed.
KEEPALIVE = 15.0
KIOSK_ENDPOINTS = frozenset({"hub.kiosk_wall", "hub.kiosk_stream"})


@bp.before_app_request
def refuse_kiosk_tokens_elsewhere() -> None:
    """A kiosk link opens the wall only: a kiosk token anywhere else (another path, a query value, a bearer) is a
    404, whatever the page."""
    if request.endpoint in KIOSK_ENDPOINTS or request.endpoint == "static":
        return
    values = [v for _k, v in request.args.items(multi=True)]
    if kiosks.carries_kiosk_token(request.path, values, request.headers.get("Authorization", "")):
        abort(404)


# The wall ---------------------------------------------------------------------------------------------------


@bp.get("")
@login_required
def wall():
    viewer = Viewer(user_id=current_user.id)
    selection = Selection.from_args(request.args)
    # The stream gets the selection as read, never the query string itself: "endpoint", "_anchor" or "token" in it
    # would be url_for's own keywords.
    return _wall_page(viewer, selection, url_for("hub.stream", **selection.args()), zone=viewer_zone())


@bp.get("/stream")
@login_required
def stream():
    return _stream(Viewer(user_id=current_user.id), Selection.from_args(request.args), zone=viewer_zone(),
                   session_key=current_user.get_id())


@bp.get("/k/<token>")
def kiosk_wall(token: str):
    kiosk = kiosks.live_kiosk(db.session, token)
    if kiosk is None:
        abort(404)
    selection = Selection.from_args(request.args)  # within the kiosk's markets (its viewer), by id
    return _wall_page(kiosk_viewer(kiosk), selection, url_for("hub.kiosk_stream", token=token, **selection.args()),
                      kiosk=kiosk)


@bp.get("/k/<token>/stream")
def kiosk_stream(token: str):
    kiosk = kiosks.live_kiosk(db.session, token)
    if kiosk is None:
        abort(404)
    return _stream(kiosk_viewer(kiosk), Selection.from_args(request.args), kiosk_token=token)


def _render_wall(viewer: Viewer, selection: Selection, session, zone: str | None = None) -> str:  # noqa: ANN001
    """The wall's HTML. ``zone``: the viewer's own (their pages' zone: their profile's, else their browser's), in
    which the wall's own times are told (its last update, a switch over several markets); None for a kiosk, whose
    screen tells them in the zone of the room it stands in (static/hub.js), UTC without scripts."""
    wall = build_wall(session, viewer, selection)
    # The rules by the problem each finding is, in the reader's language (a market's own list of terms,
    # ``policy.<name>``, by its id): by what the rule asks, "Every picture has an alternative text. 1" read as one
    # picture that had one.
    findings = [(rule, _(BY_ID[rule].problem) if rule in BY_ID else None, n) for rule, n in wall.findings]
    # A signed-in viewer's way back to the pages, in the wall's head line (where it covered the counts, fixed at the
    # foot of the screen); a kiosk opens the wall only.
    leave = url_for("auth.home") if viewer.user_id is not None else None
    hm = _wall_clock(wall.built_at)
    mine = _viewer_clock(hm, zone)
    return render_template("hub/_wall.html", wall=wall, now=wall.built_at, hm=hm,
                           zone_name=zone_name, stop_since=_stop_since(hm, mine), mine=mine, viewer_zone=zone,
                           column_heading=column_heading, nothing_pending=nothing_pending,
                           rel=_from_now(wall.built_at), how_long=_how_long(wall.built_at), shown_states=COLUMNS,
                           troubles=_troubles(session, wall), findings=findings, leave=leave,
                           unmatched=_unmatched_said(wall, kiosk=viewer.user_id is None),
                           folds=_fold_forms())


#: The counts' column headings are read upwards, one line each: "changes requested" and "with the cabinet" took two
#: rotated lines (slow to read from across a room), and on one line the tallest heading row of all (the markets'
#: rows' room, with 28 markets). The others are the states' headings as every page has them.
SHORT_HEADINGS = {State.changes_requested: lazy_pgettext("short column of counts", "changes"),
                  State.with_cabinet: lazy_pgettext("short column of counts", "cabinet")}


def column_heading(state: State) -> str:
    """A state over a column of the wall's counts, short (``SHORT_HEADINGS``)."""
    return str(SHORT_HEADINGS.get(state) or heading(state))


def _unmatched_said(wall: Wall, *, kiosk: bool) -> list[str]:
    """What the screen's address names that its viewer does not cover, in words: a kiosk link's markets are the
    screen's, a signed-in viewer's their own."""
    unmatched = wall.unmatched
    said = []
    if unmatched.unknown:
        said.append(_("No market %(code)s.", code=", ".join(unmatched.unknown)))
    if unmatched.outside and kiosk:
        said.append(ngettext("%(codes)s is not one of this screen’s markets.",
                             "%(codes)s are not among this screen’s markets.", len(unmatched.outside),
                             codes=", ".join(unmatched.outside)))
    elif unmatched.outside:
        said.append(_("No market %(code)s among yours.", code=", ".join(unmatched.outside)))
    if unmatched.campaign:
        said.append(_("No campaign %(id)s.", id=unmatched.campaign))
    return said


#: "+3 more" under a list, the msgid of templates/hub/_wall.html: the posts of a list the screen does not show.
MORE = ("+%(num)d more", "+%(num)d more")


def _plural_forms(words: Callable[[int], str]) -> dict[str, str]:
    """A count's words (``words(n)``, a catalogue's plural) for one and for several, with "{n}" for the number:
    static/hub.js says how many a screen leaves out (those the server did not send, and those it has no room for),
    by the language's plural rules."""
    return {form: words(n).replace("%(num)d", "{n}") for form, n in (("one", 1), ("other", 2))}


def _more_forms() -> dict[str, str]:
    """"+3 more" for one post and for several (``_plural_forms``)."""
    translations = get_translations()
    return _plural_forms(lambda n: translations.ungettext(*MORE, n))


def _fold_forms() -> dict[str, dict[str, str]]:
    """Under the counts of a screen of many markets, the line of the rows it folds: those with nothing pending (all
    zeros), markets and networks, and, where even the others do not all fit, all the markets it folds."""
    t = get_translations()
    return {
        "idle": _plural_forms(lambda n: t.ungettext("+%(num)d market with nothing pending",
                                                    "+%(num)d markets with nothing pending", n)),
        "more": _plural_forms(lambda n: t.ungettext("+%(num)d more market", "+%(num)d more markets", n)),
        "networks": _plural_forms(lambda n: t.ungettext("+%(num)d network with nothing pending",
                                                        "+%(num)d networks with nothing pending", n)),
    }


@dataclass(frozen=True)
class Trouble:
    """What the wall says of a post to handle: why, as the publishing desk says it, and when: since when it failed,
    was left unconfirmed, missed its slot or is held; for a post retrying, its next try."""

    reason: str | None
    at: datetime | None


#: The step whose audit row says why a post needs attention (``publishing.status.failure_reasons``), by the wall's kind.
_STEPS = {"failed": Action.fail, "unconfirmed": Action.lose, "missed": Action.miss, "retrying": Action.postpone}


def _troubles(session: Session, wall: Wall) -> dict[int, Trouble]:
    """Why and since when, for each post of "Needs attention": a room that reads "failed" and nothing else has to go
    to the desk to know whether to reconnect an account or edit a text."""
    found: dict[int, Trouble] = {}
    for kind, step in _STEPS.items():
        posts = [post for post, why in wall.problems if why == kind]
        if not posts:
            continue
        ids = [post.id for post in posts]
        said = failure_reasons(session, ids, step)
        # Each post's last such step (the rows in order, the last one kept): when, and whether its words are the
        # network's.
        steps = {post_id: (at, comment, payload) for post_id, at, comment, payload in session.execute(
            select(AuditEntry.post_id, AuditEntry.at, AuditEntry.comment, AuditEntry.payload)
            .where(AuditEntry.post_id.in_(ids), AuditEntry.action == step).order_by(AuditEntry.id))}
        for post in posts:
            at, comment, payload = steps.get(post.id, (None, None, None))
            found[post.id] = Trouble(_network_said(comment, payload, WHY_STEPS[step]) or said.get(post.id),
                                     _since(kind, post, at))
    # What holds a post is the post's own (its market, campaign and slot), not the text its reader reads.
    # All at once: the switches, the campaigns and the switches off since that held some, each read once for all.
    held = [post.post if isinstance(post, AsSent) else post for post, why in wall.problems if why == "held"]
    holds = holds_for(session, held, active_stops(session)) if held else {}
    for post in held:
        hold = holds.get(post.id)
        found[post.id] = Trouble(hold.reason if hold else None, (hold.since if hold else None) or post.held_at)
    for post, why in wall.problems:
        if why == "overdue":
            # Due at its time, or at its next try where one was set: as the desk's rule has it.
            due = post.next_attempt_at if post.next_attempt_at and post.scheduled_at and \
                post.next_attempt_at > post.scheduled_at else post.scheduled_at
            found[post.id] = Trouble(_("Is a publishing worker running?"), due)  # since when: the line above
        elif why == "unconnected":
            found[post.id] = Trouble(_("The account is deactivated.") if post.account.active is False else
                                     _("The account is not connected to a publisher."), post.scheduled_at)
        elif why == "policy":  # as the publishing desk says it
            found[post.id] = Trouble(policy_refusal(wall.refusals[post.id]), post.scheduled_at)
    return found


def _network_said(comment: str | None, payload: dict[str, Any] | None, outcome: Outcome) -> str | None:
    """What the network answered, in a few words read from across a room ("Refused by the network (HTTP 400)"),
    where the step recorded its raw answer (``HTTP 400 {"error": {"message": ...``): the publishing desk and the
    post's page keep the whole of it. What the answer came to is the desk's rule (``reasons.came_to``: the outcome
    recorded, else the HTTP status; ``outcome`` where neither says). None where the words are the worker's own
    (they are sentences already), or carry no HTTP status."""
    status = reasons.http_status(comment)
    kind = reasons.came_to(comment, payload, outcome)
    if status is None or kind is None:
        return None
    if kind == Outcome.needs_reconnect:
        return _("Reconnect the account (HTTP %(status)s)", status=status)
    if kind == Outcome.rate_limited:
        return _("Rate-limited by the network (HTTP %(status)s)", status=status)
    if kind == Outcome.temporary_error:
        return _("Network unavailable for now (HTTP %(status)s)", status=status)
    if kind == Outcome.unknown:  # an answer that does not say: it was read "Refused by the network"
        return _("Unknown whether it went out (HTTP %(status)s)", status=status)
    return _("Refused by the network (HTTP %(status)s)", status=status)


def _since(kind: str, post: Post | AsSent, stepped: datetime | None) -> datetime | None:
    if kind == "retrying":
        return post.next_attempt_at
    if kind == "missed":
        return post.missed_at or stepped
    return stepped or post.updated_at


def zone_name(instant: datetime) -> str:
    """A zone as the wall writes it, by its offset at ``instant`` (aware): "UTC", "UTC+1", "UTC+5:30", "UTC−4".
    The screen's own zone is written so too (static/hub.js): "Updated 05:13 GMT+1" beside "04:49 CET" named one
    zone two ways, and a browser names a zone as its language has it ("UTC+1" in French), never "CET"."""
    offset = instant.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if not minutes:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    sign = "+" if minutes > 0 else "\u2212"  # a minus sign: a hyphen is a dot from five metres
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def _wall_clock(now: datetime) -> Callable[[datetime, str], str]:
    """The wall's times in a market's zone: the hour alone today there, with the day otherwise ("Thu 09:00" within a
    week, "12 Nov 16:55" beyond), so tomorrow morning is not read as this morning."""
    locale = get_locale()

    def hm(instant: datetime, zone: str) -> str:
        local = instant.astimezone(ZoneInfo(zone))
        days = abs((local.date() - now.astimezone(local.tzinfo).date()).days)
        if days == 0:
            return local.strftime("%H:%M")
        return format_datetime(local, "EEE HH:mm" if days < 7 else "d MMM HH:mm", tzinfo=local.tzinfo, locale=locale)

    return hm


def _viewer_clock(hm: Callable[[datetime, str], str], zone: str | None) -> Callable[[datetime], str]:
    """An instant of the wall's own (its last update, a switch over several markets) as the viewer's clock reads it,
    with that clock's offset: "03:34 UTC+1". A kiosk's viewer has no zone the server knows: UTC, which its screen
    rewrites in the zone of the room (static/hub.js, ``time.local``)."""
    shown = zone or "UTC"

    def mine(instant: datetime) -> str:
        return f"{hm(instant, shown)} {zone_name(instant.astimezone(ZoneInfo(shown)))}"

    return mine


@dataclass(frozen=True)
class StopSince:
    """Since when a stop switch is on, as the wall says it. A switch over one market (or a campaign of one market):
    in that market's time, ``market`` ("05:34 UTC+3", its zone ``zone``), then the viewer's beside it when their clock
    reads otherwise (``also``; a kiosk's screen decides for itself, static/hub.js). A switch over several markets
    (everything, a group-wide campaign): the viewer's time alone (``market`` None). A switch over everything told in
    the zone of the wall's first clock read "since 05:34 UTC+3" (Nairobi) beside a Paris viewer's "Updated 03:34
    UTC+1"."""

    at: datetime
    market: str | None
    zone: str | None
    also: bool


def _stop_since(hm: Callable[[datetime, str], str],
                mine: Callable[[datetime], str]) -> Callable[[StopSwitch], StopSince]:
    def since(stop: StopSwitch) -> StopSince:
        at = stop.turned_on_at
        market = stop.market or (stop.campaign.market if stop.campaign is not None else None)
        if stop.scope == StopScope.all or market is None:
            return StopSince(at, None, None, also=False)
        there = f"{hm(at, market.timezone)} {zone_name(at.astimezone(ZoneInfo(market.timezone)))}"
        return StopSince(at, there, market.timezone, also=there != mine(at))

    return since


def _from_now(now: datetime) -> Callable[[datetime], str]:
    """How far an instant is from the wall's minute: "in 35 min." ahead, and behind as long as it has been, "12 min"
    (as the queue says how long a post has waited: "12 min" there and "12 min. ago" under it said one thing two
    ways). One scale for every market, so a list of posts from several zones reads in order (each line keeps its
    market's own time beside it)."""
    locale = get_locale()
    how_long = _how_long(now)

    def rel(instant: datetime) -> str:
        if instant <= now:
            return how_long(instant)
        return format_timedelta(instant - now, granularity="minute", threshold=1.1, add_direction=True,
                                format="short", locale=locale)

    return rel


def _how_long(now: datetime) -> Callable[[datetime | None], str]:
    """How long a post has waited ("7 min", "2 hr"): short, so that its line keeps the account's handle beside it
    in a third of the screen."""
    locale = get_locale()

    def how_long(instant: datetime | None) -> str:
        if instant is None:
            return ""
        return format_timedelta(now - instant, granularity="minute", threshold=1.1, format="short", locale=locale)

    return how_long


def _digest(html: str) -> str:
    return hashlib.sha256(html.encode()).hexdigest()[:16]


def _wall_page(viewer: Viewer, selection: Selection, stream_url: str, kiosk=None,  # noqa: ANN001, ANN202
               zone: str | None = None):
    html = _render_wall(viewer, selection, db.session, zone)
    db.session.rollback()  # nothing to keep open while the page is sent
    response = current_app.make_response(render_template(
        "hub/wall.html", wall_html=html, digest=_digest(html), stream_url=stream_url, selection=selection,
        kiosk=kiosk, more=_more_forms(), viewer_zone=zone))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # a kiosk's token never leaves in a Referer
    return response


def _stream(viewer: Viewer, selection: Selection, kiosk_token: str | None = None,
            session_key: str | None = None, zone: str | None = None) -> Response:
    # Flask types current_app as the app; it is a proxy, whose _get_current_object() is the app itself.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    feed = feed_for(app)
    # The viewer's zone too: one user's walls in two zones (a profile's changed, another browser's) are two walls.
    key = (viewer.key(), selection, str(get_locale()), zone)
    shown = request.headers.get("Last-Event-ID") or request.args.get("since")
    db.session.close()  # the stream holds no connection: each build opens and closes its own session

    def build() -> str:
        session = new_session(app)
        try:
            return _render_wall(viewer, selection, session, zone)
        finally:
            session.close()

    def signed_out() -> bool:
        """Whether the session that opened this stream no longer opens: the user deactivated, their sessions ended by
        an admin, their password changed. Asked by the stream itself, not in ``build``: a wall another stream of
        theirs rendered is shared without building."""
        if session_key is None:
            return False
        session = new_session(app)
        try:
            user = session.get(User, viewer.user_id)
            return user is None or not user.opens_session(session_key)
        finally:
            session.close()

    def revoked() -> bool:
        """Whether this kiosk's link is revoked: not among the live links the feed last read, and not in the
        database either (a link made since that reading is live, not yet read)."""
        if kiosk_token is None or feed.kiosk_is_live(kiosk_token):
            return False
        session = new_session(app)
        try:
            return kiosks.live_kiosk(session, kiosk_token) is None
        finally:
            session.close()

    def events():  # noqa: ANN202
        feed.subscribe()
        try:
            yield "retry: 3000\n\n"
            seen, sent, beat, asked = None, shown, time.monotonic(), 0.0
            while True:
                before, seen = seen, feed.wait(seen, WAIT)
                try:
                    if revoked():
                        yield "event: revoked\ndata: revoked\n\n"
                        return
                    # Before anything new is sent, and now and then on a quiet wall (a query per stream per wake
                    # was fifty a second for a hundred walls).
                    if seen != before or time.monotonic() - asked >= SESSION_CHECK:
                        asked = time.monotonic()
                        if signed_out():
                            yield "event: revoked\ndata: ended\n\n"
                            return
                    html = feed.rendered(key, build)
                except OperationalError as error:  # the database is down: the browser reconnects (``retry``)
                    log.warning("hub stream ended, the database cannot be used: %s", driver_says(error))
                    return
                digest = _digest(html)
                if digest != sent:
                    data = "".join(f"data: {line}\n" for line in html.splitlines())
                    yield f"id: {digest}\nevent: wall\n{data}\n"
                    sent, beat = digest, time.monotonic()
                elif time.monotonic() - beat > KEEPALIVE:
                    yield ": keepalive\n\n"
                    beat = time.monotonic()
        finally:
            feed.unsubscribe()

    response = Response(stream_with_context(events()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: send each event at once
    return response


# The dashboard ----------------------------------------------------------------------------------------------


@bp.get("/dashboard")
@roles_required(Role.project_manager, Role.admin)
def dashboard():
    market = (request.args.get("market") or "").strip().upper() or None
    rows = summary(db.session, current_user, market=market if market and len(market) == 2 else None)
    markets = list(db.session.scalars(visible_markets(current_user)))
    # A stop switch over the viewer's markets, and what it holds in each: with FR stopped, FR's "next to go out" was
    # blank and the page said nothing of why.
    shown = {m.id: m.code for m in markets if any(row.code == m.code for row in rows)}
    held = {shown[market_id]: n for market_id, n in held_by_market(db.session, current_user, list(shown)).items()}
    return render_template("hub/dashboard.html", rows=rows, markets=markets, market=market,
                           zones={m.code: m.timezone for m in markets}, settings=wall_settings(db.session),
                           now=utcnow(), stops=stops_over(db.session, [m.id for m in markets]), held=held,
                           stop_scope=stop_scope)


# Kiosk links and thresholds (admins) ------------------------------------------------------------------------


@bp.get("/kiosks")
@roles_required(Role.admin)
def list_kiosks():
    return _kiosks_page()


@bp.post("/kiosks")
@roles_required(Role.admin)
def create_kiosk():
    try:
        kiosk = kiosks.create_kiosk(db.session, request.form.get("name", ""), request.form.getlist("markets"),
                                    created_by=current_user)
    except GuardFailed as refused:
        db.session.rollback()
        return _kiosks_page(refused.message, "kiosk"), 422
    db.session.commit()
    flash(_("Kiosk link “%(name)s” created.", name=kiosk.name), "success")
    return redirect(url_for("hub.list_kiosks"), 303)


@bp.post("/kiosks/revoke")
@roles_required(Role.admin)
def revoke_kiosk():
    kiosk_id = parse_id(request.form.get("kiosk_id"))
    if kiosk_id is None:
        abort(404)
    kiosk = kiosks.revoke_kiosk(db.session, kiosk_id)
    db.session.commit()
    flash(_("Kiosk link “%(name)s” revoked: its screens go dark within seconds.", name=kiosk.name), "success")
    return redirect(url_for("hub.list_kiosks"), 303)


@bp.post("/thresholds")
@roles_required(Role.admin)
def set_thresholds():
    amber = request.form.get("review_amber_minutes", type=int)
    red = request.form.get("review_red_minutes", type=int)
    if amber is None or red is None or not 0 < amber < red <= 60 * 24 * 30:
        return _kiosks_page(_("Give the amber threshold, then a larger red one, in minutes."), "thresholds"), 422
    settings = wall_settings(db.session)
    settings.review_amber_minutes, settings.review_red_minutes = amber, red
    db.session.add(settings)
    db.session.commit()
    flash(_("Thresholds saved."), "success")
    return redirect(url_for("hub.list_kiosks"), 303)


def _kiosks_page(error: str | None = None, refused: str | None = None) -> str:
    """The kiosk links and thresholds; after a refusal, ``refused`` names the form (``kiosk``, ``thresholds``),
    which says why beside its fields and shows what was typed: a screen meant for one market must not come back
    with its markets unticked, one click away from a link to every market."""
    markets = list(db.session.scalars(visible_markets(current_user)))
    return render_template("hub/kiosks.html", kiosks=kiosks.list_kiosks(db.session), markets=markets,
                           settings=wall_settings(db.session), error=error, refused=refused, typed=request.form)
