"""Two people editing one object at once: the second save keeps what the first saved, and only a field both changed,
each to their own value, is a conflict that the second person decides, never a silent overwrite.

A post has a version; the objects an admin edits (a market, an account, a user...) have none of their own, and a
version bumped by every write would call a login or a connector's test a conflict. So an edit form carries the
values it showed (``seen``), and each field is read three ways when it comes back: as shown, as sent, as saved now.

- Saved as shown: nobody else changed it; what this form sends is saved.
- Sent as shown, saved otherwise: only the other person changed it. Their value stays: the form takes it
  (``merged``), and the view says so when it saves.
- Changed by both, to different values: a conflict. The view shows the field with both values and the form back,
  holding this person's value there (and the other person's where only they changed something) and the saved
  values as seen: sending it again saves it, knowingly. Both changed to the same value: nothing to decide.

A form sent back without ``seen`` (a hand-made request, a page from before it) cannot tell its own changes from
another person's: saved as it came, it would undo them all, and empty the fields it left out. The administration's
forms (``unseen_is_conflict``) compare it against nothing instead: each field it would change is a conflict, named
with its saved value, and the form comes back holding ``seen``, so that sending it again saves it. Others take it
as it comes. The view locks the object's row before it compares (``FOR UPDATE``; SQLite's writes queue anyway), so
two saves at the same moment are told apart too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar

from flask import flash
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_wtf import FlaskForm

from approval.forms import PageForm
from wtforms import BooleanField, DateTimeField, Field, HiddenField, PasswordField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from approval.forms.characters import ShowsControlCharacters

#: The longest ``seen`` taken: the values of the longest form (a campaign's description is 5,000 characters).
MAX_SEEN = 20000
#: Fields that are not the object's values.
_NOT_VALUES = frozenset({"csrf_token", "seen"})


@dataclass(frozen=True)
class Overtaken:
    """A field another person saved since the form was opened: its label and its saved value, as the page says it;
    ``yours``: what this form holds there, when it changed the field too (a conflict)."""

    label: str
    value: str
    yours: str | None = None


def listed(changes: Sequence[Overtaken]) -> str:
    """``changes`` as a sentence says them: "Brand: Helio Insta DE; Handle: helio_de"."""
    between = pgettext("between a name and what follows", ": ")
    return "; ".join(f"{change.label}{between}{change.value}" for change in changes)


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
    # As ``seen`` holds them once read back (a tuple is a list there), to compare them with it.
    return json.loads(json.dumps(values, ensure_ascii=False))


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


class EditsSeenValues(ShowsControlCharacters, PageForm):
    """An edit form that keeps the values it showed (``seen``), and, when it comes back, keeps what another person
    saved meanwhile and finds what they both changed."""

    seen = HiddenField(validators=[Optional(), Length(max=MAX_SEEN)])
    #: Whether a form sent back without ``seen`` is compared against nothing (each field it would change is a
    #: conflict) rather than taken as it comes.
    unseen_is_conflict: ClassVar[bool] = False
    #: After ``overtaken``: the fields only the other person changed, which the form now holds as they saved them.
    merged: Sequence[Overtaken] = ()
    #: After ``overtaken``: whether the form came back without saying what it showed.
    unseen: bool = False

    def show(self, stored: FlaskForm | None = None) -> None:
        """Remember the values the form shows now (or those of ``stored``, the object as saved)."""
        self.seen.data = _shown(stored or self)

    def overtaken(self, stored: FlaskForm) -> list[Overtaken]:
        """The fields another person saved since this form was opened that this form changed too, to another value,
        with both values (``stored``: the form filled from the object as saved now). A field only they changed is
        taken from ``stored``, and listed in ``merged``. When anything was saved meanwhile, the form then holds the
        saved values as seen: sending it again saves it."""
        try:
            shown = json.loads(self.seen.data) if self.seen.data else None
        except (ValueError, RecursionError):  # not what a page wrote: nothing to compare with
            shown = None
        self.unseen = not isinstance(shown, dict)
        if not isinstance(shown, dict):
            if not self.unseen_is_conflict:
                return []
            shown = {}
        sent, saved = _values(self), _values(stored)
        conflicts, merged = [], []
        for name, value in saved.items():
            field, was = self[name], shown.get(name, _UNKNOWN)
            if was == value or sent.get(name) == value:
                continue  # nobody else changed it, or both made the same change
            if was == sent.get(name):  # only the other person changed it: their value stays
                field.data, field.raw_data = stored[name].data, None  # the page shows ``data`` then
                merged.append(Overtaken(str(field.label.text), _said(field, value)))
            else:
                conflicts.append(Overtaken(str(field.label.text), _said(field, value), _said(field, sent.get(name))))
        self.merged = merged
        if conflicts or merged:
            self.show(stored)
        return conflicts

    def tell_merged(self) -> None:
        """After a save that kept another person's changes (``merged``): the page says which."""
        if self.merged:
            flash(_("Someone saved this while you were editing it; their changes are kept with yours. They saved: "
                    "%(changes)s.", changes=listed(self.merged)), "info")


#: What ``seen`` holds for a field it does not name: no value a form has, so that any other differs from it.
_UNKNOWN = object()
