"""The content calendar over HTTP: scheduled and published posts (and missed slots, and the posts the worker could not
publish or sent without a known answer) in a window of time."""

from __future__ import annotations

from datetime import timedelta

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validates_schema

from approval.api.auth import check_request, current_api_user
from approval.api.blueprint import Blueprint
from approval.api.fields import Id, Instant, Text
from approval.api.schemas import MARKET_CODE, Args
from approval.db import db
from approval.models import Network
from approval.queries.calendar import KINDS, window
from approval.queries.posts import PostFilters

bp = Blueprint("api_calendar", __name__, url_prefix="/api/v1",
               description="The content calendar: what goes out when, and what went out.")
bp.before_request(check_request)

#: The longest window one request may ask for.
MAX_WINDOW = timedelta(days=92)


class CalendarArgs(Args):
    from_ = Instant(required=True, data_key="from", metadata={"description": "Start of the window (included)."})
    to = Instant(required=True, metadata={"description": "End of the window (excluded); at most 92 days later."})
    market = Text(validate=ma.validate.Regexp(r"^[A-Z]{2}\Z", error=_l("A market is two capital letters, e.g. FR.")),
                  metadata=MARKET_CODE)
    network = Text(validate=ma.validate.OneOf([n.value for n in Network], error=_l("Not one of: {choices}.")))
    account_id = Id()
    campaign_id = Id()

    @validates_schema
    def _window(self, data: dict, **_kwargs) -> None:  # noqa: ANN003
        start, end = data.get("from_"), data.get("to")
        if start is None or end is None:
            return
        if end <= start:
            raise ma.ValidationError(_l("The end of the window comes after its start."), "to")
        if end - start > MAX_WINDOW:
            raise ma.ValidationError(_l("A window is at most 92 days long."), "to")


class CalendarItemSchema(ma.Schema):
    post_id = fields.Integer(required=True)
    at = Instant(required=True)
    state = fields.String(required=True, metadata={
        "description": "The post's state (`approved` for a missed slot; `failed` or `unconfirmed` at the slot the "
                       "worker could not publish, or sent without a known answer)."})
    kind = fields.String(required=True, metadata={"enum": list(KINDS)})
    account_id = fields.Integer(required=True)
    market = fields.String(required=True)
    network = fields.String(required=True)
    excerpt = fields.String(required=True)


class CalendarSchema(ma.Schema):
    items = fields.List(fields.Nested(CalendarItemSchema), required=True)
    truncated = fields.Boolean(required=True, metadata={
        "description": "True when the window holds more posts than one answer lists: narrow it."})


@bp.route("/calendar", methods=["GET"])
@bp.arguments(CalendarArgs(), location="query")
@bp.response(200, CalendarSchema)
@bp.refusals()
def list_calendar(args: dict):
    """Scheduled and published posts in the window, in time order, as the user sees them; and at their slots, missed
    posts and those the worker could not publish (`failed`) or sent without a known answer (`unconfirmed`)."""
    filters = PostFilters(market=args.get("market"), network=args.get("network"), account_id=args.get("account_id"),
                          campaign_id=args.get("campaign_id"))
    found = window(db.session, current_api_user(), filters, args["from_"], args["to"])
    items = [{"post_id": e.post.id, "at": e.at, "state": e.post.state.value, "kind": e.kind,
              "account_id": e.post.account_id, "market": e.post.account.market.code,
              "network": e.post.account.network.value, "excerpt": e.excerpt} for e in found.entries]
    return {"items": items, "truncated": found.truncated}
