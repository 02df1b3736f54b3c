"""The marshmallow fields of the API: translated messages, and inputs the database can always hold.

Every string that comes in refuses NUL, other control characters and unpaired surrogates (``approval.inputs``), every id
fits the database's integer, every instant is aware and stays within the years a datetime can convert: whatever a
client sends, the answer is a 422 with the field at fault, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import validate

from approval.inputs import MAX_ID  # noqa: F401 - the API's too
from approval.inputs import FORBIDDEN_CHARACTERS, direction_controls_refusal

_LOCAL_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}", re.ASCII)
#: What no time holds: a control character (C0, DEL, C1: tab and line feed too) or an unpaired surrogate. Python
#: 3.11's ``datetime.fromisoformat`` reads "2027-03-02T19:00:00+00:00\x00" as if the NUL were not there.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_MESSAGE = _l("The time contains a control character (such as NUL) or an unpaired surrogate.")

_FIELD_MESSAGES = {
    "required": _l("This field is required."),
    "null": _l("This field may not be null."),
    "validator_failed": _l("Invalid value."),
}


class Text(ma.fields.String):
    default_error_messages = {
        **_FIELD_MESSAGES,
        "invalid": _l("Not a valid string."),
        "invalid_utf8": _l("Not a valid UTF-8 string."),
        "unstorable": _l("The text contains a control character (such as NUL) or an unpaired surrogate."),
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if FORBIDDEN_CHARACTERS.search(text):
            raise self.make_error("unstorable")
        return text


class Id(ma.fields.Integer):
    """An id: a JSON integer in the body (``"3"`` is refused), digits in a query string."""

    default_error_messages = {
        **_FIELD_MESSAGES,
        "invalid": _l("Not a valid integer."),
        "too_large": _l("Number too large."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Range(min=1, max=MAX_ID, error=_l("Not a valid id.")))
        super().__init__(**kwargs)


class Instant(ma.fields.AwareDateTime):
    """An ISO 8601 instant with its UTC offset; read as UTC, written as UTC with ``Z``, to the second."""

    default_error_messages = {
        **_FIELD_MESSAGES,
        "invalid": _l("Not a valid date and time: give an ISO 8601 instant, e.g. 2026-06-01T09:00:00+02:00."),
        "invalid_awareness": _l("The time needs its UTC offset, e.g. 2026-06-01T09:00:00+02:00."),
        "format": _l("Not a valid date and time."),
        "control": _CONTROL_MESSAGE,
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", default_timezone=None, **kwargs)

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, str) and _CONTROL.search(value):
            raise self.make_error("control")
        instant = super()._deserialize(value, attr, data, **kwargs)
        try:
            return instant.astimezone(UTC)
        except OverflowError:
            raise self.make_error("invalid") from None


class LocalTime(ma.fields.Field):
    """A wall-clock time, ``YYYY-MM-DDTHH:MM``, without offset: the zone comes from the post's market."""

    default_error_messages = {
        **_FIELD_MESSAGES,
        "invalid": _l("Not a valid local time: give YYYY-MM-DDTHH:MM, e.g. 2026-06-01T09:00."),
        "control": _CONTROL_MESSAGE,
    }

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else value.strftime("%Y-%m-%dT%H:%M")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, str) and _CONTROL.search(value):
            raise self.make_error("control")
        if not isinstance(value, str) or not _LOCAL_TIME.fullmatch(value):
            raise self.make_error("invalid")
        try:
            return datetime.strptime(value, "%Y-%m-%dT%H:%M")
        except ValueError:
            raise self.make_error("invalid") from None


class Cursor(ma.fields.Field):
    """Where a listing goes on: opaque to clients, the id of the last post seen to the server."""

    default_error_messages = {**_FIELD_MESSAGES, "invalid": _l("Not a valid cursor: pass the listing's next.")}
    #: What the document says of it: the shape of every cursor the server hands out (``before:<id>`` in
    #: unpadded URL-safe base64).
    DOCUMENTED = {"type": "string", "pattern": "^YmVmb3JlO[A-Za-z0-9_-]{2,15}$", "example": "YmVmb3JlOjQy"}

    def __init__(self, **kwargs: Any) -> None:
        kwargs["metadata"] = {**self.DOCUMENTED, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _serialize(self, value: int | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else encode_cursor(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if not isinstance(value, str) or len(value) > 40:
            raise self.make_error("invalid")
        try:
            decoded = base64.urlsafe_b64decode(value.encode("ascii") + b"=" * (-len(value) % 4)).decode("ascii")
        except (ValueError, binascii.Error, UnicodeError):
            raise self.make_error("invalid") from None
        kind, _, number = decoded.partition(":")
        if kind != "before" or not number.isascii() or not number.isdigit() or not 1 <= int(number) <= MAX_ID:
            raise self.make_error("invalid")
        return int(number)


def encode_cursor(before_id: int) -> str:
    return base64.urlsafe_b64encode(f"before:{before_id}".encode("ascii")).decode("ascii").rstrip("=")


def length(maximum: int, minimum: int | None = None) -> validate.Length:
    if minimum:
        return validate.Length(min=minimum, max=maximum,
                               error=_l("Give between {min} and {max} characters."))
    return validate.Length(max=maximum, error=_l("Give at most {max} characters."))


def no_direction_controls(text: str) -> None:
    """A comment holds no control that turns the text's direction, as the forms' comments (``approval.inputs``)."""
    refusal = direction_controls_refusal(text)
    if refusal is not None:
        raise ma.ValidationError(refusal)


def one_of(choices: list[str] | list[int]) -> validate.OneOf:
    return validate.OneOf(choices, error=_l("Must be one of: {choices}."))
