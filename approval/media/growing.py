"""Reading a file while it is still being written: a picture's decoding follows its upload instead of starting once
the whole body has been received (on two cores, the JPEG decoder runs beside the multipart parser).

The writer tells a ``Growth`` how far it wrote and when it ended; a ``GrowingReader`` reads the same file through a
descriptor of its own and waits for bytes that have not arrived yet. A read is whole unless the file ended first,
as a read of a finished file would be, so a library reading it cannot tell the difference - except that reading past
``limit`` raises ``PastLimit`` (a picture larger than its cap is not decoded to its end), and a reader whose writer
gave up (``abandon``) raises ``Abandoned`` at its next read.
"""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path


class PastLimit(OSError):
    """The file is longer than the reader may read."""


class Abandoned(OSError):
    """The writer gave the file up (a refused or broken request): its readers stop."""


class Growth:
    """How much of a file its writer wrote, and whether it is done."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.written = 0
        self.ended = False
        self.abandoned = False

    def wrote(self, size: int) -> None:
        with self._changed:
            self.written += size
            self._changed.notify_all()

    def end(self, *, abandon: bool = False) -> None:
        with self._changed:
            self.ended = True
            self.abandoned = self.abandoned or abandon
            self._changed.notify_all()

    def wait_for(self, offset: int) -> int:
        """Bytes written once at least ``offset`` are, or once the writer ended."""
        with self._changed:
            self._changed.wait_for(lambda: self.written >= offset or self.ended)
            if self.abandoned:
                raise Abandoned("the upload was given up")
            return self.written


class GrowingReader(io.RawIOBase):
    """A read-only, seekable view of ``path`` as its writer (``growth``) extends it."""

    def __init__(self, path: Path, growth: Growth, limit: int) -> None:
        super().__init__()
        self._fd = os.open(path, os.O_RDONLY)
        self._growth = growth
        self.limit = limit
        self._position = 0
        self.past_limit = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._position
        elif whence == io.SEEK_END:
            written = self._growth.wait_for(self.limit + 1)  # the end is known once the writer ended...
            self._check_limit(written)  # ...or the file is past the limit already, whatever its end
            offset += written
        if offset < 0:
            raise ValueError("negative seek position")
        self._position = offset
        return offset

    def _check_limit(self, end: int) -> None:
        if end > self.limit and self._growth.written > self.limit:
            self.past_limit = True
            raise PastLimit(f"the file is longer than {self.limit} bytes")

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        wanted = len(buffer)
        end = self._position + wanted
        written = self._growth.wait_for(min(end, self.limit + 1))
        self._check_limit(end)
        size = min(wanted, written - self._position)
        if size <= 0:
            return 0
        with memoryview(buffer) as view:
            got = os.preadv(self._fd, [view[:size]], self._position)
        self._position += got
        return got

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()
