"""The set page's bulk forms (``views.sets``): what "Approve all" takes besides the members' versions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, TextAreaField
from wtforms.validators import Optional

from approval.forms import LocalTimeField, PageForm
from approval.forms.posts import CommentLength, no_direction_controls


class ApproveAllForm(PageForm):
    """"Approve all": the sensitive terms of the members that hold some acknowledged, with the reason (the post
    page's ``acknowledge_warnings`` and comment, for those members), and for "Approve and schedule all at", the
    wall-clock time read in each member's market zone. Which of a time the clocks repeat, per zone, is read by the
    view (``fold-<zone>``: one field per zone that repeats it)."""

    acknowledge_warnings = BooleanField(_l("I have read these warnings"))
    comment = TextAreaField(_l("Comment for your decision"),
                            validators=[Optional(), CommentLength(), no_direction_controls])
    local_time = LocalTimeField(_l("Local time"), validators=[Optional()])
