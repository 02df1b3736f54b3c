"""The files of the media store that no row names, found and removed (``approval media sweep``).

A file reaches the store before its row commits (``attach.store`` puts it, the request commits once): a store that
fails on the second file of an upload, or a process stopped between the put and the commit, leaves a whole file
that no ``media_files`` row names, and nothing else ever removes it. The sweep removes such files and thumbnails once
they are older than a grace age (an upload between its put and its commit is younger), and the temporary files of
copies the folder store never finished. It removes only names the store gives (``file_key``, ``thumbnail_key``, the
folder store's temporary files): whatever else shares the folder or the bucket is left alone.

It also removes what uploads cut short left in the staging folder (``intake.staging_dir``: each machine's own, under
its instance folder, whichever store it uses): an upload streams there before it is stored, and a process killed, or
a machine stopped, in the middle leaves its file behind, which nothing else removes. Everything there older than the
longest an upload may take (``staging_age``) goes: an upload in progress writes its file as its bytes arrive, and is
over well within that age.
"""

from __future__ import annotations

import math
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from stat import S_ISDIR, S_ISREG

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from approval.media.intake import limits, staging_dir
from approval.media.storage import PARTIAL_PREFIX, STORE_FOLDERS, Storage, Stored, file_key, thumbnail_key
from approval.models import MediaFile

#: An upload puts its files, then commits their rows within the request: a day is far longer than any request.
DEFAULT_GRACE = timedelta(hours=24)
#: The slowest an upload is taken to arrive (bytes a second: 512 kbit/s, a poor mobile link), to reckon how long the
#: largest body the caps allow may take (``staging_age``).
SLOWEST_UPLOAD = 64 * 1024
#: The least age of a staging leftover that the sweep removes, whatever the caps.
MIN_STAGING_AGE = timedelta(hours=1)
#: How the sweep names what it removes from the staging folder (the folder's name under the instance folder).
STAGING = "media-staging"

_DIGEST = re.compile(r"[0-9a-f]{64}")


class NoFileNamed(Exception):  # noqa: N818 - what it says of the store, as FileNotFoundError does of a file
    """The rows name none of the files the store holds: most likely the database of another instance (a wrong
    ``APPROVAL_DATABASE_URL``, or a new empty database), whose sweep would remove every file older than the grace age.
    ``force`` takes them all the same."""

    def __init__(self, files: int) -> None:
        super().__init__(files)
        self.files = files


def sweepable(key: str) -> bool:
    """``key`` is a name the store gives: a file's, a thumbnail's, or a temporary file of the folder store."""
    folder, _, name = key.rpartition("/")
    if name.startswith(PARTIAL_PREFIX):
        return folder.split("/", 1)[0] in STORE_FOLDERS
    sha256 = name.removesuffix(".jpg")
    return _DIGEST.fullmatch(sha256) is not None and key in (file_key(sha256), thumbnail_key(sha256))


def find_orphans(session: Session, store: Storage, *, older_than: timedelta = DEFAULT_GRACE,
                 now: datetime | None = None, force: bool = False) -> list[Stored]:
    """What ``store`` holds under a name of its own that no row names (neither ``storage_key`` nor
    ``thumbnail_key``), last written more than ``older_than`` before ``now``; by key.

    ``session`` must not have read yet, so that its read of the rows, after the listing, sees every row committed
    by then (on PostgreSQL each statement does; on SQLite a transaction sees the rows of its first read).

    Raises ``NoFileNamed`` when the rows name none of the store's files, of any age, unless ``force``."""
    cutoff = (now or datetime.now(UTC)) - older_than
    # The store is listed first and the rows read after, for a file's row commits after its put (attach.store puts,
    # the request commits). The read sees every row committed before the listing began, so a listed file is taken
    # for an orphan only if its row, if any, commits later: its upload was still in flight, and its put came at most
    # a request's length before, younger than the grace age. The put of an upload finding its bytes already stored
    # (an old orphan sent again) writes them again, making them young too (``Storage.put``); should that happen
    # after the listing, ``remove_orphans`` sees it. Read the other way round, a row committed between the read
    # and the listing would protect its file only by its age.
    listed = [stored for stored in store.list_keys() if sweepable(stored.key)]
    candidates = {stored.key: stored for stored in listed if stored.modified <= cutoff}
    if candidates:
        files = {stored.key for stored in listed if stored.key.startswith(f"{STORE_FOLDERS[0]}/")
                 and not stored.key.rpartition("/")[2].startswith(PARTIAL_PREFIX)}
        named = 0
        for storage_key, thumbnail in session.execute(select(MediaFile.storage_key, MediaFile.thumbnail_key)):
            named += storage_key in files
            candidates.pop(storage_key, None)
            if thumbnail is not None:
                candidates.pop(thumbnail, None)
        if files and not named and not force:
            raise NoFileNamed(len(files))
    return sorted(candidates.values(), key=lambda stored: stored.key)


def remove_orphans(store: Storage, orphans: Iterable[Stored]) -> Iterator[Stored]:
    """Remove each of ``orphans`` (``find_orphans``) from ``store``, yielding each as it goes. One written again
    since it was listed is kept: the same bytes uploaded meanwhile, whose row may commit after the rows were read."""
    for orphan in orphans:
        try:
            current = store.stat(orphan.key)
        except FileNotFoundError:  # gone meanwhile (another sweep)
            continue
        if current.modified > orphan.modified:
            continue
        # The gap left: the same bytes put between this look and the removal (two system calls on a folder, two
        # requests on a bucket), their row committed after the rows were read. That row then names a file gone:
        # the worker refuses to publish it ("missing from the media store"), and uploading the file again mends it.
        store.delete(orphan.key)
        yield current


def sweep(session: Session, store: Storage, *, older_than: timedelta = DEFAULT_GRACE,
          dry_run: bool = False, force: bool = False) -> Iterator[Stored]:
    """The orphans of ``store`` (``find_orphans``), removed one after another unless ``dry_run``: each is yielded
    once removed (with ``dry_run``, as found)."""
    orphans = find_orphans(session, store, older_than=older_than, force=force)
    yield from orphans if dry_run else remove_orphans(store, orphans)


# What uploads cut short left in the staging folder -----------------------------------------------------------------

def staging_age(app: Flask) -> timedelta:
    """How old a staging leftover must be for the sweep to remove it: the longest an upload may take, its largest
    body (``intake.Limits.body_bytes``) arriving at ``SLOWEST_UPLOAD``, in whole hours, an hour at least (3 hours
    with the default caps). A file of a carousel is whole, and no longer written, while the files after it arrive:
    its request is over within that age."""
    hours = math.ceil(limits(app).body_bytes / SLOWEST_UPLOAD / 3600)
    return max(MIN_STAGING_AGE, timedelta(hours=hours))


def find_leftovers(folder: Path, *, older_than: timedelta, now: datetime | None = None) -> list[Stored]:
    """What ``folder`` (the staging folder) holds that nothing wrote for more than ``older_than`` before ``now``, by
    name: each file, and each folder (a thumbnail being drawn, the demo's samples) with everything in it, its size
    the sum of its files' and its age that of the newest of them. Each is named ``media-staging/<name>``."""
    cutoff = (now or datetime.now(UTC)) - older_than
    found = []
    for entry in _entries(folder):
        try:
            size, modified = _measure(Path(entry.path))
        except FileNotFoundError:  # removed since the folder was read (its request ended, another sweep)
            continue
        if modified <= cutoff:
            found.append(Stored(f"{STAGING}/{entry.name}", size, modified))
    return sorted(found, key=lambda stored: stored.key)


def remove_leftovers(folder: Path, leftovers: Iterable[Stored]) -> Iterator[Stored]:
    """Remove each of ``leftovers`` (``find_leftovers``) from ``folder``, yielding each as it goes; one written since
    it was found is kept, and one gone meanwhile (another sweep) skipped."""
    for leftover in leftovers:
        path = folder / leftover.key.removeprefix(f"{STAGING}/")
        try:
            size, modified = _measure(path)
            if modified > leftover.modified:
                continue
            if S_ISDIR(path.lstat().st_mode):
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:
            continue
        yield Stored(leftover.key, size, modified)


def sweep_staging(app: Flask, *, older_than: timedelta | None = None, dry_run: bool = False) -> Iterator[Stored]:
    """The leftovers of the staging folder of ``app`` older than ``older_than`` (``staging_age`` by default),
    removed one after another unless ``dry_run``: each is yielded once removed (with ``dry_run``, as found)."""
    folder = staging_dir(app)
    leftovers = find_leftovers(folder, older_than=staging_age(app) if older_than is None else older_than)
    yield from leftovers if dry_run else remove_leftovers(folder, leftovers)


def _entries(folder: Path) -> list[os.DirEntry]:
    with os.scandir(folder) as entries:
        return list(entries)


def _measure(path: Path) -> tuple[int, datetime]:
    """The bytes of the file ``path``, or of the files under the folder ``path``, and when the newest of them (or of
    its folders: a file was added or removed there) was last written. A link is measured, never followed."""
    info = path.lstat()
    size, newest = info.st_size, info.st_mtime
    if S_ISDIR(info.st_mode):
        size = 0
        for directory, folders, files in os.walk(path):  # links to folders listed, not followed
            for name in (*folders, *files):
                try:
                    inner = os.lstat(os.path.join(directory, name))
                except FileNotFoundError:
                    continue
                newest = max(newest, inner.st_mtime)
                size += inner.st_size if S_ISREG(inner.st_mode) else 0
    return size, datetime.fromtimestamp(newest, UTC)
