from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import URL, DataRequired, InputRequired, Length, Optional

MAX_BODY = 63206  # Facebook's limit, the longest of the networks; each network's own limit is a style finding.


def _optional_int(value: str | None) -> int | None:
    return int(value) if value not in (None, "", "None") else None


class PostForm(FlaskForm):
    account_id = SelectField(_l("Account"), coerce=int, validators=[InputRequired()])
    campaign_id = SelectField(_l("Campaign"), coerce=_optional_int, validators=[Optional()])
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=MAX_BODY)])


class EditForm(FlaskForm):
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=MAX_BODY)])
    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])


class ActionForm(FlaskForm):
    """The form behind every workflow button; which fields matter depends on the action."""

    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)])
    local_time = DateTimeLocalField(_l("Publication time"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    url = StringField(_l("Published at (address)"), validators=[Optional(), URL(), Length(max=2000)])
    #: Approving a text with sensitive terms: the project manager read the warnings (the comment says why).
    acknowledge_warnings = BooleanField(_l("I have read these warnings"))


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=5000)])
