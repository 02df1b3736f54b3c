from __future__ import annotations

from flask_babel import lazy_gettext as _l
from approval.forms import AtMost, PageForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo

from approval.administration import MAX_PASSWORD_LENGTH


class LoginForm(PageForm):
    # Logging in looks the address up; it does not judge it (a user created as x@corp.test must be able to log in).
    email = StringField(_l("E-mail"), validators=[DataRequired(), AtMost(254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), AtMost(1024)])


class ForgotPasswordForm(PageForm):
    """The address a link to choose a new password goes to, if an account uses it: looked up, as a login's, not
    judged (the answer is the same for every address)."""

    email = StringField(_l("E-mail"), validators=[DataRequired(), AtMost(254)])


class ChosenPasswordForm(PageForm):
    """A password chosen from a link (an invitation, a reset): typed twice; its rules are the profile's
    (``administration.password_errors``)."""

    new_password = PasswordField(_l("New password"), validators=[DataRequired(), AtMost(MAX_PASSWORD_LENGTH)])
    confirm_password = PasswordField(
        _l("New password, again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two new passwords differ."))],
    )
