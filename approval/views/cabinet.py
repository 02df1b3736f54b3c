"""The executive cabinet's inbox: suggested messages for the executives it serves."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from approval.access import AsSent, read_by
from approval.db import db
from approval.models import Post, User
from approval.models.media import MediaKind
from approval.queries import posts as listing
from approval.views import roles_required
from approval.workflow.states import Role, State

bp = Blueprint("cabinet", __name__, url_prefix="/cabinet")


@dataclass(frozen=True)
class Facts:
    """What a row of the inbox tells besides the post's account and text, so that the cabinet need not open each
    one to learn it: who wrote it, which project manager sent it to the cabinet, what pictures and videos it shows."""

    author: User | None
    sent_by: User | None
    pictures: int = 0
    videos: int = 0


def facts(posts: Iterable[Post | AsSent]) -> dict[int, Facts]:
    """Each post's ``Facts``, its people read in one query (the posts' text and media are loaded with the page)."""
    posts = list(posts)
    ids = {post.created_by_id for post in posts} | {post.approved_by_id for post in posts if post.approved_by_id}
    people = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    told = {}
    for post in posts:
        media = [item.file.kind for item in post.current_revision.media] if post.current_revision else []
        told[post.id] = Facts(author=people.get(post.created_by_id),
                              sent_by=people.get(post.approved_by_id) if post.approved_by_id else None,
                              pictures=media.count(MediaKind.image), videos=media.count(MediaKind.video))
    return told


@bp.get("")
@roles_required(Role.cabinet)
def inbox():
    """What awaits the cabinet, the oldest first, a page at a time; then the other suggested messages, newest
    first, a page at a time. The filters apply to both. Each row shows the text the cabinet was last sent
    (``access.read_by``): not what its writers saved since they have it back."""
    filters = listing.PostFilters.from_args(request.args, current_user)
    waiting = listing.page_oldest_first(db.session, current_user, replace(filters, state=State.with_cabinet),
                                        (Post.id,), cursor=request.args.get("after"))
    others = filters if filters.state != State.with_cabinet else filters.without("state")
    answered = listing.page_posts(db.session, current_user, others, cursor=request.args.get("answered_after"),
                                  exclude=State.with_cabinet if others.state is None else None)
    waiting_rows = read_by(db.session, current_user, waiting.items)
    answered_rows = read_by(db.session, current_user, answered.items)
    return render_template("cabinet/inbox.html", waiting=waiting, answered=answered, filters=filters,
                           waiting_rows=waiting_rows, answered_rows=answered_rows,
                           executives=current_user.executives, facts=facts([*waiting_rows, *answered_rows]),
                           choices=listing.filter_choices(db.session, current_user))
