"""Post sets: the posts one message was written as for several accounts (``views.posts.new_post``), on one page, and
the decisions taken on all of them at once. Each member stays a post of its own: every bulk action is the engine's,
post by post, each with its audit row, in one transaction (one refused, none is recorded)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from approval import operations as ops
from approval.access import read_by
from approval.db import db
from approval.forms import PageForm
from approval.labels import label
from approval.models import Post, Revision
from approval.views.posts import findings_summary, post_name, post_names
from approval.workflow import engine
from approval.workflow.errors import InvalidTransition, NotPermitted, Stale, WorkflowError
from approval.workflow.states import Action
from approval.workflow.table import rows_for

bp = Blueprint("sets", __name__, url_prefix="/sets")


@dataclass(frozen=True)
class Member:
    """A post of the set as its reader sees it: the post, and the revision it reads (a cabinet's: the last sent)."""

    post: Post
    revision: Revision | None

    @property
    def summary(self) -> str:
        return findings_summary(self.revision.findings or [] if self.revision is not None else [])


@dataclass
class Plan:
    """What a bulk action would do to a set for its reader: the members it acts on, and those it leaves out, why."""

    acting: list[Post] = field(default_factory=list)
    #: Members the action applies to, but not for this reader, with the engine's reasons (``withheld_actions``): a
    #: revision they wrote awaits another project manager.
    withheld: list[tuple[Post, list[str]]] = field(default_factory=list)
    #: Members the action does not apply to now (not in review, not a draft...).
    elsewhere: list[Post] = field(default_factory=list)

    @property
    def proposals_ahead(self) -> bool:
        """Every member approved would be scheduled at its own proposed time, still ahead (``proposal_offered``)."""
        return bool(self.acting) and all(ops.proposal_offered(post, current_user) is not None for post in self.acting)


def _may(action: Action) -> bool:
    """The reader's role takes ``action`` on some post (the table's rows say who): what shows a bulk button."""
    return any(current_user.role in row.roles for row in rows_for(action))


def _plan(posts: Sequence[Post], action: Action) -> Plan:
    """The members ``action`` applies to for the reader now (``engine.available_actions``: the table and its
    guards), those it is withheld from them on (the author of a revision never approves it), and the others."""
    plan = Plan()
    for post in posts:
        if any(row.action == action for row in engine.available_actions(post, current_user)):
            plan.acting.append(post)
        elif action == Action.approve and (reasons := engine.withheld_actions(post, current_user)):
            plan.withheld.append((post, reasons))
        else:
            plan.elsewhere.append(post)
    return plan


def _members(set_id: int, *, for_update: bool = False) -> list[Post]:
    """The set's posts the reader sees; none (no such set, or none in their markets): not found."""
    posts = ops.set_members(db.session, current_user, set_id, for_update=for_update)
    if not posts:
        raise ops.NotFound(set_id)
    return posts


def _render(set_id: int, posts: Sequence[Post], *, refusal: WorkflowError | None = None, status: int = 200):  # noqa: ANN202
    shown = read_by(db.session, current_user, list(posts))
    members = [Member(post, as_read.current_revision) for post, as_read in zip(posts, shown, strict=True)]
    submit = _plan(posts, Action.submit) if _may(Action.submit) else None
    approve = _plan(posts, Action.approve) if _may(Action.approve) else None
    return render_template("sets/show.html", set_id=set_id, members=members, submit=submit, approve=approve,
                           refusal=refusal), status


@bp.get("/<id:set_id>")
@login_required
def show_set(set_id: int):
    """The set's members side by side: account, network, state, text, findings, time; and the bulk actions the
    reader may take on them."""
    return _render(set_id, _members(set_id))


@bp.post("/<id:set_id>/submit")
@login_required
def submit_all(set_id: int):
    """"Submit all for review": the drafts (and the members sent back for changes) the reader may submit."""
    return _act(set_id, Action.submit)


@bp.post("/<id:set_id>/approve")
@login_required
def approve_all(set_id: int):
    """"Approve all" the members in review the reader may approve, or with ``and_schedule``, approve and schedule
    each at its proposed time (``operations.approve_and_schedule``)."""
    return _act(set_id, Action.approve, and_schedule=request.form.get("and_schedule") in ("1", "y", "yes", "on"))


def _act(set_id: int, action: Action, *, and_schedule: bool = False):  # noqa: ANN202
    """The bulk action on the members the page showed, each at the version the page showed (``version-<id>``): a
    member it acts on or leaves out changed since refuses it all (409, naming it); the others are not its to check.
    Each member through the engine, with its own audit row; one refused, none is recorded."""
    if not PageForm().validate():
        abort(400)
    posts = _members(set_id, for_update=True)  # a set the reader sees none of is not found, whatever their role
    for needed in (action, Action.schedule) if and_schedule else (action,):
        if not _may(needed):
            raise NotPermitted(_("Your role may not %(action)s a post.", action=label(needed)))
    plan = _plan(posts, action)
    # Only the members the action acts on, and those the page said it leaves out, must be as the page showed them:
    # another member written since (a draft "Approve all" leaves alone) is none of this decision's business.
    decided = [*plan.acting, *(post for post, _reasons in plan.withheld)]
    changed = [post for post in posts if post in decided
               and request.form.get(f"version-{post.id}", type=int) != post.version]
    if changed:
        db.session.rollback()
        refusal = Stale(_("Nothing was done: %(posts)s changed since this page was drawn. Read the set as it is "
                          "now, then decide again.", posts=post_names(changed)))
        return _render(set_id, _members(set_id), refusal=refusal, status=refusal.status)
    if not plan.acting:
        db.session.rollback()
        nothing = InvalidTransition(_("No post of this set can be submitted now.") if action == Action.submit else
                                    _("No post of this set awaits your approval."))
        return _render(set_id, posts, refusal=nothing, status=nothing.status)
    try:
        for post in plan.acting:
            try:
                if and_schedule:
                    ops.approve_and_schedule(db.session, post, current_user, expected_version=post.version)
                else:
                    ops.act_on_post(db.session, post, action, current_user, expected_version=post.version)
            except WorkflowError as refused:
                reasons = [r for rs in refused.errors.values() for r in rs if r != refused.message]
                raise type(refused)(_("Nothing was done: %(post)s was refused. %(reason)s", post=post_name(post),
                                      reason=" ".join([refused.message, *reasons])), refused.errors,
                                    findings=refused.findings) from None
    except WorkflowError as refused:
        db.session.rollback()
        return _render(set_id, _members(set_id), refusal=refused, status=refused.status)
    if action == Action.submit:
        flash(_("Submitted for review: %(posts)s.", posts=post_names(plan.acting)), "success")
    elif and_schedule:
        flash(_("Approved and scheduled, each at its proposed time: %(posts)s.", posts=post_names(plan.acting)),
              "success")
    else:
        flash(_("Approved: %(posts)s.", posts=post_names(plan.acting)), "success")
    for post, reasons in plan.withheld:
        flash(_("Left out: %(post)s. %(reason)s", post=post_name(post), reason=" ".join(reasons)), "info")
    return redirect(url_for("sets.show_set", set_id=set_id), 303)
