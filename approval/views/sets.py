"""Post sets: the posts one message was written as for several accounts (``views.posts.new_post``), on one page, and
the decisions taken on all of them at once; and the list of the sets a reader sees. Each member stays a post of its
own: every bulk action is the engine's, post by post, each with its audit row, in one transaction. An approval is
all or nothing (one refused, none is recorded: the decision is on the set the reviewer saw); a submission is each
member's own (those that pass go to review, the others are listed to fix)."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from approval import operations as ops
from approval import policies
from approval.access import read_by
from approval.db import db
from approval.filters import ZoneFold, slot_time, viewer_zone, zone_folds
from approval.forms import PageForm
from approval.forms.sets import EACH_MARKET, ONE_MOMENT, ApproveAllForm
from approval.labels import label, said_date, said_in, said_wall
from approval.models import Account, Post, PostSet, Revision
from approval.queries import posts as listing
from approval.queries.paging import keyset
from approval.style.policy import SENSITIVE
from approval.views.posts import findings_summary, post_name, post_names
from approval.workflow import engine
from approval.workflow.errors import GuardFailed, InvalidTransition, NotPermitted, Stale, WorkflowError
from approval.workflow.guards import ACKNOWLEDGE
from approval.workflow.states import Action, Role, State
from approval.workflow.table import rows_for

bp = Blueprint("sets", __name__, url_prefix="/sets")


# The list ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetRow:
    """A set as the list shows it to its reader: the set, and its members they see (as they read them)."""

    post_set: PostSet
    members: list[Post]

    @property
    def body(self) -> str:
        """The message: the first member's text as its reader reads it (the members share it when written)."""
        return self.members[0].body

    @property
    def campaigns(self) -> list[str]:
        return list(dict.fromkeys(post.campaign.name for post in self.members if post.campaign is not None))

    @property
    def states(self) -> list[tuple[State, int]]:
        """How many of its members are in each state, in the workflow's order."""
        counted = Counter(post.state for post in self.members)
        return [(state, counted[state]) for state in State if counted[state]]


@bp.get("")
@login_required
def list_sets():
    """The sets the reader sees a member of (the list's filters select the sets that have a member passing them),
    newest first, a page at a time by keyset; each with its message, campaign, author, date and members' states
    (those the reader sees only)."""
    filters = listing.PostFilters.from_args(request.args, current_user)
    chosen = listing.matching(db.session, current_user, filters).with_only_columns(Post.set_id) \
        .where(Post.set_id.is_not(None))
    query = select(PostSet).where(PostSet.id.in_(chosen)).options(joinedload(PostSet.created_by))
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page = keyset(db.session, query, (PostSet.id,), descending=True, cursor=request.args.get("after"),
                  limit=listing.PAGE_SIZE, total=total)
    members = list(db.session.scalars(
        listing.matching(db.session, current_user, listing.PostFilters())
        .where(Post.set_id.in_([s.id for s in page.items])).order_by(Post.id)
        .options(contains_eager(Post.account).joinedload(Account.market), selectinload(Post.current_revision),
                 selectinload(Post.campaign))))
    # A cabinet reads the texts it was sent, not what the writers saved since (``access.read_by``).
    by_set: dict[int, list[Post]] = {}
    for post in read_by(db.session, current_user, members):
        by_set.setdefault(post.set_id, []).append(post)
    rows = [SetRow(post_set, by_set[post_set.id]) for post_set in page.items if post_set.id in by_set]
    return render_template("sets/list.html", page=page, rows=rows, filters=filters, states=list(State),
                           choices=listing.filter_choices(db.session, current_user))


# A set's page ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """A post of the set as its reader sees it: the post, the revision it reads (a cabinet's: the last sent), and the
    style gate's findings on it with the policy in force now, as the post's page lists them."""

    post: Post
    revision: Revision | None
    findings: list[dict] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return findings_summary(self.findings)

    @property
    def warnings(self) -> list[dict]:
        """The findings a reviewer reads before approving (the text's language, its tone...), the sensitive terms
        aside: those are acknowledged in the approval's own block."""
        return [f for f in self.findings if f["severity"] == "warning" and f["rule"] != SENSITIVE]

    @property
    def errors(self) -> list[dict]:
        return [f for f in self.findings if f["severity"] == "error"]

    @property
    def besides_sensitive(self) -> list[dict]:
        """Its findings but its sensitive terms: the card of a member "Approve all" asks to acknowledge says those
        once, in the approval's block where they are decided on, and only marks that it holds some."""
        return [f for f in self.findings if f["rule"] != SENSITIVE]


@dataclass(frozen=True)
class Preview:
    """What "Approve and schedule all at this time" would make of the time in the form, market by market: a heading
    ("18:00 in Europe/Paris is, in each market:") and each market's line, by its code. ``static/sets.js`` draws the
    same as the fields change; the server draws it for a form sent back, and for a browser without scripts."""

    heading: str
    lines: dict[str, str]


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
    def straight(self) -> list[Post]:
        """The members approving makes approved (the brand's posts): those that may be scheduled at once."""
        return [post for post in self.acting if _approves_straight(post)]

    @property
    def to_cabinet(self) -> list[Post]:
        """The suggested messages approving sends to their executive's cabinet, which accepts them before any time
        is set: approved with the others, never scheduled with them."""
        return [post for post in self.acting if not _approves_straight(post)]

    @property
    def proposals_ahead(self) -> bool:
        """Every member approving makes approved would be scheduled at its own proposed time, still ahead
        (``proposal_offered``)."""
        straight = self.straight
        return bool(straight) and all(ops.proposal_offered(post, current_user) is not None for post in straight)

    @property
    def schedulable(self) -> bool:
        """Some member approving makes approved (not sent to a cabinet) and the reader may schedule: "Approve and
        schedule all at" a time is offered."""
        return bool(self.straight) and _may(Action.schedule)


def _approves_straight(post: Post) -> bool:
    return all(row.target == State.approved for row in engine.available_actions(post, current_user)
               if row.action == Action.approve)

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


def _sensitive(posts: Sequence[Post]) -> dict[int, list[dict]]:
    """The sensitive terms of each member ``posts`` holds some of, as the post page shows them: today's policy on the
    current text (``guards.acknowledged_warnings`` refuses its approval without their acknowledgement)."""
    found = {post.id: policies.check_revision(db.session, post).sensitive for post in posts}
    return {post_id: [f.as_dict(translatable=True) for f in findings] for post_id, findings in found.items()
            if findings}


#: The states in which a member is its writer's to finish: a draft, or one sent back for changes.
_WITH_WRITERS = frozenset({State.draft, State.changes_requested})


def _fixes(post: Post) -> bool:
    """The reader is one who fixes ``post`` before it is submitted: who wrote it (or its last text), or a community
    manager of its market (they see only their markets' posts). A project manager reads what they can do about the
    others: nothing yet, they are still with their writers."""
    writers = {post.created_by_id, post.current_revision.author_id if post.current_revision else None}
    return current_user.role == Role.community_manager or current_user.id in writers


def _preview(form: ApproveAllForm | None, markets: Sequence[tuple[str, str]]) -> Preview | None:
    """The preview of a form sent back with a time in it (``Preview``): with the same moment everywhere, that moment
    in each market; with each market's time, that wall-clock time in each market's zone, and in the viewer's. None
    without a time, or a time or zone refused, or a moment the clocks skip or repeat in its zone (the form's error
    says which)."""
    if form is None or form.local_time.data is None or form.local_time.errors or form.time_zone.errors:
        return None
    local = form.local_time.data
    typed = said_wall(local)

    def instant(zone: str) -> datetime:
        return ops.instant_in(local, zone, {"0": 0, "1": 1}.get(request.form.get(f"fold-{zone}", "")))

    if form.time_basis.data == ONE_MOMENT:
        one_zone = form.time_zone.data or viewer_zone()
        try:
            moment = instant(one_zone)
        except GuardFailed:
            return None
        return Preview(_("%(time)s in %(zone)s is, in each market:", time=typed, zone=one_zone),
                       {code: said_in(moment, zone) for code, zone in markets})
    lines: dict[str, str] = {}
    for code, zone in markets:
        try:
            lines[code] = slot_time(instant(zone), zone)
        except GuardFailed as refused:
            lines[code] = str(refused.message)
    return Preview(_("%(time)s on each market’s own clock:", time=typed), lines)


# When the members' texts drift apart -------------------------------------------------------------------------
# A set is written once, then each member is reviewed and fixed on its own: a writer who fixes the post a reviewer
# sent back leaves the others with the text before the fix. Markets may mean to differ (a translation, a local
# hashtag), so the page says it and shows how, and "Approve all" lists it among its warnings; it blocks nothing.

#: The words of unchanged text kept either side of a change in the short comparison; the rest is "…".
_CONTEXT_WORDS = 5
#: Below this share of words in common, two texts are not versions of one another (another language, another
#: wording for the market): the comparison would mark every word, so the other text is shown whole.
_RELATED = 0.4


@dataclass(frozen=True)
class TextGroup:
    """The members whose text (as their reader reads it) is the same, and how that text differs from the most
    recent edit's: ``diff`` marks what that edit added and removed, or is None for the edit's own group and for a
    text too different to compare word by word (``rewritten``)."""

    members: list[Member]
    body: str
    diff: Markup | None = None
    rewritten: bool = False

    @property
    def posts(self) -> list[Post]:
        return [m.post for m in self.members]

    @property
    def links(self) -> Markup:
        """Its posts, each a link to its page, listed as a sentence lists them."""
        return Markup(format_list([str(Markup('<a href="{}">{}</a>').format(
            url_for("posts.show_post", post_id=post.id), post_name(post))) for post in self.posts],
            locale=get_locale() or "en"))


@dataclass(frozen=True)
class Drift:
    """The set's texts, once they are no longer one: the group holding the most recent edit, when it was made (a
    date in the reader's zone), and the other groups."""

    latest: TextGroup
    edited_on: str
    others: list[TextGroup]


@dataclass(frozen=True)
class ApplyOffer:
    """"Apply this text to the set's other posts": the most recent edit's member, the revision its text is, and the
    members with another text, still with their writers, that the reader may edit (``engine.can_edit``)."""

    source: Post
    revision: Revision
    targets: list[Post]


def _words(text: str) -> list[str]:
    """``text`` cut after each run of spaces: joined again, the words give the text back."""
    return re.findall(r"\S+\s*|\s+", text)


def _shortened(text: str, *, first: bool, last: bool) -> str:
    """An unchanged stretch of a comparison, cut to the words next to the changes around it."""
    words = _words(text)
    if len(words) <= 2 * _CONTEXT_WORDS + 1:
        return text
    head = "" if first else "".join(words[:_CONTEXT_WORDS])
    tail = "" if last else "".join(words[-_CONTEXT_WORDS:])
    return f"{head}… {tail}" if head else f"… {tail}"


def short_diff(old: str, new: str) -> Markup:
    """``new`` against ``old``, word by word (``operations.diff_texts``): added words in <ins>, removed ones in
    <del>, each opened by a word a screen reader says ("added:", "removed:"), since the colour alone tells nothing
    to those who do not see it; the unchanged stretches cut to the words around the changes."""
    changes = ops.diff_texts(old, new)
    said = {"insert": ("ins", _("added:"), _("end of addition")),
            "delete": ("del", _("removed:"), _("end of removal"))}
    parts: list[Markup] = []
    for index, change in enumerate(changes):
        if change.op == "equal":
            parts.append(escape(_shortened(change.text, first=index == 0, last=index == len(changes) - 1)))
        else:
            tag, opening, closing = said[change.op]
            parts.append(Markup('<{tag}><span class="visually-hidden">[{opening}] </span>{text}'
                                '<span class="visually-hidden"> [{closing}]</span></{tag}>').format(
                tag=Markup(tag), opening=opening, text=change.text, closing=closing))
    return Markup("").join(parts)


def _related(old: str, new: str) -> bool:
    return difflib.SequenceMatcher(None, old.split(), new.split(), autojunk=False).ratio() >= _RELATED


def _drift(members: Sequence[Member]) -> Drift | None:
    """The set's texts as its reader reads them, grouped, when there is more than one: the most recent revision's
    group first, the others each compared to it. None while they are one text."""
    written = [m for m in members if m.revision is not None]
    groups: dict[str, list[Member]] = {}
    for m in written:
        assert m.revision is not None
        groups.setdefault(m.revision.body, []).append(m)
    if len(groups) < 2:
        return None
    newest = max(written, key=lambda m: (m.revision.created_at, m.revision.id) if m.revision else (datetime.min, 0))
    assert newest.revision is not None
    latest_body = newest.revision.body
    others = [TextGroup(group, body, short_diff(body, latest_body), False) if _related(body, latest_body)
              else TextGroup(group, body, None, True) for body, group in groups.items() if body != latest_body]
    edited = newest.revision.created_at.astimezone(ZoneInfo(viewer_zone())).date()
    return Drift(TextGroup(groups[latest_body], latest_body), said_date(edited), others)


def _apply_offer(drift: Drift | None) -> ApplyOffer | None:
    """What "Apply this text to the set's other posts" would do for the reader: None without a drift, when the most
    recent text is not the one its post holds now (a cabinet reads the last sent), or when no other member with its
    writers and another text is theirs to edit."""
    if drift is None:
        return None
    source = max(drift.latest.members, key=lambda m: m.revision.id if m.revision else 0)
    if source.revision is None or source.revision.id != source.post.current_revision_id:
        return None
    # Not a text that says something else altogether (another language, the market's own wording): one click
    # wrote the French text over the English post.
    targets = [m.post for group in drift.others if not group.rewritten for m in group.members
               if m.post.state in _WITH_WRITERS and engine.can_edit(m.post, current_user)]
    return ApplyOffer(source.post, source.revision, sorted(targets, key=lambda p: p.id)) if targets else None


def _members(set_id: int, *, for_update: bool = False) -> list[Post]:
    """The set's posts the reader sees; none (no such set, or none in their markets): not found."""
    posts = ops.set_members(db.session, current_user, set_id, for_update=for_update)
    if not posts:
        raise ops.NotFound(set_id)
    return posts


def _render(set_id: int, posts: Sequence[Post], *, refusal: WorkflowError | None = None, status: int = 200,  # noqa: ANN202
            form: ApproveAllForm | None = None, twice: Sequence[ZoneFold] = (),
            to_fix: Sequence[tuple[Post, list[str]]] = ()):
    shown = read_by(db.session, current_user, list(posts))
    members = [Member(post, as_read.current_revision,
                      [f.as_dict(translatable=True)
                       for f in policies.check_revision(db.session, post, as_read.current_revision).findings])
               for post, as_read in zip(posts, shown, strict=True)]
    by_id = {m.post.id: m for m in members}
    submit = _plan(posts, Action.submit) if _may(Action.submit) else None
    approve = _plan(posts, Action.approve) if _may(Action.approve) else None
    sensitive = _sensitive(approve.acting) if approve is not None else {}
    zones = list(dict.fromkeys([viewer_zone(), *(post.account.market.timezone for post in posts), "UTC"]))
    # The markets "Approve and schedule all at this time" schedules in, each once, for the preview of the time.
    markets = list(dict.fromkeys((post.account.market.code, post.account.market.timezone)
                                 for post in (approve.straight if approve is not None else ())))
    unready = [by_id[post.id] for post in submit.acting if by_id[post.id].errors] if submit is not None else []
    drift = _drift(members)
    return render_template("sets/show.html", set_id=set_id, members=members, submit=submit, approve=approve,
                           drift=drift, apply_offer=_apply_offer(drift),
                           refusal=refusal, sensitive=sensitive, form=form, twice=twice, to_fix=to_fix,
                           # What "Submit all" would leave out: the style gate refuses these now; listed to fix
                           # to those who write them, counted for the others.
                           unready=unready, unready_theirs=[m for m in unready if _fixes(m.post)],
                           with_writers=[post for post in posts if post.state in _WITH_WRITERS
                                         and not _fixes(post)] if approve is not None else [],
                           warned=[by_id[post.id] for post in approve.acting if by_id[post.id].warnings]
                           if approve is not None else [],
                           sensitive_posts=[post for post in posts if post.id in sensitive],
                           posts_by_id={post.id: post for post in posts}, zones=zones, markets=markets,
                           preview=_preview(form, markets) if approve is not None and approve.schedulable else None,
                           basis=form.time_basis.data if form is not None else EACH_MARKET,
                           chosen_zone=(form.time_zone.data if form is not None else None) or viewer_zone()), status


@bp.get("/<id:set_id>")
@login_required
def show_set(set_id: int):
    """The set's members side by side: account, network, state, text, findings, time; and the bulk actions the
    reader may take on them."""
    return _render(set_id, _members(set_id))


@bp.post("/<id:set_id>/submit")
@login_required
def submit_all(set_id: int):
    """"Submit all for review": the drafts (and the members sent back for changes) the reader may submit, each that
    passes its checks; those that do not stay drafts, listed with why and a link to fix them."""
    if not PageForm().validate():
        abort(400)
    return _act(set_id, Action.submit)


@bp.post("/<id:set_id>/approve")
@login_required
def approve_all(set_id: int):
    """"Approve all" the members in review the reader may approve; with ``and_schedule``, approve and schedule each
    at its proposed time (``operations.approve_and_schedule``), or with ``and_schedule=at``, at the wall-clock time
    ``local_time`` read in each member's market zone, or with ``time_basis=moment`` in the one zone ``time_zone``
    (``fold-<zone>``: which, where the clocks repeat it). The suggested messages among them go to their cabinet,
    approved only. The members holding sensitive terms need ``acknowledge_warnings`` and the reason in ``comment``,
    as on their page."""
    form = ApproveAllForm()
    if not form.validate():
        if form.csrf_token.errors:
            abort(400)
        # Someone who may not take the decision is told so (404 outside the set, 403 for the role), not what the
        # form lacks.
        _members(set_id)
        for needed in (Action.approve, Action.schedule) if request.form.get("and_schedule") else (Action.approve,):
            if not _may(needed):
                raise NotPermitted(_("Your role may not %(action)s a post.", action=label(needed)))
        errors = {name: list(reasons) for name, reasons in form.errors.items()}
        refusal = GuardFailed(_("Nothing was done. %(reason)s", reason=" ".join(r for rs in errors.values()
                                                                              for r in rs)), errors)
        return _render(set_id, _members(set_id), refusal=refusal, status=refusal.status, form=form)
    schedule = request.form.get("and_schedule", "")
    at_time = schedule == "at"
    return _act(set_id, Action.approve, and_schedule=at_time or schedule in ("1", "y", "yes", "on"), form=form)


def _instants(posts: Sequence[Post], local: datetime | None,
              one_zone: str | None = None) -> tuple[dict[int, datetime], list[ZoneFold], list[str]]:
    """The instant of the wall-clock time ``local`` in each member's market zone (or, with ``one_zone``, in that
    zone for all: the same moment everywhere): by member, the zones where it happens twice and no ``fold-<zone>``
    says which (with those where one does, to show the choice again), and the reasons of the zones where it cannot
    be (the clocks skip it)."""
    if local is None:
        return {}, [], [_("Choose the time to schedule them at.")]
    instants: dict[int, datetime] = {}
    unread: list[str] = []
    asked = False
    zones = [one_zone] if one_zone else list(dict.fromkeys(post.account.market.timezone for post in posts))

    def chosen(zone: str) -> int | None:
        return {"0": 0, "1": 1}.get(request.form.get(f"fold-{zone}", ""))

    twice = zone_folds(local, zones, chosen)  # each zone that repeats the time asks which, its own instants shown
    for zone in zones:
        try:
            when = ops.instant_in(local, zone, chosen(zone))
        except GuardFailed as refused:
            asked = asked or "fold" in refused.errors
            if "fold" not in refused.errors:
                unread.append(refused.message)
            continue
        for post in posts:
            if one_zone or post.account.market.timezone == zone:
                instants[post.id] = when
    return instants, twice if asked else [], unread


def _reasons(refused: WorkflowError) -> str:
    """A refusal's message with its reasons, once each."""
    reasons = [str(r) for rs in refused.errors.values() for r in rs if str(r) != str(refused.message)]
    return " ".join(dict.fromkeys([str(refused.message), *reasons]))


def _each_at_its_time(posts: Sequence[Post]) -> str:
    """"#12 (FR · Facebook · @acme_fr) at Dec 8, 2027, 09:00 (Europe/Paris, UTC+01:00), and …": each post scheduled
    with the time it goes out, as its market's clocks read it: what "the time chosen" or "its proposed time" became."""
    return format_list([_("%(post)s at %(time)s", post=post_name(post),
                          time=said_in(post.scheduled_at, post.account.market.timezone)) for post in posts],
                       locale=get_locale() or "en")


def _to_fix_links(to_fix: Sequence[tuple[Post, str]]) -> Markup:
    """"<a>#12 (FR · Instagram · @acme_fr)</a>: Instagram needs a picture or a video.; …": each post its editor's
    link and its reason."""
    return Markup(" ").join(Markup('<a href="{}">{}</a>: {}').format(
        url_for("posts.edit_post", post_id=post.id), post_name(post), reason) for post, reason in to_fix)


def _submit_each(set_id: int, posts: Sequence[Post], plan: Plan):  # noqa: ANN202
    """"Submit all": each member submitted on its own, as "Save and submit" does for a new set
    (``views.posts._after_creating_set``). Submitting puts nobody's decision on the set as a whole: each post goes to
    its own review, so one that does not pass yet (a network's picture missing) holds the others back for nothing.
    Approving stays all or nothing: it is a decision on the set the reviewer saw."""
    submitted: list[Post] = []
    to_fix: list[tuple[Post, str]] = []
    for post in plan.acting:
        try:
            with db.session.begin_nested():
                ops.act_on_post(db.session, post, Action.submit, current_user, expected_version=post.version)
        except WorkflowError as refused:
            # Its own reasons ("Posts on Instagram need a picture or a video."), without the refusal's heading.
            own = [str(r) for rs in refused.errors.values() for r in rs]
            to_fix.append((post, " ".join(dict.fromkeys(own)) if own else str(refused.message)))
        else:
            submitted.append(post)
    if not submitted:
        db.session.rollback()
        nothing = GuardFailed(ngettext("Nothing was submitted: the post below needs a fix first.",
                                       "Nothing was submitted: the %(num)d posts below need a fix first.",
                                       len(to_fix)))
        return _render(set_id, _members(set_id), refusal=nothing, status=nothing.status,
                       to_fix=[(post, [reason]) for post, reason in to_fix])
    flash(_("Submitted for review: %(posts)s.", posts=post_names(submitted)), "success")
    if to_fix:
        flash(Markup("{} {}").format(_("Not submitted, to fix first:"), _to_fix_links(to_fix)), "warning")
    return redirect(url_for("sets.show_set", set_id=set_id), 303)


def _act(set_id: int, action: Action, *, and_schedule: bool = False,  # noqa: ANN202, C901, PLR0911, PLR0912, PLR0915
         form: ApproveAllForm | None = None):
    """The bulk action on the members the page showed, each at the version the page showed (``version-<id>``): a
    member it acts on or leaves out changed since refuses it all (409, naming it); the others are not its to check.
    Each member through the engine, with its own audit row. Approving: one refused, none is recorded; submitting:
    each on its own (``_submit_each``)."""
    at_time = form is not None and request.form.get("and_schedule") == "at"
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
        return _render(set_id, _members(set_id), refusal=refusal, status=refusal.status, form=form)
    if not plan.acting:
        db.session.rollback()
        # The page offered the action on members that moved since: someone else decided (or submitted) them.
        moved = [post for post in posts if (shown := request.form.get(f"version-{post.id}", type=int)) is not None
                 and shown != post.version]
        if moved:
            nothing: WorkflowError = Stale(_(
                "Nothing was done: %(posts)s were decided by someone else since this page was drawn. Read the set "
                "as it is now.", posts=post_names(moved)))
        else:
            nothing = InvalidTransition(_("No post of this set can be submitted now.") if action == Action.submit
                                        else _("No post of this set awaits your approval."))
        return _render(set_id, _members(set_id), refusal=nothing, status=nothing.status, form=form)
    if action == Action.submit:
        return _submit_each(set_id, posts, plan)
    # The members holding sensitive terms are approved with their acknowledgement and its reason, as on their page;
    # without it, none is approved (the others neither: the decision was on the set the page showed).
    sensitive = [post for post in plan.acting if post.id in _sensitive([post])] if form is not None else []
    comment = (form.comment.data or "").strip() if form is not None else ""
    acknowledged = form is not None and bool(form.acknowledge_warnings.data)
    if sensitive and not (acknowledged and comment):
        db.session.rollback()
        errors: dict[str, list[str]] = {}
        if not acknowledged:
            errors[ACKNOWLEDGE] = [_("Tick “I have read these warnings” to approve %(posts)s.",
                                     posts=post_names(sensitive))]
        if not comment:
            errors["comment"] = [_("Say in the comment why these sensitive terms may be published.")]
        unacknowledged = GuardFailed(_("Nothing was done: the sensitive terms of %(posts)s are approved only with "
                                       "your acknowledgement and the reason in the comment.",
                                       posts=post_names(sensitive)),
                                     errors)
        return _render(set_id, _members(set_id), refusal=unacknowledged, status=unacknowledged.status, form=form)
    # The suggested messages go to their cabinet, approved only: the cabinet accepts them before any time is set.
    straight = plan.straight if and_schedule else []
    to_cabinet = plan.to_cabinet  # as the page showed them: approving moves them on
    if and_schedule and not straight:
        db.session.rollback()
        cabinet_only = InvalidTransition(_("Nothing was done: the posts of this set are suggested messages, which "
                                           "their cabinet accepts before they are scheduled. Approve them alone."))
        return _render(set_id, _members(set_id), refusal=cabinet_only, status=cabinet_only.status, form=form)
    one_zone = (form.time_zone.data or viewer_zone()) if at_time and form is not None \
        and form.time_basis.data == ONE_MOMENT else None
    instants: dict[int, datetime] = {}
    if at_time:
        assert form is not None
        instants, twice, unread = _instants(straight, form.local_time.data, one_zone)
        if twice or unread:
            db.session.rollback()
            if unread:
                unread_time = GuardFailed(_("Nothing was done. %(reason)s", reason=" ".join(unread)),
                                          {"local_time": unread})
            else:
                which = _("Say which, in each zone below.")
                unread_time = GuardFailed(_("Nothing was done: this time happens twice in %(zones)s, where the "
                                            "clocks go back.", zones=format_list([t.zone for t in twice],
                                                                                locale=get_locale() or "en")),
                                          {"local_time": [which]})
            return _render(set_id, _members(set_id), refusal=unread_time, status=unread_time.status, form=form,
                           twice=twice)
    try:
        for post in plan.acting:
            note = comment if post in sensitive else None  # the reason, on the posts it is the reason for
            given: dict[str, Any] = {ACKNOWLEDGE: True} if post in sensitive else {}
            try:
                if at_time and post in straight:
                    ops.act_on_post(db.session, post, Action.approve, current_user, expected_version=post.version,
                                    comment=note, **given)
                    ops.act_on_post(db.session, post, Action.schedule, current_user, expected_version=post.version,
                                    scheduled_at=instants[post.id])
                elif and_schedule and post in straight:
                    ops.approve_and_schedule(db.session, post, current_user, expected_version=post.version,
                                             comment=note, **given)
                else:
                    ops.act_on_post(db.session, post, action, current_user, expected_version=post.version,
                                    comment=note, **given)
            except WorkflowError as refused:
                raise type(refused)(_("Nothing was done: %(post)s was refused. %(reason)s", post=post_name(post),
                                      reason=_reasons(refused)), refused.errors,
                                    findings=refused.findings) from None
    except WorkflowError as refused:
        db.session.rollback()
        return _render(set_id, _members(set_id), refusal=refused, status=refused.status, form=form)
    if one_zone is not None:
        when = next(iter(instants.values()))
        flash(_("Approved and scheduled at the same moment everywhere, %(time)s: %(posts)s.",
                time=said_in(when, one_zone),
                posts=_each_at_its_time(straight)), "success")
    elif at_time:
        flash(_("Approved and scheduled at the time chosen, in each account’s market time: %(posts)s.",
                posts=_each_at_its_time(straight)), "success")
    elif and_schedule:
        flash(_("Approved and scheduled, each at its proposed time: %(posts)s.", posts=_each_at_its_time(straight)),
              "success")
    else:
        flash(_("Approved: %(posts)s.", posts=post_names(plan.acting)), "success")
    if and_schedule and to_cabinet:
        flash(_("Approved and sent to their cabinet, which accepts them before they are scheduled: %(posts)s.",
                posts=post_names(to_cabinet)), "success")
    for post, reasons in plan.withheld:
        flash(_("Left out: %(post)s. %(reason)s", post=post_name(post), reason=" ".join(reasons)), "info")
    return redirect(url_for("sets.show_set", set_id=set_id), 303)


@bp.post("/<id:set_id>/apply-text")
@login_required
def apply_text(set_id: int):  # noqa: ANN201
    """"Apply this text to the set's other posts": the text of ``source`` (its revision ``source_revision``, as the
    page showed it) saved on each other member still with its writers (a draft, or sent back for changes) whose text
    differs, those the page offered (``target``), each through ``operations.edit_post`` as its editor saves it: at
    the version the page showed (``version-<id>``), the reader's right to edit it checked, its own network's and
    market's style gate run on its new revision, its pictures and videos kept. Each member on its own: one refused
    is listed with why and keeps its text, the others are saved. The source changed since the page was drawn,
    nothing is."""
    if not PageForm().validate():
        abort(400)
    posts = _members(set_id, for_update=True)
    if not _may(Action.edit):
        raise NotPermitted(_("Your role may not %(action)s a post.", action=label(Action.edit)))
    source = next((post for post in posts if post.id == request.form.get("source", type=int)), None)
    if source is None or source.current_revision is None:
        abort(400)
    if request.form.get("source_revision", type=int) != source.current_revision_id:
        db.session.rollback()
        stale = Stale(_("Nothing was changed: the text of %(post)s changed since this page was drawn. Read the set "
                        "as it is now, then decide again.", post=post_name(source)))
        return _render(set_id, _members(set_id), refusal=stale, status=stale.status)
    text = source.current_revision.body
    # The members the page offered to change (``target``), each at the version it showed: one changed since
    # (submitted, approved or edited meanwhile) is read again before anyone decides for it.
    offered = set(request.form.getlist("target", type=int))
    changed_since = _("It changed since this page was drawn.")
    applied: list[Post] = []
    refused: list[tuple[Post, str]] = []
    for post in posts:
        if post is source or post.id not in offered:
            continue
        if request.form.get(f"version-{post.id}", type=int) != post.version:
            refused.append((post, changed_since))
            continue
        if post.body == text or post.state not in _WITH_WRITERS or not _related(post.body, text):
            continue  # as the page showed it: a hand-made form's target, nothing to change, or another text
        try:
            with db.session.begin_nested():
                ops.edit_post(db.session, post, current_user, text, expected_version=post.version)
        except WorkflowError as refusal:  # its role or its state (``engine.find_transition``), its text
            refused.append((post, _reasons(refusal)))
        else:
            applied.append(post)
    if not applied:
        db.session.rollback()
        nothing: WorkflowError = InvalidTransition(_("No other post of this set with its writers has another "
                                                     "text."))
        if refused:
            all_stale = all(reason == changed_since for _post, reason in refused)
            nothing = (Stale if all_stale else GuardFailed)(_("Nothing was changed: %(refusals)s",
                                                              refusals=_refusals(refused)))
        return _render(set_id, _members(set_id), refusal=nothing, status=nothing.status)
    flash(ngettext("%(posts)s now has the text of %(source)s, as a new revision checked for its own network.",
                   "%(posts)s now have the text of %(source)s, each as a new revision checked for its own network.",
                   len(applied), source=post_name(source), posts=post_names(applied)), "success")
    if refused:
        flash(_("Not changed: %(refusals)s", refusals=_refusals(refused)), "warning")
    return redirect(url_for("sets.show_set", set_id=set_id), 303)


def _refusals(refused: Sequence[tuple[Post, str]]) -> str:
    """"#77 (…): It changed since this page was drawn. #78 (…): …": each member with why."""
    return " ".join(_("%(post)s: %(reason)s", post=post_name(post), reason=reason) for post, reason in refused)


@bp.app_template_global("set_size")
def set_size(set_id: int) -> int:
    """How many posts of set ``set_id`` the reader sees: the editor of a member says its change is that post's
    alone, of how many."""
    return len(ops.set_members(db.session, current_user, set_id))
