"""The project manager's desk: what awaits review (oldest first), and what is approved but not yet scheduled."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import func

from approval.access import visible_posts
from approval.db import db, utcnow
from approval.models import Post
from approval.publishing.holds import held_ids
from approval.queries.hub import wall_settings
from approval.queries import posts as listing
from approval.views import roles_required
from approval.workflow.states import Role, State

bp = Blueprint("review", __name__, url_prefix="/review")
#: What the queue shows of the approved and scheduled posts; their full lists are the posts list's.
SIDE_LIST = 20


@bp.get("")
@roles_required(Role.project_manager)
def queue():
    """What awaits review, the longest waiting first, a page at a time; then what awaits a time and what goes out
    next (bounded, with a link to their full list). The filters apply to all three."""
    filters = listing.PostFilters.from_args(request.args).without("state")
    # What the reviewer may decide on; their own revisions wait for another project manager, listed apart (they
    # were counted and listed as awaiting this reviewer, whose post page then said another must approve).
    in_review = replace(filters, state=State.in_review)
    waiting = listing.page_oldest_first(db.session, current_user, replace(in_review, decidable_by=current_user.id),
                                        (Post.submitted_at, Post.id), cursor=request.args.get("after"))
    theirs = listing.page_oldest_first(db.session, current_user, replace(in_review, revision_by=current_user.id),
                                       (Post.submitted_at, Post.id), cursor=None, limit=SIDE_LIST)
    to_schedule = listing.page_oldest_first(db.session, current_user, replace(filters, state=State.approved),
                                            (Post.updated_at, Post.id), cursor=None, limit=SIDE_LIST)
    upcoming = listing.page_oldest_first(db.session, current_user, replace(filters, state=State.scheduled),
                                         (Post.scheduled_at, Post.id), cursor=None, limit=SIDE_LIST)
    held = held_ids(db.session, [post.id for post in upcoming.items])
    sets = _set_sizes([*waiting.items, *theirs.items, *to_schedule.items, *upcoming.items])
    return render_template("review/queue.html", waiting=waiting, theirs=theirs, to_schedule=to_schedule,
                           upcoming=upcoming,
                           held=held, filters=filters, choices=listing.filter_choices(db.session, current_user),
                           lateness=_lateness(), sets=sets, runs=runs)


@dataclass(frozen=True)
class Run:
    """Posts next to each other in a queue: those of one set (``set_id``), or of none (``set_id`` None)."""

    set_id: int | None
    posts: list[Post]


def runs(posts: Sequence[Post]) -> list[Run]:
    """``posts`` in their order, those of one set that follow each other grouped: five copies of a launch message
    submitted together wait together, under one link to the set's page. The queue's order is kept (the longest
    waiting first): a member waiting apart from the others is a group of its own, never moved nor hidden."""
    found: list[Run] = []
    for post in posts:
        if found and found[-1].set_id == post.set_id:  # of one set, or of none
            found[-1].posts.append(post)
        else:
            found.append(Run(post.set_id, [post]))
    return found


def _set_sizes(posts: Sequence[Post]) -> dict[int, int]:
    """How many posts the reader sees in each set ``posts`` belong to (any state: the set's page shows them all), in
    one statement."""
    ids = {post.set_id for post in posts if post.set_id is not None}
    if not ids:
        return {}
    return {set_id: n for set_id, n in db.session.execute(
        visible_posts(current_user).with_only_columns(Post.set_id, func.count(Post.id))
        .where(Post.set_id.in_(ids)).group_by(Post.set_id)) if set_id is not None}


def _lateness() -> Callable[[datetime | None], str]:
    """How late a post waiting for review since a time is, on the thresholds the admins set for the wall (Kiosk
    links; ``WallSettings.lateness``). The queue paints its waits with it, as the wall and the dashboard do (it
    painted each one amber, "1 minute" included)."""
    settings, now = wall_settings(db.session), utcnow()
    return lambda submitted_at: settings.lateness(now - submitted_at) if submitted_at else ""
