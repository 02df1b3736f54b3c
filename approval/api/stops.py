"""Stop switches over HTTP: see them, turn them on (a reason required), turn them off. Project managers and admins."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from approval.api.auth import check_request, current_api_user
from approval.api.blueprint import Blueprint
from approval.api.fields import MAX_ID
from approval.api.schemas import Args, StopCreateArgs, StopListSchema, StopSchema
from approval.db import db
from approval.operations import NotFound
from approval.publishing import controls
from approval.workflow.errors import NotPermitted

bp = Blueprint("api_stops", __name__, url_prefix="/api/v1",
               description="Stop switches: while one is on, nothing in its market, campaign or anywhere is published.")
bp.before_request(check_request)


class StopListArgs(Args):
    all = ma.fields.Boolean(load_default=False, truthy={"true", "1"}, falsy={"false", "0"},
                            error_messages={"invalid": _l("Say true or false.")},
                            metadata={"description": "Also the switches turned off (the latest 500 in all), to see "
                                                     "who stopped what and when."})


@bp.route("/stops", methods=["GET"])
@bp.arguments(StopListArgs(), location="query")
@bp.response(200, StopListSchema)
@bp.refusals(400, 403)
def list_stops(args: dict):
    """The stop switches on in the user's markets (and those over everything), the latest first; with
    ``all=true``, those turned off as well."""
    user = current_api_user()
    if not controls.can_manage_stops(user):
        raise NotPermitted(_("Only project managers and admins see the stop switches."))
    return {"items": controls.visible_stops(db.session, user, active_only=not args["all"])}


@bp.route("/stops", methods=["POST"])
@bp.arguments(StopCreateArgs())
@bp.response(201, StopSchema)
@bp.refusals(400, 403, 413)
def create_stop(args: dict):
    """Turn a stop switch on."""
    stop = controls.turn_on(db.session, current_api_user(), args["scope"], market_code=args.get("market"),
                            campaign_id=args.get("campaign_id"), reason=args["reason"])
    return stop, 201


@bp.route(f"/stops/<int(min=1, max={MAX_ID}):stop_id>", methods=["DELETE"])
@bp.response(200, StopSchema)
@bp.refusals(403, 404)
def delete_stop(stop_id: int):
    """Turn a stop switch off: posts it held stay held until their slot passes or gets a new time."""
    try:
        stop = controls.turn_off(db.session, current_api_user(), stop_id)
    except LookupError:
        raise NotFound(stop_id) from None
    return stop
