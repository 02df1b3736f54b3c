"""The hub: where each market stands, for the people who steer them."""

from __future__ import annotations

from approval.api.auth import check_request, current_api_user
from approval.api.blueprint import Blueprint
from approval.api.schemas import HubSummaryArgs, HubSummarySchema
from approval.db import db
from approval.queries import hub as hub_queries

bp = Blueprint("api_hub", __name__, url_prefix="/api/v1", description="Where each market stands.")
bp.before_request(check_request)


@bp.route("/hub/summary", methods=["GET"])
@bp.arguments(HubSummaryArgs(), location="query")
@bp.response(200, HubSummarySchema)
@bp.refusals()
def hub_summary(args: dict):
    """Per market the user sees: posts per state, the oldest awaiting review, the next scheduled."""
    return {"markets": hub_queries.summary(db.session, current_api_user(), market=args.get("market"))}
