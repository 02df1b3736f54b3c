"""Flask-WTF forms, one module per area. Forms check shape; rules that depend on a post's state live in guards."""

from typing import Any

from flask import request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.datastructures import CombinedMultiDict
from wtforms import Field, Form
from wtforms.fields import DateTimeLocalField
from wtforms.validators import Length, StopValidation, ValidationError

from approval.style.text import shows_anything


class Readable:
    """First in a number field's validators: a value that could not be read as one ("abc") stops there, with the
    field's own message ("Not a valid integer value."), instead of gathering a second one from the next validator
    ("This field is required.", "Number must be between…") about the same typo. Nothing typed is left to the
    next validator, whose "This field is required." says it better than "Not a valid integer value."."""

    def __call__(self, _form: Form, field: Field) -> None:
        if not (field.raw_data and str(field.raw_data[0]).strip()):
            field.errors[:] = []
            return
        if field.process_errors:
            raise StopValidation()


class Visible:
    """After ``DataRequired``: text a reader would see. ``DataRequired`` strips spaces only, and a zero-width space
    alone is no more a post (or a name) than a space is."""

    def __init__(self, message: Any = None) -> None:
        self.message = message

    def __call__(self, _form: Form, field: Field) -> None:
        if isinstance(field.data, str) and field.data and not shows_anything(field.data):
            raise StopValidation(self.message or field.gettext("This field is required."))


class AtMost(Length):
    """At most ``longest`` characters, said as the app's other limits are, its number written in the reader's language
    ("At most 2,000 characters.", "Au plus 2 000 caractères."), not WTForms' "Field cannot be longer than 2000
    characters.". A ``Length`` still: the field's ``maxlength`` is drawn as before."""

    def __init__(self, longest: int) -> None:
        super().__init__(max=longest)

    def __call__(self, _form: Form, field: Field) -> None:
        if len(field.data or "") > self.max:
            raise ValidationError(_("At most %(n)s characters.", n=format_decimal(self.max)))


class LocalTimeField(DateTimeLocalField):
    """A local time as a browser's datetime-local input sends it, ``YYYY-MM-DDTHH:MM`` in ASCII digits: strptime
    also reads full-width ones ("２０２７-01-01T10:00"), which no input sends and no page shows back."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, format="%Y-%m-%dT%H:%M", **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and not all(str(value).isascii() for value in valuelist):
            self.data = None
            raise ValueError(self.gettext("Not a valid datetime value."))
        super().process_formdata(valuelist)


class PageForm(FlaskForm):
    """Every form of the pages. Its fields read the request's text fields only: Flask-WTF hands a form the uploaded
    files too, under their parts' names, and a file sent under a text field's name ("body", "email", the CSRF
    token) reached validators that cannot measure it (a 500, before anyone logged in). No form here has a file
    field: the files a page sends are read by the views that stream them (``approval.media.intake``)."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            wrapped = super().wrap_formdata(form, formdata)
            return request.form if isinstance(wrapped, CombinedMultiDict) else wrapped
