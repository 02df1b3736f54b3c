"""A picture's thumbnail, drawn from the stored file the first time a page asks for it, then kept in the store.

A picture is not decoded at upload (``approval.media.structure`` proves it whole for a tenth of the cost), so its
thumbnail is drawn here, once: the store keeps it under ``thumbnail_key`` beside the file, for every web process. A
picture that cannot be decoded leaves an empty thumbnail, so it is not decoded again on each view (the pages show a
placeholder); a file missing from the store, a full disk or memory running out are not remembered: the next view
tries again. A video's thumbnail is drawn at upload from the first frame its inspection decodes anyway.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from flask import current_app

from approval.media.inspect import draw_thumbnail
from approval.media.intake import staging_dir
from approval.media.storage import CHUNK, storage
from approval.models import MediaFile, MediaKind


def ready(media_file: MediaFile) -> bool:
    """The file's thumbnail is in the store, drawn now if it was not yet; False when it cannot be."""
    key = media_file.thumbnail_key
    if key is None:
        return False
    store = storage()
    try:
        return store.size(key) > 0  # one look on each view (an empty thumbnail: the picture cannot be drawn)
    except FileNotFoundError:
        pass
    if media_file.kind != MediaKind.image or not store.exists(media_file.storage_key):
        return False
    with tempfile.TemporaryDirectory(dir=staging_dir(), prefix=".thumbnail-") as folder:
        out = Path(folder) / "thumbnail.jpg"
        source = store.local_path(media_file.storage_key)
        if source is None:  # a bucket: the picture is fetched once, to draw from
            source = Path(folder) / "picture"
            with store.open(media_file.storage_key) as remote, open(source, "wb") as local:
                shutil.copyfileobj(remote, local, CHUNK)
        drawn = draw_thumbnail(source, out)
        if not drawn:
            current_app.logger.warning("no thumbnail for media file %s: the picture cannot be decoded", media_file.id)
            out.write_bytes(b"")
        store.put(key, out, content_type="image/jpeg", move=True)
    return drawn
