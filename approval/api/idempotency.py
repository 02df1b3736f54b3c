"""``Idempotency-Key``: a retried request gets the first answer again, and does nothing more.

The key is looked up before the request does anything; its first answer is stored with the effect, in the same
transaction, and only when the request succeeded (a refused request wrote nothing, so its retry simply runs again).
Two requests racing with one key both run, and the unique constraint lets only one commit: the other rolls back and
answers what the winner stored.

A key is kept ``RETENTION`` (24 hours, as payment APIs do): a retry comes within minutes, and a client may reuse a
key after that. Expired keys are deleted by their own user's next keyed request, so the table holds at most a day of
keys per user without a cleaning job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from flask import Response, current_app, request
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from approval.db import db, utcnow
from approval.models import IdempotencyKey, User
from approval.workflow.errors import GuardFailed

HEADER = "Idempotency-Key"
RETENTION = timedelta(hours=24)


@dataclass
class Once:
    """One request, with or without a key."""

    user: User
    key: str | None
    #: The headers an answer carries besides its body (a post's ETag), rebuilt from the body on a replay.
    headers_of: Callable[[dict], dict[str, str]] = lambda _body: {}

    @property
    def request_line(self) -> str:
        return f"{request.method} {request.path}"[:300]

    def request_hash(self) -> str:
        body = request.get_json(silent=True)
        canonical = json.dumps([request.method, request.path, body], sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def replay(self) -> Response | None:
        """The first answer to this key, or None when it is new; a 422 when it came with another request."""
        if self.key is None:
            return None
        stored = db.session.scalar(
            select(IdempotencyKey).where(IdempotencyKey.user_id == self.user.id, IdempotencyKey.key == self.key)
        )
        if stored is None or stored.created_at < utcnow() - RETENTION:
            return None  # an expired key is deleted when this request stores its answer
        if stored.request_hash != self.request_hash():
            message = _("This Idempotency-Key was first used with another request (%(request)s or another body): "
                        "use a new key for a new request.", request=stored.request)
            raise GuardFailed(message, {HEADER: [message]})
        # Flask types the JSON provider's answer as Werkzeug's sans-IO Response; it is the app's response_class.
        response = cast(Response, current_app.json.response(stored.response_body))
        response.status_code = stored.response_status
        response.headers.update(self.headers_of(stored.response_body))
        response.headers["Idempotent-Replayed"] = "true"
        return response

    def commit(self, response: Response) -> Response:
        """Store the answer with the effect (the request commits both, in db.py's one place); return the answer,
        or the winner's when a concurrent request with the same key stored its answer first: then this request's
        effect is rolled back whole."""
        if self.key is None:
            return response
        db.session.execute(delete(IdempotencyKey).where(
            IdempotencyKey.user_id == self.user.id, IdempotencyKey.created_at < utcnow() - RETENTION
        ))
        try:
            with db.session.begin_nested():
                db.session.add(IdempotencyKey(
                    user_id=self.user.id, key=self.key, request=self.request_line, request_hash=self.request_hash(),
                    response_status=response.status_code, response_body=response.get_json(),
                ))
        except IntegrityError:
            db.session.rollback()
            replay = self.replay()
            if replay is None:
                raise
            return replay
        return response
