"""The executive cabinet's inbox: suggested messages for the executives it serves."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy.orm import selectinload

from approval.access import visible_posts
from approval.db import db
from approval.models import Account, Post
from approval.views import roles_required
from approval.workflow.states import Role, State

bp = Blueprint("cabinet", __name__, url_prefix="/cabinet")


@bp.get("")
@roles_required(Role.cabinet)
def inbox():
    options = (selectinload(Post.account).selectinload(Account.executive), selectinload(Post.current_revision))
    waiting = db.session.scalars(
        visible_posts(current_user).where(Post.state == State.with_cabinet)
        .order_by(Post.updated_at.asc()).options(*options)
    ).all()
    answered = db.session.scalars(
        visible_posts(current_user).where(Post.state != State.with_cabinet)
        .order_by(Post.updated_at.desc()).limit(50).options(*options)
    ).all()
    return render_template("cabinet/inbox.html", waiting=waiting, answered=answered,
                           executives=current_user.executives)
