"""Campaigns, kept by the project managers who run them (a tournament sponsorship, the annual report) and by admins.

A project manager keeps the campaigns of their markets; a group-wide campaign (offered in every market) is kept by
the group-wide project managers and the admins, and seen by everyone who writes for a market. A campaign's embargo
is set here with the rest: no post of the campaign is scheduled before it, and what was scheduled before a later
embargo is held.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from approval import administration as admin
from approval import operations as ops
from approval.access import market_clause
from approval.db import db, utcnow
from approval.filters import campaign_zone, repeated_instants, viewer_zone
from approval.forms.admin import CampaignForm
from approval.forms.conflicts import Overtaken
from approval.inputs import shows_characters_on_form
from approval.labels import said_in
from approval.models import Campaign, Market, Post, User
from approval.publishing import controls
from approval.views import roles_required, show_refusal
from approval.workflow.errors import GuardFailed
from approval.workflow.states import Role, State

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

KEEPERS = (Role.project_manager, Role.admin)


def keeps_group_wide(user: User) -> bool:
    """Whether ``user`` keeps the campaigns of every market (and may make one)."""
    return user.role == Role.admin or user.all_markets


def can_keep(user: User, campaign: Campaign) -> bool:
    """Whether ``user`` may change ``campaign``: one of their markets', or a group-wide one for a group-wide keeper."""
    if campaign.market_id is None:
        return keeps_group_wide(user)
    return keeps_group_wide(user) or campaign.market_id in {m.id for m in user.markets}


def _markets() -> list[Market]:
    """The markets the user may give a campaign to."""
    return list(db.session.scalars(select(Market).where(market_clause(current_user)).order_by(Market.code)))


@bp.get("")
@roles_required(*KEEPERS)
def list_campaigns():
    campaigns = ops.usable_campaigns(db.session, current_user)
    return render_template("campaigns/list.html", campaigns=campaigns, can_keep=can_keep,
                           zone_of=campaign_zone)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*KEEPERS)
@shows_characters_on_form
def new_campaign():
    form = CampaignForm()
    form.set_choices(_markets(), group_wide=keeps_group_wide(current_user))
    if form.validate_on_submit() and (campaign := _save(form, None)) is not None:
        flash(_("Campaign %(name)s created.", name=campaign.name), "success")
        return _see_other(campaign)
    return _page(form, None)


@bp.route("/<id:campaign_id>/edit", methods=["GET", "POST"])
@roles_required(*KEEPERS)
@shows_characters_on_form
def edit_campaign(campaign_id: int):
    campaign = db.session.get(Campaign, campaign_id, with_for_update=request.method == "POST")
    markets = _markets()
    if campaign is None or campaign.market_id not in {None, *(m.id for m in markets)}:
        abort(404)  # another market's: as if there were none
    if not can_keep(current_user, campaign):
        abort(403)  # a group-wide campaign, seen by a market's project manager
    if request.method == "GET":
        form = CampaignForm.filled_from(campaign)
        form.show()
    else:
        form = CampaignForm(current=campaign)
    form.set_choices(markets, group_wide=keeps_group_wide(current_user))
    changed: list[Overtaken] = []
    if form.validate_on_submit() and not (changed := form.saved_meanwhile()) and _save(form, campaign) is not None:
        flash(_("Campaign %(name)s saved.", name=campaign.name), "success")
        form.tell_merged()  # what another person saved meanwhile, in fields this one left alone
        return _see_other(campaign)
    return _page(form, campaign, changed)


def _save(form: CampaignForm, campaign: Campaign | None) -> Campaign | None:
    """Make (``campaign`` None) or change the campaign as the form says, its embargo with it; None when a rule
    refused: the form says why, and nothing was written."""
    market = db.session.get(Market, form.market_id.data) if form.market_id.data else None
    fields = (form.name.data, market, form.hashtag.data, form.description.data or "", form.disclosure_required.data)
    zone = _embargo_zone(form, campaign)
    # Every field's refusal at once: an embargo the clocks skip was said alone, and the hashtag's fault only on the
    # next try. The campaign's own rules still run when the embargo is refused (with the embargo it had), and
    # anything they wrote is rolled back.
    errors: dict[str, list[str]] = {}
    until = campaign.embargo_until if campaign else None
    try:
        until = controls.embargo_at(until, form.embargo_until.data, zone, chosen_fold())
    except GuardFailed as refused:
        errors.update(refused.errors)
    try:
        if campaign is None:
            made = admin.create_campaign(db.session, *fields, embargo_until=until)
        else:
            made = admin.update_campaign(db.session, campaign, *fields, embargo_until=until)
    except (admin.Refused, GuardFailed) as refused:
        errors = {**refused.errors, **errors}
    if errors:
        db.session.rollback()
        show_refusal(form, errors)
        return None
    return made


def _embargo_zone(form: CampaignForm, campaign: Campaign | None) -> ZoneInfo:
    """The zone the embargo is typed in: the one the page showed it in, before a change of market (a new campaign's:
    its market's, else the viewer's)."""
    if campaign is not None:
        return campaign_zone(campaign)
    # Read before the form is checked too (a page sent back): one of its choices only, never a tampered id.
    chosen = form.market_id.data
    offered = {choice.value for choice in form.market_id.choices or () if isinstance(choice, SelectChoice)}
    market = db.session.get(Market, chosen) if isinstance(chosen, int) and chosen in offered else None
    return ZoneInfo(market.timezone) if market is not None else ZoneInfo(viewer_zone())


def chosen_fold() -> int | None:
    """Which of the two instants of a time the clocks repeat the page's "which one?" chose (``embargo_fold``): 0 the
    first, 1 the second; None when it chose none (the rule then asks)."""
    value = request.form.get("embargo_fold")
    return int(value) if value in ("0", "1") else None


def embargo_folds(typed: str, zone: ZoneInfo, saved: datetime | None, *,
                  sent: bool = True) -> tuple[tuple[str, str], int | None] | None:
    """What the embargo's "which one?" offers when ``typed`` (``YYYY-MM-DDTHH:MM``) is a time the clocks of ``zone``
    repeat: its two instants, as the page says them, and the one chosen (the form's, when ``sent`` is the form
    posted, else the saved embargo's when it is that time); None for any other time."""
    instants = repeated_instants(typed, zone.key)
    if instants is None:
        return None
    chosen = chosen_fold() if sent and request.method == "POST" else None
    if chosen is None and saved is not None and saved.astimezone(zone).strftime("%Y-%m-%dT%H:%M") == typed:
        chosen = saved.astimezone(zone).fold
    return instants, chosen


def _page(form: CampaignForm, campaign: Campaign | None, changed: list[Overtaken] | None = None):  # noqa: ANN202
    status = 409 if changed else 422 if request.method == "POST" else 200
    field = form.embargo_until
    typed = field.raw_data[0] if field.raw_data else (field.data.strftime("%Y-%m-%dT%H:%M") if field.data else "")
    zone = _embargo_zone(form, campaign)
    return render_template("campaigns/edit.html", form=form, campaign=campaign, changed=changed or [],
                           folds=embargo_folds(typed, zone, campaign.embargo_until if campaign else None),
                           lifted=_lifted(campaign)), status


def _lifted(campaign: Campaign | None) -> str | None:
    """When the campaign's saved embargo lifted, as the page says it, if it has: it holds nothing any more (saving
    the form keeps it)."""
    until = campaign.embargo_until if campaign is not None else None
    if until is None or until > utcnow():
        return None
    return said_in(until, str(campaign_zone(campaign).key))


def _see_other(campaign: Campaign) -> Response:
    """Back to the list, telling what the embargo holds: the posts of the campaign scheduled before it."""
    if campaign.embargo_until is not None:
        held = db.session.scalar(select(func.count(Post.id)).where(
            Post.campaign_id == campaign.id, Post.state == State.scheduled,
            Post.scheduled_at < campaign.embargo_until)) or 0
        if held:
            flash(ngettext("%(num)d scheduled post of the campaign goes out before the embargo: it is held until the "
                           "embargo lifts, or give it a later time (the publishing desk lists it).",
                           "%(num)d scheduled posts of the campaign go out before the embargo: they are held until "
                           "the embargo lifts, or give them a later time (the publishing desk lists them).", held),
                  "warning")
    return redirect(url_for("campaigns.list_campaigns"), 303)
