"""The style gate for any text, as ``approval lint --format json`` prints it."""

from __future__ import annotations

from approval import operations as ops
from approval.api.auth import check_request, current_api_user
from approval.api.blueprint import Blueprint
from approval.api.schemas import FindingListSchema, LintArgs
from approval.db import db

bp = Blueprint("api_lint", __name__, url_prefix="/api/v1",
               description="The style gate: what it says about a text, before it is a post.")
bp.before_request(check_request)


@bp.route("/lint", methods=["POST"])
@bp.arguments(LintArgs())
@bp.response(200, FindingListSchema)
@bp.refusals(400, 413)
def lint_text(args: dict):
    """Check a text for a network and a market (with its policy and languages); nothing is stored."""
    findings = ops.check_text(db.session, current_api_user(), args["text"], network=args.get("network"),
                              market=args.get("market"), lang=args.get("lang"))
    return {"findings": findings}
