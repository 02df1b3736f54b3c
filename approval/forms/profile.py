from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange

from approval.inputs import MAX_ID


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), filters=[lambda v: v.strip() if isinstance(v, str) else v],
                       validators=[DataRequired(), Length(max=100)])


class RevokeTokenForm(FlaskForm):
    token_id = IntegerField(widget=HiddenField.widget, validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])


class PasswordChangeForm(FlaskForm):
    """A new password, chosen by its owner: the current one proves it is them (a session left open is not enough)."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])
    confirm_password = PasswordField(
        _l("New password, again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two new passwords differ."))],
    )
