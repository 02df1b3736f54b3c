"""The publishing desk: what did not go out as planned (held, missed, failed, unconfirmed, overdue), with what to do
for each; and the stop switches, turned on with a reason and off again."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from babel.dates import format_skeleton

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from approval.forms import PageForm
from markupsafe import Markup
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, selectinload
from wtforms import IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from approval import operations as ops
from approval import policies
from approval.access import visible_markets, visible_posts
from approval.db import db, utcnow
from approval.inputs import parse_id, shows_characters_on_form
from approval.models import (
    Account, Campaign, Market, Outcome, Post, PublicationAttempt, StopSwitch, User,
)
from approval.forms.characters import ShowsControlCharacters
from approval.publishing import controls, reasons
from approval.publishing.holds import (
    Hold, HoldCase, active_stops, covered_ids, held_clause, held_counts, held_ids, hold_case, holds_for, is_held,
    stops_read, would_holds,
)
from approval.publishing.status import (
    REMEDIES, WHY_STEPS, Remedy, claimed_since, free_since, going_clause, last_releases, last_steps, overdue_clause,
    policy_refusal, retrying_clause,
)
from approval.queries.publishing import last_attempts, unconnected_clause
from approval.style.network import NAMES
from approval.filters import campaign_zone, slot_time
from approval.labels import connector_name, decimal, said_clock, said_in, said_wall
from approval.localtime import wall_clock
from approval.forms import LocalTimeField, Readable
from approval.views import roles_required
from approval.views.campaigns import chosen_fold, embargo_folds
from approval.views.posts import PUBLISH_NOW
from approval.workflow.engine import available_actions
from approval.workflow.errors import GuardFailed, NotPermitted, Stale, WorkflowError
from approval.workflow.states import Action, Role, State

bp = Blueprint("publishing", __name__, url_prefix="/publishing")
MANAGERS = (Role.project_manager, Role.admin)
#: Each list of the desk shows this many; the posts list has them all.
SHOWN = 100


class StopForm(ShowsControlCharacters):
    scope = SelectField(_l("Stop"), choices=[SelectChoice("market", _l("a market")),
                                              SelectChoice("campaign", _l("a campaign")),
                                              SelectChoice("all", _l("everything, everywhere"))])
    market = SelectField(_l("Market"), validators=[Optional()])
    campaign_id = SelectField(_l("Campaign"), validators=[Optional()])
    reason = TextAreaField(_l("Why"), validators=[DataRequired(), Length(max=controls.MAX_REASON)])


@bp.get("")
@roles_required(*MANAGERS)
def desk():
    return _desk_page()


def _desk_page(checked: Sequence[int] = (), typed: str = "", status: int = 200, *,  # noqa: ANN202
               ask_fold: bool = False, fold: int | None = None):
    """The desk; after a refused new time, with the posts still checked and the time still typed (``checked``,
    ``typed``), to fix and send again; ``ask_fold``: the time happens twice in a checked post's market (the clocks
    go back), and the person says which."""
    now = utcnow()
    base = visible_posts(current_user).options(contains_eager(Post.account).selectinload(Account.market),
                                                selectinload(Post.current_revision))

    def listed(query):  # noqa: ANN001, ANN202
        return db.session.scalars(query.limit(SHOWN)).all()

    sections = {
        "held": listed(base.where(Post.state == State.scheduled, held_clause(now)).order_by(Post.scheduled_at)),
        "overdue": listed(base.where(overdue_clause(now)).order_by(Post.scheduled_at)),
        "retrying": listed(base.where(retrying_clause(now)).order_by(Post.next_attempt_at)),
        "unconfirmed": listed(base.where(Post.state == State.unconfirmed).order_by(Post.updated_at.desc())),
        "failed": listed(base.where(Post.state == State.failed).order_by(Post.updated_at.desc())),
        "missed": listed(base.where(Post.state == State.approved, Post.missed_at.is_not(None))
                         .order_by(Post.missed_at.desc())),
        # Taken by a worker, then free to go and not taken yet (released from a hold, "Publish now", its time just
        # come): the worker's next pass sends them. Those were on no list for a minute: held no more, not overdue yet.
        "publishing": listed(base.where(Post.state == State.publishing).order_by(Post.claimed_until)),
        "unconnected": listed(base.where(unconnected_clause()).order_by(Post.scheduled_at)),
    }
    # What the market's editorial policy in force refuses, as the worker will at the slot: a stricter version saved
    # after the approval turned them red (approved, scheduled), or they can no longer be approved (in review).
    breaks = policies.refused_now(db.session, visible_posts(current_user))
    sections["policy"] = [refused.post for refused in breaks.on_their_way[:SHOWN]]
    sections["policy_review"] = [refused.post for refused in breaks.in_review[:SHOWN]]
    refusals = {refused.post.id: policy_refusal(refused.verdict)
                for refused in [*breaks.on_their_way[:SHOWN], *breaks.in_review[:SHOWN]]}
    switched_on = active_stops(db.session)
    holds = holds_for(db.session, sections["held"], switched_on, now)  # a few statements for the whole list
    # The held posts nothing holds any more (their switch is off), which the viewer may release: the engine says,
    # asked only of those no switch on and no embargo still holds (while a crisis lasts, none). Its release guard
    # asks what holds each: the switches read above, not read again for each post.
    active = {stop.id for stop in switched_on}
    with stops_read(db.session, switched_on):
        releasable = {post.id for post in sections["held"] if is_held(post)
                      and not _still_held(holds[post.id], active)
                      and any(row.action == Action.release for row in available_actions(post, current_user))}
    # What a switch on or an embargo still holds, of the held and the missed rows: "Publish now" cannot take them
    # (``reschedule`` refuses them, as the worker would hold them again at once), so the desk does not offer it for
    # them and says on the row what to do first.
    in_force = {post.id: holds[post.id] for post in sections["held"] if _still_held(holds[post.id], active)}
    in_force.update(would_holds(db.session, sections["missed"], switched_on, now))
    # Which of the legend's four cases each held row is: tomorrow's posts read as those that were due.
    cases = {post.id: hold_case(post, holds[post.id], now) for post in sections["held"]}
    failures = {post_id: said for key, step in _WHY for post_id, said in
                _told([post.id for post in sections[key]], step).items()}
    claimed = claimed_since(db.session, [post.id for post in sections["publishing"]])
    free = listed(base.where(going_clause(now)).order_by(Post.scheduled_at, Post.id)) \
        if len(sections["publishing"]) < SHOWN else []
    sections["publishing"] = [*sections["publishing"], *free][:SHOWN]
    released = last_releases(db.session, [post.id for post in free])
    # Since when each is free to go (its time or its release, the later), and whether a person's release made it so.
    going = {post.id: (free_since(post, released.get(post.id)), post.id in released
                       and post.scheduled_at is not None and released[post.id] >= post.scheduled_at)
             for post in free}
    return render_template("publishing/desk.html", sections=sections, holds=holds, failures=failures, claimed=claimed,
                           going=going,
                           refusals=refusals, now=now, stops=controls.visible_stops(db.session, current_user),
                           releasable=releasable, in_force=in_force, cases=cases, case_names=HOLD_CASES,
                           next_try=_next_try(now),
                           checked=set(checked), typed_time=typed, ask_fold=ask_fold, fold=fold), status


#: The desk's held rows' cases, as its legend names them.
HOLD_CASES = {HoldCase.embargo: _l("Embargo"), HoldCase.due: _l("Stop switch on at its time"),
              HoldCase.ahead: _l("Stop switch, not due yet"), HoldCase.grace_over: _l("Grace period over")}
#: A next try this close to now is shown to the second: a retry at 22:36:30 read "22:36" beside a slot at 22:36.
TO_THE_SECOND = timedelta(hours=1)


def _next_try(now: datetime) -> Callable[[datetime, str], str]:
    """A next try as the desk's slots read (``slot_time``), to the second in the market's time when within the hour."""
    def said(instant: datetime, zone: str) -> str:
        text = slot_time(instant, zone)
        local = wall_clock(instant, zone)
        if local is None or abs(instant - now) >= TO_THE_SECOND:
            return text
        return text.replace(said_clock(local), format_skeleton("Hms", local.replace(tzinfo=None),
                                                               locale=get_locale()), 1)

    return said


#: The desk's lists that say why from the trail, and the step that says it (``status.WHY_STEPS``: what a call it
#: ended came to where the step did not record it).
_WHY = (("failed", Action.fail), ("missed", Action.miss), ("unconfirmed", Action.lose), ("retrying", Action.postpone))


def _told(post_ids: list[int], step: Action) -> dict[int, reasons.Told]:
    """Why each post last failed, missed its slot, was left unconfirmed or waits for a new try (its last ``step``), in
    the reader's language, the network's own words apart, quoted after a sentence saying what they came to."""
    said = {post_id: reasons.told(comment, payload, outcome=WHY_STEPS[step], gettext=_, number=decimal)
            for post_id, (comment, payload) in last_steps(db.session, post_ids, step).items()}
    return {post_id: told for post_id, told in said.items() if told is not None}


def _still_held(hold: Hold | None, active: set[int]) -> bool:
    """``hold`` (``hold_for`` with the switches on) is a switch still on, or an embargo not lifted yet."""
    return hold is not None and (hold.stop_id in active or hold.until is not None)


def policy_breaks_notice(market: Market, breaks: policies.PolicyBreaks | None = None) -> Markup | None:
    """What the admin who just saved ``market``'s policy is told when the version in force breaks posts already on
    their way (approved or scheduled: they will not go out) or in review (they can no longer be approved), with a
    link to the desk that lists them; None when it breaks none. Its caller flashes it as a warning. ``breaks``: the
    market's ``policies.refused_in_market``, when the caller has it already (to notify the people concerned)."""
    breaks = breaks if breaks is not None else policies.refused_in_market(db.session, market)
    if not breaks.count:
        return None
    version = policies.current_label(db.session, market)
    told = []
    if breaks.on_their_way:
        told.append(ngettext("%(num)d approved or scheduled post of %(market)s (%(scheduled)d scheduled) breaks "
                             "%(version)s: it cannot go out as it stands.",
                             "%(num)d approved or scheduled posts of %(market)s (%(scheduled)d scheduled) break "
                             "%(version)s: they cannot go out as they stand.", len(breaks.on_their_way),
                             market=market.code, scheduled=breaks.scheduled, version=version))
        if breaks.in_review:
            told.append(ngettext("%(num)d post in review breaks it too: it cannot be approved as it stands.",
                                 "%(num)d posts in review break it too: they cannot be approved as they stand.",
                                 len(breaks.in_review)))
    else:
        told.append(ngettext("%(num)d post in review of %(market)s breaks %(version)s: it cannot be approved as it "
                             "stands.",
                             "%(num)d posts in review of %(market)s break %(version)s: they cannot be approved as "
                             "they stand.", len(breaks.in_review), market=market.code, version=version))
    listed = ngettext("The publishing desk lists it.", "The publishing desk lists them.", breaks.count)
    desk = url_for("publishing.desk", _anchor="policy" if breaks.on_their_way else "policy_review")
    return Markup('{} <a href="{}">{}</a>').format(" ".join(told), desk, listed)


#: The most posts one "new time" on the desk moves (a page of the desk's list).
RESCHEDULED_AT_ONCE = SHOWN
#: The posts "Release all" names one by one among those it left out, and the characters of each line: a line quotes
#: its switch's reason (up to ``controls.MAX_REASON``), which the held row beside it shows in full.
LEFT_OUT_SAID = 10
LEFT_OUT_CHARS = 300


@bp.post("/reschedule")
@roles_required(Role.project_manager)
def reschedule():
    """After a crisis: the posts a stop switch held, or whose slots passed, given a new time together from the desk
    (each checked post at the same wall-clock time in its own market, or now). Each move is the engine's (unschedule,
    then schedule, audited), with the version the desk showed; one refused refuses them all, and the desk says which
    and why."""
    if not PageForm().validate():
        abort(400)
    ids = list(dict.fromkeys(i for i in map(parse_id, request.form.getlist("post")) if i is not None))
    now = request.form.get("when") == "now"
    if not ids or len(ids) > RESCHEDULED_AT_ONCE:
        flash(_("Check the posts to publish now.") if now and not ids else
              _("Check the posts to give a new time.") if not ids else
              _("Give a new time to at most %(count)d posts at once.", count=RESCHEDULED_AT_ONCE), "error")
        return redirect(url_for("publishing.desk"), 303)
    typed = (request.form.get("local_time") or "").strip()
    fold = {"0": 0, "1": 1}.get(request.form.get("fold", ""))  # which, of a time the clocks repeat
    local = None
    if not now:
        try:
            if len(typed) != 16 or not typed.isascii():
                raise ValueError(typed)
            local = datetime.strptime(typed, "%Y-%m-%dT%H:%M")
        except ValueError:
            flash(_("Choose the new time (a day and an hour), or publish them now.") if not typed else
                  _("Give the new time as YYYY-MM-DDTHH:MM."), "error")
            return _desk_page(ids, typed, 422)
    refusals: list[str] = []
    twice = False
    moved = []
    for post, version in _as_the_desk_showed(ids, refusals):
        try:
            at = utcnow() + PUBLISH_NOW if local is None else \
                ops.instant_in(local, post.account.market.timezone, fold)
            if post.state == State.scheduled:
                ops.act_on_post(db.session, post, Action.unschedule, current_user, expected_version=version)
                version = post.version
            ops.act_on_post(db.session, post, Action.schedule, current_user, expected_version=version,
                            scheduled_at=at)
            moved.append(post)
        except WorkflowError as refused:
            # A time the clocks repeat: the desk asks which (its "fold", the API's word, is no word for a page).
            twice = twice or "fold" in (refused.errors or {})
            refusals.append(_refusal(post.id, refused, leaving="fold"))
    if now and not refusals:
        # "Now" while a stop switch (or an embargo) covers a post: it would be held again at once, and the desk
        # said "1 post goes out now." above "1 of them is still held". Refused, naming what holds each.
        moved_holds = holds_for(db.session, moved)
        for post in moved:
            if (hold := moved_holds[post.id]) is not None:
                refusals.append(_("#%(id)s: %(why)s", id=post.id, why=_(
                    "Held by stop switch #%(stop)s (%(reason)s): it cannot go out while that switch is on.",
                    stop=hold.stop_id, reason=hold.reason.rstrip(".")) if hold.stop_id is not None else
                    _("Held (%(reason)s): it cannot go out now.", reason=hold.reason.rstrip("."))))
        if refusals:
            db.session.rollback()
            flash(_("No post goes out now: a stop switch or an embargo holds some of the checked posts. Uncheck "
                    "them, or give them a later time."), "error")
            for refusal in refusals:
                flash(refusal, "error")
            return _desk_page(ids, typed, 422)
    if refusals:
        db.session.rollback()
        flash(_("No post was moved: each must be able to take the new time."), "error")
        for refusal in refusals:
            flash(refusal, "error")
        return _desk_page(ids, typed, 422, ask_fold=twice or fold is not None, fold=fold)
    held = held_ids(db.session, [post.id for post in moved])  # one query, as the lists ask it
    if now:
        flash(ngettext("%(num)d post goes out now.", "%(num)d posts go out now.", len(moved)), "success")
    elif len(moved) == 1:  # where it went, in its market's time and, when it reads otherwise, the viewer's
        flash(_("Post #%(id)s given a new time: %(time)s.", id=moved[0].id,
                time=slot_time(moved[0].scheduled_at, moved[0].account.market.timezone)), "success")
    else:
        flash(_("%(num)d posts given a new time: %(time)s, each in its own market's time.", num=len(moved),
                time=said_wall(local) if local is not None else typed), "success")
    if held:
        flash(ngettext("%(num)d of them is still held (a stop switch on, or an embargo): the desk lists it.",
                       "%(num)d of them are still held (a stop switch on, or an embargo): the desk lists them.",
                       len(held)), "warning")
    return redirect(url_for("publishing.desk"), 303)


def _as_the_desk_showed(ids: Sequence[int], refusals: list[str]) -> Iterator[tuple[Post, int]]:
    """The checked posts of the desk's form, each locked, with the version the desk showed of it (404 outside the
    reader's markets); one whose version the form does not say is skipped, its refusal added to ``refusals``. Locked
    in the order of their ids, as every bulk action locks posts (``operations.set_members``): two bulk actions over
    the same posts queue rather than deadlock."""
    for post_id in sorted(ids):
        try:
            post = ops.load_post(db.session, current_user, post_id, for_update=True)
        except ops.NotFound:
            abort(404)
        version = request.form.get(f"version-{post_id}", type=int)
        if version is None:  # what the desk showed of it is unknown: as stale as an older version
            refusals.append(_("#%(id)s: %(why)s", id=post_id, why=_("Reload the desk: this post changed.")))
            continue
        yield post, version


def _refusal(post_id: int, refused: WorkflowError, *, leaving: str | None = None) -> str:
    """"#12: why", the engine's refusal of one checked post, its reasons after its message (those of the field
    ``leaving`` left out: the desk says them its own way)."""
    reasons = [r for field, rs in (refused.errors or {}).items() if field != leaving for r in rs
               if r != refused.message]
    return _("#%(id)s: %(why)s", id=post_id, why=" ".join([refused.message, *reasons]))


@bp.post("/release")
@roles_required(Role.project_manager)
def release():
    """After a crisis: the held posts whose stop switch is off, released from the desk (the one whose button was
    pressed, ``only``, or the checked ones), each to go out at its own time. Each release is the engine's
    (``release``, audited), with the version the desk showed; one refused refuses them all, and the desk says which
    and why (a switch still on names itself)."""
    if not PageForm().validate():
        abort(400)
    only = parse_id(request.form.get("only", ""))
    ids = [only] if only is not None else \
        list(dict.fromkeys(i for i in map(parse_id, request.form.getlist("post")) if i is not None))
    if not ids or len(ids) > RESCHEDULED_AT_ONCE:
        flash(_("Check the posts to release.") if not ids else
              _("Release at most %(count)d posts at once.", count=RESCHEDULED_AT_ONCE), "error")
        return redirect(url_for("publishing.desk"), 303)
    refusals: list[str] = []
    released = []
    for post, version in _as_the_desk_showed(ids, refusals):
        try:
            ops.act_on_post(db.session, post, Action.release, current_user, expected_version=version)
            released.append(post)
        except WorkflowError as refused:
            refusals.append(_refusal(post.id, refused))
    if refusals:
        db.session.rollback()
        flash(_("No post was released: each must be free to go at its time."), "error")
        for refusal in refusals:
            flash(refusal, "error")
        return _desk_page([] if only is not None else ids, status=422)
    if len(released) == 1:
        post = released[0]
        flash(_("Post #%(id)s released: it goes out at its time, %(time)s.", id=post.id,
                time=slot_time(post.scheduled_at, post.account.market.timezone)) if post.scheduled_at > utcnow() else
              _("Post #%(id)s released: its slot is within its grace period, it goes out now.", id=post.id),
              "success")
    else:
        flash(ngettext("%(num)d post released: it goes out at its own time.",
                       "%(num)d posts released: each goes out at its own time.", len(released)), "success")
    return redirect(url_for("publishing.desk"), 303)


@bp.post("/release/all")
@roles_required(Role.project_manager)
def release_all():
    """"Release all" of the desk's held section, once the switch is off: each post the page showed as releasable
    (its id and the version shown), released through the engine (``release``, audited, the single release's guards),
    in the request's one transaction. Unlike the checked posts' release, one refused does not refuse the others: a
    post a switch still holds, one changed since the page was shown, or one not in the reader's markets is left out,
    and the desk says which and why."""
    if not PageForm().validate():
        abort(400)
    ids = sorted(set(i for i in map(parse_id, request.form.getlist("post")) if i is not None))  # locked in id order
    if not ids or len(ids) > RESCHEDULED_AT_ONCE:  # more than the desk shows: refused whole, nothing written
        flash(_("Check the posts to release.") if not ids else
              _("Release at most %(count)d posts at once.", count=RESCHEDULED_AT_ONCE), "error")
        return redirect(url_for("publishing.desk", _anchor="held"), 303)
    left: list[str] = []
    released: list[Post] = []
    for post_id in ids:
        try:  # the posts of the reader's markets only: another's is left out, not a 404 for all
            post = ops.load_post(db.session, current_user, post_id, for_update=True)
        except ops.NotFound:
            left.append(_("#%(id)s: %(why)s", id=post_id, why=_("Not one of the posts you may act on.")))
            continue
        version = request.form.get(f"version-{post_id}", type=int)
        try:
            if version is None:  # what the desk showed of it is unknown: as stale as an older version
                raise Stale(_("Reload the desk: this post changed."))
            with db.session.begin_nested():  # a refusal undoes this post's release only
                ops.act_on_post(db.session, post, Action.release, current_user, expected_version=version)
            released.append(post)
        except Stale:
            left.append(_("#%(id)s: %(why)s", id=post_id, why=_("Reload the desk: this post changed.")))
        except WorkflowError as refused:
            left.append(_refusal(post_id, refused))
    if released:
        now = utcnow()
        late = sum(1 for post in released if post.scheduled_at is not None and post.scheduled_at <= now)
        flash(ngettext("%(num)d post released: it goes out at its own time.",
                       "%(num)d posts released: each goes out at its own time.", len(released)), "success")
        if late:
            flash(ngettext("%(num)d of them is within its grace period: it goes out now.",
                           "%(num)d of them are within their grace period: they go out now.", late), "success")
    if not left:
        return redirect(url_for("publishing.desk", _anchor="held"), 303)
    # The desk drawn here, with what was left out, rather than after a redirect: the flashes of a redirect ride in the
    # session's cookie, and ten lines each quoting a switch's long reason made it too large for a browser to keep (it
    # dropped it, and the desk then said nothing at all). Drawn now, they leave the cookie as they came.
    tone = "warning" if released else "error"
    flash(ngettext("%(num)d post was left out:", "%(num)d posts were left out:", len(left)), tone)
    for refusal in left[:LEFT_OUT_SAID]:
        flash(refusal if len(refusal) <= LEFT_OUT_CHARS else refusal[:LEFT_OUT_CHARS - 1].rstrip() + "…", tone)
    if len(left) > LEFT_OUT_SAID:
        flash(ngettext("… and %(num)d other.", "… and %(num)d others.", len(left) - LEFT_OUT_SAID), tone)
    return _desk_page(status=200 if released else 409)


@bp.route("/stops", methods=["GET", "POST"])
@roles_required(*MANAGERS)
@shows_characters_on_form
def stops():
    form = StopForm()
    if not controls.reaches_everywhere(current_user):
        form.scope.choices = [choice for choice in form.scope.choices if choice.value != "all"]
    markets = db.session.scalars(visible_markets(current_user).order_by(Market.code)).all()
    campaigns = ops.usable_campaigns(db.session, current_user)
    beyond: list[Campaign] = []  # the group-wide campaigns this manager may not stop, said so rather than left out
    if not controls.reaches_everywhere(current_user):  # a group-wide campaign is stopped by whom stops everything
        beyond = [c for c in campaigns if c.market_id is None]
        campaigns = [c for c in campaigns if c.market_id is not None]
    form.market.choices = [SelectChoice("", "—")] + [SelectChoice(m.code, f"{m.code} · {m.name}") for m in markets]
    form.campaign_id.choices = [SelectChoice("", "—")] + [SelectChoice(str(c.id), c.name) for c in campaigns]
    refusal = None
    if form.validate_on_submit():
        campaign = parse_id(form.campaign_id.data)
        try:
            stop = controls.turn_on(db.session, current_user, form.scope.data, market_code=form.market.data or None,
                                    campaign_id=campaign, reason=form.reason.data)
        except (GuardFailed, NotPermitted) as refused:
            db.session.rollback()
            refusal = refused
        else:
            flash(_("Stop switch on: nothing in its scope is published while it is on. Once it is off, release "
                    "what it held or give it a new time."), "warning")
            return redirect(url_for("publishing.stops", _anchor=f"stop-{stop.id}"))
    status = 422 if refusal or form.errors else 200
    shown = controls.visible_stops(db.session, current_user, active_only=False)[:200]
    return render_template("publishing/stops.html", form=form, refusal=refusal, can_turn_off=controls.can_turn_off,
                           stops=shown, holds=held_counts(db.session, current_user, shown), beyond=beyond,
                           stops_all=controls.reaches_everywhere(current_user), who_stops_all=_who_stops_all(),
                           zone_of_stop=_zone_of_stop), status


#: How many of the people who may stop everything the stops page names before "and N others".
NAMED = 3


def _who_stops_all() -> str:
    """Who may stop everything, everywhere (admins and project managers of every market, active), named for a manager
    who may not: a few names, then how many others; in a night crisis they looked for "pause all" and found no word."""
    wide = (User.active, or_(User.role == Role.admin, (User.role == Role.project_manager) & User.all_markets))
    names = list(db.session.scalars(select(User.name).where(*wide).order_by(User.role.desc(), User.name)
                                    .limit(NAMED)))
    if not names:
        return _("none is active")
    others = (db.session.scalar(select(func.count()).select_from(User).where(*wide)) or 0) - len(names)
    listed = ", ".join(names)
    return ngettext("%(names)s and %(num)d other", "%(names)s and %(num)d others", others, names=listed) \
        if others else listed


def _zone_of_stop(stop: StopSwitch) -> str | None:
    """The zone a switch's times are read in: its market's (a market's, or a market's campaign's); None for what
    belongs to no market (everything, a group-wide campaign), read in the viewer's own."""
    if stop.market is not None:
        return stop.market.timezone
    if stop.campaign is not None and stop.campaign.market is not None:
        return stop.campaign.market.timezone
    return None


@bp.post("/stops/<id:stop_id>/off")
@roles_required(*MANAGERS)
def turn_off(stop_id: int):
    form = PageForm()
    if not form.validate():
        abort(400)
    # What it held at their time, and, while on, what it covered not due yet (the switches list counts both as
    # "holds"): of those, the message says how many go out at their time, no other switch or embargo holding them.
    on = db.session.get(StopSwitch, stop_id)
    covered = covered_ids(db.session, current_user, on) if on is not None and on.active else set()
    try:
        stop = controls.turn_off(db.session, current_user, stop_id)
    except LookupError:
        abort(404)
    held = held_counts(db.session, current_user, [stop])[stop.id]
    going = len(covered - held_ids(db.session, sorted(covered)))
    if held:
        flash(ngettext("Stop switch off. %(num)d post it held stays held until you release it or give it a new time "
                       "(the publishing desk lists it); the others go out at their time.",
                       "Stop switch off. %(num)d posts it held stay held until you release them or give each a new "
                       "time (the publishing desk lists them); the others go out at their time.", held), "success")
    elif going:
        flash(ngettext("Stop switch off. It held no post at its time; the %(num)d post it covered, not due yet, goes "
                       "out at its time.",
                       "Stop switch off. It held no post at its time; the %(num)d posts it covered, not due yet, go "
                       "out at their time.", going), "success")
    elif covered:
        flash(_("Stop switch off. It held no post at its time; another switch or an embargo still holds the posts it "
                "covered."), "success")
    else:
        flash(_("Stop switch off. It held no post; the posts it covered go out at their time."), "success")
    return redirect(url_for("publishing.stops", _anchor=f"stop-{stop.id}"))


# Settings: how each account publishes, each market's grace period, each campaign's embargo (admins) -----------------


class GraceForm(ShowsControlCharacters):
    grace_minutes = IntegerField(_l("Grace period (minutes)"),
                                 validators=[Readable(), InputRequired(), NumberRange(controls.MIN_GRACE, 1440)])


class ConnectorForm(ShowsControlCharacters):
    connector = SelectField(_l("Publishes through"), choices=[
        SelectChoice("", _l("not connected")), SelectChoice("outbox", _l("the outbox (another tool publishes)")),
        SelectChoice("webhook", _l("a webhook"))])
    url = StringField(_l("Webhook address"), validators=[Optional(), Length(max=2000)])
    secret = PasswordField(_l("Signing secret (empty: keep the saved one)"), validators=[Optional(), Length(max=200)])


class EmbargoForm(ShowsControlCharacters):
    embargo_until = LocalTimeField(_l("Embargo until"), validators=[Optional()])


@bp.get("/settings")
@roles_required(Role.admin)
def settings():
    return _settings_page()


def _settings_page(refusal: WorkflowError | None = None, status: int = 200, row: str | None = None):
    """The settings; after a refusal, the row it was about (``row``: its form's id) shows what was typed, not what
    is saved, so that a typo is corrected rather than typed again."""
    markets = db.session.scalars(select(Market).order_by(Market.code)).all()
    accounts = db.session.scalars(select(Account).options(selectinload(Account.market))
                                  .order_by(Account.market_id, Account.network, Account.handle)).all()
    campaigns = db.session.scalars(select(Campaign).options(selectinload(Campaign.market))
                                   .order_by(Campaign.name)).all()
    return render_template("publishing/settings.html", markets=markets, accounts=accounts, campaigns=campaigns,
                           refusal=refusal, zone_of=campaign_zone, typed_row=row, typed=request.form,
                           min_grace=controls.MIN_GRACE, saved_value=_saved_value,
                           last_calls=_last_calls(accounts), embargo_folds=_embargo_folds(row)), status


def _embargo_folds(row: str | None) -> Callable[[Campaign], tuple[tuple[str, str], int | None] | None]:
    """Each embargo's "which one?" when its row holds a time the clocks repeat (``views.campaigns.embargo_folds``):
    the row sent back shows what was typed and chosen, the others what is saved."""
    def folds(campaign: Campaign) -> tuple[tuple[str, str], int | None] | None:
        zone, saved = campaign_zone(campaign), campaign.embargo_until
        if row == f"campaign-form-{campaign.id}":
            return embargo_folds(request.form.get("embargo_until", ""), zone, saved)
        # Another row: what is saved, never the choice the row sent made (it moved this one's embargo an hour).
        return embargo_folds(saved.astimezone(zone).strftime("%Y-%m-%dT%H:%M"), zone, saved, sent=False) \
            if saved else None
    return folds


#: What an account's last publishing attempt came to, in a few words (the settings' "Last publishing attempt"), where
#: the desk's sentence (``reasons.told``) has nothing to say: a success, a call on its way, a failure without words.
OUTCOME_SAID = {
    Outcome.sending: _l("on its way now"), Outcome.published: _l("published"),
    Outcome.rate_limited: _l("rate limited by the network"),
    Outcome.temporary_error: _l("a server error, or no connection"),
    Outcome.refused: _l("refused by the network"),
    Outcome.needs_reconnect: _l("refused: the account must be reconnected"),
    Outcome.unknown: _l("no answer: maybe published, maybe not"),
}


class LastCall(NamedTuple):
    """An account's last publishing attempt as the settings say it: what it came to, why (a failure's reasons, as
    the desk says them), and what the account needs of an admin (None: nothing)."""

    attempt: PublicationAttempt | None
    said: str | None
    told: reasons.Told | None
    needs: str | None


def _last_calls(accounts: Sequence[Account]) -> dict[int, LastCall]:
    """How each account's publishing is doing, from its last attempt (no call is made: the contract defines no test
    call, and a receiver would publish it), and which accounts need an admin: deactivated, connected to nothing, or
    refused for their credentials or address (to reconnect)."""
    attempts = last_attempts(db.session, [account.id for account in accounts])
    return {account.id: last_call(account, attempts.get(account.id)) for account in accounts}


def last_call(account: Account, attempt: PublicationAttempt | None) -> LastCall:
    """What ``attempt``, one of ``account``'s, came to as the settings say it, and what the account needs of an admin
    were it its last (the account's page says each of its last attempts so)."""
    told = None
    if attempt is not None and attempt.outcome not in (Outcome.published, Outcome.sending):
        payload = {"why": [attempt.why], "outcome": attempt.outcome.value} if attempt.why else \
            {"outcome": attempt.outcome.value}
        told = reasons.told(attempt.message, payload, outcome=attempt.outcome, gettext=_, number=decimal)
    reconnect = attempt is not None and (attempt.outcome == Outcome.needs_reconnect or (
        attempt.why is not None and REMEDIES.get(str(attempt.why.get("id"))) == Remedy.reconnect))
    needs = (_("Needs an admin: the account is deactivated.") if not account.active else
             _("Needs an admin: the account is connected to no publisher.") if account.connector is None else
             _("Needs an admin: reconnect it (for a webhook, check its address and its secret).")
             if reconnect else
             _("Needs an admin: its webhook's address is plain http, which sends its posts unencrypted; give an "
               "https:// one.") if _plain_http(account) else None)
    return LastCall(attempt, str(OUTCOME_SAID[attempt.outcome]) if attempt else None, told, needs)


def _plain_http(account: Account) -> bool:
    """Whether ``account`` publishes through a webhook saved on plain http off this machine (before https was
    required, ``controls.check_webhook``): saving its row again asks for an https one."""
    return account.connector == "webhook" and bool(account.connector_url) and \
        controls.unencrypted(account.connector_url or "")


#: The account's page lists this many of its last publishing attempts.
RECENT_CALLS = 10


class RecentCalls(NamedTuple):
    """An account's last publishing attempts as its page says them (``last_call`` each, the latest first), its last
    success, how many of the latest in a row did not go through (0: the latest went out, or is on its way), and what
    the account needs of an admin for those (the latest such need: a 401 then a timeout still asks to reconnect)."""

    calls: list[LastCall]
    last_success: PublicationAttempt | None
    failing: int
    needs: str | None


def recent_calls(account: Account) -> RecentCalls:
    """How ``account``'s publishing has been going, from its attempts (no call is made to find out): two statements."""
    attempts = db.session.scalars(
        select(PublicationAttempt).where(PublicationAttempt.account_id == account.id)
        .order_by(PublicationAttempt.started_at.desc(), PublicationAttempt.id.desc()).limit(RECENT_CALLS)).all()
    success = db.session.scalars(
        select(PublicationAttempt).where(PublicationAttempt.account_id == account.id,
                                         PublicationAttempt.outcome == Outcome.published)
        .order_by(PublicationAttempt.started_at.desc(), PublicationAttempt.id.desc()).limit(1)).first()
    calls = [last_call(account, attempt) for attempt in attempts]
    failing = 0
    for attempt in attempts:
        if attempt.outcome in (Outcome.published, Outcome.sending):  # the failures before it are history
            break
        failing += 1
    needs = next((call.needs for call in calls[:failing] if call.needs), None)
    return RecentCalls(calls, success, failing, needs)


def _saved_value(thing: Market | Account | Campaign) -> str:
    """What a row of the settings holds as saved. Each row's form sends it back (``was``): when the row no longer
    holds it, another admin saved it meanwhile."""
    if isinstance(thing, Market):
        return str(thing.grace_minutes)
    if isinstance(thing, Account):
        return f"{thing.connector or ''} {thing.connector_url or ''}"
    return thing.embargo_until.isoformat() if thing.embargo_until else ""


def _saved_meanwhile(thing: Market | Account | Campaign, row: str):  # noqa: ANN202
    """The settings page with the row's conflict, when another admin saved the row since this one was shown (a
    form without ``was`` is not compared); None otherwise. The row keeps what was typed and now carries the saved
    value as seen: saving again keeps it."""
    was = request.form.get("was")
    if was is None or was == _saved_value(thing):
        return None
    if isinstance(thing, Market):
        saved = _("%(n)d minutes", n=thing.grace_minutes)
    elif isinstance(thing, Account):
        saved = connector_name(thing.connector) if thing.connector else _("not connected")
        saved += f" {thing.connector_url}" if thing.connector_url else ""
    else:
        saved = said_in(thing.embargo_until, campaign_zone(thing).key) if thing.embargo_until else _("no embargo")
    message = _("Someone saved this row while you were editing it: %(saved)s. Nothing was overwritten; what you "
                "typed is still here: save again to keep it.", saved=saved)
    return _settings_page(GuardFailed(message, {}), 409, row)


def _saved(message: str):  # noqa: ANN202
    flash(message, "success")
    return redirect(url_for("publishing.settings"))


@bp.post("/settings/markets/<id:market_id>")
@roles_required(Role.admin)
@shows_characters_on_form
def set_grace(market_id: int):
    market = db.session.get(Market, market_id, with_for_update=True) or abort(404)
    row = f"market-form-{market.id}"  # the settings page's row for it (its form's id)
    form = GraceForm()
    if (conflict := _saved_meanwhile(market, row)) is not None:
        return conflict
    if not form.validate():
        return _settings_page(GuardFailed(_("%(market)s: check the grace period.", market=market.name),
                                          dict(form.errors)), 422, row)
    try:
        controls.set_grace(db.session, market, form.grace_minutes.data)
    except GuardFailed as refused:
        return _settings_page(refused, 422, row)
    return _saved(_("%(market)s: grace period saved.", market=market.code))


@bp.post("/settings/accounts/<id:account_id>")
@roles_required(Role.admin)
@shows_characters_on_form
def connect_account(account_id: int):
    form = ConnectorForm()
    valid = form.validate()
    url = form.url.data or None
    # A webhook's name is looked up (up to SET_LOOKUP_S) before the account is locked: the worker and every other
    # writer of the account would wait for the name servers with it.
    checked = controls.check_webhook(url) if valid and form.connector.data == "webhook" else None
    account = db.session.get(Account, account_id, with_for_update=True) or abort(404)
    row = f"account-form-{account.id}"  # the settings page's row for it (its form's id)
    if (conflict := _saved_meanwhile(account, row)) is not None:
        return conflict
    if not valid:
        return _settings_page(GuardFailed(_("Check the connector."), dict(form.errors)), 422, row)
    try:
        if form.connector.data:
            controls.connect_account(db.session, account, form.connector.data, url=url,
                                     secret=form.secret.data or None, checked=checked)
        else:
            controls.disconnect_account(db.session, account)
    except GuardFailed as refused:
        db.session.rollback()
        named = _("@%(handle)s (%(market)s · %(network)s): %(refusal)s", handle=account.handle,
                  market=account.market.code, network=NAMES[account.network.value], refusal=refused.message)
        return _settings_page(GuardFailed(named, refused.errors), 422, row)
    return _saved(_("@%(handle)s: connector saved.", handle=account.handle))


@bp.post("/settings/campaigns/<id:campaign_id>")
@roles_required(Role.admin)
@shows_characters_on_form
def set_embargo(campaign_id: int):
    campaign = db.session.get(Campaign, campaign_id, with_for_update=True) or abort(404)
    row = f"campaign-form-{campaign.id}"  # the settings page's row for it (its form's id)
    form = EmbargoForm()
    if (conflict := _saved_meanwhile(campaign, row)) is not None:
        return conflict
    if not form.validate():
        return _settings_page(GuardFailed(_("%(campaign)s: check the embargo's time.", campaign=campaign.name),
                                          dict(form.errors)), 422, row)
    try:
        controls.set_embargo_at(db.session, campaign, form.embargo_until.data, campaign_zone(campaign), chosen_fold())
    except GuardFailed as refused:
        return _settings_page(refused, 422, row)
    return _saved(_("%(campaign)s: embargo saved.", campaign=campaign.name))
