"""A form that shows a forbidden character on the field holding it (``approval.inputs.shows_characters_on_form``)."""

from __future__ import annotations

from typing import Any

from flask_babel import ngettext
from approval.forms import PageForm
from wtforms.widgets import HiddenInput

from approval import inputs


class ShowsControlCharacters(PageForm):
    """A form whose fields holding a control character (a NUL, an escape pasted from a terminal...) are errors on
    the fields, so that the page comes back with what was typed and says where to look: its view is marked
    ``shows_characters_on_form``. A hidden field's is not shown (no one typed it): the view then refuses the request
    as a whole."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        held = inputs.held_characters()
        for field in self:
            found = held.get(field.name)
            if found is None or isinstance(field.widget, HiddenInput):
                continue
            codes = ", ".join(f"U+{ord(character):04X}" for character in found)
            field.errors.append(ngettext(
                "This field holds a control character (%(codes)s) that no field accepts: remove it and save again.",
                "This field holds control characters (%(codes)s) that no field accepts: remove them and save again.",
                len(found), codes=codes))
            inputs.reported_characters(field.name)
            valid = False
        return valid
