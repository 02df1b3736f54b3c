"""Receiving an upload: streamed to a temporary file while its SHA-256 is computed, capped, inspected, and only
then stored under its digest. A refused or broken upload leaves nothing behind: its temporary file is removed at the
end of the request, and the store only ever receives whole, inspected files. A picture is inspected as it arrives
(its decoding follows the bytes Werkzeug writes, ``HashingFile``), a video once it is whole.

Caps (413 beyond them), settable through the environment or the app's config:
``APPROVAL_MEDIA_MAX_IMAGE_BYTES`` / ``MEDIA_MAX_IMAGE_BYTES`` (default 20 MB) and ``APPROVAL_MEDIA_MAX_VIDEO_BYTES`` /
``MEDIA_MAX_VIDEO_BYTES`` (default 512 MB); ``MEDIA_MAX_PIXELS`` bounds a decoded picture (decompression bombs).
A request body larger than the larger cap is refused before it is read. Uploads must carry a Content-Length
(browsers and HTTP libraries send one for files): a chunked body is capped at ``MAX_CONTENT_LENGTH``.
"""

from __future__ import annotations

import hashlib
import os
import queue
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from flask import Flask, current_app, g, request
from flask_babel import lazy_gettext as _l

from approval.media.growing import Growth, GrowingReader
from approval.media.inspect import DEFAULT_MAX_PIXELS, Inspected, Invalid, TooLarge, check_claim
from approval.media.inspect import inspect, inspect_picture
from approval.media.inspect import strip_location

MB = 1024 * 1024
DEFAULT_MAX_IMAGE_BYTES = 20 * MB
DEFAULT_MAX_VIDEO_BYTES = 512 * MB
#: Room for the multipart envelope and the other fields around the file.
ENVELOPE_BYTES = MB
MAX_NAME = 255


@dataclass(frozen=True)
class Limits:
    image_bytes: int
    video_bytes: int
    max_pixels: int

    @property
    def body_bytes(self) -> int:
        return max(self.image_bytes, self.video_bytes) + ENVELOPE_BYTES


def limits(app: Flask | None = None) -> Limits:
    config = (app or current_app).config

    def setting(name: str, default: int) -> int:
        value = config.get(name) or os.environ.get(f"APPROVAL_{name}")
        return int(value) if value else default

    return Limits(setting("MEDIA_MAX_IMAGE_BYTES", DEFAULT_MAX_IMAGE_BYTES),
                  setting("MEDIA_MAX_VIDEO_BYTES", DEFAULT_MAX_VIDEO_BYTES),
                  setting("MEDIA_MAX_PIXELS", DEFAULT_MAX_PIXELS))


#: The bytes that tell a picture the early inspection reads (``looks_like_picture``).
HEAD = 12


def looks_like_picture(head: bytes) -> bool:
    """The file starts as a JPEG, PNG, GIF or WebP does."""
    return (head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a"))
            or head.startswith(b"RIFF") and head[8:12] == b"WEBP")


def staging_dir(app: Flask | None = None) -> Path:
    """Where uploads land while they are read: beside the folder store, so storing one is a rename."""
    app = app or current_app
    path = Path(app.instance_path) / "media-staging"
    path.mkdir(parents=True, exist_ok=True)
    return path


class HashingFile:
    """A temporary file that computes the SHA-256 and the size of what is written to it (Werkzeug writes the
    upload into it as it parses the body: the bytes are read once, never held whole in memory).

    The digest is computed by a thread of its own, fed through a short queue (at most ``QUEUE`` chunks in flight):
    hashlib releases the GIL on large buffers, so hashing runs beside the parsing instead of after it.

    With ``pictures`` (the limits), a file that starts as a picture is also inspected as it arrives
    (``inspect_picture`` on a ``GrowingReader``, in a thread of its own: Pillow's decoders release the GIL), so its
    decoding - the one slow step of a picture's upload - overlaps the parsing instead of following it. The reader
    stops at the picture cap: a larger file is not decoded to its end."""

    QUEUE = 32

    def __init__(self, directory: Path, pictures: Limits | None = None) -> None:
        handle, name = tempfile.mkstemp(dir=directory, prefix=".upload-")
        self.file: IO[bytes] = os.fdopen(handle, "w+b", buffering=0)  # each write reaches the file: readers see it
        self.path = Path(name)
        self.thumbnail_path = self.path.with_name(self.path.name + ".thumb.jpg")
        self._digest = hashlib.sha256()
        self.size = 0
        self._chunks: queue.Queue[bytes | None] = queue.Queue(self.QUEUE)
        self._hasher = threading.Thread(target=self._hash, name="upload-sha256", daemon=True)
        self._hasher.start()
        self._hex: str | None = None
        self._pictures = pictures
        self._growth = Growth()
        self._head = b""
        self._inspector: threading.Thread | None = None
        self._reader: GrowingReader | None = None
        self._outcome: Inspected | BaseException | None = None

    def _hash(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            self._digest.update(chunk)

    def write(self, data: bytes) -> int:
        chunk = bytes(data)  # the parser may reuse its buffer; the hasher needs its own (no copy of a bytes)
        self._chunks.put(chunk)
        self.size += len(chunk)
        view = memoryview(chunk)
        while view:  # an unbuffered file may take part of a chunk
            view = view[self.file.write(view) or 0:]
        self._growth.wrote(len(chunk))
        if self._pictures is not None and len(self._head) < HEAD:
            self._head += chunk[:HEAD - len(self._head)]
            if len(self._head) == HEAD and looks_like_picture(self._head):
                self._start_inspection(self._pictures)
        return len(chunk)

    def _start_inspection(self, pictures: Limits) -> None:
        self._reader = GrowingReader(self.path, self._growth, pictures.image_bytes)
        self._inspector = threading.Thread(target=self._inspect, args=(self._reader, pictures.max_pixels),
                                           name="upload-inspect", daemon=True)
        self._inspector.start()

    def _inspect(self, reader: GrowingReader, max_pixels: int) -> None:
        try:
            with reader:
                # (A GrowingReader is a binary file as Pillow reads one: read, seek, tell.)
                self._outcome = inspect_picture(cast(IO[bytes], reader), max_pixels=max_pixels,
                                                thumbnail_to=self.thumbnail_path)
        except BaseException as error:  # noqa: BLE001 - handed to the request, which raises it
            self._outcome = error

    @property
    def inspecting(self) -> bool:
        """A picture's inspection follows this file as it arrives."""
        return self._inspector is not None

    def finish(self) -> None:
        """The file is whole: a reader waiting for more bytes reads its end."""
        self._growth.end()

    def inspected(self) -> Inspected | None:
        """What the early inspection found (raising what it refused), or None when it did not read the file as a
        picture; call once the file is whole (``finish``)."""
        if self._inspector is None:
            return None
        self._inspector.join()
        assert self._reader is not None
        if self._reader.past_limit:
            raise TooLarge(_picture_too_large(self._reader.limit, self.size))
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        return self._outcome

    def hexdigest(self) -> str:
        if self._hex is None:
            self._chunks.put(None)
            self._hasher.join()
            self._hex = self._digest.hexdigest()
        return self._hex

    def close(self) -> None:
        """Stop the threads (an inspection still reading stops at its next read) and close the file; the early
        inspection's thumbnail, if it is still there, goes too."""
        self._growth.end(abandon=True)
        if self._inspector is not None:
            self._inspector.join()
            self.thumbnail_path.unlink(missing_ok=True)
        if self._hex is None:
            self.hexdigest()  # ends the thread
        self.file.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.file, name)

    def __iter__(self) -> Any:
        return iter(self.file)


def _picture_too_large(cap: int, size: int) -> Any:
    return _l("A %(kind)s may be %(limit)s MB at most; this one is %(size)s MB.", kind=_l("picture"),
              limit=cap // MB, size=round(size / MB, 1))


def stream_uploads_to_disk(*, decode_early: bool) -> None:
    """Before the request's body is parsed (a URL value preprocessor runs before every ``before_request``, which may
    read the form): raise the body cap to the media caps and have Werkzeug write files into ``HashingFile``s."""
    caps = limits()
    request.max_content_length = caps.body_bytes
    directory = staging_dir()
    created: list[HashingFile] = []
    g.media_uploads = created

    def factory(total_content_length: int | None, content_type: str | None, filename: str | None,
                content_length: int | None = None) -> HashingFile:
        # The first named file is the upload (the forms take one): only it is inspected as it arrives, so a body of
        # many parts never starts many decodings; and only when the caller knows who sends it (forms are read
        # before any login check: a stranger's body costs disk, never a decoding).
        early = decode_early and filename and not any(upload.inspecting for upload in created)
        upload = HashingFile(directory, pictures=caps if early else None)
        created.append(upload)
        return upload

    # This request's uploads only. (``assignment``: Werkzeug types the stream as IO[bytes]; a HashingFile is a file
    # by delegation, not by inheritance.)
    request._get_file_stream = factory  # type: ignore[method-assign, assignment]


def remove_temporary_files(_exc: BaseException | None = None) -> None:
    for upload in g.pop("media_uploads", ()):
        try:
            upload.close()
        except OSError:
            pass
        upload.path.unlink(missing_ok=True)


@dataclass
class Received:
    path: Path
    sha256: str
    size: int
    found: Inspected
    name: str
    thumbnail: Path | None


def check_name(name: str) -> str:
    """The upload's file name as given, refused when it is not a plain file name."""
    if not name:
        return ""
    if "/" in name or "\\" in name or "\x00" in name or name in (".", "..") or name.startswith("~"):
        raise Invalid(_l("The file name must not contain a path (/, \\\\ or ..): send the file under its own name."))
    if len(name) > MAX_NAME or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise Invalid(_l("The file name is too long or holds control characters."))
    return name


def receive(upload: Any, *, strip_gps: bool) -> Received:
    """Check, inspect and prepare the uploaded ``FileStorage`` (its stream a ``HashingFile``); raise
    ``MediaRefused`` (413, 415, 422)."""
    name = check_name(upload.filename or "")
    stream = upload.stream
    if not isinstance(stream, HashingFile):  # a small file Werkzeug kept in memory elsewhere: copy it once
        copy = HashingFile(staging_dir())
        g.setdefault("media_uploads", []).append(copy)
        while chunk := stream.read(MB):
            copy.write(chunk)
        stream = copy
    stream.finish()
    caps = limits()
    if stream.size == 0:
        raise Invalid(_l("The file is empty."))
    if stream.size > max(caps.image_bytes, caps.video_bytes):
        raise TooLarge(_l("The file is larger than %(limit)s MB.", limit=max(caps.image_bytes, caps.video_bytes) // MB))
    if stream.inspecting:  # synced while the picture's decoding, which follows the upload, finishes
        os.fsync(stream.file.fileno())
    thumb = stream.thumbnail_path
    g.setdefault("media_thumbnails", []).append(thumb)
    found = stream.inspected() or inspect(stream.path, max_pixels=caps.max_pixels, thumbnail_to=thumb)
    cap = caps.image_bytes if found.kind == "image" else caps.video_bytes
    if stream.size > cap:
        raise TooLarge(_picture_too_large(cap, stream.size) if found.kind == "image" else
                       _l("A %(kind)s may be %(limit)s MB at most; this one is %(size)s MB.", kind=_l("video"),
                          limit=cap // MB, size=round(stream.size / MB, 1)))
    check_claim(name, upload.mimetype, found)
    sha256, size = stream.hexdigest(), stream.size
    if strip_gps and found.has_location:
        found = strip_location(stream.path, found)
        data = stream.path.read_bytes()  # pictures only, capped at the image cap
        sha256, size = hashlib.sha256(data).hexdigest(), len(data)
        with open(stream.path, "rb") as rewritten:
            os.fsync(rewritten.fileno())
    elif not stream.inspecting:  # a video, or a file not taken for a picture at first sight: synced once accepted
        os.fsync(stream.file.fileno())
    return Received(path=stream.path, sha256=sha256, size=size, found=found, name=name,
                    thumbnail=thumb if found.thumbnail else None)


def remove_thumbnails(_exc: BaseException | None = None) -> None:
    for path in g.pop("media_thumbnails", ()):
        path.unlink(missing_ok=True)
