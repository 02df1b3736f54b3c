"""``GET /healthz``: what a load balancer or a service manager asks before sending a web process requests.

200 ``{"database": "ok", "media": "ok"}``, or 503 with what failed: the database out of reach (``unreachable``) or
older than the code (``at 0029, this version needs 0030``), the media store that cannot be used (``unavailable``).
The details of a failure go to the log, not to whoever asks: the check answers without an account.

Cheap: one query on a reading connection (no request session, no write lock on SQLite), one look at the store's
folder or one HEAD request to its bucket. No session, no cookie, no throttle, no Content-Security-Policy.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy.exc import DBAPIError

from approval.db import db, driver_says
from approval.media.storage import storage
from approval.migrate import revision_of, schema_behind

bp = Blueprint("health", __name__)


@bp.route("/healthz", methods=["GET", "HEAD"])
def healthz() -> tuple[Response, int]:
    checks = {"database": _database(), "media": _media()}
    answer = jsonify(checks)
    answer.headers["Cache-Control"] = "no-store"
    return answer, 200 if all(said == "ok" for said in checks.values()) else 503


# Flask-Talisman reads a view's own options from this attribute: a JSON answer for a machine needs no policy.
setattr(healthz, "talisman_view_options", {"content_security_policy": None})  # noqa: B010


def _database() -> str:
    try:
        at = revision_of(db.engine)
    except DBAPIError as error:
        current_app.logger.warning("health check: the database cannot be used: %s", driver_says(error))
        return "unreachable"
    behind = schema_behind(at)
    if behind is not None:
        current_app.logger.warning("health check: %s", behind)
        return behind.removeprefix("the database is ").partition(":")[0] if at else "no tables yet"
    return "ok"


def _media() -> str:
    try:
        trouble = storage().check()
    except Exception as error:  # noqa: BLE001 - a store that cannot even be made is as unavailable as any
        trouble = f"{type(error).__name__}: {error}"
    if trouble is None:
        return "ok"
    current_app.logger.warning("health check: the media store is unavailable: %s", trouble)
    return "unavailable"
