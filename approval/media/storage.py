"""Where media files live: one small interface, a folder by default, an S3-compatible bucket when configured.

Files are content-addressed: a file's key is derived from the SHA-256 of its bytes (``files/ab/cd/<sha256>``), so the
same bytes are stored once and a key never names two contents. A file is written whole or not at all: the folder
store writes into a temporary file beside its target and renames it (atomic on one file system); S3 makes an object
visible only once its upload completed.

``APPROVAL_MEDIA_URL`` chooses: unset, the folder ``<instance>/media``; ``file:///path`` (or ``/path``) another folder;
``s3://bucket/prefix`` a bucket through boto3, with the usual AWS variables (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``) and ``AWS_ENDPOINT_URL`` (or ``APPROVAL_MEDIA_S3_ENDPOINT``) for
an S3-compatible server other than AWS (MinIO, Ceph, moto in the tests). Web processes and workers on several
machines share one bucket.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG
from typing import IO, Any, Protocol
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app

CHUNK = 1024 * 1024


class StoreUnavailable(Exception):  # noqa: N818 - what it says of the store, as FileNotFoundError does of a file
    """The store cannot be used: its bucket is not there, its server does not answer or refuses the credentials.
    Not an error of the file asked for: a request answers 503 (``approval.errors``), a worker fails the post."""


#: The two trees the store writes in: a listing looks there only, never at what else shares the folder or bucket.
STORE_FOLDERS = ("files", "thumbnails")
#: The folder store copies a file into a temporary file of this name beside its target, then renames it: a process
#: stopped in between leaves it behind (``approval media sweep`` removes it).
PARTIAL_PREFIX = ".partial-"


@dataclass(frozen=True)
class Stored:
    """An object of the store as a listing sees it."""

    key: str
    size: int
    #: When it was last written (UTC): its put, or a later put of the same bytes, which writes it again.
    modified: datetime


def file_key(sha256: str) -> str:
    return f"files/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def thumbnail_key(sha256: str) -> str:
    return f"thumbnails/{sha256[:2]}/{sha256[2:4]}/{sha256}.jpg"


class Storage(Protocol):
    name: str

    def put(self, key: str, path: Path, *, content_type: str, move: bool = False) -> None:
        """Store the local file ``path`` under ``key`` (whole, or not at all); the same key twice keeps one copy,
        written again (its age starts again: an old file no row named, uploaded anew, is not one for
        ``approval media sweep`` to remove while its row commits). ``move``: the caller gives the file up (an
        upload's temporary file, already on disk and synced): a store on the same file system renames it instead
        of copying it."""

    def exists(self, key: str) -> bool: ...

    def open(self, key: str) -> IO[bytes]:
        """The stored bytes, to read from the start; raises ``FileNotFoundError``."""

    def size(self, key: str) -> int:
        """The stored file's size in bytes; raises ``FileNotFoundError``."""

    def delete(self, key: str) -> None: ...

    def list_keys(self) -> Iterator[Stored]:
        """Everything under the store's ``files/`` and ``thumbnails/`` (the folder store's leftover temporary files
        too), with its size and when it was last written, in no particular order; raises ``StoreUnavailable``."""

    def stat(self, key: str) -> Stored:
        """What ``list_keys`` says of ``key`` now; raises ``FileNotFoundError``."""

    def local_path(self, key: str) -> Path | None:
        """A path the web server may send directly (the folder store), or None."""

    def check(self) -> str | None:
        """Why the store cannot be used now, in a few words, or None: cheap enough for a health check."""


class FolderStorage:
    """Files under a folder of this machine (the instance folder's ``media`` by default)."""

    name = "folder"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"key outside the store: {key!r}")
        return path

    def put(self, key: str, path: Path, *, content_type: str, move: bool = False) -> None:
        target = self._path(key)
        # Already there, the file is written again all the same (``Storage.put``): the same bytes, replaced atomically
        # (a reader keeps the copy it opened), a rename for an upload. Touching it instead fails on a file this
        # process does not own (one restored by another user), and would not bring back one a sweep just removed.
        target.parent.mkdir(parents=True, exist_ok=True)
        if move:
            try:
                os.replace(path, target)  # atomic: the synced upload appears whole under its name
                return
            except OSError:  # another file system: copy as below
                pass
        # Beside the target, so the rename stays on one file system and is atomic: a reader sees all or nothing.
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=PARTIAL_PREFIX)
        try:
            with os.fdopen(handle, "wb") as out, open(path, "rb") as source:
                shutil.copyfileobj(source, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def open(self, key: str) -> IO[bytes]:
        return open(self._path(key), "rb")

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list_keys(self) -> Iterator[Stored]:
        def trouble(error: OSError) -> None:  # os.walk would skip a folder it cannot read, without a word
            raise StoreUnavailable(f"{error.filename}: {error.strerror}") from error

        for folder in STORE_FOLDERS:
            top = self.root / folder
            if not top.exists():  # nothing stored there yet
                continue
            for directory, _folders, names in os.walk(top, onerror=trouble):
                for name in names:
                    path = Path(directory, name)
                    try:
                        info = path.lstat()
                    except FileNotFoundError:  # removed since the folder was read
                        continue
                    if S_ISREG(info.st_mode):  # not a link, not a socket
                        yield self._stored(path.relative_to(self.root).as_posix(), info)

    def stat(self, key: str) -> Stored:
        return self._stored(key, self._path(key).stat())

    @staticmethod
    def _stored(key: str, info: os.stat_result) -> Stored:
        return Stored(key, info.st_size, datetime.fromtimestamp(info.st_mtime, UTC))

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    def check(self) -> str | None:
        """The folder, or the nearest folder above it that exists (it is made on the first file), is one this
        process may write in."""
        folder = self.root
        while not folder.exists() and folder.parent != folder:
            folder = folder.parent
        if not folder.is_dir():
            return f"{folder} is not a folder"
        if not os.access(folder, os.W_OK | os.X_OK):
            return f"{folder} cannot be written by this user"
        return None


class S3Storage:
    """Objects in an S3-compatible bucket, under a prefix. A bucket that is not there, a server that does not answer
    or that refuses the credentials is ``StoreUnavailable``: an upload answered a 500 with a 60-line traceback."""

    name = "s3"
    #: Objects a listing asks for at a time (S3 answers at most 1,000).
    LIST_PAGE = 1000

    def __init__(self, bucket: str, prefix: str = "", *, client: Any = None, endpoint_url: str | None = None) -> None:
        self._checking_client: Any = client  # a client given (the tests') is the checks' too
        if client is None:
            import boto3  # only when a bucket is configured

            client = boto3.client("s3", endpoint_url=endpoint_url)
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, path: Path, *, content_type: str, move: bool = False) -> None:
        from boto3.exceptions import S3UploadFailedError

        if self.exists(key):
            # There already: written again now (``Storage.put``), by a copy onto itself inside the bucket. Should a
            # sweep remove it between the two requests, the copy finds nothing and the file is uploaded below.
            try:
                self._call("copy_object", key, CopySource={"Bucket": self.bucket, "Key": self._key(key)},
                           MetadataDirective="REPLACE", ContentType=content_type)
                return
            except FileNotFoundError:
                pass
        try:
            self.client.upload_file(str(path), self.bucket, self._key(key), ExtraArgs={"ContentType": content_type})
        except S3UploadFailedError as error:  # boto3's transfer wraps what the server said
            raise StoreUnavailable(f"bucket {self.bucket}: {error}") from error

    def _call(self, method: str, key: str, **arguments: Any) -> dict:
        """``method`` (head_object, get_object, copy_object, delete_object) on ``key``; an object that is not there
        is ``FileNotFoundError``."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, method)(Bucket=self.bucket, Key=self._key(key), **arguments)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileNotFoundError(key) from None
            raise StoreUnavailable(f"bucket {self.bucket}: {error}") from error
        except BotoCoreError as error:  # no answer, no credentials
            raise StoreUnavailable(f"bucket {self.bucket}: {error}") from error

    def exists(self, key: str) -> bool:
        try:
            self._call("head_object", key)
        except FileNotFoundError:
            return False
        return True

    def open(self, key: str) -> IO[bytes]:
        return self._call("get_object", key)["Body"]

    def size(self, key: str) -> int:
        return int(self._call("head_object", key)["ContentLength"])

    def delete(self, key: str) -> None:
        self._call("delete_object", key)

    def list_keys(self) -> Iterator[Stored]:
        from botocore.exceptions import BotoCoreError, ClientError

        start = len(self._key(""))
        pages = self.client.get_paginator("list_objects_v2")
        try:
            for folder in STORE_FOLDERS:
                for page in pages.paginate(Bucket=self.bucket, Prefix=self._key(f"{folder}/"),
                                           PaginationConfig={"PageSize": self.LIST_PAGE}):
                    for item in page.get("Contents", ()):
                        yield Stored(item["Key"][start:], int(item["Size"]), item["LastModified"].astimezone(UTC))
        except (BotoCoreError, ClientError) as error:  # no bucket, no answer, no credentials
            raise StoreUnavailable(f"bucket {self.bucket}: {error}") from error

    def stat(self, key: str) -> Stored:
        head = self._call("head_object", key)
        return Stored(key, int(head["ContentLength"]), head["LastModified"].astimezone(UTC))

    def local_path(self, key: str) -> Path | None:
        return None

    def check(self) -> str | None:
        """The bucket is there and these credentials may use it (one HEAD request, a few seconds at most: a
        health check must not hang on a server that does not answer)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._checker().head_bucket(Bucket=self.bucket)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            return f"bucket {self.bucket}: " + ("not found (create it first)" if code in ("404", "NoSuchBucket")
                                                else f"refused ({code})")
        except BotoCoreError as error:
            return f"bucket {self.bucket}: {error}"
        return None

    def _checker(self) -> Any:
        """A client with short timeouts and no retries, for ``check``; the store's own, when it was given one."""
        if self._checking_client is None:
            import boto3
            from botocore.config import Config

            self._checking_client = boto3.client("s3", endpoint_url=self.endpoint_url, config=Config(
                connect_timeout=2, read_timeout=2, retries={"max_attempts": 1}))
        return self._checking_client


def storage_for(url: str | None, instance_path: Path) -> Storage:
    """The store ``url`` names (``APPROVAL_MEDIA_URL``); None or empty: the instance folder's ``media``."""
    if not url:
        return FolderStorage(Path(instance_path) / "media")
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FolderStorage(Path(unquote(parts.path)))
    if not parts.scheme and Path(url).is_absolute():  # a folder's path, as an operator writes it
        return FolderStorage(Path(url))
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError("APPROVAL_MEDIA_URL=s3://bucket/prefix needs a bucket")
        endpoint = os.environ.get("APPROVAL_MEDIA_S3_ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL") or None
        return S3Storage(parts.netloc, unquote(parts.path), endpoint_url=endpoint)
    raise ValueError(f"APPROVAL_MEDIA_URL: unknown scheme {parts.scheme!r} (file:// or s3://)")


def storage(app: Flask | None = None) -> Storage:
    """The application's store, built on first use and kept per application: ``MEDIA_URL`` in the app's config,
    else ``APPROVAL_MEDIA_URL``."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    state = app.extensions.setdefault("approval.media", {})
    if "storage" not in state:
        url = app.config.get("MEDIA_URL", os.environ.get("APPROVAL_MEDIA_URL"))
        state["storage"] = storage_for(url, Path(app.instance_path))
    return state["storage"]


def iter_file(handle: IO[bytes], chunk: int = CHUNK) -> Iterator[bytes]:
    """Stream a stored file to the client a chunk at a time (never whole in memory), then close it."""
    try:
        while data := handle.read(chunk):
            yield data
    finally:
        handle.close()
