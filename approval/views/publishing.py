"""The publishing desk: what did not go out as planned (held, missed, failed, unconfirmed, overdue), with what to do
for each; and the stop switches, turned on with a reason and off again."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import contains_eager, selectinload
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from approval import operations as ops
from approval.access import visible_markets, visible_posts
from approval.db import db, utcnow
from approval.models import Account, Market, Post
from approval.publishing import controls
from approval.publishing.holds import held_clause
from approval.views import roles_required
from approval.workflow.errors import GuardFailed, NotPermitted
from approval.workflow.states import Role, State

bp = Blueprint("publishing", __name__, url_prefix="/publishing")
MANAGERS = (Role.project_manager, Role.admin)
#: Each list of the desk shows this many; the posts list has them all.
SHOWN = 100


class StopForm(FlaskForm):
    scope = SelectField(_l("Stop"), choices=[SelectChoice("market", _l("a market")),
                                              SelectChoice("campaign", _l("a campaign")),
                                              SelectChoice("all", _l("everything, everywhere"))])
    market = SelectField(_l("Market"), validators=[Optional()])
    campaign_id = SelectField(_l("Campaign"), validators=[Optional()])
    reason = TextAreaField(_l("Why"), validators=[DataRequired(), Length(max=controls.MAX_REASON)])


@bp.get("")
@roles_required(*MANAGERS)
def desk():
    now = utcnow()
    base = visible_posts(current_user).options(contains_eager(Post.account).selectinload(Account.market),
                                                selectinload(Post.current_revision))

    def listed(query):  # noqa: ANN001, ANN202
        return db.session.scalars(query.limit(SHOWN)).all()

    sections = {
        "held": listed(base.where(Post.state == State.scheduled, held_clause()).order_by(Post.scheduled_at)),
        "overdue": listed(base.where(Post.state == State.scheduled, Post.scheduled_at < now - timedelta(minutes=1),
                                     ~held_clause()).order_by(Post.scheduled_at)),
        "unconfirmed": listed(base.where(Post.state == State.unconfirmed).order_by(Post.updated_at.desc())),
        "failed": listed(base.where(Post.state == State.failed).order_by(Post.updated_at.desc())),
        "missed": listed(base.where(Post.state == State.approved, Post.missed_at.is_not(None))
                         .order_by(Post.missed_at.desc())),
        "publishing": listed(base.where(Post.state == State.publishing).order_by(Post.claimed_until)),
    }
    return render_template("publishing/desk.html", sections=sections,
                           stops=controls.visible_stops(db.session, current_user))


@bp.route("/stops", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def stops():
    form = StopForm()
    markets = db.session.scalars(visible_markets(current_user).order_by(Market.code)).all()
    campaigns = ops.usable_campaigns(db.session, current_user)
    form.market.choices = [SelectChoice("", "—")] + [SelectChoice(m.code, f"{m.code} · {m.name}") for m in markets]
    form.campaign_id.choices = [SelectChoice("", "—")] + [SelectChoice(str(c.id), c.name) for c in campaigns]
    refusal = None
    if form.validate_on_submit():
        campaign = int(form.campaign_id.data) if (form.campaign_id.data or "").isdigit() else None
        try:
            stop = controls.turn_on(db.session, current_user, form.scope.data, market_code=form.market.data or None,
                                    campaign_id=campaign, reason=form.reason.data)
        except (GuardFailed, NotPermitted) as refused:
            db.session.rollback()
            refusal = refused
        else:
            db.session.commit()
            flash(_("Stop switch on: nothing in its scope is published until it is turned off."), "warning")
            return redirect(url_for("publishing.stops", _anchor=f"stop-{stop.id}"))
    status = 422 if refusal or form.errors else 200
    return render_template("publishing/stops.html", form=form, refusal=refusal,
                           stops=controls.visible_stops(db.session, current_user, active_only=False)[:200]), status


@bp.post("/stops/<id:stop_id>/off")
@roles_required(*MANAGERS)
def turn_off(stop_id: int):
    form = FlaskForm()
    if not form.validate():
        abort(400)
    try:
        controls.turn_off(db.session, current_user, stop_id)
    except LookupError:
        abort(404)
    db.session.commit()
    flash(_("Stop switch off. Held posts go out if their slot is still within its grace period; the others wait "
            "for a new time."), "success")
    return redirect(url_for("publishing.stops"))
