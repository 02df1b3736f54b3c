"""Notifications over HTTP: the user's own, newest first, and marking them read (CONTRACT.md)."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validates_schema

from approval.access import can_see_post
from approval.api.auth import check_request, current_api_user
from approval.api.blueprint import Blueprint
from approval.api.fields import Id, Instant
from approval.api.schemas import Args
from approval.db import db
from approval.models.notifications import NotificationKind
from approval.notifications import inbox

bp = Blueprint("api_notifications", __name__, url_prefix="/api/v1",
               description="What the user is told: posts awaiting them, what became of theirs, stop switches.")
bp.before_request(check_request)


class NotificationListArgs(Args):
    before = Id(metadata={"description": "Only notifications older than this id (the next page)."})
    limit = fields.Integer(load_default=inbox.PAGE, validate=ma.validate.Range(1, inbox.MAX_PAGE, error=_l(
        "Give a number between {min} and {max}.")), error_messages={"invalid": _l("Not a valid integer.")})


class MarkReadArgs(Args):
    ids = fields.List(Id(strict=True), validate=ma.validate.Length(max=inbox.MAX_IDS))
    all = fields.Boolean(truthy={True}, falsy={False})

    @validates_schema
    def _one_of(self, data: dict, **_kwargs) -> None:  # noqa: ANN003
        if ("ids" in data) == bool(data.get("all")):
            raise ma.ValidationError(_l("Send either ids or all: true."), "_schema")


class NotificationSchema(ma.Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": [k.value for k in NotificationKind]})
    post_id = fields.Integer(allow_none=True, required=True)
    action = fields.String(allow_none=True, required=True, metadata={
        "description": "The action that caused it where its kind leaves it open (the cabinet's decision: "
                       "`accept`, `request_changes`, `decline`), else null."})
    comment = fields.String(allow_none=True, required=True, metadata={
        "description": "The change's comment or the stop switch's reason; null when the post is no longer the "
                       "user's to see."})
    at = Instant(required=True)
    read = fields.Boolean(required=True)


class NotificationListSchema(ma.Schema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    unread = fields.Integer(required=True, metadata={"description": "How many of the user's are unread."})


def _listing(before: int | None = None, limit: int = inbox.PAGE) -> dict:
    user = current_api_user()
    items = [{"id": n.id, "kind": n.kind.value, "post_id": n.post_id, "action": n.action,
              "comment": n.comment if n.post is None or can_see_post(user, n.post) else None,
              "at": n.at, "read": n.read}
             for n in inbox.page(db.session, user, before=before, limit=limit)]
    return {"items": items, "unread": inbox.unread_count(db.session, user.id)}


@bp.route("/notifications", methods=["GET"])
@bp.arguments(NotificationListArgs(), location="query")
@bp.response(200, NotificationListSchema)
@bp.refusals()
def list_notifications(args: dict):
    """The user's notifications, newest first (50 unless ``limit`` says otherwise), and the unread count."""
    return _listing(args.get("before"), args["limit"])


@bp.route("/notifications/read", methods=["POST"])
@bp.arguments(MarkReadArgs())
@bp.response(200, NotificationListSchema)
@bp.refusals(400, 413)
def mark_notifications_read(args: dict):
    """Mark some (``ids``) or all (``all: true``) of the user's notifications read; others' ids are ignored."""
    inbox.mark_read(db.session, current_api_user(), None if args.get("all") else args["ids"])
    db.session.flush()
    return _listing()
