"""The set page's bulk forms (``views.sets``): what "Approve all" takes besides the members' versions."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Field, Form, RadioField, StringField, TextAreaField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from approval.administration import is_place_zone
from approval.forms import LocalTimeField, PageForm
from approval.forms.posts import CommentLength, no_direction_controls

#: How "Approve and schedule all at this time" reads the time typed: as each market's own wall-clock time (a "good
#: morning" at 09:00 wherever it is read), or in one zone, the same instant for every market (a launch, a keynote).
EACH_MARKET, ONE_MOMENT = "local", "moment"


def a_place_zone(form: Form, field: Field) -> None:  # noqa: ARG001 - WTForms' validator signature
    """A zone the list offers: a place's (``administration.is_place_zone``), or UTC. Never the server's
    "localtime", nor an abbreviation or a fixed offset ("EST" is UTC-5 all year: a summer noon in New York an hour
    off)."""
    if field.data and field.data != "UTC" and not is_place_zone(field.data):
        raise ValidationError(_("Choose a time zone from the list."))


class ApproveAllForm(PageForm):
    """"Approve all": the sensitive terms of the members that hold some acknowledged, with the reason (the post
    page's ``acknowledge_warnings`` and comment, for those members), and for "Approve and schedule all at", the
    wall-clock time ``local_time``, read (``time_basis``) in each member's market zone or, for the same moment
    everywhere, in the one zone ``time_zone`` (the viewer's own when empty). Which of a time the clocks repeat, per
    zone, is read by the view (``fold-<zone>``: one field per zone that repeats it)."""

    acknowledge_warnings = BooleanField(_l("I have read these warnings"))
    comment = TextAreaField(_l("Comment for your decision"),
                            validators=[Optional(), CommentLength(), no_direction_controls])
    local_time = LocalTimeField(_l("Local time"), validators=[Optional()])
    time_basis = RadioField(_l("Read this time as"), default=EACH_MARKET, validators=[Optional()],
                            choices=[SelectChoice(EACH_MARKET, _l("each market’s local time")),
                                     SelectChoice(ONE_MOMENT, _l("the same moment everywhere, in the time zone"))])
    time_zone = StringField(_l("Time zone"), validators=[Optional(), a_place_zone])
