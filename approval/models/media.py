"""Pictures and videos: the files themselves (content-addressed) and their place in a revision.

A file is stored once, named by the SHA-256 of its bytes (``media_files``); a revision lists its files in order, each
with its alternative text (``revision_media``). Like the text, a revision's media never change once written: adding,
removing, reordering or describing a file writes a new revision (``approval.media.attach``), and the revision's
SHA-256 covers them (``revision_sha256``), so an approval binds the pictures as well as the words.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from approval.db import Base, utcnow
from approval.models.markets import str_enum
from approval.models.users import User

if TYPE_CHECKING:
    from approval.style.media import MediaItem


class MediaKind(enum.StrEnum):
    image = "image"
    video = "video"


class MediaFile(Base):
    """One distinct file, whoever uploaded it and however many revisions show it. Nothing updates it once written."""

    __tablename__ = "media_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The SHA-256 of the stored bytes (after any location data was stripped): the file's name in the store.
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[MediaKind] = mapped_column(str_enum(MediaKind, "media_kind"))
    #: The type the bytes really are (Pillow or FFmpeg said so), never the one the upload claimed.
    mime: Mapped[str] = mapped_column(String(100))
    bytes: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int]
    height: Mapped[int]
    duration_s: Mapped[float | None]
    #: ``h264``, ``hevc`` for videos; the image format (``jpeg``, ``png``, ``webp``, ``gif``) for pictures.
    codec: Mapped[str | None] = mapped_column(String(32))
    frame_rate: Mapped[float | None]
    #: Frames of an animated GIF or WebP (1 for a still picture); None for a video.
    frames: Mapped[int | None]
    #: The picture still carries GPS coordinates in its EXIF data (``media.location`` points it out).
    has_location: Mapped[bool] = mapped_column(default=False)
    storage_key: Mapped[str] = mapped_column(String(200))
    thumbnail_key: Mapped[str | None] = mapped_column(String(200))
    #: The name it was uploaded under (a base name: names with path separators are refused).
    original_name: Mapped[str] = mapped_column(String(255), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    uploaded_by: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
        CheckConstraint("bytes > 0", name="bytes_positive"),
        CheckConstraint("width > 0 AND height > 0", name="dimensions_positive"),
        CheckConstraint("kind <> 'video' OR duration_s IS NOT NULL", name="video_has_duration"),
    )

    @property
    def aspect(self) -> float:
        return self.width / self.height

    def __repr__(self) -> str:
        return f"<MediaFile {self.id} {self.mime} {self.sha256[:12]}>"


class RevisionMedia(Base):
    """A file's place in one revision: its position (0, 1, ...) and its alternative text."""

    __tablename__ = "revision_media"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id", ondelete="CASCADE"))
    position: Mapped[int]
    media_file_id: Mapped[int] = mapped_column(ForeignKey("media_files.id"), index=True)
    alt: Mapped[str] = mapped_column(Text, default="")
    #: The file's name as this post's author sent it. The file itself is shared by every post that uploaded the same
    #: bytes (stored once, by digest), in any market: its ``original_name`` is the first uploader's, not shown.
    name: Mapped[str] = mapped_column(String(255), default="", server_default="")

    file: Mapped[MediaFile] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        UniqueConstraint("revision_id", "position"),
        # A file appears once in a revision: the API names a revision's media by their file's id.
        UniqueConstraint("revision_id", "media_file_id"),
        CheckConstraint("position >= 0", name="position_not_negative"),
    )

    def as_style_item(self) -> MediaItem:
        from approval.style.media import MediaItem

        f = self.file
        return MediaItem(kind=f.kind.value, mime=f.mime, bytes=f.bytes, width=f.width, height=f.height,
                         duration_s=f.duration_s, codec=f.codec, frame_rate=f.frame_rate, frames=f.frames,
                         alt=self.alt, has_location=f.has_location, name=self.name)


class Attachment:
    """A file, its alternative text and the name its uploader gave it, as a new revision will list them (not yet a
    row)."""

    __slots__ = ("file", "alt", "name")

    def __init__(self, file: MediaFile, alt: str = "", name: str = "") -> None:
        self.file = file
        self.alt = alt
        self.name = name

    @classmethod
    def of(cls, item: RevisionMedia) -> Attachment:
        return cls(item.file, item.alt, item.name)

    def key(self) -> tuple[str, str]:
        return self.file.sha256, self.alt

    def as_style_item(self) -> MediaItem:
        return RevisionMedia(file=self.file, alt=self.alt, name=self.name).as_style_item()

    def __repr__(self) -> str:
        return f"<Attachment {self.file.sha256[:12]} alt={self.alt!r}>"


def revision_sha256(body: str, media: Iterable[tuple[str, str]] = ()) -> str:
    """The SHA-256 an approval binds: of the text alone when there are no media (exactly ``text_sha256``, so every
    text-only revision written before media existed keeps its digest), else of the canonical JSON
    ``{"media": [{"alt": ..., "sha256": ...}, ...], "text": ...}`` (keys sorted, no spaces, UTF-8, media in order).

    ``media`` holds (file SHA-256, alternative text) pairs. The alternative text is covered because it is published
    with the picture (screen readers read it): changing it after an approval sends the post back to review.
    """
    items: Sequence[tuple[str, str]] = list(media)
    if not items:
        return hashlib.sha256(body.encode("utf-8")).hexdigest()
    document = {"media": [{"alt": alt, "sha256": sha} for sha, alt in items], "text": body}
    canonical = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
