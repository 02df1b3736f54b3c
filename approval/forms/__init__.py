"""Flask-WTF forms, one module per area. Forms check shape; rules that depend on a post's state live in guards."""

from wtforms import Field, Form
from wtforms.validators import StopValidation


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
