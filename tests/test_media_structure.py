"""A picture proved whole by its structure, not by decoding it (``approval.media.structure``): every cut of a JPEG or
a PNG is refused wherever it falls, a PNG's damaged byte is caught by its CRC, a JPEG's embedded preview (which has
an end marker of its own) does not pass for the picture's end, and a JPEG coded in a way no network shows is 415."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from approval.media import structure
from approval.media.inspect import Invalid, Unsupported, inspect

from test_media_samples import picture, png_without_data


def _photo(fmt: str, **options) -> bytes:  # noqa: ANN003
    """A small picture with real detail (a flat colour compresses to almost nothing)."""
    image = Image.effect_mandelbrot((96, 72), (-2.0, -1.2, 1.0, 1.2), 60).convert("RGB")
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _check(fmt: str, data: bytes) -> None:
    source = io.BytesIO(data)
    if fmt == "PNG":
        structure.check_png(source)
    else:
        structure.check_jpeg(source)


@pytest.mark.parametrize(("fmt", "options"), [
    ("JPEG", {}), ("JPEG", {"progressive": True}), ("JPEG", {"restart_marker_blocks": 2}), ("PNG", {}),
])
def test_every_cut_is_refused_wherever_it_falls(fmt, options):
    data = _photo(fmt, **options)
    _check(fmt, data)  # whole: taken
    for end in range(len(data)):
        with pytest.raises(structure.Cut):
            _check(fmt, data[:end])


def test_bytes_after_the_end_of_a_jpeg_are_its_own_business():
    """Phones append data after the picture (a second picture, a depth map): the picture itself is whole."""
    data = _photo("JPEG")
    _check("JPEG", data + b"\xff\xd8 another picture \xff\xd9")


def test_a_jpeg_preview_inside_the_header_does_not_pass_for_the_end():
    data = _photo("JPEG")
    preview = b"Exif\x00\x00" + b"\xff\xd8\xff\xdb preview \xff\xd9"
    with_preview = data[:2] + b"\xff\xe1" + struct.pack(">H", len(preview) + 2) + preview + data[2:]
    _check("JPEG", with_preview)
    with pytest.raises(structure.Cut):
        _check("JPEG", with_preview[: len(with_preview) // 2])


def test_a_damaged_byte_in_a_png_is_caught_by_its_crc():
    data = bytearray(_photo("PNG"))
    data[data.index(b"IDAT") + 40] ^= 0x10
    with pytest.raises(structure.Cut):
        _check("PNG", bytes(data))


def test_a_lossless_jpeg_is_refused_as_a_coding_networks_do_not_show(tmp_path: Path):
    data = bytearray(_photo("JPEG"))
    data[data.index(b"\xff\xc0") + 1] = 0xC3
    path = tmp_path / "lossless.jpg"
    path.write_bytes(bytes(data))
    with pytest.raises(Unsupported, match="standard JPEG"):
        inspect(path)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_location_data_is_found_without_decoding(tmp_path: Path, fmt):
    path = tmp_path / f"gps.{fmt.lower()}"
    path.write_bytes(picture(fmt, (40, 30), gps=True))
    assert inspect(path).has_location
    path.write_bytes(picture(fmt, (40, 30)))
    assert not inspect(path).has_location


def test_a_cut_picture_is_refused_by_the_inspection(tmp_path: Path):
    path = tmp_path / "cut.png"
    path.write_bytes(_photo("PNG")[:-5])
    with pytest.raises(Invalid, match="cut short"):
        inspect(path)


def test_stray_bytes_between_a_jpegs_segments_are_skipped_as_decoders_do():
    data = _photo("JPEG")
    app0_end = 4 + int.from_bytes(data[4:6], "big")
    _check("JPEG", data[:app0_end] + b"\x00\x00" + data[app0_end:])  # libjpeg: "extraneous bytes before marker"


def test_damaged_exif_data_is_a_clear_refusal_not_a_crash(tmp_path: Path):
    """Pillow's EXIF parser raises whatever damaged bytes lead it to (here struct.error)."""
    data = _photo("PNG")
    chunk = b"eXIf" + b"MM\x00*"
    exif = struct.pack(">I", 4) + chunk + struct.pack(">I", zlib.crc32(chunk))
    ihdr_end = 8 + 8 + 13 + 4
    path = tmp_path / "exif.png"
    path.write_bytes(data[:ihdr_end] + exif + data[ihdr_end:])
    with pytest.raises(Invalid, match="damaged"):
        inspect(path)


def test_a_png_with_a_header_and_an_end_but_no_picture_data_is_refused(tmp_path: Path):
    """Signature, IHDR (100 x 100) and IEND with right CRCs: every chunk checks, and there is no picture."""
    with pytest.raises(structure.Cut):
        _check("PNG", png_without_data())
    path = tmp_path / "empty.png"
    path.write_bytes(png_without_data())
    with pytest.raises(Invalid, match="damaged"):
        inspect(path)


def test_a_webp_cut_short_is_damaged_not_an_unknown_kind_of_file(tmp_path: Path):
    """Pillow cannot open a WebP cut in half at all (a GIF it opens, then fails to decode): its header still says
    it is a picture, damaged (422), not "neither a picture nor a video" (415)."""
    whole = _photo("WEBP")
    path = tmp_path / "cut.webp"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(Invalid, match="cut short"):
        inspect(path)
