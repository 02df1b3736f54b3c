"""One mapping from refusals to HTTP answers: HTML pages for the forms, the contract's JSON shape for the API."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.exceptions import NotFound as HTTPNotFound

from approval.api.blueprint import field_errors
from approval.db import db
from approval.media.storage import StoreUnavailable
from approval.operations import NotFound
from approval.workflow.errors import Stale, WorkflowError


def wants_json() -> bool:
    return request.path.startswith("/api/")


def answers_in_json() -> bool:
    """An error's body in JSON: on the API, and for the pages' own scripts, which ask for JSON (the editor's upload
    refused as too large read an HTML page it could not show)."""
    return (wants_json() or request.headers.get("X-Requested-With") == "fetch"
            or request.accept_mimetypes.best == "application/json")


def error_body(status: int, message: str, errors: dict | None = None) -> dict:
    from http import HTTPStatus

    body = {"code": status, "status": HTTPStatus(status).phrase, "message": message}
    if errors:
        body["errors"] = errors
    return body


#: What each error means, in the reader's language, when the code that raised it said nothing of its own: never
#: Werkzeug's English defaults.
MESSAGES = {
    400: _l("The request is not valid."),
    401: _l("Log in to see this."),
    403: _l("You may not see or do this."),
    404: _l("Not found."),
    405: _l("This address does not take this kind of request."),
    406: _l("This address cannot answer in a form your client accepts."),
    409: _l("This conflicts with the current state of the data."),
    412: _l("A precondition of the request failed."),
    413: _l("The request is too large."),
    415: _l("This kind of content is not accepted here."),
    422: _l("The request is not valid."),
    428: _l("This request needs a precondition (If-Match)."),
    429: _l("Too many requests: wait a little and retry."),
    500: _l("Something went wrong on our side. It has been logged; retry in a moment."),
    503: _l("The service is unavailable for a moment: retry shortly."),
}
TITLES = {
    403: _l("Access denied"), 404: _l("Not found"), 405: _l("Method not allowed"), 413: _l("Too large"),
    429: _l("Too many requests"), 500: _l("Server error"), 503: _l("Unavailable"),
}
#: What a 403 on a desk of other roles says instead of the bare refusal: who works there, as the README's table of
#: roles says (an admin trying the product opened "New post" and read only "You may not see or do this"). Nothing
#: about any post or person: the same words for whoever is refused.
WHO_WORKS_THERE = {
    "posts.new_post": _l("Posts are written by community managers and project managers."),
    "review.queue": _l("Posts are reviewed by project managers."),
    "cabinet.inbox": _l("Suggested messages are decided by the cabinets of the executives."),
}
#: Seconds a client should wait after a 503 (the database was out of reach).
RETRY_AFTER_SECONDS = 5


def _respond(status: int, message: str, errors: dict | None = None, headers: list | None = None,  # noqa: ANN202
             findings: list[dict] | None = None):
    if answers_in_json():
        body = error_body(status, message, errors)
        if findings:  # the style gate's refusal: what a program points at (CONTRACT.md)
            from approval.api.schemas import FindingSchema

            body["findings"] = FindingSchema(many=True).dump(findings)
        return jsonify(body), status, headers or []
    page = render_template("error.html", status=status, title=TITLES.get(status, ""), message=message,
                           errors=errors or {})
    return page, status, headers or []


#: The form whose 413 gets a page of its own: its text went with its files, and is not on the server.
NEW_POST_FORM = "posts.new_post"


def _too_large_for_the_form(message: str, headers: list):  # noqa: ANN202
    """A new post refused whole for its size, before its body was read: the page says its text was not saved and
    how to get it back (the browser's Back button), rather than "413 · Too large" and a link to one's desk, which
    led to an empty form."""
    page = render_template("errors/too_large.html", status=413, message=message,
                           title=_("Not sent: the pictures and videos are too large"))
    return page, 413, headers


def _own_description(error: HTTPException) -> str | None:
    """The description the raiser gave, or None when it is Werkzeug's English default for the class."""
    description = error.description
    if not description or description == type(error).description:
        return None
    return str(description)


def _who_works_there(status: int) -> str | None:
    """The bare refusal of a desk, said with who works there (``WHO_WORKS_THERE``)."""
    if status != 403 or request.endpoint not in WHO_WORKS_THERE:
        return None
    return f"{MESSAGES[403]} {WHO_WORKS_THERE[request.endpoint]}"


def database_unreachable(error: BaseException | None) -> bool:
    """A lost or refused database connection (the server restarted, the network dropped): worth a retry."""
    return isinstance(error, DBAPIError) and (error.connection_invalidated or _is_operational(error))


def _is_operational(error: DBAPIError) -> bool:
    from sqlalchemy.exc import OperationalError

    return isinstance(error, OperationalError)


def _unavailable():  # noqa: ANN202
    try:
        db.session.rollback()  # the pool already dropped the dead connection; the next request takes a new one
    except DBAPIError:
        pass
    from flask import g

    from approval import login_manager

    if "_login_user" not in g:  # the page must not ask the database who is logged in
        g._login_user = login_manager.anonymous_user()
    headers = [("Retry-After", str(RETRY_AFTER_SECONDS))]
    if wants_json():
        return _respond(503, str(MESSAGES[503]), headers=headers)
    page = render_template("errors/unavailable.html", status=503, title=TITLES[503], message=MESSAGES[503])
    return page, 503, headers


def _secure_cookie_kept_from_plain_http() -> bool:
    """This request came over plain HTTP without the session's cookie, which is ``Secure``: a browser never sends
    it back there, and every form is refused as expired, however often it is reloaded (the operator's first try,
    before the TLS proxy existed)."""
    from approval.security import cookie_secure

    return (not request.is_secure and cookie_secure(current_app)
            and current_app.config["SESSION_COOKIE_NAME"] not in request.cookies)


def _stale_status(error: Stale) -> int:
    """A stale version is a 409 on a form (reload the page) and a 412 on the API (its If-Match is outdated)."""
    return 412 if wants_json() else error.status


def register(app: Flask) -> None:
    @app.errorhandler(WorkflowError)
    def workflow_error(error: WorkflowError):  # noqa: ANN202
        db.session.rollback()
        status = _stale_status(error) if isinstance(error, Stale) else error.status
        return _respond(status, error.message, error.errors, findings=error.findings)

    @app.errorhandler(StaleDataError)
    def stale_data(_error: StaleDataError):  # noqa: ANN202
        db.session.rollback()
        stale = Stale(_("This post changed while you saved it: reload it to see the newer version."))
        return _respond(_stale_status(stale), stale.message)

    @app.errorhandler(NotFound)
    def not_found(_error: NotFound):  # noqa: ANN202
        db.session.rollback()
        return _respond(404, _("Not found."))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # noqa: ANN202
        db.session.rollback()
        if _secure_cookie_kept_from_plain_http():
            current_app.logger.warning(
                "form refused on %s (%s): the session cookie is Secure and this request came over plain HTTP, so the "
                "browser never sent it back: serve over HTTPS (APPROVAL_PROXIES when TLS ends at a proxy), or set "
                "APPROVAL_SECURE_COOKIES=0 on a trusted network", request.path, error.description)
            return _respond(400, _("This page came over plain HTTP, where the session cookie is never sent back: "
                                   "the form cannot be accepted. Serve the application over HTTPS, or set "
                                   "APPROVAL_SECURE_COOKIES=0 on a trusted network."))
        current_app.logger.info("form refused on %s: %s", request.path, error.description)
        return _respond(400, _("This form expired or was sent from elsewhere: go back, reload the page and retry."))

    @app.errorhandler(StoreUnavailable)
    def store_unavailable(error: StoreUnavailable):  # noqa: ANN202
        db.session.rollback()
        current_app.logger.warning("the media store is unavailable (%s): %s", request.path, error)
        return _respond(503, _("The media store is unavailable: retry in a moment, or tell an administrator."))

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError):  # noqa: ANN202
        if database_unreachable(error):
            current_app.logger.warning("database unreachable: %s", error.orig)
            return _unavailable()
        raise error

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # noqa: ANN202
        if isinstance(error, HTTPNotFound):
            return _respond(404, _("Not found."))
        if isinstance(error, InternalServerError):
            if database_unreachable(error.original_exception):
                return _unavailable()
            db.session.rollback()
            return _respond(500, str(MESSAGES[500]))
        # Keep what the exception says about itself (Allow on a 405, WWW-Authenticate on a 401, Retry-After on a
        # 429), and on the API the field errors webargs attached to a 422.
        headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        errors = field_errors(data["messages"]) if wants_json() and "messages" in data else None
        message = data.get("message") or _own_description(error) or _who_works_there(status) or MESSAGES.get(status) \
            or error.name
        if status == 413 and request.endpoint == NEW_POST_FORM and not answers_in_json():
            return _too_large_for_the_form(str(message), headers)
        return _respond(status, str(message), errors, headers)
