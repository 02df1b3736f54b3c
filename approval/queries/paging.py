"""Keyset paging: a page continues after the last row of the previous one, by the values of its sort key.

The cursor is opaque to the reader (URL-safe base64 of JSON): the sort key's values of the last row shown, and the
position of the next page's first row, so a page can say "51-100 of 1,234" without counting what came before.
A cursor that does not decode, or whose values do not fit the sort key's columns (a text for an id, an id past what
the column holds, a date past year 9999 once in UTC), is ignored: the listing starts over rather than failing.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, bindparam, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from approval.inputs import MAX_ID

T = TypeVar("T")
#: A page never holds more rows than this, whatever the URL asks.
MAX_PAGE = 200


@dataclass(frozen=True)
class Cursor:
    key: tuple
    position: int

    def encode(self) -> str:
        values = [{"dt": v.isoformat()} if isinstance(v, datetime) else v for v in self.key]
        raw = json.dumps([values, self.position], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str | None, order: tuple[InstrumentedAttribute, ...]) -> Cursor | None:
        """The cursor ``text`` holds for a listing sorted by ``order``, or None."""
        if not text or len(text) > 400:
            return None
        try:
            values, position = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            if not isinstance(values, list) or len(values) != len(order):
                return None
            key = tuple(_value(v, column) for v, column in zip(values, order, strict=True))
        except (ValueError, TypeError, KeyError, OverflowError, binascii.Error, UnicodeDecodeError):
            return None
        if isinstance(position, bool) or not isinstance(position, int) or not 1 <= position <= MAX_ID:
            return None
        return cls(key, position)


def _value(value: Any, column: InstrumentedAttribute) -> Any:
    """``value`` as ``column`` holds it; ValueError if it cannot be one of its values."""
    kind = column.type.python_type
    if kind is datetime and isinstance(value, dict):
        parsed = datetime.fromisoformat(value["dt"])
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # OverflowError past 9999
    if kind is int and type(value) is int and abs(value) <= MAX_ID:  # what a 32-bit column holds
        return value
    if kind is str and isinstance(value, str) and len(value) <= 400:
        return value
    raise ValueError(value)


@dataclass
class Page(Generic[T]):
    items: list[T]
    #: How many rows the listing holds in all (with its filters).
    total: int
    #: The 1-based position of the first item.
    start: int
    next_cursor: str | None = None
    #: True when ``total`` is a floor: the count stopped there (a search matching a great many posts).
    capped: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def end(self) -> int:
        return self.start + len(self.items) - 1

    @property
    def first_page(self) -> bool:
        return self.start == 1


def keyset(session: Session, query: Select, order: tuple[InstrumentedAttribute, ...], *, descending: bool,
           cursor: str | None, limit: int, total: int) -> Page:
    """One page of ``query`` sorted by ``order`` (all ascending or all descending; the last column unique)."""
    limit = max(1, min(limit, MAX_PAGE))
    after = Cursor.decode(cursor, order)
    if after is not None:
        key = tuple_(*order)
        # Typed: a datetime is bound as the column's UTCDateTime (naive UTC on SQLite).
        last = tuple_(*(bindparam(None, value, type_=column.type) for column, value in zip(order, after.key)))
        query = query.where(key < last if descending else key > last)
    query = query.order_by(*(column.desc() if descending else column.asc() for column in order))
    rows = list(session.scalars(query.limit(limit + 1)).unique())
    start = after.position if after is not None else 1
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = Cursor(tuple(getattr(last, column.key) for column in order), start + limit).encode()
    return Page(page, max(total, start + len(page) - 1), start, next_cursor)
