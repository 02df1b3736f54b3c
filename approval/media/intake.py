"""Receiving an upload: streamed to a temporary file while its SHA-256 is computed, capped, inspected, and only
then stored under its digest. A refused or broken upload leaves nothing behind: its temporary file is removed at the
end of the request, and the store only ever receives whole, inspected files. A file is inspected once it is whole:
a video by FFmpeg, a picture by its structure (``approval.media.structure``; it is not decoded at
upload: its thumbnail is drawn when first asked for, ``approval.media.thumbnails``). A still picture of a type the
post's network does not take, on a network that takes JPEG (a PNG on Instagram), is then converted to a JPEG, stored
in its place (``approval.media.convert``).

Caps (413 beyond them), from the settings ``APPROVAL_MEDIA_MAX_IMAGE_BYTES`` and ``APPROVAL_MEDIA_MAX_VIDEO_BYTES``
(``approval.config``, checked when a process starts) or the app's config ``MEDIA_MAX_IMAGE_BYTES`` (default 20 MB)
and ``MEDIA_MAX_VIDEO_BYTES`` (default 512 MB); the app's ``MEDIA_MAX_PIXELS`` bounds a decoded picture
(decompression bombs).
A request body larger than the larger cap is refused before it is read. Uploads must carry a Content-Length
(browsers and HTTP libraries send one for files): a chunked body is capped at ``MAX_CONTENT_LENGTH``.
"""

from __future__ import annotations

import contextlib
import math
import hashlib
import os
import queue
import tempfile
import threading
from dataclasses import dataclass
from collections.abc import Callable, Sequence
from pathlib import Path
from time import monotonic
from typing import IO, Any

from flask import Flask, current_app, g, request
from flask_babel import lazy_gettext as _l

from approval.inputs import invisible_format
from approval.labels import decimal
from approval.media import convert
from approval.media.inspect import (
    DEFAULT_MAX_PIXELS,
    HEAD,
    Inspected,
    Invalid,
    TooLarge,
    check_claim,
    inspect,
    looks_like_picture,
    strip_location,
)
from approval.style.media import MB, size_figure

DEFAULT_MAX_IMAGE_BYTES = 20 * MB
DEFAULT_MAX_VIDEO_BYTES = 512 * MB
#: Room for the multipart envelope and the other fields around the files.
ENVELOPE_BYTES = MB
MAX_NAME = 255
#: The most files one post carries (LinkedIn's MultiImage takes 20, more than any other network), and so the most
#: one upload sends.
MAX_MEDIA = 20


@dataclass(frozen=True)
class Limits:
    image_bytes: int
    video_bytes: int
    max_pixels: int

    @property
    def body_bytes(self) -> int:
        """The most one upload's body holds: as many pictures as a post carries at their cap, or a video at its
        cap (several large videos go in a request each), and the envelope."""
        return max(self.image_bytes * MAX_MEDIA, self.video_bytes) + ENVELOPE_BYTES


def limits(app: Flask | None = None) -> Limits:
    config = (app or current_app).config

    def setting(name: str, default: int) -> int:
        value = config.get(name)  # APPROVAL_MEDIA_MAX_*_BYTES there, read and checked by approval.config
        return int(value) if value else default

    return Limits(setting("MEDIA_MAX_IMAGE_BYTES", DEFAULT_MAX_IMAGE_BYTES),
                  setting("MEDIA_MAX_VIDEO_BYTES", DEFAULT_MAX_VIDEO_BYTES),
                  setting("MEDIA_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def staging_dir(app: Flask | None = None) -> Path:
    """Where uploads land while they are read: beside the folder store, so storing one is a rename."""
    app = app or current_app
    path = Path(app.instance_path) / "media-staging"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Hasher:
    """The thread computing the SHA-256 of a request's uploads, each in turn, fed through one short queue: hashlib
    releases the GIL on large buffers, so hashing runs beside the parsing instead of after it, and the bytes in flight
    stay under ``QUEUE`` x ``HashingFile.BATCH`` whatever the number of files (a thread and a queue per file held up
    to that much for each file of a carousel: 80 MB for ten pictures). ``stop`` ends the thread."""

    QUEUE = 8

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Any, bytes | None] | None] = queue.Queue(self.QUEUE)
        self._thread = threading.Thread(target=self._run, name="upload-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            target, data = item
            if data is None:
                target.set()  # the file's bytes are all hashed
            else:
                target.update(data)

    def update(self, digest: Any, data: bytes) -> None:
        self._queue.put((digest, data))

    def finish(self) -> None:
        """Wait until everything handed over so far is hashed."""
        done = threading.Event()
        self._queue.put((done, None))
        done.wait()

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join()


def _hasher() -> Hasher:
    """The request's hasher, started on its first upload and stopped at the request's end."""
    if "media_hasher" not in g:
        g.media_hasher = Hasher()
    return g.media_hasher


class HashingFile:
    """A temporary file that computes the SHA-256 and the size of what is written to it (Werkzeug writes the
    upload into it as it parses the body: the bytes are read once, never held whole in memory).

    The digest is computed by the request's ``Hasher``. The parser's 64 KB pieces are handed over joined by
    ``BATCH``: each hand-over and each update costs the two threads a turn of the GIL, and a picture's upload took a
    third longer with one per piece. (An inspection following the file as it arrives was tried as well: its Python
    work, holding the GIL, slowed the parsing more than the overlap gained once pictures were no longer decoded at
    upload.)"""

    BATCH = 1024 * 1024
    #: How often, at most, a part still arriving keeps its request's earlier parts young (``_keep_young``).
    KEEP_YOUNG_EVERY = 60.0

    def __init__(self, directory: Path, hasher: Hasher, earlier: Sequence[HashingFile] = ()) -> None:
        handle, name = tempfile.mkstemp(dir=directory, prefix=".upload-")
        self.file: IO[bytes] = os.fdopen(handle, "w+b", buffering=0)
        self.path = Path(name)
        self.thumbnail_path = self.path.with_name(self.path.name + ".thumb.jpg")
        self._digest = hashlib.sha256()
        self._hasher = hasher
        self.size = 0
        #: The file's first bytes (``looks_like_picture``).
        self.head = b""
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._hex: str | None = None
        self._syncer: threading.Thread | None = None
        self._sync_error: OSError | None = None
        self._earlier = tuple(earlier)
        self._kept_young_at = monotonic()

    def _hand_over(self) -> None:
        """Write the pieces gathered so far to the file in one call, and hand them to the hasher."""
        batch = b"".join(self._pending)
        self._pending.clear()
        self._pending_size = 0
        self._hasher.update(self._digest, batch)
        view = memoryview(batch)
        while view:  # an unbuffered file may take part of a batch
            view = view[self.file.write(view) or 0:]
        self._keep_young()

    def _keep_young(self) -> None:
        """The staging sweep removes what is older than the longest an upload may take, by its last write: the
        request's parts already whole are touched while this one arrives, so that a slow carousel's first picture is
        as young as its last byte (it was removed under a request still reading its body)."""
        if not self._earlier or monotonic() - self._kept_young_at < self.KEEP_YOUNG_EVERY:
            return
        self._kept_young_at = monotonic()
        for part in self._earlier:
            with contextlib.suppress(OSError):  # gone already: the request fails on it, as it would have
                os.utime(part.path)

    def write(self, data: bytes) -> int:
        chunk = bytes(data)  # the parser may reuse its buffer (no copy of a bytes)
        self._pending.append(chunk)
        self._pending_size += len(chunk)
        self.size += len(chunk)
        if self._pending_size >= self.BATCH:
            self._hand_over()
        if len(self.head) < HEAD:
            self.head += chunk[:HEAD - len(self.head)]
        return len(chunk)

    def flush(self) -> None:
        """Write what is gathered: the file on disk is then the whole upload so far."""
        if self._pending:
            self._hand_over()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self.flush()
        return self.file.seek(offset, whence)

    def read(self, size: int = -1) -> bytes:
        self.flush()
        return self.file.read(size)

    def hexdigest(self) -> str:
        if self._hex is None:
            self.flush()
            self._hasher.finish()
            self._hex = self._digest.hexdigest()
        return self._hex

    def sync_behind(self) -> None:
        """Start making the whole file durable (its fsync) in a thread of its own, so the disk's flush runs beside
        what follows (the next file's parsing, the inspection, the post's checks) instead of after it. ``synced``
        waits for it: before the file is stored under its digest, so a crash never leaves a content address naming
        a file that was not on disk whole."""
        if self._syncer is None:
            self.flush()
            self._syncer = threading.Thread(target=self._sync, name="upload-fsync", daemon=True)
            self._syncer.start()

    def _sync(self) -> None:
        try:
            os.fsync(self.file.fileno())
        except OSError as error:
            self._sync_error = error

    def synced(self) -> None:
        """Wait until the file is on disk (raises the fsync's ``OSError``)."""
        self.sync_behind()
        assert self._syncer is not None
        self._syncer.join()
        if self._sync_error is not None:
            raise self._sync_error

    def close(self) -> None:
        """Wait for the file's hashing and syncing, and close it."""
        if self._hex is None:
            self.hexdigest()
        if self._syncer is not None:
            self._syncer.join()
        self.file.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.file, name)

    def __iter__(self) -> Any:
        return iter(self.file)


def megabytes(size: int, *, over: int | None = None) -> str:
    """``size`` in MB as the reader's language writes it, as a file's card and its findings do
    (``approval.style.media.size_figure``: "1.5", "20", "2,2" in French). ``over``: the cap ``size`` is over, which a
    setting may make any figure: the size never reads as it ("20.01", not "20" beside a cap of 20). Written when the
    refusal is made, in the request that answers it (a lazy message's parameters are not localized on the way)."""
    figure = size_figure(size, MB)
    if over is not None and figure <= size_figure(over, MB):
        figure = math.ceil(size / MB * 100) / 100
    return decimal(figure)


def _too_large(kind: str, cap: int, size: int) -> Any:
    return _l("A %(kind)s may be %(limit)s MB at most; this one is %(size)s MB.",
              kind=_l("picture") if kind == "image" else _l("video"), limit=megabytes(cap),
              size=megabytes(size, over=cap))


def stream_uploads_to_disk(*, read_past_cap: bool = False) -> None:
    """Before the request's body is parsed (a URL value preprocessor runs before every ``before_request``, which may
    read the form): raise the body cap to the media caps and have Werkzeug write files into ``HashingFile``s.

    A part beginning past what a post carries raises ``TooManyFiles``, unless ``read_past_cap`` (the new-post form,
    whose text must come back with the refusal, though a browser sends it around the files): such parts are read and
    let go, none written anywhere, within the same body cap; ``parts_dropped`` counts them for the view to refuse."""
    caps = limits()
    if request.environ.get(BODY_CUT):  # sent without its length, and longer than a body without one may be
        raise TooLarge(_l("An upload sent without its length (Content-Length) may be %(limit)s MB at most: send it "
                          "with its length.", limit=megabytes(current_app.config.get("MAX_CONTENT_LENGTH") or 0)))
    request.max_content_length = caps.body_bytes
    if request.content_length is not None and request.content_length > caps.body_bytes:
        # Said here, before the body is read, with the caps (Werkzeug's own 413 names neither the file nor a limit).
        raise TooLarge(_l("The upload is %(size)s MB: one request carries %(total)s MB at most (%(count)d pictures of "
                          "%(image)s MB, or a video of %(video)s MB); send the files in several requests.",
                          size=megabytes(request.content_length, over=caps.body_bytes),
                          total=megabytes(caps.body_bytes), count=MAX_MEDIA,
                          image=megabytes(caps.image_bytes), video=megabytes(caps.video_bytes)))
    directory = staging_dir()
    created: list[HashingFile] = []
    g.media_uploads = created

    def factory(total_content_length: int | None, content_type: str | None, filename: str | None,
                content_length: int | None = None) -> HashingFile:
        if len(created) == MAX_MEDIA:  # no post takes this part: the body is read no further
            if not read_past_cap:
                raise TooManyFiles()
            g.media_parts_dropped = g.get("media_parts_dropped", 0) + 1
            return DroppedPart()  # type: ignore[return-value]
        if created:  # a new part begins: the one before is whole, and is synced while this one arrives
            created[-1].sync_behind()
        upload = HashingFile(directory, _hasher(), earlier=created)
        created.append(upload)
        return upload

    # This request's uploads only. (``assignment``: Werkzeug types the stream as IO[bytes]; a HashingFile is a file
    # by delegation, not by inheritance.)
    request._get_file_stream = factory  # type: ignore[method-assign, assignment]


class DroppedPart:
    """A file part past what a post carries, read and let go (``stream_uploads_to_disk``): nothing is written."""

    def write(self, data: bytes) -> int:
        return len(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return 0

    def read(self, size: int = -1) -> bytes:
        return b""

    def close(self) -> None:
        pass


def parts_dropped() -> int:
    """The file parts of this request let go past what a post carries (``stream_uploads_to_disk``)."""
    return int(g.get("media_parts_dropped", 0))


class TooManyFiles(Exception):  # noqa: N818 - what the upload is, as Werkzeug's RequestEntityTooLarge
    """An upload's part begins past what a post carries (``MAX_MEDIA``): raised as it begins, so the parts after it
    are neither read nor written to disk. Not a ``MediaRefused``: Werkzeug's form parser takes a ``ValueError`` for
    a malformed body and reads the form as empty. The upload views answer it with ``too_many_files``."""


def too_many_files() -> Invalid:
    return Invalid(_l("A post carries at most %(limit)d pictures and videos.", limit=MAX_MEDIA))


#: Where ``approval.inputs.SizedBody`` says it cut a body sent without its length at the application's cap.
BODY_CUT = "approval.body_cut"


def remove_temporary_files(_exc: BaseException | None = None) -> None:
    for upload in g.pop("media_uploads", ()):
        try:
            upload.close()
        except OSError:
            pass
        upload.path.unlink(missing_ok=True)
    if (hasher := g.pop("media_hasher", None)) is not None:
        hasher.stop()


def _nothing_to_wait_for() -> None:
    """A file synced already, or one the caller writes itself (the demo's samples)."""


@dataclass
class Received:
    path: Path
    sha256: str
    size: int
    found: Inspected
    #: The name it is stored under: ``launch.jpg`` for a ``launch.png`` converted (``sent_name``: as it was sent).
    name: str
    thumbnail: Path | None
    #: Waits until the file is on disk: called before it is stored under its digest.
    synced: Callable[[], None] = _nothing_to_wait_for
    #: The type it was sent as, when it was converted to JPEG for the post's network (``approval.media.convert``);
    #: None when it is stored as sent.
    converted_from: str | None = None
    sent_name: str = ""


def check_name(name: str) -> str:
    """The upload's file name as given, refused when it is not a plain file name."""
    if not name:
        return ""
    if "/" in name or "\\" in name or "\x00" in name or name in (".", "..") or name.startswith("~"):
        raise Invalid(_l("The file name must not contain a path (/, \\ or ..): send the file under its own name."))
    if len(name) > MAX_NAME or any(ord(c) < 32 or ord(c) == 127 for c in name) or invisible_format(name):
        raise Invalid(_l("The file name is too long or holds control characters."))
    return name


def receive(upload: Any, *, strip_gps: bool, network: str | None = None) -> Received:
    """Check, inspect and prepare the uploaded ``FileStorage`` (its stream a ``HashingFile``); raise
    ``MediaRefused`` (413, 415, 422). ``network``: the post's network whose types the file must have
    (``attach.typed_network``, None: any type): a still picture of a type it does not take, where it takes JPEG, is
    converted to a JPEG, which is what is stored (``approval.media.convert``)."""
    name = check_name(upload.filename or "")
    stream = upload.stream
    if not isinstance(stream, HashingFile):  # a small file Werkzeug kept in memory elsewhere: copy it once
        copy = HashingFile(staging_dir(), _hasher())
        g.setdefault("media_uploads", []).append(copy)
        while chunk := stream.read(MB):
            copy.write(chunk)
        stream = copy
    caps = limits()
    if stream.size == 0:
        raise Invalid(_l("The file is empty."))
    if stream.size > max(caps.image_bytes, caps.video_bytes):
        raise TooLarge(_l("The file is larger than %(limit)s MB.",
                          limit=megabytes(max(caps.image_bytes, caps.video_bytes))))
    if stream.size > caps.image_bytes and looks_like_picture(stream.head):  # refused before it is read
        raise TooLarge(_too_large("image", caps.image_bytes, stream.size))
    stream.sync_behind()  # durable while it is inspected and the post is checked; waited for before it is stored
    thumb = stream.thumbnail_path
    g.setdefault("media_thumbnails", []).append(thumb)
    found = inspect(stream.path, max_pixels=caps.max_pixels, thumbnail_to=thumb)
    cap = caps.image_bytes if found.kind == "image" else caps.video_bytes
    if stream.size > cap:
        raise TooLarge(_too_large(found.kind, cap, stream.size))
    check_claim(name, upload.mimetype, found)
    sha256, size = stream.hexdigest(), stream.size
    synced = stream.synced
    sent_name, converted_from = name, None
    if network is not None and convert.wanted(network, found):
        data = convert.to_jpeg(stream.path, strip_gps=strip_gps)  # its location gone where the policy says so
        convert.check_fits(network, found, len(data))
        if len(data) > caps.image_bytes:
            raise TooLarge(_too_large("image", caps.image_bytes, len(data)))
        _replace(stream.path, data)
        converted_from, name = found.mime, convert.jpeg_name(name, MAX_NAME)
        found = inspect(stream.path, max_pixels=caps.max_pixels)  # the JPEG as stored: its type, sides, location
        sha256, size = hashlib.sha256(data).hexdigest(), len(data)
        synced = _nothing_to_wait_for
    if strip_gps and found.has_location:
        stream.synced()  # the first bytes' flush ends before the file is rewritten
        found = strip_location(stream.path, found)
        data = stream.path.read_bytes()  # pictures only, capped at the image cap
        sha256, size = hashlib.sha256(data).hexdigest(), len(data)
        with open(stream.path, "rb") as rewritten:
            os.fsync(rewritten.fileno())
        synced = _nothing_to_wait_for
    return Received(path=stream.path, sha256=sha256, size=size, found=found, name=name,
                    thumbnail=thumb if found.thumbnail else None, synced=synced, converted_from=converted_from,
                    sent_name=sent_name)


def _replace(path: Path, data: bytes) -> None:
    """Put ``data`` at ``path`` whole and on disk, in place of the upload: written beside it, synced, then renamed
    over it (the upload's own file, still open, goes with the request)."""
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=".converted-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def remove_thumbnails(_exc: BaseException | None = None) -> None:
    for path in g.pop("media_thumbnails", ()):
        path.unlink(missing_ok=True)
