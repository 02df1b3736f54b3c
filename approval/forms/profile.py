from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), filters=[lambda v: v.strip() if isinstance(v, str) else v],
                       validators=[DataRequired(), Length(max=100)])


class RevokeTokenForm(FlaskForm):
    token_id = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
