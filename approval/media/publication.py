"""What the publishing worker sends of a revision's media, and what it checks before sending."""

from __future__ import annotations

from flask import Flask

from approval.media.storage import storage
from approval.models import Revision


def describe(revision: Revision) -> list[dict]:
    """The approved revision's media in order, as the connectors receive them (CONTRACT.md's ``media`` items, with
    the key of the file in the media store)."""
    return [
        {"id": m.file.id, "kind": m.file.kind.value, "mime": m.file.mime, "bytes": m.file.bytes,
         "width": m.file.width, "height": m.file.height, "duration_s": m.file.duration_s, "sha256": m.file.sha256,
         "alt": m.alt, "storage_key": m.file.storage_key}
        for m in revision.media
    ]


def missing_files(app: Flask, revision: Revision) -> list[str]:
    """The SHA-256 of each of the revision's files the store no longer holds."""
    if not revision.media:
        return []
    store = storage(app)
    return [m.file.sha256 for m in revision.media if not store.exists(m.file.storage_key)]
