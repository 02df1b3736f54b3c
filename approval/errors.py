"""One mapping from refusals to HTTP answers: HTML pages for the forms, the contract's JSON shape for the API."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, NotFound as HTTPNotFound

from approval.api.blueprint import field_errors
from approval.db import db
from approval.operations import NotFound
from approval.workflow.errors import Stale, WorkflowError


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_body(status: int, message: str, errors: dict | None = None) -> dict:
    from http import HTTPStatus

    body = {"code": status, "status": HTTPStatus(status).phrase, "message": message}
    if errors:
        body["errors"] = errors
    return body


def _respond(status: int, message: str, errors: dict | None = None, headers: list | None = None):  # noqa: ANN202
    if wants_json():
        return jsonify(error_body(status, message, errors)), status, headers or []
    return render_template("error.html", status=status, message=message, errors=errors or {}), status, headers or []


def _stale_status(error: Stale) -> int:
    """A stale version is a 409 on a form (reload the page) and a 412 on the API (its If-Match is outdated)."""
    return 412 if wants_json() else error.status


def register(app: Flask) -> None:
    @app.errorhandler(WorkflowError)
    def workflow_error(error: WorkflowError):  # noqa: ANN202
        db.session.rollback()
        status = _stale_status(error) if isinstance(error, Stale) else error.status
        return _respond(status, error.message, error.errors)

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
        return _respond(400, _("This form expired or was sent from elsewhere: go back, reload the page and retry."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # noqa: ANN202
        if isinstance(error, HTTPNotFound):
            return _respond(404, _("Not found."))
        # Keep what the exception says about itself (Allow on a 405, WWW-Authenticate on a 401), and on the API
        # the field errors webargs attached to a 422.
        headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
        data = getattr(error, "data", None) or {}
        errors = field_errors(data["messages"]) if wants_json() and "messages" in data else None
        message = data.get("message") or error.description or error.name
        return _respond(error.code or 500, str(message), errors, headers)
