"""What protects the application from its visitors: throttling, security headers, cookies, safe redirects.

- Throttling (Flask-Limiter): failed logins are counted per address (known or not, so the answer tells nothing about
  which addresses have an account) and per client; past the limit, logging in with that address is locked for a
  while with a clear message, and an administrator can unlock it at once (a password chosen from a link does too).
  Asks for a link to choose a new password ("Forgot your password?") are counted the same way, each one, so that
  nobody floods a mailbox or walks through addresses. Failed API tokens are counted per client,
  and lock out that client's unknown or revoked tokens, never a valid one.
  The counters live in ``RATELIMIT_STORAGE_URI`` (``memory://`` for one process; ``redis://...`` when several
  processes serve the application).
- Headers (Flask-Talisman): a Content-Security-Policy without inline script, no framing, no MIME sniffing, a strict
  Referrer-Policy, HSTS on HTTPS requests.
- Cookies: ``Secure`` unless the setting says otherwise; by default off only on the development server over plain
  HTTP (``approval run``), so that logging in works on http://127.0.0.1:5000.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, g, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_talisman import Talisman
from limits import parse
from sqlalchemy.orm import Session
from werkzeug.middleware.proxy_fix import ProxyFix

from approval.inputs import forbidden_character
from approval.models import User
from approval.models.tokens import revoke_user_tokens

#: Failed logins with one address before logging in with it is locked, and for how long.
LOGIN_FAILURES_PER_ADDRESS = "5 per 15 minutes"
#: Failed logins from one client (whatever the addresses), and failed API tokens from one client.
LOGIN_FAILURES_PER_CLIENT = "30 per 15 minutes"
TOKEN_FAILURES_PER_CLIENT = "60 per 15 minutes"
_ADDRESS_SCOPE = "login-address"
#: Links asked for one address ("Forgot your password?") before asking is refused for a while, and asks from one
#: client (whatever the addresses).
RESET_ASKS_PER_ADDRESS = "3 per 15 minutes"
RESET_ASKS_PER_CLIENT = "20 per 15 minutes"
_RESET_SCOPE = "reset-address"

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
#: Swagger UI sets style attributes from its scripts: its page alone allows inline styles (never inline scripts).
API_DOCS_POLICY = {**CONTENT_SECURITY_POLICY, "style-src": ["'self'", "'unsafe-inline'"], "form-action": "'none'"}
#: A report's chart (SVG) carries its colours in a style element of its own: opened alone (its address, "open the
#: image in a new tab") it was drawn black. Its own styles only; no script, nothing fetched.
CHART_POLICY = {"default-src": "'none'", "style-src": "'unsafe-inline'", "frame-ancestors": "'none'"}


def login_address() -> str:
    """The address a login form names, as it is looked up."""
    return (request.form.get("email") or "").strip().lower()


def login_failed() -> None:
    """Count this request against the login limits (called by the login view when the password is wrong)."""
    g.login_failed = True


def _counts_as_failed_login(_response: Any) -> bool:
    return bool(g.get("login_failed"))


def reset_asked() -> None:
    """Count this request against the limits of "Forgot your password?" (its view, once the form is read)."""
    g.reset_asked = True


def _counts_as_reset_ask(_response: Any) -> bool:
    return bool(g.get("reset_asked"))


def _counts_as_failed_token(response: Any) -> bool:
    """A token presented and refused: a request that presented none guessed nothing (a program's first call, a
    health check) and is not counted."""
    return response.status_code == 401 and bool(request.headers.get("Authorization"))


def _holds_a_valid_token() -> bool:
    """The request's bearer token names an active user: the token throttle is not for it. It counts and stops the
    unknown and revoked tokens from one client (log noise, a lookup each), and a valid token sent from the same
    address (another integration behind the same NAT) was locked out with them; 256 random bits are not guessed."""
    from approval.api.auth import bearer_user

    return bearer_user() is not None


def _throttling_off() -> bool:
    return not current_app.config.get("THROTTLING", True)


def _locked_message() -> str:
    return _("Too many failed attempts: logging in with this address is locked for 15 minutes. "
             "An administrator can unlock it sooner.")


def _client_message() -> str:
    return _("Too many failed attempts from your connection: wait 15 minutes and retry.")


def _reset_address_message() -> str:
    return _("Too many links asked for this address: wait 15 minutes and retry (check your spam folder meanwhile).")


def _reset_client_message() -> str:
    return _("Too many links asked from your connection: wait 15 minutes and retry.")


def _token_message() -> str:
    return _("Too many requests with an unknown or revoked token: wait 15 minutes and retry.")


def unlock_login(email: str) -> None:
    """Forget the failed logins with ``email``: an administrator's unlock."""
    limiter: Limiter = current_app.extensions["approval.limiter"]
    limiter.limiter.clear(parse(LOGIN_FAILURES_PER_ADDRESS), email.strip().lower(), _ADDRESS_SCOPE)


def end_all_access(session: Session, user: User) -> None:
    """End every session of ``user`` and revoke their tokens (API, calendar feed): an admin's "end all sessions", or
    a password an admin reset (whoever knew the old one may have made a token with it)."""
    user.end_sessions()
    revoke_user_tokens(session, user.id)
    session.flush()


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with ``Secure`` decided per request when the setting leaves it open."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return cookie_secure(app)


def cookie_secure(app: Flask) -> bool:
    setting = app.config.get("SESSION_COOKIE_SECURE")
    if setting is not None:
        return bool(setting)
    return not (app.testing or _development_request())


def _development_request() -> bool:
    """A plain-HTTP request to the development server (``approval run``)."""
    return (has_request_context() and not request.is_secure
            and request.environ.get("SERVER_SOFTWARE", "").startswith("Werkzeug/"))


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None (the caller falls back to a page of its own)."""
    if not target or forbidden_character(target) or any(c in target for c in "\r\n\t\\ "):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:  # "http://[::1": a bracketed host that is no address
        return None
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _with_policy(view: Callable, policy: dict) -> Callable:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return view(*args, **kwargs)

    # Flask-Talisman reads a view's own options from this attribute (typing declares none on a function).
    setattr(wrapper, "talisman_view_options", {"content_security_policy": policy})
    return wrapper


def init_app(app: Flask) -> None:
    if app.config.get("PROXIES"):  # behind a proxy, its X-Forwarded-* name the client and the scheme
        count = int(app.config["PROXIES"])
        # Flask's documented middleware hook, which its typing declares as a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]
    app.session_interface = SessionInterface()
    Talisman(
        app,
        force_https=False,  # TLS ends at the proxy in front; HSTS is sent on HTTPS requests
        session_cookie_secure=False,  # decided per request by SessionInterface
        frame_options="DENY",
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy="same-origin",
        strict_transport_security=True,
        strict_transport_security_include_subdomains=False,
        x_content_type_options=True,
    )
    docs = app.view_functions.get("api-docs.openapi_swagger_ui")
    if docs is not None:
        app.view_functions["api-docs.openapi_swagger_ui"] = _with_policy(docs, API_DOCS_POLICY)
    app.view_functions["reports.chart_svg"] = _with_policy(app.view_functions["reports.chart_svg"], CHART_POLICY)

    # No X-RateLimit-* headers: on every answer they told a client a budget of 60 requests, when they counted only
    # failed logins or bad tokens, never its successful calls. A refusal says when to retry (``_retry_after``).
    #
    # A shared store that is down (Redis restarting) must not lock everyone out: every login and every bad token
    # was a 500. The counts go on in this process's memory, with the same limits, and Flask-Limiter logs a warning
    # ("Rate limit storage unreachable - falling back to in-memory storage"); it tries the store again from time to
    # time ("Rate limit storage recovered"). An error past that (the store lost between a check and its count) is
    # logged and the request goes on.
    limiter = Limiter(get_remote_address, app=app, storage_uri=app.config.get("RATELIMIT_STORAGE_URI", "memory://"),
                      headers_enabled=False, in_memory_fallback_enabled=True, swallow_errors=True)
    limiter.request_filter(_throttling_off)
    if "health" in app.blueprints:  # a load balancer asks every few seconds, from one address
        limiter.exempt(cast(Blueprint, app.blueprints["health"]))

    @app.after_request
    def _retry_after(response: Response) -> Response:
        """A throttle's 429 says when to retry: the seconds until its window lets this client through again."""
        limit = limiter.current_limit
        if response.status_code == 429 and limit is not None and limit.breached:
            response.headers["Retry-After"] = str(max(1, math.ceil(limit.window.reset_time - time.time())))
        return response

    app.extensions["approval.limiter"] = limiter
    # The login view's limits are checked when it runs (Flask-Limiter's decorator), counted only when it failed.
    login: Callable[..., Any] = app.view_functions["auth.login"]
    login = limiter.shared_limit(LOGIN_FAILURES_PER_ADDRESS, scope=_ADDRESS_SCOPE, key_func=login_address,
                                 methods=["POST"], deduct_when=_counts_as_failed_login,
                                 error_message=_locked_message)(login)
    login = limiter.limit(LOGIN_FAILURES_PER_CLIENT, methods=["POST"], deduct_when=_counts_as_failed_login,
                          error_message=_client_message)(login)
    app.view_functions["auth.login"] = login
    # "Forgot your password?": every ask the form took counts, whatever the address (known or not: the same answer).
    forgot: Callable[..., Any] = app.view_functions["auth.forgot_password"]
    forgot = limiter.shared_limit(RESET_ASKS_PER_ADDRESS, scope=_RESET_SCOPE, key_func=login_address,
                                  methods=["POST"], deduct_when=_counts_as_reset_ask,
                                  error_message=_reset_address_message)(forgot)
    forgot = limiter.limit(RESET_ASKS_PER_CLIENT, methods=["POST"], deduct_when=_counts_as_reset_ask,
                           error_message=_reset_client_message)(forgot)
    app.view_functions["auth.forgot_password"] = forgot
    from approval.api import PREFIX

    for blueprint in app.blueprints.values():
        if (blueprint.url_prefix or "").startswith(PREFIX):
            # Flask types an app's blueprints as the sans-IO base class; a Flask app's are flask.Blueprint.
            limiter.limit(TOKEN_FAILURES_PER_CLIENT, deduct_when=_counts_as_failed_token,
                          exempt_when=_holds_a_valid_token, error_message=_token_message)(cast(Blueprint, blueprint))
