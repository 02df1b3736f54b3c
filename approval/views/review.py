"""The project manager's desk: what awaits review (oldest first), and what is approved but not yet scheduled."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy.orm import selectinload

from approval.access import visible_posts
from approval.db import db
from approval.models import Account, Post
from approval.views import roles_required
from approval.workflow.states import Role, State

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.get("")
@roles_required(Role.project_manager)
def queue():
    options = (selectinload(Post.account).selectinload(Account.market), selectinload(Post.current_revision))
    waiting = db.session.scalars(
        visible_posts(current_user).where(Post.state == State.in_review)
        .order_by(Post.submitted_at.asc(), Post.id.asc()).options(*options)
    ).all()
    to_schedule = db.session.scalars(
        visible_posts(current_user).where(Post.state == State.approved)
        .order_by(Post.updated_at.asc()).options(*options)
    ).all()
    upcoming = db.session.scalars(
        visible_posts(current_user).where(Post.state == State.scheduled)
        .order_by(Post.scheduled_at.asc()).limit(50).options(*options)
    ).all()
    return render_template("review/queue.html", waiting=waiting, to_schedule=to_schedule, upcoming=upcoming)
