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
    check_json_body()
    g.api_user = _authenticate()


def check_json_body() -> None:
    """A JSON body, or none. A form, multipart or text body is what a browser sends across sites: the API takes JSON
    only. A body with no Content-Type at all is refused the same way: read as an empty form, it had the schema name
    every field "required" when the client had sent them all."""
    if request.method in _BODY_METHODS and not request.is_json and (request.mimetype or _has_body()):
        raise BadRequest(_("The API takes JSON: send the body with Content-Type: application/json."))


def _has_body() -> bool:
    """The request carries bytes: a Content-Length above 0, or a chunked body that is not empty (read once, within
    the body's cap, and kept for the view)."""
    if request.content_length is not None:
        return request.content_length > 0
    return bool(request.get_data(cache=True))


def _bearer_secret() -> str | None:
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    return secret if scheme.lower() == "bearer" and secret else None


#: Where a request keeps the user its token names (its environ: ``g`` may outlive one request, in tests).
_BEARER_USER = "approval.bearer_user"


def bearer_user() -> User | None:
    """The active user the request's bearer token acts for; None without a token, or for one unknown, revoked or of
    a deactivated user. Looked up once a request: the token throttle asks first (``approval.security``: a valid token
    is never throttled), then ``_authenticate``."""
    if _BEARER_USER not in request.environ:
        secret = _bearer_secret()
        request.environ[_BEARER_USER] = user_for_secret(db.session, secret) if secret else None
    return request.environ[_BEARER_USER]


def _authenticate() -> User:
    if _bearer_secret() is None:
        raise _unauthorized(_("Send a personal API token: Authorization: Bearer <token>."), None)
    user = bearer_user()
    if user is None:
        raise _unauthorized(_("This token is unknown or revoked, or its user is deactivated."), "invalid_token")
    return user


def _unauthorized(message: str, error: str | None) -> Unauthorized:
    challenge = WWWAuthenticate("bearer", {"realm": "approval"})
    if error:
        challenge["error"] = error
    return Unauthorized(message, www_authenticate=challenge)
