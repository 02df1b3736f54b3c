"""The executive cabinet's inbox: suggested messages for the executives it serves."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, render_template, request
from flask_login import current_user

from approval.db import db
from approval.models import Post
from approval.queries import posts as listing
from approval.views import roles_required
from approval.workflow.states import Role, State

bp = Blueprint("cabinet", __name__, url_prefix="/cabinet")


@bp.get("")
@roles_required(Role.cabinet)
def inbox():
    """What awaits the cabinet, the oldest first, a page at a time; then the other suggested messages, newest
    first, a page at a time. The filters apply to both."""
    filters = listing.PostFilters.from_args(request.args)
    waiting = listing.page_oldest_first(db.session, current_user, replace(filters, state=State.with_cabinet),
                                        (Post.id,), cursor=request.args.get("after"))
    others = filters if filters.state != State.with_cabinet else filters.without("state")
    answered = listing.page_posts(db.session, current_user, others, cursor=request.args.get("answered_after"),
                                  exclude=State.with_cabinet if others.state is None else None)
    return render_template("cabinet/inbox.html", waiting=waiting, answered=answered, filters=filters,
                           executives=current_user.executives,
                           choices=listing.filter_choices(db.session, current_user))
