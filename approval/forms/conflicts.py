"""Two people editing one object at once: the second save is a conflict that names what changed, never a silent
overwrite.

A post has a version; the objects an admin edits (a market, an account, a user...) have none of their own, and a
version bumped by every write would call a login or a connector's test a conflict. So an edit form carries the
values it showed (``seen``). When it comes back, a field another person saved since (its saved value is no longer the
one shown) that this form would set to something else is a conflict: the view shows those fields with their saved
values and keeps what this person typed; sending it again saves it over them, knowingly. A field only one of them
changed is no conflict. The view locks the object's row before it compares (``FOR UPDATE``; SQLite's writes queue
anyway), so two saves at the same moment are told apart too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeField, Field, HiddenField, PasswordField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

#: The longest ``seen`` taken: the values of the longest form (a campaign's description is 5,000 characters).
MAX_SEEN = 20000
#: Fields that are not the object's values.
_NOT_VALUES = frozenset({"csrf_token", "seen"})


@dataclass(frozen=True)
class Overtaken:
    """A field another person saved since the form was opened: its label and its saved value, as the page says it."""

    label: str
    value: str


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if value is None:
        return ""  # an empty field comes back as "" where the object held None
    return value if isinstance(value, (str, int, float, bool)) else str(value)


def _values(form: FlaskForm) -> dict[str, Any]:
    values = {}
    for name, field in form._fields.items():
        if name in _NOT_VALUES or isinstance(field, PasswordField):
            continue
        value = _plain(field.data)
        # Checkboxes come back in the page's order, relationships in the database's: a set of choices.
        values[name] = sorted(value or [], key=str) if isinstance(field, SelectMultipleField) else value
    return values


def _said(field: Field, value: Any) -> str:
    """``value`` as ``field`` shows it: a choice's label, yes or no, a list joined."""
    if isinstance(field, BooleanField):
        return _("yes") if value else _("no")
    if isinstance(field, DateTimeField) and isinstance(value, str):
        return value[:16].replace("T", " ")  # "2027-04-01 10:00", as the field shows it, not to the second
    labels = dict(_choice(choice) for choice in getattr(field, "choices", None) or [])
    if isinstance(value, list):
        return ", ".join(labels.get(item, str(item)) for item in value) or "—"
    if value in labels:
        return labels[value]
    return "—" if value == "" else str(value)


def _choice(choice: Any) -> tuple[Any, str]:
    if isinstance(choice, SelectChoice):
        return _plain(choice.value), str(choice.label if choice.label is not None else choice.value)
    if isinstance(choice, (tuple, list)):
        return _plain(choice[0]), str(choice[1])
    return _plain(choice), str(choice)


def _shown(form: FlaskForm) -> str:
    return json.dumps(_values(form), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class EditsSeenValues(FlaskForm):
    """An edit form that keeps the values it showed (``seen``) and finds those saved by someone else meanwhile."""

    seen = HiddenField(validators=[Optional(), Length(max=MAX_SEEN)])

    def show(self, stored: FlaskForm | None = None) -> None:
        """Remember the values the form shows now (or those of ``stored``, the object as saved)."""
        self.seen.data = _shown(stored or self)

    def overtaken(self, stored: FlaskForm) -> list[Overtaken]:
        """The fields that another person saved since this form was opened and that this form would set to another
        value, with their saved values (``stored``: the form filled from the object as saved now). The form then
        holds the saved values as seen: sending it again saves it. A form without ``seen`` (a script, a page from
        before it) is not compared."""
        try:
            shown = json.loads(self.seen.data) if self.seen.data else None
        except (ValueError, RecursionError):  # not what a page wrote: nothing to compare with
            shown = None
        if not isinstance(shown, dict):
            return []
        sent, saved = _values(self), _values(stored)
        changed = [Overtaken(str(self[name].label.text), _said(self[name], value)) for name, value in saved.items()
                   if name in shown and shown[name] != value and sent.get(name) != value]
        if changed:
            self.show(stored)
        return changed
