"""Pictures and videos drawn on the spot, for the demo (and anyone trying the application without files at hand):
they go through the same path as an upload (inspection, the store, a new revision)."""

from __future__ import annotations

import io
import tempfile
from fractions import Fraction
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from approval.media import attach
from approval.media.inspect import inspect
from approval.media.intake import Received, staging_dir
from approval.models import Post, User

COLORS = ((255, 121, 0), (0, 70, 140), (50, 160, 90), (200, 30, 60))


def draw_picture(size: tuple[int, int], label: str = "", color: tuple[int, int, int] = COLORS[0]) -> bytes:
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.rectangle((width // 10, height // 10, width * 9 // 10, height * 9 // 10), outline="white", width=4)
    if label:
        draw.text((width // 8, height // 2), label, fill="white")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def draw_video(size: tuple[int, int] = (320, 180), seconds: float = 2.0, fps: int = 10) -> bytes:
    import av

    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        for index in range(round(seconds * fps)):
            image = Image.new("RGB", size, COLORS[index * len(COLORS) // round(seconds * fps)])
            frame = av.VideoFrame.from_image(image)
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def attach_bytes(session: Session, post: Post, actor: User, data: bytes, name: str, alt: str = "") -> None:
    """Store ``data`` and add it to ``post`` as ``actor`` would by uploading it (a new revision)."""
    import hashlib

    with tempfile.TemporaryDirectory(dir=staging_dir()) as folder:
        path = Path(folder) / "upload"
        path.write_bytes(data)
        thumb = Path(folder) / "thumb.jpg"
        found = inspect(path, thumbnail_to=thumb)
        received = Received(path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data), found=found,
                            name=name, thumbnail=thumb if found.thumbnail else None)
        media_file = attach.store(session, received, actor)
    attach.add_media(session, post, actor, media_file, alts=[alt], names=[name], expected_version=post.version)
