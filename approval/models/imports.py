"""Posts imported from a spreadsheet, one row per import (``approval.imports``): what names it, and the posts it
made (``ImportedPost``, one row each). Its unique key is the import's only guard against being made twice: the
create transaction inserts it first, and a second request for the same import (a double click, a reload, a retry,
another tab) waits on the unique index (PostgreSQL) or the write lock (SQLite), and finds it made."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
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
    #: Whether its posts were to be submitted for review.
    submitted: Mapped[bool] = mapped_column(default=False)
    post_count: Mapped[int] = mapped_column(default=0)


class ImportedPost(Base):
    """A post an import made, named by the import itself: the ids between its first and its last post also held
    the posts made meanwhile by other requests of the same writer (another tab, the API)."""

    __tablename__ = "imported_posts"
    __table_args__ = (Index("ix_imported_posts_import_id_post_id", "import_id", "post_id"),)

    #: A post is made by one import at most.
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("post_imports.id"))
    #: The row of the file it was made from, as a spreadsheet numbers it (the header is row 1); None for the posts
    #: of the imports made before this table (migration 0040).
    file_row: Mapped[int | None]
