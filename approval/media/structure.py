"""A JPEG or PNG walked to its end without decoding it: the proof that an upload is whole.

Decoding a phone's 12-megapixel JPEG costs about 50 ms of one core even at 1/8 scale (the entropy decoding reads every
byte): the one slow step of a picture's upload. Its structure says as much about a cut file for a tenth of that: a
JPEG's segments are followed by their lengths up to the first scan, whose data cannot hold the bytes FF D9 (a 0xFF
there is always followed by 0x00 or a restart marker), so a whole file has its end-of-image marker after it (most
often as its last two bytes: nothing to search) and a cut one has not. A PNG's chunks are followed to IEND, each
checked against its CRC (zlib's, about 1 GB/s), which also catches bytes damaged on the way. The picture is decoded
later, once, when its thumbnail is first asked for.

What the structure cannot tell: a scan's data damaged in place (decoders show such a picture with smeared blocks
rather than refuse it, as they did at upload before), a progressive JPEG cut short after a table between its scans
that happens to hold the bytes FF D9, or a PNG whose compressed data is wrong under right CRCs (written so on
purpose). Such a file's thumbnail cannot be drawn: the pages show a placeholder.

Both read a binary file from its start and raise ``Cut`` (cut short or damaged) or ``OtherCoding`` (a JPEG coding
no network takes); ``approval.media.inspect`` says which to the person.
"""

from __future__ import annotations

import zlib
from typing import IO

CHUNK = 1024 * 1024
#: Start-of-frame markers Pillow and the networks read: baseline, extended sequential and progressive (Huffman,
#: 8 bits). Lossless, hierarchical, arithmetic-coded and 12-bit JPEGs are not decoded by browsers either.
READABLE_FRAMES = frozenset({0xC0, 0xC1, 0xC2})
ALL_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: A PNG chunk's length is at most 2^31 - 1.
PNG_MAX_CHUNK = 2**31 - 1


class Cut(ValueError):
    """The file ends before its structure does, or its bytes do not follow it."""


class OtherCoding(ValueError):
    """A JPEG coded in a way networks and browsers do not show (lossless, hierarchical, arithmetic, 12 bits)."""


def _read(source: IO[bytes], size: int) -> bytes:
    data = source.read(size)
    if len(data) < size:
        raise Cut()
    return data


def _skip(source: IO[bytes], size: int) -> None:
    """Past ``size`` bytes that must all be there (a seek alone would not notice a file ending inside them)."""
    if size > 1:
        source.seek(size - 1, 1)
    if size > 0:
        _read(source, 1)


def check_jpeg(source: IO[bytes]) -> None:
    """The JPEG's segments up to its first scan, then its end-of-image marker after the scan data."""
    source.seek(0)
    if _read(source, 2) != b"\xff\xd8":
        raise Cut()
    framed = False
    while True:
        while _read(source, 1) != b"\xff":  # stray bytes between segments: libjpeg skips them, so does this
            pass
        marker = _read(source, 1)[0]
        while marker == 0xFF:  # fill bytes before a marker
            marker = _read(source, 1)[0]
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            continue
        if marker == 0xD9:  # the end, before any scan: no picture
            raise Cut()
        length = int.from_bytes(_read(source, 2), "big")
        if length < 2:
            raise Cut()
        if marker in ALL_FRAMES:
            if marker not in READABLE_FRAMES:
                raise OtherCoding(f"start of frame 0x{marker:02X}")
            if _read(source, 1)[0] != 8:
                raise OtherCoding("not 8 bits per sample")
            framed = True
            _skip(source, length - 3)
            continue
        _skip(source, length - 2)
        if marker == 0xDA:
            if not framed:
                raise Cut()
            _find_end(source)
            return


def _find_end(source: IO[bytes]) -> None:
    """An end-of-image marker after the first scan's header: the file's last two bytes, as a camera writes them, or
    further in (a phone may append a second picture or a depth map after the first one's end)."""
    scan = source.tell()
    end = source.seek(0, 2)
    if end - 2 >= scan:
        source.seek(end - 2)
        if source.read(2) == b"\xff\xd9":
            return
    source.seek(scan)
    last = b""
    while chunk := source.read(CHUNK):
        if chunk.find(b"\xff\xd9") >= 0 or last == b"\xff" and chunk[:1] == b"\xd9":
            return
        last = chunk[-1:]
    raise Cut()


def check_png(source: IO[bytes]) -> bytes | None:
    """Every chunk up to IEND, each against its CRC, and at least one IDAT among them (a header and an end with no
    picture data between them is no picture); returns the eXIf chunk's data, if the picture has one (Pillow would
    decode the whole picture to find it)."""
    source.seek(0)
    if _read(source, 8) != PNG_SIGNATURE:
        raise Cut()
    exif = None
    first = True
    pictured = False
    while True:
        head = _read(source, 8)
        length, kind = int.from_bytes(head[:4], "big"), head[4:]
        if length > PNG_MAX_CHUNK or first and kind != b"IHDR":
            raise Cut()
        first = False
        crc = zlib.crc32(kind)
        left = length
        data = b""
        while left:
            piece = _read(source, min(left, CHUNK))
            crc = zlib.crc32(piece, crc)
            left -= len(piece)
            if kind == b"eXIf":
                data += piece
        if int.from_bytes(_read(source, 4), "big") != crc:
            raise Cut()
        if kind == b"eXIf":
            exif = data
        elif kind == b"IDAT":
            pictured = True
        elif kind == b"IEND":
            if not pictured:
                raise Cut()
            return exif
