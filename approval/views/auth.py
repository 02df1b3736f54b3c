"""Logging in and out, and the home page that sends each role to its desk."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Response

from approval.db import db
from approval.errors import answers_in_json
from approval.forms.auth import LoginForm
from approval.models import User
from approval.models.users import verify_password
from approval.security import login_failed, safe_next
from approval.workflow.states import Role

bp = Blueprint("auth", __name__)

HOME_BY_ROLE = {
    Role.community_manager: "posts.list_posts",
    Role.project_manager: "review.queue",
    Role.cabinet: "cabinet.inbox",
    Role.admin: "admin.index",
}


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(HOME_BY_ROLE[current_user.role]))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in. Wrong passwords are throttled per address and per client (``approval.security``); the answer takes
    as long, and says the same, whether the address has an account or not."""
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.email == form.email.data.strip().lower()))
        if verify_password(user, form.password.data) and user.active:
            # A login saves no language: the browser's, saved at a first login from a borrowed computer, kept a
            # French reader in English for good. Only a choice saves one (the switch, the profile's setting); one
            # made on the login page lasts the session, as the page it was made on.
            chosen = session.get("locale")
            session.clear()  # a new session at login: nothing from before survives (fixation)
            if chosen in current_app.config["LANGUAGES"]:
                session["locale"] = chosen
            login_user(user)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("auth.home"))
        login_failed()
        flash(_("Wrong e-mail or password, or the account is deactivated."), "error")
    return render_template("auth/login.html", form=form, no_user_yet=_no_user_yet())


def _no_user_yet() -> bool:
    """Whether nobody has an account yet (a database made without the demo): the login page says how the operator
    creates the first admin. One cheap read; it names nobody."""
    return db.session.scalar(select(User.id).limit(1)) is None


#: What a user who must choose their own password may still open: the profile (where they choose it, and their
#: language), logging out, the language switch, and the files pages need. The API is not gated (its tokens are the
#: user's own secrets; README, "Tokens"), nor anything opened without a session (kiosks, feeds, signed links).
OPEN_BEFORE_OWN_PASSWORD = frozenset({
    "profile.show_profile", "profile.change_password", "profile.set_language", "auth.logout", "auth.set_language",
    "static", "favicon", "health.healthz",
})


@bp.before_app_request
def own_password_first() -> Response | None:
    """A user whose password an admin typed (``User.must_change_password``) is sent to their profile's password
    change from every page, with the reason, until they have chosen their own."""
    if (request.endpoint in OPEN_BEFORE_OWN_PASSWORD or request.path.startswith("/api/")
            or "_user_id" not in session):  # no session user: nothing to read
        return None
    if not current_user.is_authenticated or not current_user.must_change_password:
        return None
    message = _("Choose your own password first: the one you logged in with was set for you, and someone else knows "
                "it.")
    if answers_in_json():  # a page's script: it cannot follow a redirect to a page
        abort(403, description=message)
    flash(message, "warning")
    return redirect(url_for("profile.show_profile", _anchor="password"), 302 if request.method == "GET" else 303)


@bp.post("/logout")
@login_required
def logout():
    """End the session: the cookie, and server-side every session of the user, so a copy of the cookie opens
    nothing either."""
    current_user.end_sessions()
    logout_user()
    session.clear()
    flash(_("You are logged out."), "success")
    return redirect(url_for("auth.login"))


@bp.post("/language")
def set_language():
    """Switch the interface language: the user's choice, saved (before login, the session's)."""
    language = request.form.get("language")
    if language in current_app.config["LANGUAGES"]:
        session["locale"] = language
        if current_user.is_authenticated:
            current_user.locale = language
    return redirect(_page_to_return_to() or url_for("auth.home"))


def _page_to_return_to() -> str | None:
    """Where the language switch returns: the page it was clicked on (``next``) when its address answers a GET. A page
    a refused form drew at the form's POST-only address (a new password too short, at /admin/users/ID/password) led
    to a 405 there: the switch goes back to the page the form was sent from (``back``, the Referer that page's
    request had, when it is this site's), else to the nearest page above the address (/admin/users), else home.
    Only a path on this site is followed (``safe_next``)."""
    asked = safe_next((request.form.get("next") or "").removesuffix("?") or None)
    if asked is not None and answers_get(asked, unknown=True):
        return asked
    back = safe_next(_same_site_path(request.form.get("back")))
    if back is not None and answers_get(back):
        return back
    path = urlsplit(asked).path if asked else ""
    while "/" in path.strip("/"):
        path = path.rstrip("/").rsplit("/", 1)[0]
        if answers_get(path):
            return path
    return None


def _same_site_path(address: str | None) -> str | None:
    """The path and query of ``address`` when it is an address of this site (a Referer is a whole URL)."""
    if not address:
        return None
    try:
        parts = urlsplit(address)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.app_template_global()
def reload_address() -> str | None:
    """Where a reload of a page a refused form drew at the form's address goes (base.html, static/forms.js): that
    address when a GET opens it (a refused decision's leads back to its post); else the page the form was sent from,
    its Referer, when it is this site's and a GET opens it (a new password too short, refused at the POST-only
    /admin/users/ID/password, reloads /admin/users/ID/edit). None: not a form's answer, or nowhere to go back to (a
    reload asks the browser's question)."""
    if request.method != "POST":
        return None
    if answers_get(request.path):
        return request.path
    back = safe_next(_same_site_path(request.referrer))
    return back if back is not None and answers_get(back) else None


@bp.app_template_global()
def answers_get(path: str, *, unknown: bool = False) -> bool:
    """Whether this site's ``path`` is a page a GET opens; ``unknown``: what an address no page has counts as (the
    page the switch was clicked on, a "not found", stays where it is)."""
    try:
        current_app.url_map.bind(request.host).match(urlsplit(path).path, method="GET")
    except MethodNotAllowed:
        return False
    except NotFound:
        return unknown
    except HTTPException:  # a redirect to the address with its slash: a GET answers it
        return True
    return True
