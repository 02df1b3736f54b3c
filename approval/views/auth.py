"""Logging in and out, the home page that sends each role to its desk, and the pages a link to choose a password
opens (an invitation, "Forgot your password?")."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Response

from approval import admin_log, administration
from approval.db import db
from approval.errors import answers_in_json
from approval.forms.auth import ChosenPasswordForm, ForgotPasswordForm, LoginForm
from approval.models import User
from approval.models.users import verify_password
from approval.password_links import LinkRefused, Purpose, lifetime, user_of
from approval.password_mail import ENDPOINTS, LANGUAGE_READS, link_for, mail_on, reset_mail, send_in_background
from approval.security import login_failed, reset_asked, safe_next, unlock_login
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
    if request.method == "GET" and (chosen_for := session.pop("login_email", None)):
        form.email.data = chosen_for  # a password just chosen from a link: its address, to log in with it
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


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a link to choose a new password. The answer is the same, and takes as long, whether the address has
    an active account or not: the same statement reads the user and what their mail reads, the mail is written
    either way, and sent beside the answer (``password_mail``). The
    asks are throttled per address and per client (``approval.security``)."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        reset_asked()
        address = form.email.data.strip().lower()
        # The user with what their mail's language reads, in one statement: an address without an account reads
        # as much as one with.
        user = db.session.execute(select(User).where(User.email == address).options(*LANGUAGE_READS)) \
            .unique().scalar_one_or_none()
        found = user if user is not None and user.active else None
        # For nobody, a mail to a stand-in, not sent: the same work as for somebody.
        reader = found or User(email=address, name=address, role=Role.community_manager, password_hash="")
        message = reset_mail(reader, link_for(reader, Purpose.reset, mailed=True))
        send_in_background(message if found is not None else None)
        flash(_("If an account uses this address, a link to choose a new password is on its way. It works for "
                "one hour."), "info")
        return redirect(url_for("auth.login"), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/forgot.html", form=form, mail_on=mail_on()), status


#: The address of a link's page once its token is in the session, in the token's place (Django's
#: PasswordResetConfirmView does the same): the token leaves the address bar, the history, the server's access log
#: and the Referer of what the page loads. Only the link's own request carries it: that is what the link is.
TOKEN_IN_SESSION = "set"
#: The session's key of the link being used: [purpose, token]. One at a time: the link opened last.
HELD_LINK = "password_link"


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """An invited user chooses their password, from the link of their invitation."""
    return _choose_password(token, Purpose.invitation)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """A new password, chosen from the link "Forgot your password?" mailed."""
    return _choose_password(token, Purpose.reset)


def _choose_password(token: str, purpose: Purpose):  # noqa: ANN202
    """The link's page: a new password, twice, with the profile's rules. The link itself (``_hold_link``) leads here
    with its token in the session; the page and its form read it there, and nowhere else. A link that no longer works
    (past its time, used, a password chosen since, its user deactivated, or none of ours), or no link held for this
    page, gets a page that says so and how to get another. Once chosen: every session of the user ends, the failed
    logins with their address are forgotten, and they are sent to the login page with their address filled in: they
    log in with the new password once, which their browser offers to remember and which proves they have it."""
    if token != TOKEN_IN_SESSION:
        return _hold_link(token, purpose)
    held = session.get(HELD_LINK)
    if not (isinstance(held, list) and len(held) == 2 and held[0] == purpose.value and isinstance(held[1], str)):
        return _link_refused("missing", purpose)  # none, or the other purpose's: it opens only its own page
    try:
        user = user_of(db.session, held[1], purpose, lock=request.method == "POST")
    except LinkRefused as refused:
        session.pop(HELD_LINK, None)
        return _link_refused(refused.reason, purpose)
    form = ChosenPasswordForm()
    if form.validate_on_submit():
        for reason in administration.password_errors(form.new_password.data).get("password", []):
            form.new_password.errors.append(reason)
        if user.must_change_password and user.check_password(form.new_password.data):
            form.new_password.errors.append(_("Choose a password of your own, not the one you were given."))
    if not form.is_submitted() or form.errors:
        return render_template("auth/choose_password.html", form=form, user=user, purpose=purpose.value), \
            422 if form.is_submitted() else 200
    with admin_log.acting_as(db.session, user.email, user.id):  # the change log names them, not "anonymous"
        user.set_password(form.new_password.data)  # the link is bound to the old hash: it works no more
        user.must_change_password = False
        user.end_sessions()  # on every device, this browser's too
        db.session.flush()
    unlock_login(user.email)
    chosen = session.get("locale")
    logout_user()
    session.clear()  # whoever was logged in here, and the link: the next login is theirs
    if chosen in current_app.config["LANGUAGES"]:
        session["locale"] = chosen
    session["login_email"] = user.email
    if purpose is Purpose.invitation:
        flash(_("Your password is chosen. Log in with it to begin."), "success")
    else:
        flash(_("Your new password is saved, and your sessions on other devices are ended. Log in with it."),
              "success")
    return redirect(url_for("auth.login"), 303)


def _hold_link(token: str, purpose: Purpose) -> Response | tuple[str, int]:
    """The link as it was mailed: checked, then kept in the browser's session (the newest opened replaces any other)
    and the browser sent on to its page at an address without the token, with no Referer to say where it came from.
    A link that no longer works is answered at its own address; what that page loads and sends is told the origin
    alone (its forms' CSRF check, over HTTPS, wants a Referer of this site's)."""
    try:
        user_of(db.session, token, purpose)
    except LinkRefused as refused:
        g.referrer_policy = "strict-origin"
        return _link_refused(refused.reason, purpose)
    session[HELD_LINK] = [purpose.value, token]
    g.referrer_policy = "no-referrer"
    return redirect(url_for(ENDPOINTS[purpose], token=TOKEN_IN_SESSION), 302 if request.method == "GET" else 303)


def _link_refused(reason: str, purpose: Purpose) -> tuple[str, int]:
    """The page of a link that opens nothing (``LinkRefused.reason``, or ``missing``: no link held for the page):
    why, and how to get another; 404 for what is no link of ours, 410 for one that was."""
    return render_template("auth/link_refused.html", reason=reason, purpose=purpose.value, mail_on=mail_on(),
                           hours=int(lifetime(purpose).total_seconds() // 3600)), \
        404 if reason in ("unreadable", "missing") else 410


@bp.after_app_request
def _link_referrer_policy(response: Response) -> Response:
    """The Referrer-Policy a link's answer chose (``_hold_link``). Talisman sets the site's on every answer, over
    what a view set: its hook is the application's, run after a blueprint's own. This one is the application's too,
    registered with the blueprint, before Talisman's (``security.init_app``), so run after it: Flask runs them in the
    reverse order."""
    policy = g.pop("referrer_policy", None)
    if policy is not None:
        response.headers["Referrer-Policy"] = policy
    return response


def _no_user_yet() -> bool:
    """Whether nobody has an account yet (a database made without the demo): the login page says how the operator
    creates the first admin. One cheap read; it names nobody."""
    return db.session.scalar(select(User.id).limit(1)) is None


#: What a user who must choose their own password may still open: the profile (where they choose it, and their
#: language), logging out, the language switch, and the files pages need. The API is not gated (its tokens are the
#: user's own secrets; README, "Tokens"), nor anything opened without a session (kiosks, feeds, signed links).
OPEN_BEFORE_OWN_PASSWORD = frozenset({
    "profile.show_profile", "profile.change_password", "profile.set_language", "auth.logout", "auth.set_language",
    "auth.forgot_password", "auth.accept_invitation", "auth.reset_password", "static", "favicon", "health.healthz",
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
