"""What a file really is, read by libraries from its bytes, never from its name: Pillow for pictures, FFmpeg (PyAV,
whose wheels carry FFmpeg: no system package) for videos.

Accepted: JPEG, PNG, WebP and GIF pictures; MP4 and QuickTime (MOV) videos in H.264 or HEVC. Anything else is
``Unsupported`` (415); a file of an accepted type that cannot be read whole (empty, truncated, a decompression bomb,
no picture in the video) is ``Invalid`` (422). ``TooLarge`` (413) comes from the size caps (``approval.media.intake``).
"""

from __future__ import annotations

import io
import struct
import threading
import warnings
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import IO

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from approval.media import structure

#: Pillow's format -> the type it is served as.
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
VIDEO_CODECS = frozenset({"h264", "hevc"})
#: The largest picture decoded, in pixels (a decompression bomb is a small file that decodes to far more):
#: X takes 8192 x 8192, so a little above that.
DEFAULT_MAX_PIXELS = 70_000_000
#: An animated picture decodes every frame: this many pixels over all of them at most, and this many frames (a
#: 1 x 1 GIF of 860,000 frames took 25 s to read, the post locked meanwhile). A minute at 50 frames a second.
MAX_ANIMATION_PIXELS = 400_000_000
MAX_FRAMES = 3_000
#: The largest video picture taken: 8K UHD, as YouTube takes it. A 16384 x 8192 video of 985 KB decoded its first
#: frame into 2.4 GB.
MAX_VIDEO_PIXELS = 7680 * 4320
#: Thumbnails fit in this box (JPEG).
THUMBNAIL_BOX = (640, 640)
#: The EXIF tag pointing at the GPS data.
GPS_IFD = 0x8825
#: The EXIF orientation tag, and its values for a picture shown a quarter turn from how it is stored (a phone held
#: upright): its width and height are the other way round on every screen, so they are taken as shown.
ORIENTATION = 0x0112
TURNED = frozenset({5, 6, 7, 8})
#: What a file name's extension claims (only these names are held to their claim).
CLAIMS = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".jpe": "image/jpeg", ".png": "image/png",
          ".webp": "image/webp", ".gif": "image/gif", ".mp4": "video/mp4", ".m4v": "video/mp4",
          ".mov": "video/quicktime", ".qt": "video/quicktime"}


#: The bytes that tell a picture (``looks_like_picture``).
HEAD = 12


def looks_like_picture(head: bytes) -> bool:
    """The file starts as a JPEG, PNG, GIF or WebP does."""
    return (head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a"))
            or head.startswith(b"RIFF") and head[8:12] == b"WEBP")


class MediaRefused(ValueError):
    """The message stays lazy until it is read (the request that answers decides the language)."""

    status = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self._message = message

    @property
    def message(self) -> str:
        return str(self._message)

    def __str__(self) -> str:
        return self.message


class Unsupported(MediaRefused):
    status = 415


class NotMedia(Unsupported):
    """Neither a picture nor a video: the editor says which types the post's network takes
    (``approval.views.media``)."""


class Invalid(MediaRefused):
    status = 422


class TooLarge(MediaRefused):
    status = 413


@dataclass(frozen=True)
class Inspected:
    kind: str  # "image" | "video"
    mime: str
    width: int
    height: int
    codec: str
    duration_s: float | None = None
    frame_rate: float | None = None
    frames: int | None = None
    has_location: bool = False
    #: A thumbnail was written where ``inspect`` was asked to.
    thumbnail: bool = False


def inspect(path: Path, *, max_pixels: int = DEFAULT_MAX_PIXELS, thumbnail_to: Path | None = None) -> Inspected:
    """Read ``path`` as a picture, else as a video; raise ``Unsupported`` or ``Invalid``. With ``thumbnail_to``, a
    video's thumbnail is drawn from its first frame, decoded anyway; a picture is not decoded here (its structure
    proves it whole: ``approval.media.structure``), its thumbnail is drawn on first view (``draw_thumbnail``)."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise Invalid(_l("The file is empty."))
    with open(path, "rb") as handle:
        image = _inspect_image(handle, max_pixels)
    if image is not None:
        return image
    video = _inspect_video(path, thumbnail_to)
    if video is not None:
        return video
    raise NotMedia(_l("This is neither a picture (JPEG, PNG, WebP, GIF) nor a video (MP4, MOV) that posts take."))


def check_claim(name: str, declared_mime: str | None, found: Inspected) -> None:
    """Refuse a file whose name (``photo.jpg``) or declared type says it is something it is not."""
    suffix = Path(name).suffix.lower()
    claimed = CLAIMS.get(suffix)
    if claimed is None and declared_mime and declared_mime.split(";")[0].strip().lower() in CLAIMS.values():
        claimed = declared_mime.split(";")[0].strip().lower()
    if claimed is not None and claimed != found.mime and not {claimed, found.mime} <= {"video/mp4", "video/quicktime"}:
        raise Invalid(_l("The file claims to be %(claimed)s but it is %(found)s: export it again in the right "
                         "format, or name it after what it is.", claimed=claimed, found=found.mime))


# Pictures -------------------------------------------------------------------------------------------------------


#: Pillow warns about what people upload (a picture past its own pixel limit, odd EXIF data, a palette with
#: transparency): the checks below decide and answer, so those warnings only fill the logs. Set once for the process,
#: not around each call: requests run in threads, and ``warnings.catch_warnings`` is not thread-safe. Pillow's other
#: warnings (deprecations) still show.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")


def _open_image(source: IO[bytes]) -> Image.Image | None:
    try:
        return Image.open(source)
    except Image.DecompressionBombError:
        raise Invalid(_l("The picture decodes to far more pixels than a post can carry (a decompression "
                         "bomb).")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None


def _fitted(picture: Image.Image) -> Image.Image:
    """The picture upright (its EXIF orientation applied), in RGB on white where it is transparent (as the networks
    show a logo; a JPEG has no transparency, and dropping it turns it black), at most ``THUMBNAIL_BOX``. Made small
    first, in place: turned, converted and laid on white at full size, an 8192 x 8192 picture took 1.5 to 2 GB."""
    picture.thumbnail(THUMBNAIL_BOX)  # the box is square: turning it afterwards fits it as well
    fitted = on_white(ImageOps.exif_transpose(picture))
    fitted.thumbnail(THUMBNAIL_BOX)
    return fitted


def transparent(picture: Image.Image) -> bool:
    """The picture has an alpha channel or a transparent colour (a palette's, a PNG's ``tRNS``)."""
    return picture.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in picture.info


def on_white(picture: Image.Image) -> Image.Image:
    """The picture in RGB, laid on white where it is transparent: as the networks show a logo (a JPEG has no
    transparency, and dropping it turns it black). A picture in RGBA is laid on white as it is, its own alpha the
    mask: no RGBA copy (a full-size conversion holds the picture and the result, not a third copy)."""
    if not transparent(picture):
        return picture.convert("RGB")
    clear = picture if picture.mode == "RGBA" else picture.convert("RGBA")
    flat = Image.new("RGB", clear.size, "white")
    flat.paste(clear, mask=clear)
    return flat


def _save_thumbnail(picture: Image.Image, out: Path | None) -> bool:
    """A video's first frame as its thumbnail at ``out``; False when none is drawn."""
    if out is None:
        return False
    try:
        _fitted(picture).save(out, "JPEG", quality=80)
        return True
    except Exception:  # noqa: BLE001 - a missing thumbnail never refuses a file that passed inspection
        return False


def _frames(image: Image.Image) -> int:
    """The animation's frames, counted up to one past ``MAX_FRAMES`` (Pillow's ``n_frames`` walks a GIF's all)."""
    if not getattr(image, "is_animated", False):
        return 1
    count = 1
    try:
        while count <= MAX_FRAMES:
            image.seek(count)
            count += 1
    except EOFError:
        pass
    image.seek(0)
    return count


def _inspect_image(source: IO[bytes], max_pixels: int) -> Inspected | None:
    """The picture's type and size from its header; then a JPEG or a PNG is walked to its end (its structure,
    ``approval.media.structure``), a GIF or a WebP decoded frame by frame (their frames are counted anyway)."""
    image = _open_image(source)
    if image is None:
        source.seek(0)
        if looks_like_picture(source.read(HEAD)):  # a picture's header Pillow cannot read on: a WebP cut short
            raise Invalid(_l("The picture is damaged or cut short: it cannot be read to its end."))
        return None
    with image:
        if image.format not in IMAGE_TYPES:
            raise Unsupported(_l("Pictures are taken as JPEG, PNG, WebP or GIF; this one is %(format)s.",
                                 format=image.format or "?"))
        width, height = image.size
        if width * height > max_pixels:
            raise Invalid(_l("The picture is %(width)d x %(height)d pixels: more than %(limit)d million pixels "
                             "(a decompression bomb, or far larger than any network shows).",
                             width=width, height=height, limit=max_pixels // 1_000_000))
        try:
            frames = _frames(image)
            if frames > MAX_FRAMES:
                raise Invalid(_l("The animation has more than %(limit)d frames.", limit=MAX_FRAMES))
            if frames * width * height > MAX_ANIMATION_PIXELS:
                raise Invalid(_l("The animation has too many frames for its size (%(frames)d frames).",
                                 frames=frames))
            exif_data = None
            if image.format == "JPEG":
                structure.check_jpeg(source)
            elif image.format == "PNG":
                exif_data = structure.check_png(source)  # (Pillow's getexif would decode the picture to find it)
            else:
                for index in range(frames):
                    image.seek(index)
                    image.load()
            exif = _read_exif(image, exif_data)
            has_location = bool(exif.get_ifd(GPS_IFD))
            if exif.get(ORIENTATION) in TURNED:  # shown a quarter turn from how it is stored
                width, height = height, width
        except MediaRefused:
            raise
        except structure.OtherCoding:
            raise Unsupported(_l("This JPEG is coded in a way networks do not show (lossless, hierarchical, "
                                 "arithmetic or more than 8 bits): export it again as a standard JPEG.")) from None
        except (structure.Cut, OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError):
            raise Invalid(_l("The picture is damaged or cut short: it cannot be read to its end.")) from None
        return Inspected(kind="image", mime=IMAGE_TYPES[image.format], width=width, height=height,
                         codec=image.format.lower(), frames=frames, has_location=has_location)


def _read_exif(image: Image.Image, png_exif: bytes | None) -> Image.Exif:
    """The picture's EXIF data. Damaged data makes the picture ``Invalid``: Pillow's parser raises whatever the bytes
    lead it to (struct.error, KeyError, IndexError...), and a location could not be stripped from it either."""
    try:
        if image.format == "PNG":
            exif = Image.Exif()
            if png_exif is not None:
                exif.load(png_exif)
        else:
            exif = image.getexif()
        exif.get_ifd(GPS_IFD)  # read now: its parsing is lazy
        return exif
    except Exception:  # noqa: BLE001 - see above: any failure of the parser is damaged data
        raise Invalid(_l("The picture is damaged or cut short: it cannot be read to its end.")) from None


def strip_location(path: Path, found: Inspected) -> Inspected:
    """Rewrite the picture at ``path`` without its GPS data (the market's policy asks for it: ``media.location`` set
    to ``error``). A JPEG keeps its compression (``quality="keep"``): no generation is lost."""
    if found.kind != "image" or not found.has_location:
        return found
    with Image.open(path) as image:
        exif = image.getexif()
        exif.pop(GPS_IFD, None)
        options: dict = {"exif": exif.tobytes()}
        if image.info.get("icc_profile"):
            options["icc_profile"] = image.info["icc_profile"]
        if image.format == "JPEG":
            options.update(quality="keep")
        elif image.format == "WEBP":
            options.update(lossless=bool(image.info.get("lossless")), quality=95)
        if getattr(image, "n_frames", 1) > 1:
            options.update(save_all=True)
        image.load()
        buffer = io.BytesIO()
        image.save(buffer, image.format, **options)
    path.write_bytes(buffer.getvalue())
    return replace(found, has_location=False)


# Videos ---------------------------------------------------------------------------------------------------------


def _brand(path: Path) -> bytes:
    with open(path, "rb") as handle:
        head = handle.read(12)
    return head[8:12] if head[4:8] == b"ftyp" else b""


def _inspect_video(path: Path, thumbnail_to: Path | None = None) -> Inspected | None:
    import av  # FFmpeg: loaded when a file is not a picture

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError):
        if _brand(path):  # it starts as an MP4 or MOV does, but FFmpeg cannot read it: cut short or damaged
            raise Invalid(_l("The video is damaged or cut short: it cannot be read.")) from None
        return None
    with container:
        if "mp4" not in container.format.name.split(",") and "mov" not in container.format.name.split(","):
            if container.format.name in ("image2", "jpeg_pipe", "png_pipe", "gif", "webp_pipe", "tty"):
                return None
            raise Unsupported(_l("Videos are taken as MP4 or MOV; this one is %(format)s.",
                                 format=container.format.long_name or container.format.name))
        if not container.streams.video:
            raise Unsupported(_l("The file holds no video track (sound alone is not taken)."))
        stream = container.streams.video[0]
        codec = stream.codec_context.name
        if codec not in VIDEO_CODECS:
            raise Unsupported(_l("Videos are taken in H.264 or HEVC; this one is %(codec)s.", codec=codec))
        width, height = stream.codec_context.width, stream.codec_context.height
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        rate = stream.average_rate or stream.guessed_rate
        if not width or not height or not duration or duration <= 0:
            raise Invalid(_l("The video has no picture or no length: it is damaged."))
        if width * height > MAX_VIDEO_PIXELS:
            raise Invalid(_l("The video is %(width)d x %(height)d pixels: larger than 8K (7680 x 4320), more than "
                             "any network shows.", width=width, height=height))
        made = False
        try:
            first = next(container.decode(stream), None)
            if first is None:
                raise Invalid(_l("The video has no picture that can be decoded: it is damaged."))
            made = _save_thumbnail(first.to_image(), thumbnail_to)
            _check_complete(container, stream, path)
        except av.FFmpegError:
            raise Invalid(_l("The video is damaged or cut short: it cannot be read to its end.")) from None
        mime = "video/quicktime" if _brand(path) == b"qt  " else "video/mp4"
        return Inspected(kind="video", mime=mime, width=width, height=height, codec=codec,
                         duration_s=round(duration, 3), frame_rate=round(float(Fraction(rate)), 3) if rate else None,
                         thumbnail=made)


#: The last stretch of a video read to check that its frames are all there (seconds before the end).
TAIL_S = 2.0


def _check_complete(container, stream, path: Path) -> None:  # noqa: ANN001
    """Every frame the video's index lists is in the file: its last frames are read (after a seek near the end,
    not the whole file), and none lies past the end of the file."""
    size = path.stat().st_size
    expected = stream.frames
    start = stream.start_time or 0
    end = start + (stream.duration or 0)
    tail = int(TAIL_S / stream.time_base) if stream.time_base else 0
    seen_end = None
    counted = 0
    if stream.duration and tail and stream.duration > tail:
        container.seek(end - tail, stream=stream, backward=True)
    else:
        container.seek(start, stream=stream, backward=True)
    for packet in container.demux(stream):
        if not packet.size:
            continue
        counted += 1
        if packet.pos is not None and packet.pos + packet.size > size:
            raise Invalid(_l("The video is cut short: its last frames are missing."))
        if packet.pts is not None:
            packet_end = packet.pts + (packet.duration or 0)
            seen_end = packet_end if seen_end is None else max(seen_end, packet_end)
    if expected and counted == 0 or seen_end is not None and stream.duration and seen_end < end - 1:
        raise Invalid(_l("The video is cut short: its last frames are missing."))


# Thumbnails -----------------------------------------------------------------------------------------------------


#: Pictures decoded at full size at once, per process, for a thumbnail or a conversion to JPEG
#: (``approval.media.convert``): a page of large pictures seen for the first time drew them all together (up to
#: 270 MB each for an 8192 x 8192 one with transparency).
FULL_SIZE = threading.BoundedSemaphore(2)


def draw_thumbnail(path: Path, out: Path) -> bool:
    """A JPEG at most ``THUMBNAIL_BOX`` of the picture at ``path`` (a JPEG decoded at the smallest scale that still
    fills it); False when the picture cannot be decoded. The system's own failures (a full disk, a file that cannot
    be read, memory running out) are raised: they say nothing about the picture."""
    try:
        with FULL_SIZE, Image.open(path) as image:
            if image.format == "JPEG":
                image.draft("RGB", THUMBNAIL_BOX)
            picture = _fitted(image)
    except OSError as error:
        if error.errno is not None:  # the file system's, not the decoder's (which set no errno)
            raise
        return False
    except (SyntaxError, ValueError, EOFError, struct.error, Image.DecompressionBombError):
        return False
    picture.save(out, "JPEG", quality=80)
    return True
