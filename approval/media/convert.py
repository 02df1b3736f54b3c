"""A picture turned into a JPEG at upload, for a network that takes JPEG but not the picture's type (onboarding
finding 10: Instagram takes JPEG pictures only, brand assets are often PNG, and Buffer, Hootsuite and Planable
convert them on upload).

**Which** (``wanted``): a still picture (one frame) of a type the post's network never takes, where that network
takes JPEG: a PNG, a WebP or a still GIF on Instagram, a WebP on Facebook or LinkedIn, a WebP or a still GIF on
Snapchat (``approval.style.media.NETWORKS``). Only while the market's policy keeps ``network.media-format`` an error
(``attach.typed_network`` names the network): a policy that made it a warning or turned it off takes the type as
sent, and nothing is converted. An animation is refused as before (``attach.check_type``): a JPEG holds one frame,
and the others would be dropped without a word.

**How** (``to_jpeg``), with Pillow:

* transparency is laid on white, as the thumbnails are (``inspect.on_white``): a logo shows as the networks show it;
* the EXIF orientation is applied to the pixels and removed from the tags: the picture is upright everywhere, and its
  dimensions are those the upload's inspection gave (its sides as shown);
* the colours are converted to sRGB from the picture's ICC profile (Pillow's ImageCms, LittleCMS), and the JPEG
  carries no profile. Instagram's publishing API asks for sRGB and converts what is not: a wide-gamut picture
  (Display P3, Adobe RGB) approved as a colour-managed browser showed it would have gone out looking otherwise.
  Converted here, what is approved is what the network shows; a JPEG without a profile is read as sRGB by browsers
  and networks alike. A profile LittleCMS cannot read, or one of another colour space than the picture's, is
  ignored, as browsers ignore it. A picture without a profile is taken as sRGB already;
* the other EXIF data stay (camera, date, author); the GPS data go where the market's policy strips them at upload
  (``media.location`` an error), as the intake strips them from every picture there. XMP and text chunks are not
  carried over: XMP may hold an orientation (applied now) and a location the policy's check does not read;
* quality 90, Huffman tables optimised; the pixel dimensions are kept (Instagram scales a picture itself).

The JPEG is held to the network's cap on pictures (``check_fits``, in the words the style gate and the type refusal
already use); the intake holds it to the application's cap too. Converted, it is stored in place of the upload: its
SHA-256 is the one the revision binds, so the approved revision names the JPEG that goes out.
"""

from __future__ import annotations

import functools
import io
import struct
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageCms

from approval.labels import decimal
from approval.media.inspect import (
    CLAIMS,
    FULL_SIZE,
    GPS_IFD,
    ORIENTATION,
    Inspected,
    Invalid,
    TooLarge,
    on_white,
    transparent,
)
from approval.style.i18n import N_, render
from approval.style.media import KIND_NAMES, MB, NETWORKS, never_taken, size_figure
from approval.style.network import NAMES

JPEG = "image/jpeg"
QUALITY = 90
SUFFIX = ".jpg"
#: A name's ending that says the picture's old type: dropped for ``.jpg`` (``launch.png`` -> ``launch.jpg``).
PICTURE_SUFFIXES = frozenset(suffix for suffix, mime in CLAIMS.items() if mime.startswith("image/"))
#: What each EXIF orientation asks to show the picture upright (as ``PIL.ImageOps.exif_transpose``).
UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
           5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_90}
#: Pillow's modes for pictures of 16 bits a sample (a PNG's grey levels): brought to 8 bits before anything else.
DEEP_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})
GREY_MODES = frozenset({"1", "L", "LA", "La", *DEEP_MODES})
#: The network's size refusal, as the style gate writes it (``approval.style.media.check_size``): the same msgid.
TOO_LARGE = N_("%(size)s MB: %(network)s takes at most %(limit)s MB.")


def wanted(network: str | None, found: Inspected) -> bool:
    """Whether the picture is converted to JPEG for a post on ``network`` (``attach.typed_network``: None where the
    policy takes any type): a still picture of a type the network does not take, where it takes JPEG."""
    return (found.frames or 1) == 1 and converts(network, found.kind, found.mime)


def converts(network: str | None, kind: str, mime: str) -> bool:
    """Whether ``network`` takes a picture of type ``mime`` only converted to JPEG (``wanted``, whatever its
    frames): a copy's files are read again for it (``attach.conversions``), and the new-post form's live check sees
    a picked one as the JPEG it becomes."""
    limits = NETWORKS.get(network or "")
    return (limits is not None and kind == "image" and limits.max_images > 0 and JPEG in limits.image_types
            and mime not in limits.image_types)


def converted_types(network: str) -> tuple[str, ...]:
    """The picture types a post on ``network`` takes once converted to JPEG (``wanted``, still pictures): what the
    editor's file picker offers besides the types the network takes, and says it converts."""
    limits = NETWORKS[network]
    if not limits.max_images or JPEG not in limits.image_types:
        return ()
    return tuple(mime for mime in KIND_NAMES if mime.startswith("image/") and mime not in limits.image_types)


def jpeg_name(name: str, limit: int) -> str:
    """The converted file's name: ``launch.png`` -> ``launch.jpg``, ``launch`` -> ``launch.jpg``; at most ``limit``
    characters. No name stays none."""
    if not name:
        return ""
    suffix = Path(name).suffix
    stem = name[:-len(suffix)] if suffix and suffix.lower() in PICTURE_SUFFIXES else name
    return stem[:limit - len(SUFFIX)] + SUFFIX


@functools.cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _eight_bits(picture: Image.Image) -> Image.Image:
    """A picture of 16-bit grey levels in 8 (Pillow's conversion clips them instead of scaling them). Its
    transparent grey, if any, is not kept: a 16-bit value no longer names a level."""
    return picture.point(lambda value: value * (1 / 256)).convert("L")


def _in_srgb(picture: Image.Image, profile: bytes | None, *, grey: bool) -> Image.Image:
    """``picture`` (RGB) with its colours converted from ``profile`` to sRGB; as it is without a profile, or with
    one LittleCMS cannot read or that is not of the picture's colour space."""
    if not profile:
        return picture
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        space = source.profile.xcolor_space.strip()
        if space == "GRAY" and grey:
            converted = ImageCms.profileToProfile(picture.convert("L"), source, _srgb(), outputMode="RGB")
            return converted if converted is not None else picture
        if space == "RGB" and not grey:
            ImageCms.profileToProfile(picture, source, _srgb(), inPlace=True)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError, struct.error):
        pass  # a damaged profile: the pixels as they are, as a browser shows them
    return picture


def to_jpeg(path: Path, *, strip_gps: bool) -> bytes:
    """The picture at ``path`` (inspected: one frame, within the pixel cap) as a JPEG: see the module's
    documentation. Decoded at full size, as a thumbnail is, under ``FULL_SIZE``: an 8192 x 8192 picture with
    transparency holds about 500 MB meanwhile (the picture and its flattened copy; 2.3 s). ``Invalid`` when its pixels
    cannot be decoded after all; the system's own failures (a full disk, memory running out) are raised."""
    with FULL_SIZE:
        try:
            image = Image.open(path)
            try:
                image.load()
                exif = image.getexif()
                exif.get_ifd(GPS_IFD)  # read now: its parsing is lazy
                profile = image.info.get("icc_profile")
                grey = image.mode in GREY_MODES
                source = _eight_bits(image) if image.mode in DEEP_MODES else image
                picture = source if source.mode == "RGB" and not transparent(source) else on_white(source)
            except BaseException:
                image.close()
                raise
            if picture is not image:  # its full-size pixels are let go before the next copy is made
                image.close()
        except OSError as error:
            if error.errno is not None:  # the file system's, not the decoder's (which sets none)
                raise
            raise Invalid(_l("The picture is damaged or cut short: it cannot be read to its end.")) from None
        except (SyntaxError, ValueError, EOFError, struct.error, Image.DecompressionBombError):
            raise Invalid(_l("The picture is damaged or cut short: it cannot be read to its end.")) from None
        picture = _in_srgb(picture, profile, grey=grey)
        turn = UPRIGHT.get(exif.get(ORIENTATION, 1))
        if turn is not None:
            picture = picture.transpose(turn)
        exif.pop(ORIENTATION, None)
        if strip_gps:
            exif.pop(GPS_IFD, None)
        options: dict = {"quality": QUALITY, "optimize": True}
        out = io.BytesIO()
        try:
            if len(exif):
                options["exif"] = exif.tobytes()
            picture.save(out, "JPEG", **options)
        except (ValueError, struct.error, TypeError, OverflowError):
            # EXIF a JPEG cannot carry (more than its 64 KB segment, which a PNG's eXIf chunk may hold), or a tag
            # stored with a type Pillow cannot write back (a resolution as a LONG): the picture goes without it.
            options.pop("exif", None)
            out = io.BytesIO()
            picture.save(out, "JPEG", **options)
        return out.getvalue()


def check_fits(network: str, sent: Inspected, size: int) -> None:
    """Refuse (413) a conversion whose JPEG, of ``size`` bytes, is over the network's cap on pictures, in words
    already translated: the network's type (what the picture was sent as) and its cap (the style gate's)."""
    cap = NETWORKS[network].image_max_bytes
    if cap is None or size <= cap:
        return
    words = []
    if (refusal := never_taken(network, sent.kind, sent.mime)) is not None:
        words.append(render(*refusal, _, decimal))
    words.append(render(TOO_LARGE, {"size": size_figure(size, MB), "network": NAMES[network],
                                    "limit": size_figure(cap, MB)}, _, decimal))
    raise TooLarge(" ".join(words))
