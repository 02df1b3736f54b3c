"""Small media files made on the spot (no fixtures shipped): pictures with Pillow, videos with PyAV's FFmpeg.

A helper module for the media tests (no test of its own)."""

from __future__ import annotations

import io
import struct
import zlib
from fractions import Fraction

import av
from PIL import Image


def picture(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), color: str = "orange", *, gps: bool = False,
            frames: int = 1) -> bytes:
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    options: dict = {}
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "Helio camera"
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd.update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
        options["exif"] = exif.tobytes()
    if frames > 1:
        others = [Image.new("RGB", size, c) for c in ("red", "blue", "green", "white")[: frames - 1]]
        options.update(save_all=True, append_images=others, duration=100, loop=0)
    image.save(out, fmt, **options)
    return out.getvalue()


def jpeg(size: tuple[int, int] = (64, 48), **kwargs) -> bytes:  # noqa: ANN003
    return picture("JPEG", size, **kwargs)


def video(size: tuple[int, int] = (64, 48), seconds: float = 1.0, fps: int = 10, codec: str = "libx264",
          fmt: str = "mp4") -> bytes:
    out = io.BytesIO()
    with av.open(out, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        for index in range(max(1, round(seconds * fps))):
            frame = av.VideoFrame.from_image(Image.new("RGB", size, (index * 20 % 255, 90, 160)))
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def png_without_data(size: tuple[int, int] = (100, 100)) -> bytes:
    """A PNG's signature, header (RGB) and end, each chunk with its right CRC, and no picture data between them."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", *size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")
