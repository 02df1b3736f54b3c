"""Who the user is and what they may work on: themselves, their markets, accounts and campaigns."""

from __future__ import annotations

from sqlalchemy.orm import selectinload

from approval import operations as ops
from approval.access import visible_accounts, visible_markets
from approval.api.auth import check_request, current_api_user
from approval.api.blueprint import Blueprint
from approval.api.schemas import AccountListSchema, CampaignListSchema, MarketListSchema, UserSchema
from approval.db import db
from approval.models import Account

bp = Blueprint("api_catalog", __name__, url_prefix="/api/v1",
               description="The user, and the markets, accounts and campaigns they may work on.")
bp.before_request(check_request)


@bp.route("/me", methods=["GET"])
@bp.response(200, UserSchema)
@bp.refusals()
def get_me():
    """The user the token acts for, with the codes of the markets they see."""
    user = current_api_user()
    markets = db.session.scalars(visible_markets(user)).all()
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role,
            "markets": [market.code for market in markets]}


@bp.route("/markets", methods=["GET"])
@bp.response(200, MarketListSchema)
@bp.refusals()
def list_markets():
    """The markets the user sees, with their time zone and languages."""
    return {"items": db.session.scalars(visible_markets(current_api_user())).all()}


@bp.route("/accounts", methods=["GET"])
@bp.response(200, AccountListSchema)
@bp.refusals()
def list_accounts():
    """The accounts the user sees."""
    query = visible_accounts(current_api_user()).options(selectinload(Account.market))
    return {"items": db.session.scalars(query).all()}


@bp.route("/campaigns", methods=["GET"])
@bp.response(200, CampaignListSchema)
@bp.refusals()
def list_campaigns():
    """The campaigns a post of the user may join: group-wide ones and those of their markets."""
    return {"items": ops.usable_campaigns(db.session, current_api_user())}
