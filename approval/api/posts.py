"""Posts over HTTP: list, write, edit, act, and read what happened to them (trail, comments, revisions, diffs).

Every view loads through the access scope (a post outside the user's markets is a 404), validates with an ``*Args``
schema, calls one operation, commits once and dumps with a ``*Schema``: the rules are the forms' own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from flask import Response, current_app, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from approval import operations as ops
from approval import policies
from approval.access import read_by, visible_accounts
from approval.api.auth import check_request, current_api_user
from approval.api.blueprint import Blueprint
from approval.api.fields import MAX_ID
from approval.api.idempotency import Once
from approval.api.preconditions import etag_of, expected_version
from approval.api.schemas import (
    CommentCreateArgs,
    CommentListSchema,
    CommentSchema,
    DiffSchema,
    IdempotencyHeaders,
    LiveLinkArgs,
    PostCreateArgs,
    PostEditArgs,
    PostListArgs,
    PostPageSchema,
    PostSchema,
    RevisionListSchema,
    RevisionSchema,
    TransitionArgs,
    TransitionListSchema,
)
from approval.db import db, utcnow
from approval.models import Account, Campaign, Post, User
from approval.workflow.errors import GuardFailed
from approval.workflow.guards import ACKNOWLEDGE, acknowledged_warnings
from approval.workflow.states import EDITABLE_STATES, Action, State
from approval.workflow.table import USER_ACTIONS, rows_for

bp = Blueprint("api_posts", __name__, url_prefix="/api/v1",
               description="Posts: write and edit them, take the workflow's actions, comment, and read their "
                           "history, revisions and what changed between two.")
bp.before_request(check_request)

POST = f"/posts/<int(min=1, max={MAX_ID}):post_id>"
NUMBER = f"int(min=1, max={MAX_ID})"
ETAG = {"ETag": {"description": "The post's version, to send back in If-Match; while a stop switch or an "
                                "embargo holds the post, with a part that changes with its `hold` "
                                "(`\"post-42-v3-h0123456789abcdef\"`).", "required": True,
                 "schema": {"type": "string"}}}
LOCATION = {"Location": {"description": "The new post's address.", "required": True, "schema": {"type": "string"}}}
_THIS_POST = {"post_id": "$response.body#/id"}
_THIS_VERSION = {**_THIS_POST, "header.If-Match": "$response.header.ETag"}
#: What each action needs besides its name, for the links' example bodies.
_ACTION_EXAMPLES = {Action.schedule: {"local_time": (utcnow() + timedelta(days=30)).strftime("%Y-%m-%dT09:00")},
                    Action.mark_published: {"url": "https://www.example.com/posts/1"}}


def _action_link(action: Action) -> dict:
    body = {"action": action.value, **_ACTION_EXAMPLES.get(action, {})}
    if any(row.comment_required for row in rows_for(action)):
        body["comment"] = "Please add the campaign's hashtag."
    return {"operationId": "act_on_post", "parameters": _THIS_VERSION, "requestBody": body,
            "description": f"Take the action `{action.value}` on this version of the post."}


def _post_links(states: frozenset[State]) -> dict:
    """Links a client (a person reading the document, or Schemathesis's stateful runs) can follow from an answer
    carrying a post: read it again, edit it, see its trail, and the workflow's actions from ``states``."""
    links = {
        "GetPost": {"operationId": "get_post", "parameters": _THIS_POST},
        "EditPost": {"operationId": "edit_post", "parameters": _THIS_VERSION},
        "ListTransitions": {"operationId": "list_transitions", "parameters": _THIS_POST},
    }
    for action in USER_ACTIONS:
        if any(row.sources & states for row in rows_for(action)):
            links[action.value.title().replace("_", "")] = _action_link(action)
    return links


def post_headers(body: dict, *, created: bool = False) -> dict[str, str]:
    # The hold too: a stop switch or an embargo changes the answer without a new version (a 304 hid it).
    headers = {"ETag": etag_of(body["id"], body["version"], body.get("hold"))}
    if created:
        headers["Location"] = url_for("api_posts.get_post", post_id=body["id"])
    return headers


#: Schemas are built once: building one copies its fields, which costs more than dumping a post.
POST_SCHEMA = PostSchema()


def post_response(post: Post, status: int = 200) -> Response:
    """The post as the caller reads it (``access.read_by``: a cabinet, the text it was last sent), with its ETag."""
    body = POST_SCHEMA.dump(read_by(db.session, current_api_user(), [post])[0])
    # Flask types the JSON provider's answer as Werkzeug's sans-IO Response; it is the app's response_class.
    response = cast(Response, current_app.json.response(body))
    response.status_code = status
    response.headers.update(post_headers(body, created=status == 201))
    return response


@bp.route("/posts", methods=["GET"])
@bp.arguments(PostListArgs(), location="query")
@bp.response(200, PostPageSchema)
@bp.refusals()
def list_posts(args: dict):
    """The posts the user sees, newest first, a page at a time."""
    limit = args.pop("limit")
    before_id = args.pop("cursor", None)
    states = [State(value) for value in args.pop("state", ())]
    posts = ops.find_posts(db.session, current_api_user(), states=states, markets=args.pop("market", ()),
                           before_id=before_id, limit=limit + 1, **args)
    page = posts[:limit]
    return {"items": read_by(db.session, current_api_user(), page), "next": page[-1].id if len(posts) > limit else None}


@bp.route("/posts", methods=["POST"])
@bp.arguments(PostCreateArgs())
@bp.arguments(IdempotencyHeaders(), location="headers")
@bp.response(201, PostSchema, headers={**ETAG, **LOCATION})
@bp.refusals(400, 403, 413)
@bp.doc(responses={201: {"links": _post_links(frozenset({State.draft}))}})
def create_post(args: dict, headers: dict):
    """Write a post (a draft) on one of the user's accounts."""
    user = current_api_user()
    once = Once(user, headers.get("idempotency_key"), lambda body: post_headers(body, created=True))
    if (replay := once.replay()) is not None:
        return replay
    account = db.session.scalar(visible_accounts(user).where(Account.id == args["account_id"]))
    if account is None:
        # A field of the body, not the address: a 422 on it, in the same words for an account outside the user's
        # markets as for one that does not exist (as ``_campaign``).
        message = _("No such account among yours.")
        raise GuardFailed(message, {"account_id": [message]})
    original = _original(user, args["copy_of"])
    campaign = _campaign(args["campaign_id"], account)
    now = utcnow()
    proposed = _proposal(args, account, now)
    post = ops.create_post(db.session, user, account, args["body"], campaign,
                           media=ops.attachments_of(original.current_revision) if original else (),
                           copy_of=original, proposed_at=None if isinstance(proposed, ops.Keep) else proposed,
                           now=now)
    return once.commit(post_response(post, 201))


#: The API's names of the fields ``operations.proposal_time`` gives its reasons under (the forms').
_PROPOSAL_FIELDS = {ops.PROPOSAL_FIELDS["local_time"]: "proposed_local_time",
                    ops.PROPOSAL_FIELDS["fold"]: "proposed_fold"}


def _proposal(args: dict, account: Account, now: datetime) -> datetime | None | ops.Keep:
    """The proposed time a body gives: its instant (``proposed_at``: None clears it), or its wall-clock time in the
    account's market zone (``proposed_local_time``, ``proposed_fold``), read as the schedule action reads its
    ``local_time`` (``operations.proposal_time``); ``Keep.PROPOSAL`` when it gives neither."""
    if "proposed_local_time" not in args:
        return args["proposed_at"] if "proposed_at" in args else ops.Keep.PROPOSAL
    try:
        return ops.proposal_time(account, args["proposed_local_time"], args.get("proposed_fold"), now)
    except GuardFailed as refused:
        refused.errors = {_PROPOSAL_FIELDS.get(name, name): reasons for name, reasons in refused.errors.items()}
        raise


def _original(user: User, post_id: int | None) -> Post | None:
    """The post a new one duplicates (``copy_of``): one the user sees; another is no such post, as one that does not
    exist (a field of the body: a 422 on it, as ``account_id``)."""
    if post_id is None:
        return None
    try:
        return ops.load_post(db.session, user, post_id)
    except ops.NotFound:
        message = _("No such post among yours.")
        raise GuardFailed(message, {"copy_of": [message]}) from None


def _campaign(campaign_id: int | None, account: Account) -> Campaign | None:
    """The campaign a post of ``account`` is to join (None: no campaign): a group-wide one or one of the account's
    market. Another market's is no such campaign, as one that does not exist: the answer tells nothing of it."""
    if campaign_id is None:
        return None
    campaign = db.session.scalar(select(Campaign).where(
        Campaign.id == campaign_id, Campaign.market_id.is_(None) | (Campaign.market_id == account.market_id)))
    if campaign is None:
        message = _("No such campaign for this account's market.")
        raise GuardFailed(message, {"campaign_id": [message]})
    return campaign


#: Conditional reading, for a client that polls one post.
IF_NONE_MATCH = {
    "in": "header", "name": "If-None-Match", "required": False,
    "description": "The `ETag` of the post as you last received it (or several, comma-separated): the answer is a "
                   "304 without a body while the post is still that version, held as it was (the same `hold`).",
    "schema": {"type": "string", "example": '"post-42-v3"'},
}


@bp.route(POST, methods=["GET"])
@bp.response(200, PostSchema, headers=ETAG)
@bp.alt_response(304, description="The post is still the version If-None-Match names, and its `hold` is the same: "
                                   "nothing to read again.",
                 headers=ETAG, success=True)
@bp.refusals(404)
@bp.doc(parameters=[IF_NONE_MATCH])
def get_post(post_id: int):
    """One post, with its ETag; with If-None-Match, a 304 while it has not changed, nor what holds it."""
    response = post_response(ops.load_post(db.session, current_api_user(), post_id))
    # RFC 9110: If-None-Match compares weakly (W/"post-42-v3" matches), and * matches any post that exists.
    return response.make_conditional(request)


@bp.route(POST, methods=["PATCH"])
@bp.arguments(PostEditArgs())
@bp.response(200, PostSchema, headers=ETAG)
@bp.refusals(400, 403, 404, 409, 413)
@bp.requires_if_match
@bp.doc(responses={200: {"links": _post_links(EDITABLE_STATES)}})
def edit_post(args: dict, post_id: int):
    """A new text, or another campaign (`campaign_id`, null for none): a new revision; a post that awaited or held
    an approval goes (back) to review. A new proposed time (`proposed_at`, null for none, or the market's wall-clock
    time `proposed_local_time` with `proposed_fold`) alone makes no revision and keeps the post's state."""
    user = current_api_user()
    post = ops.load_post(db.session, user, post_id, for_update=True)
    campaign = _campaign(args["campaign_id"], post.account) if "campaign_id" in args else ops.Keep.CAMPAIGN
    now = utcnow()
    ops.edit_post(db.session, post, user, args.get("body", post.body), campaign=campaign,
                  proposed_at=_proposal(args, post.account, now), expected_version=expected_version(post, Action.edit),
                  now=now)
    return post_response(post)


@bp.route(f"{POST}/transitions", methods=["POST"])
@bp.arguments(TransitionArgs())
@bp.arguments(IdempotencyHeaders(), location="headers")
@bp.response(200, PostSchema, headers=ETAG)
@bp.refusals(400, 403, 404, 409, 413)
@bp.requires_if_match
@bp.one_body_per_action
@bp.doc(responses={200: {"links": _post_links(frozenset(State))}})
def act_on_post(args: dict, headers: dict, post_id: int):
    """A workflow action (CONTRACT.md's actions; ``create`` and ``edit`` are not among them)."""
    user = current_api_user()
    post = ops.load_post(db.session, user, post_id, for_update=True)
    once = Once(user, headers.get("idempotency_key"), post_headers)
    if (replay := once.replay()) is not None:
        return replay
    action = args["action"]
    version = expected_version(post, action)
    params = ops.action_params(post, action, **{k: v for k, v in args.items() if k not in ("action", "comment")})
    try:
        ops.act_on_post(db.session, post, action, user, expected_version=version, comment=args.get("comment"),
                        **params)
    except GuardFailed as refused:
        _with_sensitive_findings(refused, post, Action(action))
        raise
    return once.commit(post_response(post))


@bp.route(f"{POST}/published-url", methods=["POST"])
@bp.arguments(LiveLinkArgs())
@bp.response(200, PostSchema, headers=ETAG)
@bp.refusals(400, 403, 404, 409, 413)
@bp.requires_if_match
def add_live_link(args: dict, post_id: int):
    """The live link of a published post the outbox handed to another tool (its `published_url` was the outbox's
    `outbox:<id>`): the address where that tool put it online becomes its `published_url`. Not an action: the post
    stays `published`; its trail records an `edit` with no new revision, keeping the new address, the one it
    replaces and the outbox's. Who may confirm a post as published may give it, and correct it; a post no outbox
    published (a webhook's, one marked as published by hand) is a 409."""
    user = current_api_user()
    post = ops.load_post(db.session, user, post_id, for_update=True)
    ops.add_live_link(db.session, post, user, args["url"], expected_version=expected_version(post, Action.edit))
    return post_response(post)


def _with_sensitive_findings(refused: GuardFailed, post: Post, action: Action) -> None:
    """A refusal for sensitive terms not acknowledged carries the style gate's findings, as one for style errors does
    (the engine adds them to that one only): a program points at the terms as it points at an error."""
    if refused.findings or not refused.errors.keys() & {ACKNOWLEDGE, "comment"} \
            or not any(acknowledged_warnings in row.guards for row in rows_for(action)):
        return
    verdict = policies.check_revision(db.session, post)
    if verdict.sensitive:
        refused.findings = verdict.record()["findings"]


@bp.route(f"{POST}/transitions", methods=["GET"])
@bp.response(200, TransitionListSchema)
@bp.refusals(404)
def list_transitions(post_id: int):
    """The audit trail, oldest first: creation, revisions and every action."""
    user = current_api_user()
    post = ops.load_post(db.session, user, post_id)
    return {"items": ops.audit_trail(db.session, post, user)}


@bp.route(f"{POST}/comments", methods=["GET"])
@bp.response(200, CommentListSchema)
@bp.refusals(404)
def list_comments(post_id: int):
    """The discussion of a post, oldest first (an action's comment joins it too)."""
    user = current_api_user()
    post = ops.load_post(db.session, user, post_id)
    return {"items": ops.post_comments(db.session, post, user)}


@bp.route(f"{POST}/comments", methods=["POST"])
@bp.arguments(CommentCreateArgs())
@bp.response(201, CommentSchema)
@bp.refusals(400, 404, 413)
def add_comment(args: dict, post_id: int):
    """Comment on a post."""
    user = current_api_user()
    post = ops.load_post(db.session, user, post_id)
    comment = ops.add_comment(db.session, post, user, args["body"])
    return comment, 201


@bp.route(f"{POST}/revisions", methods=["GET"])
@bp.response(200, RevisionListSchema)
@bp.refusals(404)
def list_revisions(post_id: int):
    """Every text the post had, oldest first."""
    user = current_api_user()
    return {"items": ops.post_revisions(db.session, ops.load_post(db.session, user, post_id), user)}


@bp.route(f"{POST}/revisions/<{NUMBER}:number>", methods=["GET"])
@bp.response(200, RevisionSchema)
@bp.refusals(404)
def get_revision(post_id: int, number: int):
    """One revision, by its number."""
    user = current_api_user()
    return ops.load_revision(db.session, ops.load_post(db.session, user, post_id), number, user)


@bp.route(f"{POST}/revisions/<{NUMBER}:number>/diff/<{NUMBER}:other>", methods=["GET"])
@bp.response(200, DiffSchema)
@bp.refusals(404)
def diff_revisions(post_id: int, number: int, other: int):
    """What changed from revision ``number`` to revision ``other``: the text word by word, and the pictures and
    videos (added, removed, moved, described)."""
    # The post page's comparison of media, the same words for the same changes. Imported here: that module imports
    # the media blueprint, which imports this one.
    from approval.views.media import media_changes

    user = current_api_user()
    post = ops.load_post(db.session, user, post_id)
    old, new = ops.load_revision(db.session, post, number, user), ops.load_revision(db.session, post, other, user)
    return {"from_": old.ref, "to": new.ref, "ops": ops.diff_texts(old.body, new.body),
            "media": media_changes(old, new)}

