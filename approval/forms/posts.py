from __future__ import annotations

import secrets

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional, ValidationError

from approval.forms import AtMost, LocalTimeField, PageForm, Visible
from approval.inputs import direction_controls_refusal, web_address
from approval.workflow.inputs import Input, Kind
from approval.workflow.table import ALL_INPUTS

MAX_BODY = 63206  # Facebook's limit, the longest of the networks; each network's own limit is a style finding.
#: The longest comment, in the discussion or with a decision (the post page counts it as it is typed).
MAX_COMMENT = 5000


class CommentLength:
    """A comment no longer than ``MAX_COMMENT`` characters, a line break counted once, as the page's counter counts
    (browsers send a textarea's line breaks as CRLF). A longer one is refused with its length, its text kept in the
    form; the box has no ``maxlength``, which cut a paste without a word."""

    field_flags: dict[str, object] = {}

    def __call__(self, form: FlaskForm, field: Field) -> None:
        length = len((field.data or "").replace("\r\n", "\n"))
        if length > MAX_COMMENT:
            raise ValidationError(_(
                "The comment has %(length)s characters; at most %(max)s are allowed. Shorten it: your text is kept "
                "here.", length=format_decimal(length), max=format_decimal(MAX_COMMENT)))


#: The longest address "Confirm as published" takes (``inputs.web_address``'s, the guard's).
MAX_URL = 2000


def published_address(form: FlaskForm, field: Field) -> None:
    """The address a post is online at, read as the guard behind the form reads it (``guards.url_given``: an http or
    https address with a host), refused in its words and with its limit written in the reader's numbers ("2,000",
    "2 000"), not WTForms' "Invalid URL." and "Field cannot be longer than 2000 characters."."""
    typed = (field.data or "").strip()
    if not typed:
        return
    AtMost(MAX_URL)(form, field)
    if web_address(typed, longest=MAX_URL) is None:
        raise ValidationError(_("Give the address (http or https) where the message was published."))


def no_direction_controls(form: FlaskForm, field: Field) -> None:
    """A comment refuses the controls that turn the text's direction (``approval.inputs.BIDI_CONTROLS``), as every
    field refuses the other control characters."""
    refusal = direction_controls_refusal(field.data or "")
    if refusal is not None:
        raise ValidationError(refusal)


def _optional_int(value: str | None) -> int | None:
    return int(value) if value not in (None, "", "None") else None


#: What a post's text must be: present, visible, and no longer than the longest network takes.
_BODY = (DataRequired(_l("The post has no text.")), Visible(_l("The post has no text.")), AtMost(MAX_BODY))


class ProposalFields:
    """When its writer proposes the post goes out: a wall-clock time in the account's market zone, read as a
    schedule reads one (``operations.proposal_time``); left empty, none. ``proposed_fold`` picks one of a time the
    clocks repeat."""

    proposed_time = LocalTimeField(_l("Proposed publication time"), validators=[Optional()])
    proposed_fold = IntegerField(_l("Which occurrence"), validators=[Optional(), AnyOf([0, 1])])


class PostForm(ProposalFields, PageForm):
    account_id = SelectField(_l("Account"), coerce=int, validators=[InputRequired()])
    # No Optional(): it would clear the "Not a valid choice" of a value of spaces alone; "" is "No campaign".
    #: The other accounts the same message is written for (a set, ``views.posts.new_post``): one post each, ticked
    #: among the accounts the user writes for (an id outside them is "not a valid choice").
    also_account_ids = SelectMultipleField(_l("Also write it for"), coerce=int,
                                           widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    campaign_id = SelectField(_l("Campaign"), coerce=_optional_int)
    body = TextAreaField(_l("Text"), validators=list(_BODY))
    #: Names this form among those the browser sent: sent again once it made its post (the back button, then the
    #: same button), it makes no second one (``views.posts.new_post``).
    form_key = HiddenField(default=lambda: secrets.token_urlsafe(16), validators=[Optional(), Length(max=64)])
    #: The post this one duplicates (``views.posts.new_post``): its pictures and videos come with the text.
    copy_of = HiddenField(validators=[Optional(), Length(max=12)])


class EditForm(ProposalFields, PageForm):
    campaign_id = SelectField(_l("Campaign"), coerce=_optional_int)
    #: The campaign the page showed: a select left as it was asks for no move (``views.posts._campaign_asked``).
    campaign_shown = HiddenField(validators=[Optional(), Length(max=12)])
    body = TextAreaField(_l("Text"), validators=list(_BODY))
    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
    #: The revision the editor was opened on: a save refused as stale says what the other person changed since
    #: (``views.posts._what_changed``); a page from before the field gets the general message.
    revision_shown = HiddenField(validators=[Optional(), Length(max=12)])


class _ActionForm(PageForm):
    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), CommentLength(), no_direction_controls])
    #: The last row of the post's trail its page showed (its id): a decision refused as stale says what happened
    #: since (``views.posts._overtaken``); a page from before the field gets the general message.
    seen = HiddenField(validators=[Optional(), Length(max=20)])
    #: "Approve and schedule for <the proposed time>" (``operations.approve_and_schedule``) rather than "Approve".
    and_schedule = BooleanField(false_values=("false", "", "0", "no", "off", "n"))


def _form_field(spec: Input) -> Field | None:
    """The form field of an action's declared input; None for an input the forms do not ask (an instant with its
    offset: people give a wall-clock time in the market's zone)."""
    if spec.kind == Kind.local_time:
        return LocalTimeField(spec.label, validators=[Optional()])
    if spec.kind == Kind.fold:
        return IntegerField(spec.label, validators=[Optional(), AnyOf([0, 1])])
    if spec.kind == Kind.url:
        return StringField(spec.label, validators=[Optional(), published_address])
    if spec.kind == Kind.flag:
        return BooleanField(spec.label)
    return None


#: The form behind every workflow button: the version, a comment, and the inputs the table's actions declare
#: (approval.workflow.inputs); which of them an action reads is its row's business.
ActionForm = type("ActionForm", (_ActionForm,), {
    name: field for name, spec in ALL_INPUTS.items() if (field := _form_field(spec)) is not None
})
#: The inputs the form asks for, by name.
FORM_INPUTS = tuple(name for name, spec in ALL_INPUTS.items() if _form_field(spec) is not None)


class LiveLinkForm(PageForm):
    """"Add the live link" of a post handed to the outbox (``operations.add_live_link``): its address read as
    "Confirm as published" reads one (``published_address``, then the guard), and the version the page showed."""

    url = StringField(_l("Address where the post is online"), validators=[Optional(), published_address])
    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])


class CommentForm(PageForm):
    body = TextAreaField(_l("Comment"), validators=[DataRequired(), CommentLength(), no_direction_controls])
