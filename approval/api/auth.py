"""Who calls the API: the user of the bearer token, and nobody else.

The session cookie never authenticates the API (so the API needs no CSRF token), and a token never opens an HTML
page: Flask-Login only reads the session, and only these hooks read the ``Authorization`` header.
"""

from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, Unauthorized

from approval.api.tokens import user_for_secret
from approval.db import db
from approval.models import User

#: The largest body the API reads: room for the longest valid text (70,000 characters for the lint) even when
#: every character is JSON-escaped as a surrogate pair (12 bytes).
MAX_BODY_BYTES = 1024 * 1024
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def current_api_user() -> User:
    return g.api_user


def check_request() -> None:
    """Before any API view: a JSON body (or none) of a sane size, then the bearer token."""
    if request.method == "OPTIONS":
        return
    request.max_content_length = MAX_BODY_BYTES
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise RequestEntityTooLarge(_("The body is larger than %(size)s bytes.", size=MAX_BODY_BYTES))
    if request.method in _BODY_METHODS and request.mimetype and not request.is_json:
        # A form, multipart or text body is what a browser sends across sites: the API takes JSON only.
        raise BadRequest(_("The API takes JSON: send the body with Content-Type: application/json."))
    g.api_user = _authenticate()


def _authenticate() -> User:
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise _unauthorized(_("Send a personal API token: Authorization: Bearer <token>."), None)
    user = user_for_secret(db.session, secret)
    if user is None:
        raise _unauthorized(_("This token is unknown or revoked, or its user is deactivated."), "invalid_token")
    return user


def _unauthorized(message: str, error: str | None) -> Unauthorized:
    challenge = WWWAuthenticate("bearer", {"realm": "approval"})
    if error:
        challenge["error"] = error
    return Unauthorized(message, www_authenticate=challenge)
