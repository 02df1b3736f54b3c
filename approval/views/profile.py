"""The user's own page: who they are, the zone their times are shown in, their language, their password, and their
personal API tokens (created here, shown once, revoked here)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from approval import administration
from approval.access import visible_markets
from approval.api.tokens import issue_token, revoke_token, user_tokens
from approval.db import db
from approval.feeds import live_feed_token
from approval.forms.profile import LanguageForm, PasswordChangeForm, RevokeTokenForm, TokenForm
from approval.models.notifications import NotificationProfile
from approval.notifications.zones import browser_zone, page_zone

bp = Blueprint("profile", __name__, url_prefix="/profile")


@bp.get("")
@login_required
def show_profile():
    return _render(TokenForm(formdata=None))


@bp.post("/tokens")
@login_required
def create_token():
    form = TokenForm()
    if not form.validate():
        return _render(form), 422
    token, secret = issue_token(db.session, current_user, form.name.data)
    # Shown in this answer only: never flashed (the session cookie is signed, not secret) nor stored.
    return _render(TokenForm(formdata=None), new_token=token, secret=secret)


@bp.post("/tokens/revoke")
@login_required
def revoke():
    form = RevokeTokenForm()
    if not form.validate():
        return _render(TokenForm(formdata=None)), 422
    token = revoke_token(db.session, current_user, form.token_id.data)
    flash(_("Token “%(name)s” revoked: it no longer opens the API.", name=token.name), "success")
    return redirect(url_for("profile.show_profile"))


@bp.post("/password")
@login_required
def change_password():
    """A new password: the current one is required; every other session ends (this one goes on). It is the user's
    own from now on: the pages no longer send them here (``must_change_password``)."""
    form = PasswordChangeForm()
    if form.validate():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append(_("This is not your current password."))
        else:
            for reason in administration.password_errors(form.new_password.data).get("password", []):
                form.new_password.errors.append(reason)
            if current_user.must_change_password and form.new_password.data == form.current_password.data:
                form.new_password.errors.append(_("Choose a password of your own, not the one you were given."))
    if form.errors:
        return _render(TokenForm(formdata=None), password_form=form), 422
    current_user.set_password(form.new_password.data)  # the password's fingerprint ends the sessions opened before
    first = current_user.must_change_password
    current_user.must_change_password = False
    login_user(current_user._get_current_object())  # this session carries the new fingerprint
    if first:  # the pages were closed until now: the person goes on to their work
        flash(_("Your password is chosen: it is yours alone now."), "success")
        return redirect(url_for("auth.home"))
    flash(_("Your password is changed. Your other sessions are ended; your API tokens still work."), "success")
    return redirect(url_for("profile.show_profile"))


@bp.post("/language")
@login_required
def set_language():
    """The user's language, chosen: it wins over their browser's, on every device, and writes their mails.
    "Automatic" forgets it (and the header switch's choice of this session): the browser's language again."""
    form = LanguageForm().offer(current_app.config["LANGUAGES"])
    # A post without the field is no choice of "automatic" (the empty value): it is refused, nothing forgotten.
    if "language" not in request.form:
        form.validate()
        form.language.errors = [*form.language.errors, _("Choose a language.")]
        return _render(TokenForm(formdata=None), language_form=form), 422
    if not form.validate():
        return _render(TokenForm(formdata=None), language_form=form), 422
    current_user.locale = form.language.data or None
    if current_user.locale is None:
        session.pop("locale", None)
    flash(_("Your language is saved."), "success")
    return redirect(url_for("profile.show_profile"))


def _times_shown_in() -> str:
    """Which zone the pages' times are in, and why: the setting lives at the bottom of the e-mail preferences, and
    nobody looking for it there knew the pages followed their browser meanwhile."""
    own = getattr(db.session.get(NotificationProfile, current_user.id), "timezone", None)
    zone = page_zone(own, current_user)
    if own and administration.place_zone(own) is not None:
        return _("Times shown in: %(zone)s, your choice", zone=zone)
    if browser_zone() is not None:
        return _("Times shown in: %(zone)s, your browser’s zone", zone=zone)
    return _("Times shown in: %(zone)s", zone=zone)


def _render(form: TokenForm, *, password_form: PasswordChangeForm | None = None,  # noqa: ANN202
            language_form: LanguageForm | None = None, **kwargs):  # noqa: ANN003
    markets = db.session.scalars(visible_markets(current_user)).all()
    if language_form is None:
        language_form = LanguageForm(formdata=None, language=current_user.locale or "")
        language_form.offer(current_app.config["LANGUAGES"])
    return render_template("profile/show.html", form=form, tokens=user_tokens(db.session, current_user),
                           markets=markets, password_form=password_form or PasswordChangeForm(formdata=None),
                           language_form=language_form, feed_token=live_feed_token(db.session, current_user),
                           times_shown_in=_times_shown_in(), **kwargs)
