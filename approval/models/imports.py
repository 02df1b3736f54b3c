"""Posts imported from a spreadsheet, one row per import (``approval.imports``): what names it, and the posts it
made. Its unique key is the import's only guard against being made twice: the create transaction inserts it first,
and a second request for the same import (a double click, a reload, a retry, another tab) waits on the unique index
(PostgreSQL) or the write lock (SQLite), and finds it made."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from approval.db import Base, utcnow


class PostImport(Base):
    __tablename__ = "post_imports"
    __table_args__ = (UniqueConstraint("created_by_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: SHA-256 of the writer's id, the form key of the check page it was created from, and the file's content
    #: (``approval.imports.import_key``): a new check of the same file is a new import.
    key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The posts it made, made one after the other in its transaction: theirs are the ids between. None only
    #: inside that transaction, before the posts are made.
    first_post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    last_post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    #: Whether its posts were to be submitted for review.
    submitted: Mapped[bool] = mapped_column(default=False)
    post_count: Mapped[int] = mapped_column(default=0)
