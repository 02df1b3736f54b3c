"""Administration: markets, accounts, executives and their cabinets, users."""

from __future__ import annotations

from flask import Blueprint, render_template

from approval.views import roles_required
from approval.workflow.states import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("")
@roles_required(Role.admin)
def index():
    return render_template("admin/index.html")
