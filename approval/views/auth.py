"""Logging in and out, and the home page that sends each role to its desk."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from approval.db import db
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
            if user.locale is None:
                # The language they read the pages in becomes theirs: their mails and digests, written away from
                # any browser, came in English to a person who had only ever seen the French pages.
                user.locale = session.get("locale") or request.accept_languages.best_match(
                    current_app.config["LANGUAGES"])
            session.clear()  # a new session at login: nothing from before survives (fixation)
            login_user(user)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("auth.home"))
        login_failed()
        flash(_("Wrong e-mail or password, or the account is deactivated."), "error")
    return render_template("auth/login.html", form=form)


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
    """Switch the interface language; kept on the user (or in the session before login)."""
    language = request.form.get("language")
    if language in current_app.config["LANGUAGES"]:
        session["locale"] = language
        if current_user.is_authenticated:
            current_user.locale = language
    return redirect(safe_next(request.form.get("next")) or url_for("auth.home"))
