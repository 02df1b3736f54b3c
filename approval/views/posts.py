"""Posts: the list by state, writing and editing, the post page with its history, and every workflow button."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.lists import format_list
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, validate_csrf
from markupsafe import Markup, escape
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import ValidationError
from wtforms.fields.choices import SelectChoice

from approval import csrf, policies, style
from approval import operations as ops
from approval.administration import place_zone
from approval.access import WITH_THE_WRITERS, CommentRow, PostLike, TrailRow, Unnamed, read_by, visible_accounts
from approval.db import db, utcnow
from approval.filters import ZoneFold, repeated_instants, slot_time, zone_folds
from approval.inputs import check_form_text, parse_id
from approval.media import attach, intake
from approval.media.convert import converted_types
from approval.media.inspect import Invalid, MediaRefused
from approval.forms.posts import FORM_INPUTS, MAX_COMMENT, ActionForm, CommentForm, EditForm, LiveLinkForm, PostForm
from approval.labels import attempt_outcome, done, finding_message, label, said_clock, said_in, said_wall, tone
from approval.localtime import utc_offset, wall_clock
from approval.models import (
    Account, Attachment, Campaign, Market, Post, PublicationAttempt, Revision, SentPostForm, StopSwitch, User,
)
from approval.queries.posts import PostFilters
from approval.publishing.holds import covering_stops, held_ids, stop_reason
from approval.publishing.status import dropped_slot, not_going_out, policy_warning, publishing_status
from approval.style.findings import Context
from approval.style.language import MISMATCH
from approval.style.media import NETWORKS, MediaItem, accepted, media_index, media_items
from approval.style.network import MEDIA, MEDIA_REQUIRED, NAMES, network_name
from approval.style.text import Analysis
from approval.views import roles_required, show_refusal
from approval.views.media import (
    as_saved, media_changes, not_media_words, one_text_per_file, pick_words, picked_items, unmeasured,
)
from approval.workflow import engine
from approval.workflow.errors import GuardFailed, InvalidTransition, Stale, WorkflowError
from approval.workflow.inputs import Input, Kind
from approval.workflow.states import FINAL_STATES, Action, Role, State
from approval.workflow.table import USER_ACTIONS, rows_for

bp = Blueprint("posts", __name__, url_prefix="/posts")

WRITERS = (Role.community_manager, Role.project_manager)


# What the post pages need to draw actions and publishing (presentation stays out of the workflow's table).
bp.app_template_filter("tone")(tone)


@bp.app_template_test("only_flags")
def _only_flags(inputs: tuple[Input, ...]) -> bool:
    """An action whose inputs are all yes/no ticks: its button joins the shared decide form."""
    return all(spec.kind == Kind.flag for spec in inputs)


@bp.app_template_test("ending")
def _ending(state: State) -> bool:
    """A state a person's click leaves the post in for good, without it going out (withdrawn, rejected,
    declined): its button asks first."""
    return state in FINAL_STATES and state != State.published


#: Where a decision's button stands among the others: the yes first (the primary button), then "Request changes",
#: then the no; the post's other steps after them, in the table's order.
DECISION_ORDER = {Action.approve: 0, Action.accept: 0, Action.request_changes: 1, Action.reject: 2,
                  Action.decline: 2}


@bp.app_template_filter("decision_order")
def decision_order(actions: Iterable[Any]) -> list[Any]:
    """The buttons ``engine.available_actions`` offers, in the order a decision reads: it lists them in the order of
    the actions (``Action``), which put a cabinet's "Request changes" before its "Accept" while a project manager
    read "Approve" first. The same order for both, whoever decides."""
    return sorted(actions, key=lambda row: DECISION_ORDER.get(row.action, len(DECISION_ORDER)))


@bp.app_template_filter("attempt_label")
def _attempt_label(attempt: PublicationAttempt) -> str:
    """What came of a publishing attempt: a refusal made here (an address the webhook may not call) is not the
    network's."""
    return attempt_outcome(attempt.outcome, attempt.why)


@bp.app_template_global("proposal_local")
def _proposal_local(post: Post) -> str:
    """The schedule form's time, prefilled with the proposed one while it is ahead (``YYYY-MM-DDTHH:MM`` in the
    market's zone); empty otherwise."""
    shown = _proposal_shown(post) if post.proposed_at is not None and post.proposed_at > utcnow() else None
    return shown.strftime("%Y-%m-%dT%H:%M") if shown is not None else ""


@bp.app_template_global("proposal_fold")
def _proposal_fold(post: Post) -> int | None:
    """Which of a time the clocks repeat its writer proposed (0: the first, 1: the second), for the forms prefilled
    with it (``proposal_local``): the proposal is an instant, and the choice made once is not asked again (a
    "Schedule" of the prefilled time was refused "This time happens twice"). None when the proposed time happens
    once, or none is shown."""
    shown = _proposal_local(post)
    if not shown or repeated_instants(shown, post.account.market.timezone) is None:
        return None
    local = wall_clock(post.proposed_at, post.account.market.timezone) if post.proposed_at is not None else None
    return local.fold if local is not None else None


@bp.app_template_global("now_utc")
def _now_utc() -> datetime:
    return utcnow()


#: A next try this close is told to the second: one at 22:36:30 read "22:36", as its slot did.
TO_THE_SECOND = timedelta(hours=1)


@bp.app_template_filter("next_try_time")
def next_try_time(instant: datetime | None, zone: str) -> str:
    """When the publishing worker tries a post again: to the second within the hour ("22:36:30 (Europe/Paris,
    UTC+01:00)", with its date when it is another day there), else as any slot (``slot_time``)."""
    local = wall_clock(instant, zone) if instant is not None and instant - utcnow() <= TO_THE_SECOND else None
    today = wall_clock(utcnow(), zone)
    if local is None or today is None:
        return slot_time(instant, zone)
    locale = get_locale() or Locale.parse("en")
    clock = format_skeleton("Hms", local.replace(tzinfo=None), locale=locale)
    when = clock if local.date() == today.date() else locale.datetime_formats["medium"].replace(
        "{1}", format_date(local.date(), "medium", locale=locale)).replace("{0}", clock)
    return f"{when} ({zone}, {utc_offset(local)})"


@bp.app_template_global("with_the_writers")
def with_the_writers(post: PostLike) -> bool:
    """Whether the current user is a cabinet whose suggestion its writers have back (``access.WITH_THE_WRITERS``):
    its pages say so, and show the last revision it was sent."""
    return current_user.is_authenticated and current_user.role == Role.cabinet and post.state in WITH_THE_WRITERS


@bp.get("")
@login_required
def list_posts():
    """Every filter in the URL and on the page; a page at a time by keyset; the chips count the other filters."""
    from approval.queries import posts as listing

    filters = listing.PostFilters.from_args(request.args, current_user)
    mine = request.args.get("mine") == "1"
    if mine:
        filters = listing.replace(filters, author_id=current_user.id)
    # A search's matches are read once: for the chips, the total and the page.
    matches = listing.search_matches(db.session, current_user, filters)
    counts = listing.state_counts(db.session, current_user, filters, matches)
    page = listing.page_posts(db.session, current_user, filters, cursor=request.args.get("after"), matches=matches)
    # A cabinet reads the texts it was sent, not what the writers saved since (``access.read_by``).
    return render_template("posts/list.html", page=page, posts=read_by(db.session, current_user, page.items),
                           # Held by a stop switch or an embargo: "held" beside "scheduled", as the calendar says.
                           held=held_ids(db.session, [post.id for post in page.items]),
                           counts=counts, filters=filters,
                           state=filters.state, states=list(State), mine=mine,
                           choices=listing.filter_choices(db.session, current_user))


#: The new-post form takes pictures and videos with its text: its files stream to disk as the editor's do.
NEW_POST_ENDPOINT = "posts.new_post"


def _sends_files() -> bool:
    """A new-post form sent with its files (the page's form is ``multipart/form-data``; a script may send it
    without, and no file)."""
    return request.endpoint == NEW_POST_ENDPOINT and request.method == "POST" \
        and request.mimetype == "multipart/form-data"


@bp.url_value_preprocessor
def _before_the_body_is_read(_endpoint: str | None, _values: dict | None) -> None:
    """The new-post form's files stream to disk under the media caps (``approval.views.media``'s upload), once the
    view has decided the user writes posts: the CSRF check and the fields' characters are the view's for that reason.
    A body over the caps is refused before it is read; its text cannot come back, and the page's script keeps a
    browser from sending one (static/media.js)."""
    if _sends_files():
        try:
            intake.stream_uploads_to_disk(read_past_cap=True)  # the text comes back with a refusal of too many
        except MediaRefused as refused:
            # The page that answers (templates/errors/too_large.html) says that nothing was saved and how to get
            # the form back; this says why, and what to send with it then.
            raise RequestEntityTooLarge(_("%(reason)s On the form, pick fewer files, then add the others to the "
                                          "draft once it is saved.", reason=refused.message)) from None


bp.teardown_request(intake.remove_temporary_files)
bp.teardown_request(intake.remove_thumbnails)


@bp.route("/new", methods=["GET", "POST"])
@csrf.exempt  # checked in the view, once it has decided the user writes posts: the check reads the body, its files
@roles_required(*WRITERS)
def new_post():
    """A new post, with the pictures and videos picked on its form: one revision, made in one transaction with
    them, or nothing (a file refused, the form comes back with its text and says which). With ``copy_of`` (the
    "Duplicate" link of a post's page), a copy of that post's text, campaign and pictures and videos, for the
    account the person chooses (the same one by default), the files picked after them."""
    if request.method == "POST":
        if _sends_files():
            # Nothing held while the body and its files arrive: SQLite's write lock, which every transaction takes
            # there, kept every other writer waiting (as the editor's upload lets it go).
            db.session.rollback()
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError as refused:
            raise CSRFError(str(refused)) from None  # answered as the CSRF check answers every other form
        if _sends_files():
            check_form_text()
    form = PostForm()
    accounts = _writable_accounts()
    original = _original(form.copy_of.data if request.method == "POST" else request.args.get("copy_of"))
    form.account_id.choices = [SelectChoice(a.id, _account_choice(a)) for a in accounts]
    # The same message for other accounts too (a set): the same accounts, ticked (``_create_set``).
    form.also_account_ids.choices = [SelectChoice(a.id, _account_choice(a)) for a in accounts]
    campaigns = _campaigns(accounts)
    form.campaign_id.choices = [SelectChoice(None, _("No campaign"))] + [SelectChoice(c.id, c.name)
                                                                         for c in campaigns]
    media_refusal: str | None = None
    status = 200
    if form.validate_on_submit():  # the choices hold only this user's accounts and campaigns
        if (earlier := _sent_before(form.form_key.data)) is not None:
            return _made_already(earlier)
        account = next(a for a in accounts if a.id == form.account_id.data)
        campaign = next((c for c in campaigns if c.id == form.campaign_id.data), None)
        # The other accounts ticked, in the list's order (the form's choices refused any the user does not write for).
        also = [a for a in accounts if a.id in set(form.also_account_ids.data or ()) and a.id != account.id]
        # A set's posts share their text, each checked by the gate at its creation and again at its submission
        # ("Save and submit"): within this unit of work, the verdict for an account's network and market stands
        # while nothing the gate reads has changed (``policies.reusing_verdicts``; a text with files is checked
        # again each time).
        with policies.reusing_verdicts() if also else nullcontext():
            try:
                if also:
                    made, converted = _create_set([account, *also], campaign, form, original)
                else:
                    proposed = _proposal_asked(form, account)
                    post, added, converted = _create_with_media(
                        account, campaign, form.body.data, original,
                        proposed=None if isinstance(proposed, ops.Keep) else proposed)
            except MediaRefused as refused:
                db.session.rollback()
                media_refusal, status = refused.message, refused.status
            except WorkflowError as refused:
                db.session.rollback()
                media_errors = [m for field in ("file", "alt") for m in refused.errors.get(field, [])]
                show_refusal(form, {f: m for f, m in refused.errors.items() if f not in ("file", "alt")})
                if media_errors or _picked():
                    media_refusal = " ".join([*media_errors, _picked_again()])
                if not refused.errors:
                    flash(refused.message, "error")
                status = refused.status
            else:
                try:
                    if also:
                        return _after_creating_set(made, original, converted)
                    return _after_creating(post, account, original, added, converted)
                except FormSentAlready as already:  # the same form, saved by another request while this one worked
                    return _made_already(already.earlier)
    elif form.is_submitted():
        status = 422  # the form comes back with its fields' errors
    if original is not None and request.method == "GET":
        form.copy_of.data = str(original.id)
        form.body.data = original.body
        if any(a.id == original.account_id for a in accounts):
            form.account_id.data = original.account_id
        if any(c.id == original.campaign_id for c in campaigns):
            form.campaign_id.data = original.campaign_id
    # The preview drawn as the account the form shows chosen (the first, or the one sent) would show it.
    chosen = next((a for a in accounts if a.id == form.account_id.data), accounts[0] if accounts else None)
    # A set's proposed time asks "which one?" in each of its zones where the clocks repeat it, the choices kept.
    ticked = [a for a in accounts if chosen is not None and a.id != chosen.id
              and a.id in set(form.also_account_ids.data or ())]
    # A copy of a post rejected or declined says so, with the reason: the copy goes to review again otherwise blind.
    refused_decision = _decision(original, ops.audit_trail(db.session, original, current_user)) \
        if original is not None and original.state in (State.rejected, State.declined) else None
    return render_template("posts/edit.html", form=form, post=None, preview_account=chosen, original=original,
                           original_refused=refused_decision, media_refusal=media_refusal,
                           pick=_pick_settings(accounts, chosen),
                           # Each account's market zone, where its proposed time is read: the label follows the
                           # accounts chosen and ticked (static/editor.js).
                           account_zones={a.id: a.market.timezone for a in accounts},
                           proposal_folds=_proposal_folds(form, [chosen, *ticked]) if chosen and ticked else [],
                           preview_text=form.body.data or "", findings_summary=findings_summary([]),
                           # The text's language until the live check names it: the chosen account's market's.
                           new_language=next(iter(market_languages(chosen.market)), None) if chosen else None), \
        status


def _account_choice(account: Account) -> str:
    """An account as the new-post form lists it: "FR · Instagram · @acme_fr", and whose suggested message it is."""
    return f"{account_name(account)}" + (
        " · " + _("suggested message for %(name)s", name=account.executive.name) if account.executive else "")


def account_name(account: Account) -> str:
    """"FR · Instagram · @acme_fr": how a set's messages name each of its accounts."""
    return f"{account.market.code} · {NAMES[account.network.value]} · @{account.handle}"


@contextmanager
def _for_account(account: Account) -> Iterator[None]:
    """A refusal about one account of a set names it: "FR · X · @acme_fr: The proposed time is in the past."."""
    name = account_name(account)

    def named(reason: str) -> str:
        return _("%(account)s: %(reason)s", account=name, reason=reason)

    try:
        yield
    except MediaRefused as refused:
        raise type(refused)(named(refused.message)) from None
    except WorkflowError as refused:
        raise type(refused)(named(refused.message),
                            {field: [named(reason) for reason in reasons] for field, reasons in refused.errors.items()},
                            findings=refused.findings) from None


def _create_set(accounts: Sequence[Account], campaign: Campaign | None, form: PostForm,
                original: Post | None) -> tuple[list[Post], str | None]:
    """The same message as one post per account of ``accounts``, written together (a ``PostSet``): each its own
    draft with its own revision 1 and ``create`` row, the proposed time read as that wall-clock time in each
    account's market zone, the files picked (and a copy's) received and converted for each account's network as
    ``_create_with_media`` does for one. Every post's own rules and every file are checked before anything is stored
    or written, in one transaction: one refused (naming its account), none is made. With what was converted."""
    ops.check_set_size(len(accounts))
    uploads = _picked()
    if intake.parts_dropped():  # more parts than a post carries: let go as they came (``stream_uploads_to_disk``)
        raise Invalid(_said(intake.too_many_files().message, _picked_again()))
    body = form.body.data
    proposals = _set_proposals(form, accounts)
    for account in accounts:  # each post's own rules first, before its files are read
        with _for_account(account):
            ops.check_new_post(current_user, account, body, campaign, proposed_at=proposals[account.id])
    alts = one_text_per_file(request.form.getlist("alt"), len(uploads))
    attach.check_alts(alts)
    copied = ops.attachments_of(original.current_revision) if original is not None else []
    # Accounts whose files are received alike (the network whose types they take, the market's location policy)
    # share them: each file is read, inspected and converted once per such group, not once per account.
    groups: dict[tuple[str | None, bool], list[Account]] = {}
    key_of: dict[int, tuple[str | None, bool]] = {}
    for account in accounts:
        key = (attach.typed_network_of(db.session, account), attach.strips_location_in(db.session, account.market))
        groups.setdefault(key, []).append(account)
        key_of[account.id] = key
    plans = {}
    for key, members in groups.items():
        with _for_account(members[0]):
            plans[key] = attach.conversions(copied, key[0])
    if uploads or any(plans.values()):
        db.session.rollback()  # nothing held while the files are read, inspected and converted (seconds for a video)
    received: dict[tuple[str | None, bool], list[intake.Received]] = {}
    remade: dict[tuple[str | None, bool], dict[int, intake.Received]] = {}
    with ExitStack() as files:
        # Each group but the first reads its own copy of the files, taken before any is converted in place; the
        # first reads the uploads themselves.
        copies = {key: [_copy_of_upload(files, upload) for upload in uploads] for key in list(groups)[1:]}
        for key, members in reversed(groups.items()):
            with _for_account(members[0]):
                received[key] = attach.receive_uploads(
                    copies.get(key, uploads), alts, strip_gps=key[1], network=key[0],
                    not_media=not_media_words(members[0].network.value), named=_file_refused)
                remade[key] = attach.convert_copies(plans[key], strip_gps=key[1], network=key[0])
                kept = [remade[key][i].sha256 if i in remade[key] else a.file.sha256 for i, a in enumerate(copied)]
                attach.check_room_beside(kept, [checked.sha256 for checked in received[key]])
    media: dict[tuple[str | None, bool], list[Attachment]] = {}
    for key in groups:
        stored = {i: attach.store(db.session, checked, current_user) for i, checked in remade[key].items()}
        files_of = attach.copied_media(copied, stored, {i: checked.name for i, checked in remade[key].items()})
        media[key] = attach.appended(files_of, [attach.store(db.session, checked, current_user)
                                                for checked in received[key]],
                                     alts=alts, names=[checked.name for checked in received[key]])
    post_set = ops.create_post_set(db.session, current_user, len(accounts))
    posts = []
    for account in accounts:  # in the form's order: the account chosen first
        with _for_account(account):
            posts.append(ops.create_post(db.session, current_user, account, body, campaign,
                                         media=media[key_of[account.id]], copy_of=original,
                                         proposed_at=proposals[account.id], post_set=post_set))
    notes = [note for key in groups
             if (note := attach.conversion_note([*remade[key].values(), *received[key]], key[0]))]
    return posts, _said(*dict.fromkeys(notes)) or None


def _fold_in(form: PostForm, zone: str, main_zone: str) -> int | None:
    """Which of a repeated time a set's proposal means in ``zone``: its ``proposed_fold-<zone>``; in the main
    account's zone, the form's ``proposed_fold`` too (asked before other accounts were ticked)."""
    chosen = {"0": 0, "1": 1}.get(request.form.get(f"proposed_fold-{zone}", ""))
    if chosen is None and zone == main_zone and form.proposed_fold.data in (0, 1):
        chosen = form.proposed_fold.data
    return chosen


def _proposal_folds(form: PostForm, accounts: Sequence[Account]) -> list[ZoneFold]:
    """The zones of a set's ``accounts`` where its proposed time happens twice (``localtime.repeating_zones``), each
    with its two instants and the one chosen: each asks its own "which one?", as "Approve and schedule all at this
    time" does on the set's page."""
    typed = form.proposed_time.data
    if typed is None or not accounts:
        return []
    main_zone = accounts[0].market.timezone
    return zone_folds(typed, (a.market.timezone for a in accounts), lambda zone: _fold_in(form, zone, main_zone))


def _set_proposals(form: PostForm, accounts: Sequence[Account]) -> dict[int, datetime | None]:
    """The proposed time of each of a set's accounts: the wall-clock time typed, read in its market's zone as
    ``operations.proposal_time`` reads it. Where it happens twice, the choice made for that zone. Refused, the set
    is refused with every reason at once, as "Approve and schedule all" on the set's page lists every market
    concerned: each zone's own reason (a time its clocks skip, one past) naming the accounts it refuses, and every
    zone where the time happens twice without a choice, each asked on the form (``_proposal_folds``)."""
    if form.proposed_time.data is None:
        return dict.fromkeys((a.id for a in accounts), None)
    folds = {twice.zone: twice.chosen for twice in _proposal_folds(form, accounts)}
    unchosen = [zone for zone, chosen in folds.items() if chosen is None]
    proposals: dict[int, datetime | None] = {}
    refusing: dict[tuple[str, str], list[Account]] = {}  # each (field, reason), with the accounts it refuses
    for account in accounts:
        zone = account.market.timezone
        if zone in unchosen:
            continue
        try:
            proposals[account.id] = ops.proposal_time(account, form.proposed_time.data, folds.get(zone))
        except GuardFailed as refused:
            for field, reasons in refused.errors.items():
                for reason in reasons:
                    refusing.setdefault((field, str(reason)), []).append(account)
    locale = get_locale() or "en"
    errors: dict[str, list[str]] = {}
    for (field, reason), refused_accounts in refusing.items():
        errors.setdefault(field, []).append(_("%(account)s: %(reason)s", reason=reason, account=format_list(
            [account_name(a) for a in refused_accounts], locale=locale)))
    if unchosen:
        errors.setdefault("proposed_time", []).append(
            _("This time happens twice in %(zones)s, where the clocks go back: say which, in each zone below.",
              zones=format_list(unchosen, locale=locale)))
    if errors:
        raise GuardFailed(_("The proposed time was refused."), errors)
    return proposals


def _copy_of_upload(files: ExitStack, upload: Any) -> FileStorage:  # noqa: ANN401 - a FileStorage
    """Another reading of a file picked on the form, for a group of a set's accounts that receives it on its own
    (``intake.receive`` copies it to a file of its own, converts that one)."""
    path = getattr(upload.stream, "path", None)
    if path is not None:
        stream: Any = files.enter_context(open(path, "rb"))  # noqa: SIM115 - closed with the stack
    else:  # a small file kept in memory
        upload.stream.seek(0)
        stream = io.BytesIO(upload.stream.read())
        upload.stream.seek(0)
    return FileStorage(stream=stream, filename=upload.filename, content_type=upload.content_type)


def _after_creating_set(posts: Sequence[Post], original: Post | None, converted: str | None):  # noqa: ANN202
    """A set saved: its page, saying what was made; with "Save and submit", each member submitted on its own (the
    style gate runs for each network), and, in the same message, which were and which need a fix first, with links
    to them."""
    _record_sent(request.form.get("form_key"), set_id=posts[0].set_id)
    copies = _("They are copies of post #%(id)s.", id=original.id) if original is not None else None
    if "submit" not in request.form:
        made = ngettext("Saved as a set of %(num)d drafts, one per account: each is reviewed and scheduled on its "
                        "own.",
                        "Saved as a set of %(num)d drafts, one per account: each is reviewed and scheduled on its "
                        "own.", len(posts))
        flash(_said(made, copies, converted), "success")
        return redirect(url_for("sets.show_set", set_id=posts[0].set_id))
    submitted, to_fix = [], []
    for post in posts:
        try:
            with db.session.begin_nested():
                ops.act_on_post(db.session, post, Action.submit, current_user, expected_version=post.version)
        except WorkflowError:
            to_fix.append(post)
        else:
            submitted.append(post)
    names = escape(post_names(submitted))
    links = Markup(", ").join(Markup('<a href="{}">{}</a>').format(
        url_for("posts.edit_post", post_id=post.id), post_name(post)) for post in to_fix)
    # One message: what was saved, what went to review, what waits for a fix (it said "drafts", then "submitted").
    if not to_fix:
        said = ngettext("Saved as a set of %(num)d posts, one per account; submitted for review: %(posts)s.",
                        "Saved as a set of %(num)d posts, one per account; submitted for review: %(posts)s.",
                        len(posts), posts=names)
    elif submitted:
        said = ngettext("Saved as a set of %(num)d posts, one per account; submitted for review: %(posts)s; to fix "
                        "first, not submitted yet: %(fix)s.",
                        "Saved as a set of %(num)d posts, one per account; submitted for review: %(posts)s; to fix "
                        "first, not submitted yet: %(fix)s.", len(posts), posts=names, fix=links)
    else:
        said = ngettext("Saved as a set of %(num)d drafts, one per account; none was submitted, to fix first: "
                        "%(fix)s.",
                        "Saved as a set of %(num)d drafts, one per account; none was submitted, to fix first: "
                        "%(fix)s.", len(posts), fix=links)
    flash(Markup(" ").join([Markup(said), *(escape(s) for s in (copies, converted) if s)]),
          "warning" if to_fix else "success")
    return redirect(url_for("sets.show_set", set_id=posts[0].set_id))


@bp.app_template_global("post_name")
def post_name(post: Post) -> str:
    """"#12 (FR · X · @acme_fr)"."""
    return _("#%(id)s (%(account)s)", id=post.id, account=account_name(post.account))


@bp.app_template_global("post_names")
def post_names(posts: Sequence[Post]) -> str:
    return format_list([post_name(post) for post in posts], locale=get_locale() or "en")


def _picked() -> list[Any]:
    """The files the new-post form sends (a file field left empty sends a part without name nor bytes)."""
    return [upload for upload in request.files.getlist("file") if upload.filename or upload.content_length]


def _picked_again() -> str:
    """What a refused new-post form says of the files picked, which a browser cannot put back in its field."""
    return ngettext("Nothing was saved, and your text is kept below: pick the file again (a browser cannot keep it).",
                    "Nothing was saved, and your text is kept below: pick the files again (a browser cannot keep "
                    "them).", len(_picked()))


def _file_refused(refused: MediaRefused, uploads: Sequence[Any], index: int) -> MediaRefused:
    """A file of the new-post form refused (``attach.receive_uploads``): which one, why, and that none was kept,
    the text was, and the files must be picked again without it."""
    try:
        name = intake.check_name(uploads[index].filename or "")
    except MediaRefused:  # a name that is a path or holds control characters is not repeated: its place says it
        name = ""
    count = len(uploads)
    if name and count > 1:
        which = _("%(name)s (file %(number)d of %(count)d)", name=name, number=index + 1, count=count)
    elif name:
        which = name
    else:
        which = _("File %(number)d of %(count)d", number=index + 1, count=count)
    said = ngettext("%(file)s: %(reason)s Nothing was saved, and your text is kept below: pick a file again (a "
                    "browser cannot keep the one picked).",
                    "%(file)s: %(reason)s Nothing was saved, and your text is kept below: pick the files again, "
                    "without this one (a browser cannot keep the ones picked).", count, file=which,
                    reason=refused.message)
    return type(refused)(said)


def _create_with_media(account: Account, campaign: Campaign | None, body: str, original: Post | None, *,
                       proposed: datetime | None = None) -> tuple[Post, int, str | None]:
    """The new post on ``account``, its first revision carrying the copy's files (converted for its network as an
    upload of them would be) and the files picked on the form, checked, inspected and converted as the editor's
    upload does them (``views.media.upload_media``), then stored: any refused, nothing is written. With the number
    of files picked, and what was converted."""
    uploads = _picked()
    if intake.parts_dropped():  # more parts than a post carries: let go as they came (``stream_uploads_to_disk``)
        raise Invalid(_said(intake.too_many_files().message, _picked_again()))
    # The post's own rules first: a post refused once its files were stored left them in the store.
    ops.check_new_post(current_user, account, body, campaign, proposed_at=proposed)
    alts = one_text_per_file(request.form.getlist("alt"), len(uploads))
    attach.check_alts(alts)
    copied = ops.attachments_of(original.current_revision) if original is not None else []
    strip_gps = attach.strips_location_in(db.session, account.market)
    network = attach.typed_network_of(db.session, account)
    plans = attach.conversions(copied, network)
    words = not_media_words(account.network.value)
    if uploads or plans:
        db.session.rollback()  # nothing held while the files are read, inspected and converted (seconds for a video)
    received = attach.receive_uploads(uploads, alts, strip_gps=strip_gps, network=network, not_media=words,
                                      named=_file_refused)
    remade = attach.convert_copies(plans, strip_gps=strip_gps, network=network)
    kept = [remade[i].sha256 if i in remade else a.file.sha256 for i, a in enumerate(copied)]
    attach.check_room_beside(kept, [checked.sha256 for checked in received])
    stored = {i: attach.store(db.session, checked, current_user) for i, checked in remade.items()}
    media = attach.copied_media(copied, stored, {i: checked.name for i, checked in remade.items()})
    media = attach.appended(media, [attach.store(db.session, checked, current_user) for checked in received],
                            alts=alts, names=[checked.name for checked in received])
    post = ops.create_post(db.session, current_user, account, body, campaign, media=media, copy_of=original,
                           proposed_at=proposed)
    return post, len(received), attach.conversion_note([*remade.values(), *received], network)


def _after_creating(post: Post, account: Account, original: Post | None, added: int,  # noqa: ANN202
                    converted: str | None):
    """Where a new post's page goes once it is saved, and what it says there (once: what became of its files with
    the rest)."""
    _record_sent(request.form.get("form_key"), post_id=post.id)
    # A copy brings its original's pictures and videos: those count as much as the files picked on the form.
    copied = len(post.current_revision.media) if original is not None and post.current_revision else 0
    lacks_media = account.network.value in MEDIA_REQUIRED and not added and not copied
    if original is not None:
        flash(_said(_("Saved as a draft, a copy of post #%(id)s.", id=original.id), converted), "success")
        converted = None  # said
        if "submit" not in request.form:
            _flash_findings(post, errors=True)  # what the copy's account says of its text and files
            return redirect(url_for("posts.edit_post", post_id=post.id))
        if lacks_media:
            _flash_findings(post, errors=True)
    if lacks_media:
        # Instagram, YouTube, Snapchat: nothing goes out without a picture or a video, which the editor adds. The
        # next step is there, not a refused submission. YouTube takes a video only.
        network = NAMES[account.network.value]
        flash(_("Saved. %(network)s posts need a video: add it here, then submit the post.", network=network)
              if NETWORKS[account.network.value].max_images == 0 else
              _("Saved. %(network)s posts need a picture or a video: add it here, then submit the post.",
                network=network), "info")
        return redirect(url_for("posts.edit_post", post_id=post.id, _anchor="media-editor"))
    if "submit" not in request.form:
        return _to_the_new_drafts_pictures(post, added, converted)
    # Submitted as any new post is, a copy too ("Save and submit for review" saved a draft only).
    if converted:
        flash(converted, "info")
    not_submitted = _try_submit(post)
    if not_submitted is not None and _about_the_text(not_submitted):
        return _back_to_the_text(post, not_submitted)
    if not_submitted is None:
        flash(_("Submitted for review."), "success")
    _flash_findings(post, errors=False)  # a refused submission has said its errors
    return redirect(url_for("posts.show_post", post_id=post.id))


def _said(*sentences: str | None) -> str:
    return " ".join(sentence for sentence in sentences if sentence)


def _pick_settings(accounts: Sequence[Account], chosen: Account | None) -> dict[str, Any]:
    """What the new-post form's file field says and offers for each network of ``accounts`` (its script follows the
    account chosen), and the caps it checks before sending: see templates/media/_pick.html."""
    networks = sorted({a.network.value for a in accounts})
    caps = intake.limits()
    return {
        "networks": {a.id: a.network.value for a in accounts},
        "chosen": chosen.network.value if chosen else None,
        "each": {network: pick_words(network) for network in networks},
        "accept": sorted({t for network in networks for t in (*accepted(network), *converted_types(network))}),
        "body_bytes": caps.body_bytes, "max_files": intake.MAX_MEDIA,
    }


def _original(value: str | None) -> Post | None:
    """The post a new one duplicates (``copy_of``), as the person may read it: one they cannot see is a 404, an id
    that is none is no copy."""
    post_id = parse_id(value)
    return ops.load_post(db.session, current_user, post_id) if post_id is not None else None


def _to_the_new_drafts_pictures(post: Post, added: int = 0, converted: str | None = None):  # noqa: ANN202
    """A new post saved as a draft: its editor, at its pictures and videos (those picked with the text, or where
    more are added). The style gate's findings are under the text there; with an error among them, the editor opens
    at its top, where they are, rather than at the pictures. ``converted``: what became of the files picked."""
    said = ngettext("Saved as a draft with its picture or video.", "Saved as a draft with its %(num)d pictures and "
                    "videos.", added) if added else _("Saved as a draft: you can now add pictures and videos.")
    said = _said(said, converted)
    revision = post.current_revision
    errors = any(f["severity"] == "error" for f in (revision.findings if revision else ()))
    if errors:
        said += " " + _("The style check found errors in it, listed under the text.")
    flash(said, "warning" if errors else "success")
    return redirect(url_for("posts.edit_post", post_id=post.id, _anchor=None if errors else "media-editor"))


class FormSentAlready(Exception):
    """The new-post form was saved already, by another request (``earlier``): this one's posts are not kept."""

    def __init__(self, earlier: SentPostForm) -> None:
        super().__init__(earlier.form_key)
        self.earlier = earlier


def _sent_before(form_key: str | None) -> SentPostForm | None:
    """What the current user's new-post form ``form_key`` made, if it was saved already (the back button, a double
    click, a retry)."""
    if not form_key:
        return None
    return db.session.scalar(select(SentPostForm).where(SentPostForm.created_by_id == current_user.id,
                                                        SentPostForm.form_key == form_key))


def _record_sent(form_key: str | None, *, post_id: int | None = None, set_id: int | None = None) -> None:
    """Records that the form ``form_key`` made the post or the set, in the transaction that makes them, after them
    (what comes before, the files' reading, lets the transaction go). The same form saved meanwhile by another
    request, committed first or committing while this one waits on the unique index, raises ``FormSentAlready``."""
    if not form_key:
        return
    try:
        with db.session.begin_nested():
            db.session.add(SentPostForm(created_by_id=current_user.id, form_key=form_key, post_id=post_id,
                                        set_id=set_id))
    except IntegrityError:
        earlier = _sent_before(form_key)
        if earlier is None:
            raise
        raise FormSentAlready(earlier) from None


def _made_already(earlier: SentPostForm):  # noqa: ANN202
    """The page of what a form sent again made the first time; nothing of this request is kept."""
    db.session.rollback()
    if earlier.set_id is not None:
        flash(_("This form was sent already: here is the set it made. To write another, start a new post."), "info")
        return redirect(url_for("sets.show_set", set_id=earlier.set_id))
    flash(_("This form was sent already: here is the post it made. To write another, start a new post."), "info")
    return redirect(url_for("posts.show_post", post_id=earlier.post_id))


@bp.get("/<id:post_id>")
@login_required
def show_post(post_id: int):
    post = ops.load_post(db.session, current_user, post_id)
    return _render_post(post)


@bp.get("/<id:post_id>/version")
@login_required
def post_version(post_id: int):
    """What the post page of a post about to go out asks every few seconds (static/post_watch.js): when the version
    moved, the page reloads and shows the post published, failed or held. A page awaiting a decision asks too, and
    is told what happened since the trail's row it showed (``seen``): it shows a notice instead of reloading."""
    post = ops.load_post(db.session, current_user, post_id)
    said = None
    if request.args.get("version", type=int) not in (None, post.version):
        rows = _rows_since(post, request.args.get("seen"))
        if rows:
            revisions = {r.number: r for r in ops.post_revisions(db.session, post, current_user)}
            said = [_what_happened(post, entry, revisions) for entry in rows[-CHANGES_TOLD:]]
    response = jsonify(version=post.version, state=post.state.value, said=said)
    response.headers["Cache-Control"] = "no-store"
    return response


#: A scheduled post's page watches for its publication from this long before its time.
WATCH_AHEAD = timedelta(minutes=2)


def _watched(post: Post) -> str | None:
    """How the post's page follows it: ``reload`` when the worker has it or it is due within ``WATCH_AHEAD`` (a
    "Publish now", a slot about to come); ``notice`` while it awaits a decision (a colleague may take it, the author
    or the project manager change it, while someone reads or types a reason: a notice says so, nothing reloads);
    None otherwise."""
    if post.state == State.publishing or (post.state == State.scheduled and post.scheduled_at is not None
                                          and post.scheduled_at <= utcnow() + WATCH_AHEAD):
        return "reload"
    return "notice" if post.state in (State.in_review, State.with_cabinet) else None


@bp.route("/<id:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_post(post_id: int):
    post = ops.load_post(db.session, current_user, post_id, for_update=request.method == "POST")
    try:
        engine.find_transition(post, Action.edit, current_user)  # 403 for the role, 409 for the state
    except InvalidTransition as refused:
        if request.method == "POST":
            raise
        # A link to the editor of a post that moved on (published, with the cabinet...): its page says why.
        flash(refused.message, "warning")
        return redirect(url_for("posts.show_post", post_id=post.id))
    form = EditForm(obj=None if request.method == "POST" else post)
    campaigns = list(_campaigns([post.account]))
    if post.campaign is not None and post.campaign not in campaigns:
        # A campaign of the account's former market (an admin moved the account): offered, so that fixing the text
        # keeps it rather than the select's first choice, "No campaign".
        campaigns.append(post.campaign)
    form.campaign_id.choices = [SelectChoice(None, _("No campaign"))] + [SelectChoice(c.id, c.name)
                                                                         for c in campaigns]
    if request.method == "GET":
        form.body.data, form.version.data = post.body, post.version
        form.campaign_shown.data = _campaign_key(post.campaign_id)
        form.revision_shown.data = _revision_key(post)
        form.proposed_time.process_data(_proposal_shown(post))
    conflict = moved_meanwhile = changed = None
    status = 200
    if form.validate_on_submit():
        campaign = _campaign_asked(form, campaigns)
        text_before = post.body
        try:
            proposed = _proposal_asked(form, post.account, post)
            entry = ops.edit_post(db.session, post, current_user, form.body.data, campaign=campaign,
                                  proposed_at=proposed, expected_version=form.version.data)
        except GuardFailed as refused:
            db.session.rollback()
            post = ops.load_post(db.session, current_user, post_id)
            show_refusal(form, refused.errors)
            status = refused.status
        except Stale:
            db.session.rollback()
            post = ops.load_post(db.session, current_user, post_id)
            conflict = post  # their text stays in the form; what the other person changed is shown above it
            changed = _what_changed(post, request.form.get("revision_shown"))
            # Sent again, the form is a save over that version (the field would render what was sent).
            form.version.data, form.version.raw_data = post.version, [str(post.version)]
            form.revision_shown.data = _revision_key(post)
            moved_meanwhile = _campaign_key(post.campaign_id) != request.form.get("campaign_shown",
                                                                                   _campaign_key(post.campaign_id))
            if campaign is ops.Keep.CAMPAIGN:  # left as it was shown: the select shows the campaign now saved
                form.campaign_id.data = post.campaign_id
            form.campaign_shown.data = _campaign_key(post.campaign_id)
        else:
            wants_submit = "submit" in request.form
            not_submitted = _try_submit(post, saved=entry is not None) if wants_submit else None
            submitted = wants_submit and not_submitted is None
            if not_submitted is not None and _about_the_text(not_submitted):
                return _back_to_the_text(post, not_submitted)
            if wants_submit and not submitted:
                pass  # _try_submit said why, and whether the text was saved: one message, not three
            elif entry is None and not submitted:
                flash(_("No change to save."), "info")
            elif entry is not None and entry.payload.get("proposal_only") and not submitted:
                flash(_("Saved: the proposed time changed; the text and its review did not."), "success")
            elif entry is not None and entry.from_state != entry.to_state:
                if post.body == text_before and "campaign_moved" in entry.payload:
                    flash(_("Saved. The post went back to review: its campaign is not the one it was approved in."),
                          "warning")
                else:
                    flash(_("Saved. The post went back to review: the approval was for the previous text."),
                          "warning")
                if dropped := dropped_slot(post, entry):
                    flash(dropped, "warning")
                if entry.payload.get("proposal_from_slot"):
                    flash(_("That time is kept as the proposed time: approved again, the post can be scheduled "
                            "there in one step."), "info")
            elif submitted:
                flash(_("Saved and submitted for review."), "success")
            else:
                flash(_("Saved."), "success")
            _flash_findings(post, errors=not wants_submit)
            return redirect(url_for("posts.show_post", post_id=post.id))
    status = 409 if conflict else status
    # The change asked for stays in sight while the author makes it.
    decision = _decision(post, ops.audit_trail(db.session, post, current_user)) \
        if post.state == State.changes_requested else None
    text = (form.body.data or "").replace("\r\n", "\n")
    saved_text = text == post.body
    # The style gate on the saved text, before any script runs (a submission it refused comes here): under the text,
    # and those about the pictures and videos after them, where the message of the refusal says they are.
    found = [f.as_dict(translatable=True) for f in policies.check_revision(db.session, post).findings] \
        if saved_text else []
    return render_template(
        "posts/edit.html", form=form, post=post, conflict=conflict, changed=changed, decision=decision,
        moved_meanwhile=moved_meanwhile,
        findings=[f for f in found if not _on_media(f, post.body)],
        media_findings=[f for f in found if _on_media(f, post.body)], findings_summary=findings_summary(found),
        # The text being edited, with the post's pictures and videos: what saving would make.
        preview_revision=None if saved_text or post.current_revision is None else Unsaved(
            body=text, media=post.current_revision.media, number=post.current_revision.number),
    ), status


def _revision_key(post: Post) -> str:
    return str(post.current_revision.number) if post.current_revision else ""


@dataclass(frozen=True)
class Unsaved:
    """The editor's text with the post's current media, for the preview (the shape of a ``Revision`` it reads)."""

    body: str
    media: list
    number: int
    unsaved: bool = True


@dataclass(frozen=True)
class Changed:
    """What another person saved while the editor was open: from the revision it was opened on (``seen``) to the
    post's current one."""

    seen: Revision
    now: Revision
    text: bool
    #: The media's changes, as the comparison tells them (``approval.views.media.media_changes``), by kind.
    media: dict[str, int]

    @property
    def media_summary(self) -> str:
        """"1 added, 1 removed and reordered" in the reader's language."""
        said = {
            "added": lambda n: ngettext("%(num)s added", "%(num)s added", n),
            "removed": lambda n: ngettext("%(num)s removed", "%(num)s removed", n),
            "moved": lambda n: _("reordered"),
            "described": lambda n: ngettext("%(num)s new alternative text", "%(num)s new alternative texts", n),
        }
        return format_list([str(said[kind](n)) for kind, n in self.media.items()], locale=get_locale() or "en")


def _what_changed(post: Post, shown: str | None) -> Changed | None:
    """What changed from the revision the editor showed (``shown``, its number as the form sent it) to the post's
    current one; None when the form did not say (a page from before the field) or the revision is not one the user
    reads."""
    number = int(shown) if shown and shown.isascii() and shown.isdigit() else None
    revisions = {r.number: r for r in ops.post_revisions(db.session, post, current_user)}
    seen, now = revisions.get(number or 0), post.current_revision
    if seen is None or now is None:
        return None
    kinds: dict[str, int] = {}
    for change in media_changes(seen, now):
        # A file moved and described is counted in both.
        for kind in {change["change"], "described" if change["described"] else "kept"} - {"kept"}:
            kinds[kind] = kinds.get(kind, 0) + 1
    order = ("added", "removed", "moved", "described")
    return Changed(seen=seen, now=now, text=seen.body != now.body,
                   media={kind: kinds[kind] for kind in order if kind in kinds})


def _campaign_key(campaign_id: int | None) -> str:
    return str(campaign_id) if campaign_id is not None else ""


def _proposal_shown(post: Post) -> datetime | None:
    """The post's proposed time as the forms show it: its wall-clock time in the account's market zone."""
    if post.proposed_at is None:
        return None
    local = wall_clock(post.proposed_at, post.account.market.timezone)
    return local.replace(tzinfo=None, second=0, microsecond=0) if local is not None else None


def _proposal_asked(form: PostForm | EditForm, account: Account, post: Post | None = None) \
        -> datetime | None | ops.Keep:
    """The proposed time a form asks for: the instant of the wall-clock time typed in the market's zone
    (``operations.proposal_time``, which refuses a time the clocks skip, asks which of a repeated one, and one past
    or over a year ahead), None for none, or ``Keep.PROPOSAL`` for the post's own, shown and left as it was (a
    proposal that has passed since stays until changed)."""
    typed, fold = form.proposed_time.data, form.proposed_fold.data
    if typed is None:
        return None if post is None or post.proposed_at is not None else ops.Keep.PROPOSAL
    if post is not None and fold is None and typed == _proposal_shown(post):
        return ops.Keep.PROPOSAL
    try:
        return ops.proposal_time(account, typed, fold)
    except GuardFailed as refused:
        if "proposed_fold" not in refused.errors:
            raise
        # The form asks with two choices, in words: "fold 0 / 1" is the API's parameter, no word for a page.
        raise GuardFailed(refused.message, {**refused.errors, "proposed_fold": [_("Choose which of the two times "
                                                                                  "you mean.")]}) from None


def _campaign_asked(form: EditForm, campaigns: Sequence[Campaign]) -> Campaign | None | ops.Keep:
    """The campaign the editor asks for. Left as the page showed it (``campaign_shown``), or absent (a page from
    before the field), it asks for none: the campaign as saved now stands, another person's move included."""
    if "campaign_id" not in request.form:
        return ops.Keep.CAMPAIGN
    shown = request.form.get("campaign_shown")
    if shown is not None and _campaign_key(form.campaign_id.data) == shown:
        return ops.Keep.CAMPAIGN
    return next((c for c in campaigns if c.id == form.campaign_id.data), None)


#: "Publish now" schedules the post this far ahead (a time must be in the future): the worker takes it at once.
PUBLISH_NOW = timedelta(seconds=2)


@bp.route(f"/<id:post_id>/actions/<any({', '.join(a.value for a in USER_ACTIONS)}):action>", methods=["GET", "POST"])
@login_required
def act(post_id: int, action: str):
    if request.method == "GET":
        return _back_to_post(post_id)
    post = ops.load_post(db.session, current_user, post_id, for_update=True)
    form = ActionForm()
    if not form.validate():
        return _render_post(post, action_form=form, failed_action=action), 422
    now = action == Action.schedule and request.form.get("when") == "now"
    # "Approve and schedule for <the proposed time>", or "at" the time typed beside it: both steps in this one
    # transaction, or neither.
    at_time = action == Action.approve and request.form.get("and_schedule") == "at"
    and_schedule = action == Action.approve and bool(form.and_schedule.data)
    try:
        if now and request.form.get("ask_first") == "now":  # a browser without scripts asked nothing: the page asks
            return ask_publish_now(post, form.version.data, Action.schedule, action_form=form)
        params = _action_params(post, action, form)
        if now:
            params = {"scheduled_at": utcnow() + PUBLISH_NOW}
        if at_time:
            entry = _approve_and_schedule_at(post, form, params)
        elif and_schedule:
            _approved, entry = ops.approve_and_schedule(db.session, post, current_user,
                                                        expected_version=form.version.data,
                                                        comment=form.comment.data, **params)
        else:
            entry = ops.act_on_post(db.session, post, action, current_user, expected_version=form.version.data,
                                    comment=form.comment.data, **params)
    except WorkflowError as refused:
        db.session.rollback()
        if now and isinstance(refused, GuardFailed):  # the button said "Publish now", not "Schedule"
            refused = GuardFailed(_("“%(action)s” was refused.", action=_("Publish now")), refused.errors,
                                  findings=refused.findings)
        post = ops.load_post(db.session, current_user, post_id)
        if isinstance(refused, Stale):
            return _overtaken(post, Action(action), form, refused), refused.status
        return _render_post(post, action_form=form, failed_action=action, refusal=refused), refused.status
    if current_user.role == Role.cabinet and action in CABINET_DECISIONS:
        return _to_the_next_suggestion(post, Action(action))
    if and_schedule:
        if warning := not_going_out(db.session, post):
            flash(warning, "warning")
        return _to_the_next_in_review(post, Action.approve, entry.to_state)
    if entry.from_state == State.in_review and action in REVIEW_DECISIONS:
        return _to_the_next_in_review(post, Action(action), entry.to_state)
    warning = not_going_out(db.session, post) if entry.to_state == State.scheduled else None
    if not (warning and (now or action == Action.retry)):  # no "it goes out within a minute" above a warning
        flash(_done(post, Action(action), entry.to_state, now=now), "success")
    if warning:
        flash(warning, "warning")
    return redirect(url_for("posts.show_post", post_id=post.id))


def ask_publish_now(post: Post, version: int | None, first: Action, *,
                    action_form: FlaskForm | None = None) -> str:
    """"Publish now" pressed in a browser without scripts, which asked nothing (its form's ``ask_first``): the post's
    page asks instead, naming the account, and nothing is done until its button is pressed again. Asked only of
    someone who could do it as the post stands, ``first`` being the engine's first step (``schedule`` for an
    approved post, ``unschedule`` for a scheduled one, the move form's): a role that may not, a post gone on or
    changed since, raise the engine's typed error (403, 409) rather than draw a question with nothing to answer."""
    engine.check_fresh(post, version)
    engine.find_transition(post, first, current_user)
    return _render_post(post, action_form=action_form, asked_now=True)


def _approve_and_schedule_at(post: Post, form: Any, approving: dict[str, Any]) -> engine.TrailEntry:  # noqa: ANN401
    """"Approve and schedule at …": the post approved, then scheduled at the wall-clock time typed beside the button
    (in the account's market time, ``fold`` picking one of an hour the clocks repeat), two steps of the engine, each
    with its audit row and every guard of both, as the set page's "Approve and schedule all at this time"
    (``views.sets._act``). A time it cannot read is refused before anything is approved; a refused schedule (in the
    past, more than a year ahead, before an embargo lifts) raises for ``act`` to roll the approval back: nothing is
    written. Refused, it says so as "Approve and schedule", the button pressed, its reasons beside their fields."""
    refused = _("“%(action)s” was refused.", action=_("Approve and schedule"))
    ops.check_approve_and_schedule(post, current_user, form.version.data)
    if form.local_time.data is None:
        raise GuardFailed(refused, {"local_time": [_("Choose the time to schedule it at.")]})
    try:
        timing = ops.action_params(post, Action.schedule, local_time=form.local_time.data, fold=form.fold.data)
    except GuardFailed as unread:  # the clocks skip the time, or repeat it and no fold says which
        raise GuardFailed(refused, unread.errors) from None
    try:
        ops.act_on_post(db.session, post, Action.approve, current_user, expected_version=form.version.data,
                        comment=form.comment.data, **approving)
    except GuardFailed as approval_refused:  # the style gate, the sensitive terms: beside their fields
        raise GuardFailed(refused, approval_refused.errors, findings=approval_refused.findings) from None
    try:
        return ops.act_on_post(db.session, post, Action.schedule, current_user, expected_version=post.version,
                               **timing)
    except GuardFailed as schedule_refused:
        raise GuardFailed(refused, schedule_refused.errors, findings=schedule_refused.findings) from None


#: Where the page after a decision opens the next post: its content (base.html's ``main``, focusable), whose first
#: words are the messages saying what was done, then the post. Browsers focus a fragment's focusable target and start
#: the keyboard's next Tab from it: the reviewer no longer tabs through the top bar again to reach the post. No
#: script, and nothing moved on a page opened otherwise.
NEXT_POST_ANCHOR = "main"


def _to_the_next_suggestion(post: Post, action: Action):  # noqa: ANN202
    """After a cabinet's decision: what was recorded, and the next suggestion awaiting its answer (the inbox's
    first), or the inbox when none is left. Its page offered no more decision on the post just decided."""
    from approval.queries import posts as listing

    said = {
        Action.accept: _("You accepted suggested message #%(id)s: the project managers schedule it at the right "
                         "time for its market.", id=post.id),
        Action.request_changes: _("You sent suggested message #%(id)s back to its writers, with your request for "
                                  "changes.", id=post.id),
        Action.decline: _("You declined suggested message #%(id)s: it will not be published; its writer and the "
                          "project manager are told.", id=post.id),
    }
    flash(said[action], "success")
    waiting = listing.page_oldest_first(db.session, current_user, listing.PostFilters(state=State.with_cabinet),
                                        (Post.id,), cursor=None, limit=1)
    if waiting.items:
        flash(_("Here is the next suggested message awaiting your answer."), "info")
        return redirect(url_for("posts.show_post", post_id=waiting.items[0].id, _anchor=NEXT_POST_ANCHOR))
    flash(_("No other suggested message awaits your answer."), "info")
    return redirect(url_for("cabinet.inbox"))


def _to_the_next_in_review(post: Post, action: Action, state: State):  # noqa: ANN202
    """After a project manager's decision on a post of the review queue: what was done to which post, and the next
    post awaiting review in the queue's order (the longest waiting first, in the reviewer's markets), or the queue
    when none is left. As the cabinet's (``_to_the_next_suggestion``), whatever page the decision was taken on (they
    are all taken on the post's page): that page offers no more review of the post just decided, and an approved
    post's next step, its time, is a link away in the message (and in the queue's "Approved, to schedule")."""
    from approval.queries import posts as listing

    executive = post.account.executive
    suggestion = post.account.is_executive
    if action == Action.approve and state == State.with_cabinet and executive is not None:
        said: str = _("You approved suggested message #%(id)s and sent it to the cabinet of %(executive)s.",
                      id=post.id, executive=executive.name)
    elif action == Action.approve and state == State.scheduled:
        said = _("You approved post #%(id)s and scheduled it for %(time)s.", id=post.id,
                 time=slot_time(post.scheduled_at, post.account.market.timezone))
    elif action == Action.approve:
        said = Markup('{} <a href="{}">{}</a>').format(
            _("You approved post #%(id)s: it can now be scheduled.", id=post.id),
            url_for("posts.show_post", post_id=post.id), _("Schedule it"))
    elif action == Action.request_changes:
        said = _("You sent suggested message #%(id)s back to its writers, with your request for changes.",
                 id=post.id) if suggestion else \
            _("You sent post #%(id)s back to its author, with your request for changes.", id=post.id)
    else:
        said = _("You rejected suggested message #%(id)s.", id=post.id) if suggestion else \
            _("You rejected post #%(id)s.", id=post.id)
    flash(said, "success")
    # The queue the post was opened from, with its filters (a market, a network...): the next post is its next.
    filters = _queue_filters() or listing.PostFilters()
    # Not one whose revision they wrote: they may not decide on it (the author never approves their own words). The
    # queue leaves those out itself: a reviewer whose oldest posts were their own was told none awaited them.
    waiting = listing.page_oldest_first(db.session, current_user,
                                        replace(filters, state=State.in_review, decidable_by=current_user.id),
                                        (Post.submitted_at, Post.id), cursor=None, limit=1)
    upcoming = next(iter(waiting.items), None)
    if upcoming is not None:
        flash(_("Here is the next post awaiting your review."), "info")
        return redirect(url_for("posts.show_post", post_id=upcoming.id, _anchor=NEXT_POST_ANCHOR,
                                **_queue_arg()))  # type: ignore[arg-type]
    flash(_("No other post of the queue as you filtered it awaits your review.") if filters.active
          else _("No other post awaits your review."), "info")
    return redirect(url_for("review.queue", **filters.args()))  # type: ignore[arg-type]


#: The decisions whose comment the decide form always shows a field for (the others may have none on the page).
COMMENTED = frozenset({Action.approve, Action.request_changes, Action.reject, Action.accept, Action.decline})
#: A decision that came too late tells at most this many of the changes made since its page (the newest).
CHANGES_TOLD = 5


def _overtaken(post: Post, action: Action, form: Any, refused: Stale):  # noqa: ANN202, ANN401 - an ActionForm
    """A decision that came too late: someone decided first, or the post changed, while its page was open. The page
    of the post as it is now says who did what and when (the trail's rows since the last one the page showed, which
    its forms send as ``seen``), compares the text with the revision that page showed, and keeps the comment typed:
    in the decision's form when the decision can still be taken, else in the discussion's box. It is drawn at the
    form's address, which a GET leads back to the post from (``_back_to_post``); sent again, the form is refused
    again, its version being older than the post's.

    A form that does not say what its page showed (a page from before the field) gets the general message."""
    kept = (form.comment.data or "").strip()
    offered = {t.action for t in engine.available_actions(post, current_user)}
    in_form = action in offered and action in COMMENTED
    rows = _rows_since(post, form.seen.data)
    compare_from = None
    if rows is not None:
        revisions = {r.number: r for r in ops.post_revisions(db.session, post, current_user)}
        said = [_what_happened(post, entry, revisions) for entry in rows[-CHANGES_TOLD:]]
        if len(rows) > CHANGES_TOLD:
            said.insert(0, ngettext("%(num)s earlier change is in the history.",
                                    "%(num)s earlier changes are in the history.", len(rows) - CHANGES_TOLD))
        if kept:
            said.append(_("Your comment is kept in the form below: decide again once you have read the post as it "
                          "is now.") if in_form else
                        _("Your comment is kept in the discussion box below, if you still want to send it."))
        # The button's own words: "Approve and schedule for …" is refused as "Approve and schedule", not "Approve".
        pressed = _("Approve and schedule") if action == Action.approve and form.and_schedule.data \
            else _button(post, action)
        refused = Stale(_("“%(action)s” was not recorded: the post changed while you were reading it.",
                          action=pressed), {"_overtaken": said})
        # The text as that page showed it: the revision before the first one saved since.
        edited = next((entry.revision for entry in rows if entry.action == Action.edit and entry.revision
                       and not _no_new_text(entry)), None)
        compare_from = revisions.get(edited.number - 1) if edited is not None else None
    if not in_form:
        form.comment.data = None  # said in the discussion's box, not again in a decision's
    # The values typed for an action still offered stay in its form (a time, an address); the others' forms are
    # drawn empty.
    still = action in offered
    return _render_post(post, action_form=form if still else None, failed_action=action.value if still else None,
                        refusal=refused, compare_from=compare_from,
                        comment_form=CommentForm(formdata=None, body=kept) if kept and not in_form else None)


def _button(post: Post, action: Action) -> str:
    """The words of ``action``'s button as the page showed them to the current user."""
    return str(next((row.label for row in rows_for(action) if current_user.role in row.roles and row.applies(post)),
                    label(action)))


def _rows_since(post: Post, seen: str | None) -> list[TrailRow] | None:
    """The rows of ``post``'s trail after the row ``seen`` (its id, as a form sent it) that the current user reads,
    oldest first; None when the form did not say."""
    if not seen or not seen.isascii() or not seen.isdigit():
        return None
    return [entry for entry in ops.audit_trail(db.session, post, current_user) if entry.id > int(seen)]


def _what_happened(post: Post, entry: TrailRow, revisions: dict[int, Revision]) -> str:
    """One row of the trail as a sentence: "Agnès Roux accepted this suggested message at 22:16."."""
    said = {"name": entry.actor.name if entry.actor else _("Publishing worker"),
            "time": _clock(entry.at, post.account.market.timezone)}
    if entry.action == Action.edit and (entry.payload or {}).get("live_link"):
        return _("%(name)s added the live link at %(time)s.", **said)
    if entry.action == Action.edit and (entry.payload or {}).get("proposal_only"):
        if (entry.payload or {}).get("proposed_at") is None:
            return _("%(name)s withdrew the proposed publication time at %(time)s.", **said)
        return _("%(name)s changed the proposed publication time at %(time)s.", **said)
    if entry.action == Action.edit:
        now = entry.revision
        sent = revisions.get(now.number) if now is not None else None
        if current_user.role == Role.cabinet and (now is None or sent is None or sent.id != now.id):
            # A revision not sent to the cabinet: it reads neither it nor what changed in it.
            return _("%(name)s changed this suggested message at %(time)s: it is back with its writers until a "
                     "project manager sends it to you again.", **said)
        before = revisions.get(now.number - 1) if now is not None else None
        if now is None or before is None or before.body != now.body:
            return _("%(name)s changed the text at %(time)s: read the new version before deciding.", **said)
        if any(change["change"] != "kept" or change["described"] for change in media_changes(before, now)):
            return _("%(name)s changed the pictures and videos at %(time)s: look at them before deciding.", **said)
        return _("%(name)s moved the post to another campaign at %(time)s.", **said)
    if entry.action == Action.approve and entry.to_state == State.with_cabinet:
        return _("%(name)s approved this post and sent it to the cabinet at %(time)s.", **said)
    sentences = {
        Action.approve: lambda: _("%(name)s approved this post at %(time)s.", **said),
        Action.request_changes: lambda: _("%(name)s asked for changes at %(time)s.", **said),
        Action.reject: lambda: _("%(name)s rejected this post at %(time)s.", **said),
        Action.accept: lambda: _("%(name)s accepted this suggested message at %(time)s.", **said),
        Action.decline: lambda: _("%(name)s declined this suggested message at %(time)s.", **said),
    }
    sentence = sentences.get(entry.action)
    return sentence() if sentence else _("%(name)s %(done)s at %(time)s.", done=done(entry.action), **said)


def _clock(instant: datetime, zone: str) -> str:
    """When something happened a moment ago, as the post's market reads it: its time, and its date when it was
    another day (as the post's history, in the same zone)."""
    local, today = wall_clock(instant, zone), wall_clock(utcnow(), zone)
    if local is None or today is None:
        return said_in(instant, zone)
    return said_clock(local) if local.date() == today.date() else said_wall(local)


def _back_to_post(post_id: int, *, anchor: str | None = None):  # noqa: ANN202
    """A form's address opened with a GET: the page a refusal drew there, reloaded after other pages, reached again
    through the login page or a bookmark, or typed. It leads to the post's page (with the comparison it showed),
    never to "method not allowed"; a post the user may not see stays not found."""
    post = ops.load_post(db.session, current_user, post_id)
    return redirect(url_for("posts.show_post", post_id=post.id, _anchor=anchor, **_view_args()))


#: The post page's view of its revisions: one opened (``r``), two compared (``diff_from``, ``diff_to``). Its forms
#: carry them in their addresses, so that a refusal drawn there shows what the reviewer was looking at.
VIEW_ARGS = ("r", "diff_from", "diff_to")
#: The longest review queue's filters a post page carries (``queue``): its search's 200 characters, percent-encoded
#: (a Greek or Japanese search is six to nine times as long), and the others.
MAX_QUEUE_ARG = 4096


def _view_args() -> dict[str, Any]:
    return {**{name: value for name in VIEW_ARGS if (value := request.args.get(name, type=int)) is not None},
            **_queue_arg()}


def _queue_filters() -> PostFilters | None:
    """The filters of the review queue the post was opened from (``queue``, the query string its links carry), or
    None: after a decision, the next post is that queue's."""
    raw = request.args.get("queue") or ""
    if not raw or len(raw) > MAX_QUEUE_ARG:
        return None
    filters = PostFilters.from_args(dict(parse_qsl(raw)), current_user).without("state")
    return filters if filters.active else None


def _queue_arg() -> dict[str, str]:
    """``queue`` for an address that keeps the review queue's filters (none when it had none)."""
    filters = _queue_filters()
    return {"queue": urlencode(filters.args())} if filters else {}


def _done(post: Post, action: Action, state: State, *, now: bool = False) -> str:
    """What a person just did, said as they would say it ("Scheduled for 18:00 in Paris", not "now scheduled"). A
    review's decisions say it on the next post (``_to_the_next_in_review``)."""
    if action == Action.schedule:
        if now:
            return _("Publishing now: the post goes out within a minute. This page shows when it is online.")
        return _("Scheduled for %(time)s.", time=slot_time(post.scheduled_at, post.account.market.timezone))
    said = {
        Action.submit: _("Submitted for review."),
        Action.recall: _("Recalled: the post is a draft again."),
        Action.accept: _("Accepted: the project managers schedule it at the right time for its market."),
        Action.decline: _("Declined: the suggestion will not be published; its writer and the project manager are "
                          "told."),
        Action.unschedule: _("Unscheduled: the post is approved and waits for a new time."),
        Action.release: _("Released: the post goes out at its time, or now if its time has passed within its grace "
                          "period."),
        Action.withdraw: _("Withdrawn."),
        Action.mark_published: _("Marked as published."),
        Action.retry: _("Sent again to the publishing queue: it goes out within a minute."),
        Action.confirm_published: _("Confirmed as published."),
    }
    return said.get(action) or _("Done: the post is now %(state)s.", state=label(state))


def _action_params(post: Post, action: str, form: FlaskForm) -> dict:  # an ActionForm (a class built at import)
    """The engine's input from the form. A time the clocks skip or repeat is refused as the engine refuses a time in
    the past: under the action's headline ("“Schedule” was refused."), the reason beside the field."""
    try:
        return ops.action_params(post, action, **{name: form[name].data for name in FORM_INPUTS})
    except GuardFailed as unread:
        raise GuardFailed(_("“%(action)s” was refused.", action=_button(post, Action(action))),
                          unread.errors) from None


@bp.route("/<id:post_id>/comments", methods=["GET", "POST"])
@login_required
def add_comment(post_id: int):
    if request.method == "GET":
        return _back_to_post(post_id, anchor="comments")
    post = ops.load_post(db.session, current_user, post_id)
    form = CommentForm()
    if not form.validate():
        return _render_post(post, comment_form=form), 422
    ops.add_comment(db.session, post, current_user, form.body.data)
    return redirect(url_for("posts.show_post", post_id=post.id, _anchor="comments"))


@bp.route("/<id:post_id>/live-link", methods=["GET", "POST"])
@login_required
def add_live_link(post_id: int):
    """"Add the live link" of a post handed to the outbox, or correct it: the post stays published, its page and
    lists link to the address given, and its trail keeps it with the outbox's (``operations.add_live_link``)."""
    if request.method == "GET":
        return _back_to_post(post_id, anchor="live-link")
    post = ops.load_post(db.session, current_user, post_id, for_update=True)
    form = LiveLinkForm()
    if not form.validate():
        return _render_post(post, live_link_form=form), 422
    added = ops.outbox_address(db.session, post) == post.published_url
    try:
        ops.add_live_link(db.session, post, current_user, form.url.data, expected_version=form.version.data)
    except WorkflowError as refused:
        db.session.rollback()
        post = ops.load_post(db.session, current_user, post_id)
        if isinstance(refused, GuardFailed):  # the address refused: said beside the field, what was typed kept
            form.url.errors = list(refused.errors.get("url", []))
            return _render_post(post, live_link_form=form), refused.status
        if isinstance(refused, Stale):
            # Changed meanwhile (someone gave a link first...): the page as it is now says which link it has; the
            # address typed stays in the form, under the post's version now, to send again once read.
            refused = Stale(_("Your live link was not recorded: the post changed while you were reading it. Check "
                              "its link above; your address is kept below if you still want to give it."),
                            refused.errors)
            return _render_post(post, live_link_form=LiveLinkForm(formdata=None, url=form.url.data,
                                                                  version=post.version),
                                refusal=refused), refused.status
        return _render_post(post, refusal=refused), refused.status
    flash(_("Live link added: the post's page and the lists now link to it on %(network)s.",
            network=network_name(post.account.network)) if added else
          _("Live link corrected: the post's page and the lists now link to the new address."), "success")
    return redirect(url_for("posts.show_post", post_id=post.id))


@bp.post("/check")
@login_required
def check_text():
    """The style gate for the editor, as the user types: the account's market policy, and the chosen campaign's
    hashtag and disclosure. A new post's form also sends the accounts ticked in "Also write it for"
    (``also_account_ids``): ``also`` lists those whose own network or market refuses what the main account's does
    not (a picture Instagram needs, X's 280 characters), each with its errors, before "Submit all" finds them."""
    account = db.session.scalar(visible_accounts(current_user).where(Account.id == request.form.get("account_id",
                                                                                                       type=int)))
    text = request.form.get("body", "")[:70000]
    findings, context = _live_check(account, text)
    # Each finding says which picture or video it is about (``media``: its position), or None for the text.
    shown = [{**f.as_dict(), "message": finding_message(f), "severity_label": label(f.severity),
              "media": media_index(f.start, f.end, text)} for f in findings]
    also = _also_refused(account, text, findings) if account is not None else []
    summary = findings_summary(shown)
    if also:
        summary = _said(summary, ngettext("%(num)d other account ticked refuses this post as it is.",
                                          "%(num)d other accounts ticked refuse this post as it is.", len(also)))
    return {"findings": shown, "length": style.length(text, context.network),
            "limit": style.LIMITS.get(context.network), "network": context.network,
            "network_name": network_name(context.network) if context.network else None,
            # What a screen reader is told (the list of findings is not read again at every pause in typing).
            "summary": summary, "also": also,
            "lang": language_of(text, context.languages, (f.as_dict(translatable=True) for f in findings))}


def _live_check(account: Account | None, text: str) -> tuple[list[style.Finding], Context]:
    """The style gate's findings on ``text`` for a post on ``account`` as the editor sends it (its campaign, its
    post or the one a new post copies, the files picked on a new post's form), and the context they were found in."""
    campaign = None
    if account is not None:
        campaign_id = request.form.get("campaign_id", type=int)
        campaign = db.session.scalar(select(Campaign).where(
            Campaign.id == campaign_id, Campaign.market_id.is_(None) | (Campaign.market_id == account.market_id)
        )) if campaign_id else None
    context = policies.style_context(db.session, account, campaign) if account else style.Context()
    items: tuple[MediaItem, ...] = ()
    picked: list[MediaItem] = []
    if account is not None:
        # The media rules see the post's current pictures and videos (a new post's: those it copies from another,
        # ``new_post``, and those picked on its form, not sent yet).
        post_id = request.form.get("post_id", type=int) or request.form.get("copy_of", type=int)
        try:
            post = ops.load_post(db.session, current_user, post_id) if post_id else None
        except ops.NotFound:
            post = None  # not one of theirs: checked as a new post
        # A cabinet's: those of the revision it was sent (``access.read_by``), not the ones saved since.
        revision = read_by(db.session, current_user, [post])[0].current_revision if post is not None else None
        items = media_items(revision.media) if revision is not None else ()
        if not request.form.get("post_id", type=int):  # a new post: its copied files as the copy stores them
            items, picked = tuple(as_saved(items, account)), picked_items(account)
        context = replace(context, media=(*items, *picked), has_media=bool(items or picked))
    return unmeasured(style.check(text, context), picked, len(items), text), context


def _also_refused(account: Account, text: str, found: Sequence[style.Finding]) -> list[dict[str, Any]]:
    """The accounts ticked in a new post's "Also write it for" (``also_account_ids``, those the user writes for)
    whose check finds errors the main ``account``'s did not (``found``): each named, with those errors."""
    if request.form.get("post_id", type=int):
        return []
    # No more than a set holds: each is a whole check of the text, run at every pause in the typing.
    others = [other for other in dict.fromkeys(request.form.getlist("also_account_ids", type=int))
              if other != account.id]
    ticked = set(others[:ops.MAX_SET_ACCOUNTS - 1])
    if not ticked:
        return []
    already = {(f.rule, finding_message(f)) for f in found if f.severity == "error"}
    refused = []
    for other in _writable_accounts():
        if other.id not in ticked:
            continue
        errors = [f for f in _live_check(other, text)[0]
                  if f.severity == "error" and (f.rule, finding_message(f)) not in already]
        if errors:
            refused.append({"account_id": other.id, "account": account_name(other), "network": other.network.value,
                            "findings": [{"rule": f.rule, "message": finding_message(f)} for f in errors]})
    return refused


def findings_summary(findings: Iterable[Mapping[str, Any]]) -> str:
    """The style gate's findings counted, "3 findings: 1 to fix.": what the editor's status says as the text is
    typed, only when the counts change."""
    severities = [f["severity"] for f in findings]
    if not severities:
        return _("No findings.")
    errors = severities.count("error")
    return _("%(findings)s: %(to_fix)s.",
             findings=ngettext("%(num)s finding", "%(num)s findings", len(severities)),
             to_fix=ngettext("%(num)s to fix", "%(num)s to fix", errors) if errors else _("none to fix"))


def market_languages(market: Any) -> tuple[str, ...]:  # noqa: ANN401 - a Market
    return tuple(code.lower() for code in market.languages or () if code)


def language_of(body: str, languages: Sequence[str], findings: Iterable[Mapping[str, Any]]) -> str | None:
    """The language a post's text is written in, for its ``lang`` (WCAG 3.1.2: a French post read aloud by an
    English voice was gibberish): the one the style gate found when it is none of the market's (``lang.mismatch``
    keeps it); else the market's; for a market of several, the one the text reads as (the detector answers each
    text once per process, the style gate asked it already), else the market's first. None without any."""
    for finding in findings:
        if finding.get("rule") == MISMATCH and (code := (finding.get("params") or {}).get("code")):
            return str(code)
    if len(languages) > 1:
        detected = Analysis(body, Context(languages=tuple(languages))).language
        if detected in languages:
            return detected
    return languages[0] if languages else None


@bp.app_template_global()
def text_language(post: Post, revision: Revision | None = None) -> str | None:
    """The language of ``revision``'s text (the post's current one by default), as ``language_of`` tells it."""
    revision = revision or post.current_revision
    if revision is None:
        return None
    return language_of(revision.body, market_languages(post.account.market), revision.findings or ())


@bp.app_template_global()
def lang_of(post: Post, revision: Revision | None = None) -> Markup:
    """`` lang="fr"`` for an element that holds a post's text (its body, an excerpt, a comparison), or nothing when
    its market names no language."""
    code = text_language(post, revision)
    return Markup(' lang="{}"').format(code) if code else Markup("")


#: The decisions after which a reviewer has seen a revision.
DECISIONS = frozenset({Action.approve, Action.request_changes, Action.reject, Action.accept, Action.decline})
#: The cabinet's own decisions on a suggestion (its acceptance, its request for changes, its refusal).
CABINET_DECISIONS = frozenset({Action.accept, Action.request_changes, Action.decline})


#: A project manager's decisions on a post in review.
REVIEW_DECISIONS = frozenset({Action.approve, Action.request_changes, Action.reject})


def _cabinet_decided(entry: TrailRow) -> bool:
    return entry.action in CABINET_DECISIONS and entry.actor is not None and entry.actor.role == Role.cabinet \
        and entry.revision_id is not None


def _reviewed(entry: TrailRow) -> bool:
    """A project manager's decision on the post in review (approved, changes requested, rejected), on a revision:
    told from the state it left, not from its writer's role now (a cabinet's request for changes is none)."""
    return entry.action in REVIEW_DECISIONS and entry.from_state == State.in_review and entry.revision_id is not None


def _baseline_entry(post: Post, revisions: Sequence[Revision], history: Sequence[TrailRow],
                    current: Revision | None) -> TrailRow | None:
    """The trail's row that names the revision the page compares the current one with by default (``_baseline``)."""
    if current_user.role == Role.cabinet:
        # The cabinet's own last decision, else the first revision sent to it: the project managers' approval of
        # the text sent back to it is no decision of the cabinet's (it hid what changed since the cabinet's own).
        decided = [entry for entry in history if _cabinet_decided(entry)]
        first_sent = next((entry for entry in history
                           if entry.action == Action.approve and entry.to_state == State.with_cabinet), None)
        entry = decided[-1] if decided else first_sent
    elif current_user.role == Role.project_manager:
        # A review: what changed since a project manager last decided on the post (a sitting of its writer's saves
        # is one change to review, not its last save alone).
        entry = next((entry for entry in reversed(history) if _reviewed(entry)), None)
    else:
        entry = next((entry for entry in reversed(history) if entry.action in DECISIONS and entry.revision_id), None)
    return entry if entry is not None and entry.revision_id != getattr(current, "id", None) else None


def _baseline(post: Post, revisions: Sequence[Revision], history: Sequence[TrailRow],
              current: Revision | None = None) -> Revision | None:
    """What the page compares the current revision with by default: the revision last decided on (what a reviewer
    saw; a post approved, edited and back in review shows what changed since the approval); for a project manager,
    the one a project manager last decided on; for a cabinet, the one it last decided on itself, else the first one
    it was sent. A post never decided on is new to its reviewers (no comparison: the whole post is the change), a
    project manager who started it included; its author compares it with their previous draft."""
    current = current if current is not None else post.current_revision
    entry = _baseline_entry(post, revisions, history, current)
    if entry is not None:
        return next((r for r in revisions if r.id == entry.revision_id), None)
    if current_user.role in (Role.cabinet, Role.project_manager):
        return None
    if not any(e.action in DECISIONS and e.revision_id for e in history) and current_user.id == post.created_by_id \
            and len(revisions) > 1:
        return revisions[-2]
    return None


def _since_decided(post: Post, revisions: Sequence[Revision], history: Sequence[TrailRow],
                   current: Revision | None) -> str | None:
    """For a cabinet shown a text changed since it last saw it: the sentence that says so, "You accepted revision 2
    on …; this is revision 3, changed by Marc Lefèvre." (a text it had accepted, changed since, must not pass as the
    one it accepted). For a project manager, the review's: "You asked for changes on revision 1 on …; this is
    revision 5, changed by Camille Dubois."."""
    if current_user.role not in (Role.cabinet, Role.project_manager) or current is None:
        return None
    entry = _baseline_entry(post, revisions, history, current)
    seen = next((r for r in revisions if entry is not None and r.id == entry.revision_id), None)
    if entry is None or seen is None or seen.number >= current.number:
        return None
    editors = [e.actor.name for e in edits_between(history, seen, current) if e.actor is not None]
    names = format_list(list(dict.fromkeys(editors)) or [current.author.name], locale=get_locale() or "en")
    said = {"old": seen.number, "new": current.number, "names": names,
            "when": said_in(entry.at, post.account.market.timezone)}
    mine = entry.actor_id == current_user.id
    name = entry.actor.name if entry.actor is not None else ""
    if current_user.role == Role.project_manager and entry.action == Action.approve:
        return _("You approved revision %(old)s on %(when)s; this is revision %(new)s, changed by %(names)s.",
                 **said) if mine else \
            _("%(name)s approved revision %(old)s on %(when)s; this is revision %(new)s, changed by %(names)s.",
              name=name, **said)
    if entry.action == Action.accept:
        return _("You accepted revision %(old)s on %(when)s; this is revision %(new)s, changed by %(names)s.",
                 **said) if mine else \
            _("%(name)s accepted revision %(old)s on %(when)s; this is revision %(new)s, changed by %(names)s.",
              name=name, **said)
    if entry.action == Action.request_changes:
        return _("You asked for changes on revision %(old)s on %(when)s; this is revision %(new)s, changed by "
                 "%(names)s.", **said) if mine else \
            _("%(name)s asked for changes on revision %(old)s on %(when)s; this is revision %(new)s, changed by "
              "%(names)s.", name=name, **said)
    if entry.action == Action.decline:
        return _("You declined revision %(old)s on %(when)s; this is revision %(new)s, changed by %(names)s.",
                 **said) if mine else \
            _("%(name)s declined revision %(old)s on %(when)s; this is revision %(new)s, changed by %(names)s.",
              name=name, **said)
    if current_user.role != Role.cabinet:
        return None  # a rejection: the post ends there, nothing is reviewed after it
    return _("Revision %(old)s was sent to you on %(when)s; this is revision %(new)s, changed by %(names)s.", **said)


@bp.app_template_global("edits_between")
def edits_between(history: Sequence[TrailRow], old: Revision, new: Revision) -> list[TrailRow]:
    """The trail's edits after revision ``old``, up to ``new``, oldest first (the comparison's campaign moves, a
    cabinet's "changed by"). A row naming no revision to its reader (``access.Unnamed``: a cabinet, of its writers'
    drafts) is among them when it lies between the rows that name ``old`` and ``new``: each row names the revision
    current when it was written, so the numbers the trail names never go down, and an edit's revision is newer than
    any named before it."""
    edits: list[TrailRow] = []
    waiting: list[TrailRow] = []  # drafts after ``old``, until a row names ``new`` or an earlier revision
    after_old = False
    for entry in history:
        if _no_new_text(entry):
            continue  # a new proposed time, or a live link, alone: no edit of the text
        if entry.revision is None:
            if isinstance(entry, Unnamed) and entry.action == Action.edit and after_old:
                waiting.append(entry)
            continue
        number = entry.revision.number
        after_old = after_old or number >= old.number
        if number <= new.number:
            edits += waiting
            waiting = []
        if entry.action == Action.edit and old.number < number <= new.number:
            edits.append(entry)
    return edits


def _no_new_text(entry: TrailRow) -> bool:
    """An ``edit`` row that wrote no revision: a new proposed time alone (``engine.propose``), or the live link of a
    post handed to the outbox (``engine.link_live``)."""
    payload = entry.payload or {}
    return bool(payload.get("proposal_only") or payload.get("live_link"))


def _sender(history: Sequence[TrailRow], revision: Revision | None) -> TrailRow | None:
    """The trail's row that sent ``revision`` to the cabinet (the last one, should it have been sent twice)."""
    return next((entry for entry in reversed(history) if entry.action == Action.approve
                 and entry.to_state == State.with_cabinet and revision is not None
                 and entry.revision_id == revision.id), None)


def _revision_asked(by_number: Mapping[int, Revision], name: str, default: Revision | None) -> Revision | None:
    """The revision the address names (``?r=``, ``?diff_from=``, ``?diff_to=``), ``default`` when it names none. A
    number the reader reads no revision of is not found: a cabinet is never shown a revision it was not sent."""
    number = request.args.get(name, type=int)
    if not number or number < 0:
        return default
    if number not in by_number:
        raise ops.NotFound(number)
    return by_number[number]


def _render_post(post: Post, *, action_form: FlaskForm | None = None, comment_form: CommentForm | None = None,
                 failed_action: str | None = None, refusal: WorkflowError | None = None,
                 compare_from: Revision | None = None, asked_now: bool = False,
                 live_link_form: LiveLinkForm | None = None):
    """The post's page; ``compare_from``: the revision its comparison starts from unless the address asks for
    another (a decision that came too late compares with the text its page showed); ``asked_now``: "Publish now"
    pressed in a browser without scripts, which did not ask first: the page asks, nothing done yet.

    A cabinet reads the revisions it was sent (``access.revision_clause``): the page's current revision is the last
    of them, while the writers have the post back (``access.read_by``)."""
    revisions = ops.post_revisions(db.session, post, current_user)
    history = ops.audit_trail(db.session, post, current_user)
    by_number = {r.number: r for r in revisions}
    current = read_by(db.session, current_user, [post])[0].current_revision
    if current is not None and getattr(by_number.get(current.number), "id", None) != current.id:
        raise ops.NotFound(post.id)  # never a text its reader does not read (a suggestion with no sending on record)
    # Any revision opens in the page (?r=N), and any two compare (?diff_from=A&diff_to=B).
    shown = _revision_asked(by_number, "r", current)
    diff_from = _revision_asked(by_number, "diff_from", None)
    diff_to = _revision_asked(by_number, "diff_to", current)
    if diff_from is None and compare_from is not None and compare_from.id != getattr(current, "id", None) \
            and compare_from.number in by_number:
        diff_from = compare_from
    previous = diff_from or (_baseline(post, revisions, history, current) if shown is current else None)
    compared_to = diff_to if diff_from else current
    approved = post.approved_revision if post.approved_revision_id in {r.id for r in revisions} else None
    # Today's policy on the current text: what the reviewer must acknowledge, even if the policy changed since.
    verdict = policies.check_revision(db.session, post, current)
    comments = ops.post_comments(db.session, post, current_user)
    # A post the outbox handed to another tool: where it went, and the form to give its live link.
    outbox_url = ops.outbox_address(db.session, post)
    return render_template(
        "posts/show.html", post=post, revision=current, shown=shown, previous=previous,
        compared_to=compared_to, approved=approved, history=history,
        last_change=_last_change(post, by_number, current, previous, compared_to) if shown is current else None,
        undecided=current_user.role == Role.project_manager and post.state == State.in_review
        and not any(_reviewed(e) for e in history),
        revisions=revisions, action_form=action_form or ActionForm(formdata=None, version=post.version),
        comment_form=comment_form or CommentForm(formdata=None), failed_action=failed_action, refusal=refusal,
        verdict=verdict, findings=[f.as_dict(translatable=True) for f in verdict.findings],
        sensitive=[f.as_dict(translatable=True) for f in verdict.sensitive],
        publication=publishing_status(db.session, post), move_zone=_move_zone(post),
        decision=_decision(post, history), watched=_watched(post),
        history_lines=_history_lines(history, comments, post.account.market.timezone),
        comments=comments, decided_in=_decision_comments(history, comments), view_args=_view_args(),
        queue_args=_queue_arg(),
        # Said under the comparison it explains, not under one the address asked for.
        since_decided=_since_decided(post, revisions, history, current) if shown is current and not diff_from
        else None,
        sender=_sender(history, current), is_current=current is not None and current.id == post.current_revision_id,
        comment_limit=MAX_COMMENT, cabinet_decisions={e.revision_id: e for e in history if _cabinet_decided(e)},
        policy_warning=policy_warning(post, verdict), who_can_act=_who_can_act(post), would_hold=would_hold_now(post),
        proposal_offered=ops.proposal_offered(post, current_user),
        schedule_offered=_schedule_offered(post), asked_now=asked_now,
        # The other posts of its set the reader sees (those of markets they do not see are neither shown nor counted).
        set_siblings=[p for p in ops.set_members(db.session, current_user, post.set_id) if p.id != post.id]
        if post.set_id is not None else [],
        # The trail's last row the page shows: its forms send it, for a refusal as stale to say what happened since.
        seen=history[-1].id if history else 0,
        outbox_url=outbox_url, live_link_offered=outbox_url is not None and ops.may_add_live_link(current_user),
        live_link_form=live_link_form or LiveLinkForm(formdata=None, version=post.version),
    )


def _schedule_offered(post: Post) -> bool:
    """Whether the post's page offers the current user "Approve and schedule at …": its "Approve" is offered to them
    and approves it (not a suggested message, which its cabinet accepts before any time is set), and they may
    schedule (``operations.proposal_offered``, whatever the time)."""
    if not any(current_user.role in row.roles for row in rows_for(Action.schedule)):
        return False
    approve = next((row for row in engine.available_actions(post, current_user) if row.action == Action.approve),
                   None)
    return approve is not None and approve.target == State.approved


def _last_change(post: Post, by_number: Mapping[int, Revision], current: Revision | None,
                 previous: Revision | None, compared_to: Revision | None) -> Revision | None:
    """For a project manager, the revision before the current one, whose comparison with it (the last save's
    change) the page links to, unless it shows that comparison already: the review compares with the revision a
    project manager last decided on, or shows the whole text (``_baseline``). Only in review: a post decided on
    reads its comparison with the approved text."""
    if current_user.role != Role.project_manager or current is None or post.state != State.in_review:
        return None
    before = by_number.get(current.number - 1)
    if before is None or (previous is not None and previous.id == before.id
                          and getattr(compared_to, "id", None) == current.id):
        return None
    return before


@dataclass(frozen=True)
class Chosen:
    """A slot's wall-clock time as a person chose it: "14:00", "8 Dec" (in the reader's language), "Europe/Paris"."""

    time: str
    day: str
    zone: str


@dataclass(frozen=True)
class HistoryLine:
    entry: TrailRow
    #: An unschedule and the schedule that followed it at once: a move to another time, told as one line.
    moved: bool = False
    #: The discussion's comment that holds this row's comment (an action's comment joins the discussion): the line
    #: points to it rather than quoting it a second time.
    comment: CommentRow | None = None
    #: The zone the line tells its slot in (the post's market's).
    zone: str | None = None

    @property
    def slot(self) -> datetime | None:
        """The time a ``schedule`` chose (its audit row keeps it)."""
        chosen = (self.entry.payload or {}).get("scheduled_at") if self.entry.action == Action.schedule else None
        return _instant(chosen)

    @property
    def chosen(self) -> Chosen | None:
        """The wall-clock time a ``schedule`` was given in, and its zone, as its audit row keeps them (a time typed on
        the page or sent as ``local_time``; an instant sent as such had none): after the market's zone changes, the
        slot reads another local time there than the one chosen. None when the slot, told in the line's zone, reads
        that time already (the line said it twice)."""
        payload = (self.entry.payload or {}) if self.entry.action == Action.schedule else {}
        local, zone = _instant(payload.get("local_time")), payload.get("zone")
        if local is None or not isinstance(zone, str):
            return None
        there = wall_clock(self.slot, zone) if self.slot is not None and zone == self.zone else None
        if there is not None and there.replace(tzinfo=None, second=0, microsecond=0) == \
                local.replace(tzinfo=None, second=0, microsecond=0):
            return None
        chosen_in = wall_clock(self.entry.at, zone)
        # The year where it is not the one the time was chosen in ("8 Dec", "15 Jan 2027").
        pattern = "d MMM" if chosen_in is not None and chosen_in.year == local.year else "d MMM y"
        return Chosen(said_clock(local), format_date(local.date(), pattern, locale=get_locale()), zone)

    @property
    def dropped(self) -> datetime | None:
        """The slot an edit dropped (its audit row keeps it): an accepted, scheduled text changed goes out at no time
        until it is approved and given one again."""
        return _instant((self.entry.payload or {}).get("dropped_slot")) if self.entry.action == Action.edit else None


    @property
    def proposal(self) -> datetime | None:
        """The publication time a create or an edit proposed (its audit row keeps it; None: none, or cleared)."""
        payload = self.entry.payload or {}
        return _instant(payload.get("proposed_at")) if self.entry.action in (Action.create, Action.edit) else None

    @property
    def told_proposal(self) -> str | None:
        """A line the proposed time is the news of, told as a sentence rather than "created proposed time: …":
        ``created`` (a post created with one: "created it, proposing …"), ``proposed`` (an edit of the proposed time
        alone: "proposed a new time: …"), ``withdrawn`` (one that cleared it). None for the others: an edit of the
        text that changed it too says "edited" and the time after it."""
        payload = self.entry.payload or {}
        if self.entry.action == Action.create and self.proposal is not None:
            return "created"
        if self.entry.action == Action.edit and payload.get("proposal_only") and "proposed_at" in payload:
            return "proposed" if self.proposal is not None else "withdrawn"
        return None


def _instant(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


#: An unschedule and a schedule by the same person this close together are one move.
MOVE_WITHIN = timedelta(seconds=5)


def would_hold_now(post: Post) -> str | None:
    """What would hold ``post`` were it sent now ("Publish now", "Retry now"): an active stop switch over it, or its
    campaign's embargo. Said beside those buttons and in their confirmation, which it does not forbid: pressed on a
    missed post with everything stopped, "Publish now" was accepted, held, then missed again, without a word before.
    None when nothing would hold it."""
    if post.state not in (State.approved, State.scheduled, State.failed, State.unconfirmed):
        return None
    stop = db.session.scalars(
        select(StopSwitch).where(covering_stops(post.account.market_id, post.campaign_id))
        .order_by(StopSwitch.turned_on_at, StopSwitch.id).limit(1)
    ).first()
    if stop is not None:
        return _("A stop switch is on over this post (%(stop)s): it will be held, not sent, until the switch is off "
                 "and a project manager releases it.", stop=stop_reason(stop).rstrip("."))
    campaign = post.campaign
    if campaign is not None and campaign.embargo_until is not None and campaign.embargo_until > utcnow():
        return _("The campaign %(campaign)s is under embargo until %(until)s: it will be held, not sent, until "
                 "then.", campaign=campaign.name, until=said_in(campaign.embargo_until,
                                                                post.account.market.timezone))
    return None


def _history_lines(history: list[TrailRow], comments: Sequence[CommentRow] = (), zone: str | None = None) \
        -> list[HistoryLine]:
    """The audit trail as the post's page tells it, its slots in ``zone`` (the market's). A move (the calendar's
    drag, a new time on the page, "Publish now") is recorded as an unschedule then a schedule: one line says it was
    moved, and to when. The audit page and the API show both rows. A row whose comment is in the discussion points
    to it there."""
    lines: list[HistoryLine] = []
    said = _said_in_discussion(history, comments)
    for entry in history:
        before = lines[-1].entry if lines else None
        if (entry.action == Action.schedule and before is not None and before.action == Action.unschedule
                and before.actor_id == entry.actor_id and entry.at - before.at <= MOVE_WITHIN and not before.comment):
            lines[-1] = HistoryLine(entry, moved=True, zone=zone)
        else:
            lines.append(HistoryLine(entry, comment=said.get(entry.id), zone=zone))
    return lines


def _said_in_discussion(history: Sequence[TrailRow], comments: Sequence[CommentRow]) -> dict[int, CommentRow]:
    """The trail's rows whose comment the discussion holds (``operations.act_on_post`` writes it there too, by the
    same person, at the same instant, with the same words), by the row's id."""
    by_key: dict[tuple[int | None, datetime, str], CommentRow] = {(c.author_id, c.created_at, c.body): c
                                                                  for c in comments}
    return {entry.id: comment for entry in history if entry.comment
            and (comment := by_key.get((entry.actor_id, entry.at, entry.comment))) is not None}


def _decision_comments(history: Sequence[TrailRow], comments: Sequence[CommentRow]) -> dict[int, TrailRow]:
    """The discussion's comments that came with an action (a request for changes, a refusal...), by the comment's
    id: the discussion says which, as the history no longer quotes them."""
    rows = {entry.id: entry for entry in history}
    return {comment.id: rows[row_id] for row_id, comment in _said_in_discussion(history, comments).items()}


#: The states a reviewer's or a cabinet's decision leaves a post in, with what it says to its author; and a
#: writer's withdrawal, which a cabinet that had the suggestion reads there.
DECIDED = {State.changes_requested: Action.request_changes, State.rejected: Action.reject,
           State.declined: Action.decline, State.withdrawn: Action.withdraw}


def _decision(post: Post, history: list[TrailRow]) -> TrailRow | None:
    """The decision that left the post where it stands (changes requested, rejected, declined, withdrawn), shown at
    the top of its page: the author looking for what to fix found it in the comments, below the preview."""
    action = DECIDED.get(post.state)
    return next((entry for entry in reversed(history) if entry.action == action), None) if action else None


def _who_can_act(post: Post) -> list[str]:
    """For a failed or unconfirmed post whose reader cannot retry or confirm it (an admin on call, its community
    manager): the project managers who can, by name, as the page tells the reader to ask them. Empty otherwise."""
    if post.state not in (State.failed, State.unconfirmed):
        return []
    if {Action.retry, Action.confirm_published} & {row.action for row in engine.available_actions(post, current_user)}:
        return []
    market_id = post.account.market_id
    return list(db.session.scalars(
        select(User.name).where(User.role == Role.project_manager, User.active.is_(True),
                                or_(User.all_markets.is_(True), User.markets.any(Market.id == market_id)))
        .order_by(User.all_markets, User.name).limit(4)))


def _move_zone(post: Post) -> str:
    """The zone of the post page's move form: its market's, or the calendar's when a move from there came back
    to ask which of two instants (``move_tz``)."""
    asked = request.args.get("move_tz", "")
    return asked if place_zone(asked) is not None else post.account.market.timezone


def _try_submit(post: Post, *, saved: bool = True) -> GuardFailed | None:
    """Submit right after saving; the refusal, or None once submitted. A style error leaves the post saved as it is
    (``saved``: the text changed), with the reasons shown: the style gate's under the text, in the editor the
    author goes back to (``_back_to_the_text``), the others here."""
    try:
        with db.session.begin_nested():
            ops.act_on_post(db.session, post, Action.submit, current_user, expected_version=post.version)
    except GuardFailed as refused:
        for field, reasons in refused.errors.items():
            if field == "body":
                continue  # the style gate's: under the text, in the editor (``_back_to_the_text``)
            for reason in reasons:
                flash(reason, "error")
        said = _("Saved, but not submitted: fix the errors first.") if saved else \
            _("Not submitted: fix the errors first.")
        if _about_the_text(refused):
            said = Markup("{} {}").format(said, _where_the_errors_are(post, refused))
        flash(said, "warning")
        return refused
    return None


def _where_the_errors_are(post: Post, refused: GuardFailed) -> str:
    """Where the editor shows the style gate's errors: under the text, on the pictures and videos (a file's beside
    it, a missing one in their card, far below the text on a phone), or both; the media's with a link to them."""
    on_text, on_media = _error_places(post, refused)
    draft = post.state == State.draft
    if not on_media:
        return _("It stays a draft: the style check found errors in it, listed under the text.") if draft else \
            _("The style check found errors in it, listed under the text.")
    if on_text:
        said = _("It stays a draft: the style check found errors in it, listed under the text and with its "
                 "pictures and videos.") if draft else \
            _("The style check found errors in it, listed under the text and with its pictures and videos.")
    else:
        said = _("It stays a draft: the style check found errors about its pictures and videos, listed with "
                 "them.") if draft else \
            _("The style check found errors about its pictures and videos, listed with them.")
    return Markup('{} <a href="#media-editor">{}</a>').format(said, _("Go to the pictures and videos"))


def _error_places(post: Post, refused: GuardFailed) -> tuple[bool, bool]:
    """Whether the style gate's errors are under the text, and whether on the media, as the editor places them."""
    errors = [f for f in refused.findings if f.get("severity") == "error"]
    on_media = sum(_on_media(f, post.body) for f in errors)
    # "The post has no text." comes without a finding: it is the text's.
    return on_media < len(errors) or not errors, on_media > 0


def _on_media(finding: Mapping[str, Any], body: str) -> bool:
    """A finding the editor shows on the pictures and videos (static/editor.js): about one of them, or about the
    missing ones (``network.media-required``); the others are under the text."""
    return finding.get("rule") == MEDIA or media_index(finding["start"], finding["end"], body) is not None


def _about_the_text(refused: GuardFailed) -> bool:
    """A submission the style gate refused: what to fix is in the text (or its media), in the editor."""
    return "body" in refused.errors


def _back_to_the_text(post: Post, refused: GuardFailed):  # noqa: ANN202
    """After a save-and-submit the style gate refused: the editor of the saved post, its findings under the text (the
    post page showed them below its preview, away from where they are fixed); at its pictures and videos when the
    errors are all there."""
    on_text = _error_places(post, refused)[0]
    return redirect(url_for("posts.edit_post", post_id=post.id, _anchor=None if on_text else "media-editor"))


def _flash_findings(post: Post, *, errors: bool) -> None:
    """The style gate's findings on the text just saved: its warnings, and its errors (``errors``) unless a refused
    submission said them already: an error blocks the post's way on, and a "Saved." alone hid it."""
    revision = post.current_revision
    for finding in revision.findings if revision else ():
        if finding["severity"] == "error" and errors:
            flash(_("To fix before it goes on: %(message)s", message=finding_message(finding)), "error")
        elif finding["severity"] == "warning":
            flash(_("Style: %(message)s", message=finding_message(finding)), "warning")


def _writable_accounts() -> Sequence[Account]:
    """The accounts the user writes for, as the new post's list offers them: the brand's accounts first (the form
    chose an executive's LinkedIn by default, a suggested message nobody meant), then by market and network."""
    accounts = db.session.scalars(visible_accounts(current_user).where(Account.active.is_(True)).options(
        selectinload(Account.market), selectinload(Account.executive))).all()
    return sorted(accounts, key=lambda a: (a.executive_id is not None, a.market.code, network_name(a.network).lower(),
                                           a.handle.lower()))


def _campaigns(accounts: Sequence[Account]) -> Sequence[Campaign]:
    markets = {a.market_id for a in accounts}
    return db.session.scalars(
        select(Campaign).where(Campaign.market_id.is_(None) | Campaign.market_id.in_(markets)).order_by(Campaign.name)
    ).all()
