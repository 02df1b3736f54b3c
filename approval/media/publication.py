"""What the publishing worker sends of a revision's media, and what it checks before sending."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime

from flask import Flask
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from approval.db import utcnow
from approval.media import downloads
from approval.media.storage import CHUNK, Storage, storage
from approval.models import Post, Revision, RevisionMedia
from approval.workflow.states import State


def describe(app: Flask, revision: Revision, slot: datetime | None = None, post_id: int | None = None) -> list[dict]:
    """The approved revision's media in order, as the connectors receive them (CONTRACT.md's ``media`` items), each
    with a signed link to its bytes (``approval.media.downloads``), open for a week after the post's ``slot`` (and
    while it may still go out). Never
    the file's key in the media store: an internal path the contract does not list, which no receiver needs."""
    until = downloads.closes(slot or utcnow())
    return [
        {"id": m.file.id, "kind": m.file.kind.value, "mime": m.file.mime, "bytes": m.file.bytes,
         "width": m.file.width, "height": m.file.height, "duration_s": m.file.duration_s, "sha256": m.file.sha256,
         "alt": m.alt, "url": downloads.link(app, m.file.id, m.file.sha256, until, post_id)}
        for m in revision.media
    ]


#: The states of a post whose approved revision may still be sent (again) under its key: waiting for its slot or a
#: new one, in a worker's hands, or waiting for a person's retry.
TO_GO_OUT = (State.approved, State.scheduled, State.publishing, State.failed, State.unconfirmed)


def still_to_go_out(session: Session, file_id: int, post_id: int) -> bool:
    """Whether the file is in the current revision of post ``post_id`` and that post may still go out: the links
    made for it stay open past their week (``downloads``), for a retry sends its first call's body again, links and
    all. Another post holding the same file opens nothing."""
    return session.scalar(select(exists().where(
        Post.id == post_id, RevisionMedia.media_file_id == file_id,
        RevisionMedia.revision_id == Post.current_revision_id, Post.state.in_(TO_GO_OUT)))) or False


def missing_files(app: Flask, revision: Revision, digests: Mapping[str, str | None] | None = None) -> list[str]:
    """The SHA-256 of each of the revision's files the store no longer holds as approved: gone, or holding other
    bytes (the approval binds each file's SHA-256, so every file is read and hashed again before it goes out).
    ``digests``: what ``stored_digests`` read of some keys moments before; the others are read now."""
    if not revision.media:
        return []
    store = storage(app)
    known = digests or {}
    return [m.file.sha256 for m in revision.media
            if (known[m.file.storage_key] if m.file.storage_key in known else digest(store, m.file.storage_key))
            != m.file.sha256]


def stored_digests(app: Flask, keys: Iterable[str]) -> dict[str, str | None]:
    """The SHA-256 of the stored files under ``keys`` (None for a file that is not there), each read once."""
    store = storage(app)
    return {key: digest(store, key) for key in dict.fromkeys(keys)}


def digest(store: Storage, key: str) -> str | None:
    """The SHA-256 of the stored file, or None when it is not there."""
    hashed = hashlib.sha256()
    try:
        with store.open(key) as handle:
            while chunk := handle.read(CHUNK):
                hashed.update(chunk)
    except (FileNotFoundError, IsADirectoryError):
        return None
    return hashed.hexdigest()
