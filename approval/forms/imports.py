"""The forms of a spreadsheet's import (``approval.views.imports``): its file is read by the view, as every page's
files are (``PageForm``); its content comes back with the second step."""

from __future__ import annotations

from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from approval.forms import PageForm
from approval.imports import MAX_BYTES


class UploadForm(PageForm):
    """Step 1: the file (``request.files["file"]``), checked, nothing written."""


class CreateForm(PageForm):
    """Step 2: the file's content as checked, sent back to be checked again in full and made ("submit": and
    submitted for review)."""

    #: Its line breaks come back as CRLF (browsers send a field's so): room for them past the file's cap (the
    #: check refuses a file that would not fit the form's field then: ``imports.sent_back_size``).
    content = TextAreaField(validators=[DataRequired(), Length(max=2 * MAX_BYTES)])
    #: The check page's own key: the same page sent twice is one import (``imports.import_key``).
    key = HiddenField(validators=[DataRequired(), Length(max=64)])


class ErrorsForm(PageForm):
    """The check page's file with its errors (``imports.errors_csv``): its content, as checked, sent back (as
    ``CreateForm``'s), so that the writer need not choose the file again."""

    content = TextAreaField(validators=[DataRequired(), Length(max=2 * MAX_BYTES)])
