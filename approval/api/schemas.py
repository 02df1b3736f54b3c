"""What the API reads and what it writes: ``<Action>Args`` load and validate, ``<Thing>Schema`` dump (STYLE.md, 5).

The input schemas check shape only (types, lengths, which fields go together) and refuse unknown fields; rules that
depend on a post's state live in the workflow's guards. The output shapes are CONTRACT.md's.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from sqlalchemy import select
from flask_babel import lazy_gettext as _l
from marshmallow import fields, post_dump, pre_dump, validates_schema

from approval.api.fields import Cursor, Id, Instant, LocalTime, Text, length, no_direction_controls, one_of
from approval.forms.posts import MAX_BODY
from approval.labels import finding_message
from approval.models import AccountKind, Network, Outcome, PublicationAttempt, StopScope
from approval.publishing.status import answer
from approval.workflow.inputs import FOLD, Input, Kind
from approval.workflow.states import Action, Role, State
from approval.workflow.table import ACTIONS_TAKING, ALL_INPUTS, USER_ACTIONS

MARKET_CODE = {"pattern": "^[A-Z]{2}$", "example": "FR"}
_MARKET_CODE = ma.validate.Regexp(r"^[A-Z]{2}\Z", error=_l("A market is two capital letters, e.g. FR."))
MAX_COMMENT = 5000
MAX_URL = 2000
MAX_LINT_TEXT = 70_000  # as the editor's live check; JSON-escaped, it still fits the API's largest body


# Input ----------------------------------------------------------------------------------------------------------


class Args(ma.Schema):
    """Base of every input: an unknown field is an error, not something silently dropped; and a query's parameter
    that takes one value, given twice (``?limit=5&limit=50``), is an error too: it was read as its first value."""

    class Meta:
        unknown = ma.RAISE

    @ma.pre_load
    def _each_once(self, data: Any, **_kwargs: Any) -> Any:
        values: Any = getattr(data, "data", None)  # a query string comes wrapped (webargs' MultiDictProxy)
        if not hasattr(values, "getlist"):
            return data
        repeated = {field.data_key or name: [_l("Give this parameter once.")] for name, field in self.fields.items()
                    if not isinstance(field, fields.List) and len(values.getlist(field.data_key or name)) > 1}
        if repeated:
            raise ma.ValidationError(repeated)
        return data

    error_messages = {"unknown": _l("Unknown field."), "type": _l("Invalid input type: send a JSON object.")}


def _values(most: int) -> ma.validate.Length:
    """A repeated parameter's count (``length`` speaks of characters)."""
    return ma.validate.Length(min=1, max=most, error=_l("Give between {min} and {max} values."))


class PostListArgs(Args):
    # Repeatable, as the wall's ``market``: the posts in any of the states, of any of the markets.
    state = fields.List(Text(validate=one_of([s.value for s in State])), validate=_values(len(State)),
                        metadata={"description": "Repeat it for several: the posts in any of them."})
    market = fields.List(Text(validate=_MARKET_CODE, metadata=MARKET_CODE), validate=_values(100),
                         metadata={"description": "Repeat it for several: the posts of any of them."})
    account_id = Id()
    campaign_id = Id()
    updated_since = Instant(metadata={
        "description": "Only the posts changed at or after this instant (ISO 8601 with its offset: `Z`, or `%2B02:00` "
                       "for +02:00 in a URL): poll with the latest `updated_at` you received. A change is a new "
                       "revision or a step of the workflow or the publishing; a comment is not, nor a stop switch "
                       "turned on over a post whose time has not come (`GET /stops`).",
        "example": "2026-06-01T07:00:00Z"})
    cursor = Cursor(metadata={"type": "string", "maxLength": 40,
                              "description": "The `next` of the previous page."})
    limit = fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=100, error=_l(
        "Give a number between {min} and {max}.")), error_messages={"invalid": _l("Not a valid integer.")})


#: What a writer's proposed time is, in the API's words.
PROPOSED_AT = ("When the writer proposes the post goes out: an instant with its UTC offset, ahead and at most a year "
               "ahead; null for none. Or give `proposed_local_time` instead (not both). A proposal, not content: it "
               "makes no revision and sends nothing back to review. A project manager approves and schedules the "
               "post at it in one step on its page.")
PROPOSED_LOCAL_TIME = ("The proposed time as the market's clocks read it: wall-clock time in the account's market time "
                       "zone, instead of `proposed_at`, read as `schedule` reads its `local_time`. A time the clocks "
                       "skip (the spring change) is refused; one they repeat (the autumn change) needs "
                       "`proposed_fold`. The post answers with its instant, `proposed_at`.")


def _local_time(**kwargs: Any) -> LocalTime:
    """A wall-clock time field, documented as the string it is."""
    metadata = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$",
                "example": "2026-06-01T09:00", **kwargs.pop("metadata", {})}
    return LocalTime(metadata=metadata, **kwargs)


def _fold(**kwargs: Any) -> fields.Integer:
    """Which of a repeated wall-clock time: the JSON integer 0 or 1 (``true``, ``"1"`` or ``1.0`` are refused)."""
    return fields.Integer(allow_none=True, strict=True, validate=one_of([0, 1]),
                          error_messages={"invalid": _l("Not a valid integer.")}, **kwargs)


class _ProposalArgs(Args):
    """A writer's proposed time: an instant, or the market's wall-clock time as ``schedule`` takes one (the view
    reads it with ``operations.proposal_time``)."""

    proposed_at = Instant(allow_none=True, metadata={"description": PROPOSED_AT})
    proposed_local_time = _local_time(metadata={"description": PROPOSED_LOCAL_TIME})
    proposed_fold = _fold(metadata={"description": f"With `proposed_local_time`: {FOLD.help}"})

    @validates_schema
    def _one_proposal(self, data: dict, **_kwargs) -> None:
        # Both keys, whatever their values: ``"proposed_at": null`` clears the proposal, which a local time sets.
        if "proposed_at" in data and "proposed_local_time" in data:
            raise ma.ValidationError(_l("Give proposed_at or proposed_local_time, not both."), "proposed_local_time")
        if data.get("proposed_fold") is not None and "proposed_local_time" not in data:
            raise ma.ValidationError(_l("Only with proposed_local_time."), "proposed_fold")


class PostCreateArgs(_ProposalArgs):
    account_id = Id(required=True, strict=True)
    body = Text(required=True, validate=length(MAX_BODY, minimum=1))
    campaign_id = Id(strict=True, allow_none=True, load_default=None)
    copy_of = Id(strict=True, allow_none=True, load_default=None, metadata={"description": (
        "A post this one duplicates, among those the user sees: its pictures and videos, with their alternative "
        "texts, come with the new draft (the text and campaign are this request's). The trail's `create` names it.")})


class PostEditArgs(_ProposalArgs):
    body = Text(validate=length(MAX_BODY, minimum=1))
    campaign_id = Id(strict=True, allow_none=True, metadata={"description": "Another campaign; null for none."})

    @validates_schema
    def _something_to_change(self, data: dict, **_kwargs) -> None:
        if not data.keys() & {"body", "campaign_id", "proposed_at", "proposed_local_time"}:
            raise ma.ValidationError(_l("Give the new text, the campaign or the proposed time."), "body")


def _input_field(spec: Input) -> fields.Field:
    """The API field of an action's declared input (approval.workflow.inputs)."""
    actions = ", ".join(f"`{a.value}`" for a in sorted(ACTIONS_TAKING[spec.name]))
    metadata: dict[str, Any] = {"description": f"With {actions}: {spec.help}"}
    if spec.kind == Kind.instant:
        return Instant(allow_none=True, metadata=metadata)
    if spec.kind == Kind.local_time:
        return _local_time(allow_none=True, metadata=metadata)
    if spec.kind == Kind.fold:
        return _fold(metadata=metadata)
    if spec.kind == Kind.url:
        return Text(allow_none=True, validate=length(MAX_URL), metadata=metadata)
    return fields.Boolean(allow_none=True, metadata=metadata)


class _TransitionArgs(Args):
    action = Text(required=True, validate=one_of([a.value for a in USER_ACTIONS]))
    comment = Text(allow_none=True, validate=[length(MAX_COMMENT), no_direction_controls])

    @validates_schema
    def _fields_of_the_action(self, data: dict, **_kwargs) -> None:
        action = data.get("action")
        if data.get("scheduled_at") is not None and data.get("local_time") is not None:
            raise ma.ValidationError(_l("Give scheduled_at or local_time, not both."), "local_time")
        for name, actions in ACTIONS_TAKING.items():
            if data.get(name) not in (None, False) and action is not None and action not in actions:
                raise ma.ValidationError(_l("Only with the action %(action)s.", action=" / ".join(
                    sorted(a.value for a in actions))), name)


#: A transition's body: the action, a comment, and every input an action of the table declares (the table is the
#: truth: a new input there is a new field here and in the OpenAPI document).
TransitionArgs = type("TransitionArgs", (_TransitionArgs,), {
    "__doc__": "An action on a post, with the inputs that action declares.",
    **{name: _input_field(spec) for name, spec in ALL_INPUTS.items()},
})


class LiveLinkArgs(Args):
    """The live link of a post the outbox handed to another tool: where that tool put it online."""

    url = Text(required=True, validate=length(MAX_URL), metadata={
        "description": "The address of the post on its network (http or https), read as `confirm_published` reads "
                       "its `url`: it becomes the post's `published_url`. Given again, it corrects the one given "
                       "before.",
        "example": "https://www.facebook.com/examplebrand/posts/1"})


class StopCreateArgs(Args):
    scope = Text(required=True, validate=one_of(["market", "campaign", "all"]))
    market = Text(allow_none=True, validate=_MARKET_CODE, metadata=MARKET_CODE)
    campaign_id = Id(strict=True, allow_none=True)
    reason = Text(required=True, validate=length(2000, minimum=1))

    @validates_schema
    def _target_of_the_scope(self, data: dict, **_kwargs) -> None:
        scope = data.get("scope")
        if scope == "market" and not data.get("market"):
            raise ma.ValidationError(_l("Name the market."), "market")
        if scope == "campaign" and not data.get("campaign_id"):
            raise ma.ValidationError(_l("Name the campaign."), "campaign_id")
        if scope != "market" and data.get("market"):
            raise ma.ValidationError(_l("Only with the scope market."), "market")
        if scope != "campaign" and data.get("campaign_id"):
            raise ma.ValidationError(_l("Only with the scope campaign."), "campaign_id")


class MediaItemArgs(Args):
    id = Id(required=True, strict=True)
    alt = Text(allow_none=True, validate=length(1000), metadata={
        "description": "The alternative text; absent or null keeps the current one."})


class MediaOrderArgs(Args):
    items = fields.List(fields.Nested(MediaItemArgs), required=True, validate=ma.validate.Length(max=20), metadata={
        "description": "All the post's files, in their new order: a list that leaves one out is refused (422); "
                       "`DELETE /posts/{id}/media/{media_id}` removes a file."})


class CommentCreateArgs(Args):
    body = Text(required=True, validate=[length(MAX_COMMENT, minimum=1), no_direction_controls])


class LintArgs(Args):
    text = Text(required=True, validate=length(MAX_LINT_TEXT))
    network = Text(allow_none=True, validate=one_of([n.value for n in Network]))
    market = Text(allow_none=True, validate=_MARKET_CODE, metadata=MARKET_CODE)
    lang = Text(allow_none=True, validate=ma.validate.Regexp(
        r"^[a-z]{2,3}\Z", error=_l("A language is an ISO 639 code, e.g. fr.")), metadata={
        "pattern": "^[a-z]{2,3}$", "example": "fr"})


class HubSummaryArgs(Args):
    market = Text(validate=_MARKET_CODE, metadata=MARKET_CODE)


class IdempotencyHeaders(ma.Schema):
    """Headers are many and mostly not ours: only the idempotency key is read."""

    class Meta:
        unknown = ma.EXCLUDE

    idempotency_key = Text(data_key="Idempotency-Key", validate=length(255, minimum=1), metadata={
        "description": "Makes a retry safe: the same key (for the same user) returns the first answer again "
                       "and does nothing more; the same key with another request is refused (422)."})


# Output ---------------------------------------------------------------------------------------------------------


def _always(field: fields.Field) -> fields.Field:
    """Output fields are always present (null when empty): the document says so, and clients may rely on it."""
    field.required = True
    return field


class RevisionRefSchema(ma.Schema):
    number = _always(fields.Integer())
    sha256 = _always(fields.String())


class MediaSchema(ma.Schema):
    """A file of a revision (CONTRACT.md): its id names it in ``DELETE`` and ``GET /media/{id}``."""

    id = _always(fields.Integer(attribute="file.id"))
    kind = _always(fields.String(attribute="file.kind.value", metadata={"enum": ["image", "video"]}))
    mime = _always(fields.String(attribute="file.mime"))
    bytes = _always(fields.Integer(attribute="file.bytes"))
    width = _always(fields.Integer(attribute="file.width"))
    height = _always(fields.Integer(attribute="file.height"))
    duration_s = _always(fields.Float(attribute="file.duration_s", allow_none=True))
    sha256 = _always(fields.String(attribute="file.sha256"))
    alt = _always(fields.String())


class FindingMessage(fields.String):
    """A finding's message in the reader's language: a Finding of the gate, or one stored with a revision."""

    def serialize(self, attr: str, obj: Any, accessor: Any = None, **kwargs: Any) -> str:
        return finding_message(obj)


class FindingSchema(ma.Schema):
    """As ``approval lint --format json`` prints a finding: ``suggestion`` only when the gate has one."""

    rule = _always(fields.String())
    severity = _always(fields.String(metadata={"enum": ["error", "warning"]}))
    message = _always(FindingMessage())
    start = _always(fields.Integer())
    end = _always(fields.Integer())
    suggestion = fields.String(metadata={"description": "The text to put in place of text[start:end]."})

    @post_dump
    def _without_empty_suggestion(self, data: dict, **_kwargs: Any) -> dict:
        if data.get("suggestion") is None:
            data.pop("suggestion", None)
        return data


class FindingListSchema(ma.Schema):
    findings = _always(fields.List(fields.Nested(FindingSchema)))


class UserSchema(ma.Schema):
    id = _always(fields.Integer())
    email = _always(fields.String())
    name = _always(fields.String())
    role = _always(fields.Enum(Role, by_value=True))
    markets = _always(fields.List(fields.String(), metadata={"description": "Codes of the markets the user sees."}))


class MarketSchema(ma.Schema):
    code = _always(fields.String())
    name = _always(fields.String())
    timezone = _always(fields.String())
    languages = _always(fields.List(fields.String()))


class AccountSchema(ma.Schema):
    id = _always(fields.Integer())
    network = _always(fields.Enum(Network, by_value=True))
    handle = _always(fields.String())
    market = _always(fields.Pluck(MarketSchema, "code"))
    brand = _always(fields.String())
    kind = _always(fields.Enum(AccountKind, by_value=True))


class CampaignSchema(ma.Schema):
    id = _always(fields.Integer())
    name = _always(fields.String())
    market = _always(fields.Pluck(MarketSchema, "code", allow_none=True))
    hashtag = _always(fields.String())
    description = _always(fields.String())


class ApprovedRevision(fields.Nested):
    """The approved revision: in every state that holds an approval it is the current one (a database constraint),
    already loaded with the post, so it costs no query."""

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = ma.missing) -> Any:
        if obj.approved_revision_id is None:
            return None
        if obj.approved_revision_id == obj.current_revision_id:
            return obj.current_revision
        return obj.approved_revision


class PublicationSchema(ma.Schema):
    attempts = _always(fields.Integer())
    last_outcome = _always(fields.String(allow_none=True, metadata={"enum": [o.value for o in Outcome]}))
    remote_id = _always(fields.String(allow_none=True))
    url = _always(fields.String(allow_none=True))
    next_attempt_at = _always(Instant(allow_none=True))
    last_answer = _always(fields.String(allow_none=True, metadata={
        "description": "What the last try came to: the network's words, or the worker's in the reader's language "
                       "(no answer in time, a broken connection...)."}))


#: What may hold a scheduled post (``HoldSchema.kind``): a stop switch, by its scope, or its campaign's embargo.
HOLD_KINDS = {StopScope.market: "market_stop", StopScope.campaign: "campaign_stop", StopScope.all: "global_stop"}
EMBARGO = "embargo"


class HoldSchema(ma.Schema):
    reason = _always(fields.String())
    since = _always(Instant(allow_none=True))
    kind = _always(fields.String(metadata={
        "enum": [*HOLD_KINDS.values(), EMBARGO],
        "description": "What holds it: a stop switch over its market, its campaign or everything, or its campaign's "
                       "embargo."}))
    stop_id = _always(fields.Integer(allow_none=True, metadata={
        "description": "The stop switch that holds it (`GET /stops`); null for an embargo."}))
    until = _always(Instant(allow_none=True, metadata={
        "description": "When the embargo lifts (the post goes out then, within its grace period); null for a stop "
                       "switch, which holds until it is turned off."}))
    needs_new_time = _always(fields.Boolean(metadata={
        "description": "A stop switch held it when its time came: it will not go out by itself, even once the switch "
                       "is off, until a project manager releases it (`release`, once the switch is off and while its "
                       "slot is within its grace period: it goes out at its time) or gives it a new time "
                       "(`unschedule`, then `schedule`)."}))


class PublicationField(fields.Nested):
    """Once the worker tried the current revision: its attempts, the last outcome, and when it tries again; else
    null. (An edit is a new revision under a new key: the tries of the text it replaced are not counted with its
    own, as they were once it went out; the post's page lists them all.)"""

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = ma.missing) -> Any:
        from approval.db import db

        if obj.publish_key is None:  # set by the worker's first try of the revision: never tried, nothing to read
            return None
        tried = db.session.scalars(select(PublicationAttempt).where(
            PublicationAttempt.post_id == obj.id, PublicationAttempt.revision_id == obj.current_revision_id)
            .order_by(PublicationAttempt.id)).all()
        if not tried:
            return None
        return {"attempts": len(tried), "last_outcome": tried[-1].outcome.value,
                "remote_id": next((a.remote_id for a in reversed(tried) if a.remote_id), None),
                "url": next((a.url for a in reversed(tried) if a.url), None) or obj.published_url,  # or by hand
                "next_attempt_at": obj.next_attempt_at, "last_answer": answer(tried[-1])}


#: ``flask.g``'s key for the holds of a page's posts, read at once before the page is dumped (``PostPageSchema``).
_PAGE_HOLDS = "api_page_holds"


def _stops_read() -> list:
    """The stop switches on, read once per request: a page of scheduled posts costs one query, not one each."""
    from flask import g

    from approval.db import db
    from approval.publishing.holds import active_stops

    if "active_stops" not in g:
        g.active_stops = active_stops(db.session)
    return g.active_stops


def _own(post: Any) -> Any:
    """What holds a post is the post's own (its market, campaign and slot), not the text its reader reads
    (``access.AsSent``)."""
    return getattr(post, "post", post)


class HoldField(fields.Nested):
    """Why a scheduled post is held (a stop switch or an embargo), and by what; or null. A page's posts had theirs
    read before it was dumped (``PostPageSchema.read_holds``); a post alone reads its own."""

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = ma.missing) -> Any:
        from flask import g

        from approval.db import db
        from approval.publishing.holds import hold_for

        if obj.state != State.scheduled:
            return None
        page = g.get(_PAGE_HOLDS)
        hold = page[obj.id] if page is not None and obj.id in page else \
            hold_for(db.session, _own(obj), _stops_read())
        if hold is None:
            return None
        return {"reason": hold.reason, "since": hold.since, "stop_id": hold.stop_id,
                "kind": HOLD_KINDS[hold.scope] if hold.scope is not None else EMBARGO, "until": hold.until,
                "needs_new_time": obj.held_by_stop_id is not None}


class PostSchema(ma.Schema):
    id = _always(fields.Integer())
    account_id = _always(fields.Integer())
    campaign_id = _always(fields.Integer(allow_none=True))
    state = _always(fields.Enum(State, by_value=True))
    body = _always(fields.String())
    version = _always(fields.Integer())
    revision = _always(fields.Nested(RevisionRefSchema, attribute="current_revision"))
    approved_revision = _always(ApprovedRevision(RevisionRefSchema, allow_none=True))
    scheduled_at = _always(Instant(allow_none=True))
    proposed_at = _always(Instant(allow_none=True, metadata={"description": "When the writer proposes the post goes "
                                                                           "out (UTC), or null."}))
    published_url = _always(fields.String(allow_none=True))
    findings = _always(fields.List(fields.Nested(FindingSchema), attribute="current_revision.findings",
                                   metadata={"description": "The style findings of the current revision."}))
    media = _always(fields.List(fields.Nested(MediaSchema), attribute="current_revision.media", metadata={
        "description": "The current revision's pictures and videos, in order."}))
    created_at = _always(Instant())
    updated_at = _always(Instant())
    publication = _always(PublicationField(PublicationSchema, allow_none=True))
    hold = _always(HoldField(HoldSchema, allow_none=True))


class StopSchema(ma.Schema):
    id = _always(fields.Integer())
    scope = _always(fields.String(metadata={"enum": ["market", "campaign", "all"]}))
    market = _always(fields.Function(lambda stop: stop.market.code if stop.market else None, allow_none=True,
                                     metadata={"type": "string", "nullable": True}))
    campaign_id = _always(fields.Integer(allow_none=True))
    reason = _always(fields.String())
    active = _always(fields.Boolean())
    turned_on_by_id = _always(fields.Integer(allow_none=True))
    turned_on_at = _always(Instant())
    turned_off_at = _always(Instant(allow_none=True))


class StopListSchema(ma.Schema):
    items = _always(fields.List(fields.Nested(StopSchema)))


class PostPageSchema(ma.Schema):
    items = _always(fields.List(fields.Nested(PostSchema)))
    next = _always(Cursor(allow_none=True, metadata={
        "type": "string", "description": "Pass it as `cursor` for the next page; null on the last one."}))

    @pre_dump
    def read_holds(self, page: Any, **_kwargs: Any) -> Any:
        """What holds each scheduled post of the page, read for all at once (``holds_for``: a fixed number of
        statements however many are held), for ``HoldField``: one post after the other, a page of 100 held posts
        asked 100 times what held each."""
        from flask import g

        from approval.db import db
        from approval.publishing.holds import holds_for

        items = page.get("items", ()) if isinstance(page, dict) else getattr(page, "items", ())
        scheduled = [_own(post) for post in items if post.state == State.scheduled]
        setattr(g, _PAGE_HOLDS, holds_for(db.session, scheduled, _stops_read()) if scheduled else {})
        return page

    @post_dump
    def forget_holds(self, data: dict, **_kwargs: Any) -> dict:
        """The page's holds were for this dump only: a post dumped later in the request reads its own."""
        from flask import g

        g.pop(_PAGE_HOLDS, None)
        return data


class TransitionSchema(ma.Schema):
    """One row of the audit trail."""

    action = _always(fields.Enum(Action, by_value=True))
    from_state = _always(fields.Enum(State, by_value=True))
    to_state = _always(fields.Enum(State, by_value=True))
    actor_id = _always(fields.Integer(allow_none=True))
    at = _always(Instant())
    comment = _always(fields.String(allow_none=True))
    revision = _always(fields.Nested(RevisionRefSchema, allow_none=True))


class CommentSchema(ma.Schema):
    id = _always(fields.Integer())
    author_id = _always(fields.Integer())
    body = _always(fields.String())
    created_at = _always(Instant())
    revision = _always(fields.Nested(RevisionRefSchema, allow_none=True,
                                     metadata={"description": "The revision that was current when it was written."}))


class RevisionSchema(ma.Schema):
    number = _always(fields.Integer())
    sha256 = _always(fields.String())
    body = _always(fields.String())
    author_id = _always(fields.Integer())
    created_at = _always(Instant())
    findings = _always(fields.List(fields.Nested(FindingSchema)))
    media = _always(fields.List(fields.Nested(MediaSchema)))


class DiffOpSchema(ma.Schema):
    op = _always(fields.String(metadata={"enum": ["equal", "delete", "insert"]}))
    text = _always(fields.String())


class MediaChangeSchema(ma.Schema):
    """A file of either revision and what happened to it between them, as the post page's comparison tells it
    (``approval.views.media.media_changes``)."""

    id = _always(fields.Integer(attribute="file.id"))
    sha256 = _always(fields.String(attribute="file.sha256"))
    change = _always(fields.String(metadata={
        "enum": ["added", "removed", "moved", "described", "kept"],
        "description": "`moved`: its order among the other files changed (a file passed by a moved one, or shifted "
                       "by one added or removed before it, is `kept`); `described`: only its alternative text "
                       "changed."}))
    position = _always(fields.Integer(allow_none=True, metadata={
        "description": "Its place in `to`, from 1; null when removed."}))
    old_position = _always(fields.Integer(attribute="was", allow_none=True, metadata={
        "description": "Its place in `from`, from 1; null when added."}))
    alt = _always(fields.String(metadata={"description": "Its alternative text in `to` (in `from` when removed)."}))
    old_alt = _always(fields.String(allow_none=True, metadata={
        "description": "Its alternative text in `from`; null when added."}))
    alt_changed = _always(fields.Boolean(attribute="described", metadata={
        "description": "Its alternative text changed (a `moved` file's too)."}))


class DiffSchema(ma.Schema):
    from_ = _always(fields.Nested(RevisionRefSchema, data_key="from"))
    to = _always(fields.Nested(RevisionRefSchema))
    ops = _always(fields.List(fields.Nested(DiffOpSchema), metadata={
        "description": "Word-level steps from `from` to `to`: equal + insert texts give `to`, "
                       "equal + delete texts give `from`."}))
    media = _always(fields.List(fields.Nested(MediaChangeSchema), metadata={
        "description": "The files of `to` in their order, then those `from` had and `to` has not: the revision's "
                       "SHA-256 binds them with the text. Empty when neither revision has any."}))


class MarketSummarySchema(ma.Schema):
    code = _always(fields.String())
    counts = _always(fields.Dict(keys=fields.String(), values=fields.Integer(),
                                 metadata={"description": "Posts per state, every state listed."}))
    oldest_in_review_at = _always(Instant(allow_none=True))
    next_scheduled_at = _always(Instant(allow_none=True, metadata={
        "description": "The first slot still to come that nothing holds (an overdue or held post is not next)."}))


class HubSummarySchema(ma.Schema):
    markets = _always(fields.List(fields.Nested(MarketSummarySchema)))


def list_schema(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """``{"items": [...]}``: every collection comes wrapped, so that it can grow (a cursor, a count) later."""
    return ma.Schema.from_dict({"items": _always(fields.List(fields.Nested(item)))}, name=name)


MarketListSchema = list_schema(MarketSchema, "MarketList")
AccountListSchema = list_schema(AccountSchema, "AccountList")
CampaignListSchema = list_schema(CampaignSchema, "CampaignList")
TransitionListSchema = list_schema(TransitionSchema, "TransitionList")
CommentListSchema = list_schema(CommentSchema, "CommentList")
RevisionListSchema = list_schema(RevisionSchema, "RevisionList")


class ErrorSchema(ma.Schema):
    """Every error, whatever the status (CONTRACT.md)."""

    code = _always(fields.Integer(metadata={"description": "The HTTP status."}))
    status = _always(fields.String(metadata={"description": "Its reason phrase."}))
    message = _always(fields.String())
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), metadata={
        "description": "Reasons by field, or under `_workflow` for the post's state, `_schema` for the body."})
    findings = fields.List(fields.Nested(FindingSchema), metadata={
        "description": "When the style gate refused a transition (422): its findings, as a post's."})
