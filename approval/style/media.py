"""The networks' rules for pictures and videos, as data: one row per network, each figure with its source.

Sources (compiled December 2026 in ../shared/context/networks.md, which names each page; "sec." marks a third-party
guide where the network publishes nothing):

* X: docs.x.com media best practices (X3), the API's OpenAPI document (X6), ayrshare's X guide (X8, sec.).
* Facebook Pages: Graph API ``/photo`` (F5), Page stories (F2), reels publishing (F1), mixpost's config (F7).
* Instagram: Graph API ``ig-user/media`` (I1) and content publishing (I2), postiz's provider (I4).
* LinkedIn: Posts API and MultiImage API (L1, L3), Videos API (L4), postiz's provider (L6), ayrshare (L7, sec.).
* YouTube: Data API ``videos`` (Y1), postiz's provider (Y5), postonce (Y6, sec.).
* Snapchat: Public Profile API (S1, S2), ayrshare and getlate guides (S3, S4, sec.).

Where sources disagree the stricter figure is kept (a post that passes goes through on every reading).

**Offsets.** A finding about a media item points past the text: ``start = len(text) + index`` (the item's position,
0 for the first) and ``end = start + 1``; ``params["media"]`` holds the index too. A finding about the media as a
whole (their number, mixing) points at the first item concerned the same way. A media finding therefore ends past
the text, a text finding (even one at its very end, such as a missing full stop) never does: ``media_index``.

Rules: ``network.media-count`` (how many, mixing, GIF alone), ``network.media-format`` (type, codec, frame rate),
``network.media-size`` (bytes), ``network.media-dimensions`` (pixels, aspect ratio), ``network.media-duration``,
``network.alt-text`` (missing: a warning, an error where the market's policy says so; too long: an error) and
``media.location`` (a picture still carrying GPS coordinates: a warning; a market that sets it to ``error`` has the
coordinates stripped at upload). ``network.media-required`` (``approval.style.network``) says a post needs media.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from approval.style.findings import Finding, Severity
from approval.style.i18n import N_
from approval.style.network import NAMES
from approval.style.text import Analysis, shows_anything

COUNT = "network.media-count"
FORMAT = "network.media-format"
SIZE = "network.media-size"
DIMENSIONS = "network.media-dimensions"
DURATION = "network.media-duration"
ALT_TEXT = "network.alt-text"
LOCATION = "media.location"

KB = 1024
MB = 1024 * KB
GB = 1024 * MB


@dataclass(frozen=True)
class MediaItem:
    """What the gate knows of one attached file (``approval.models.media`` and ``approval lint --media`` make
    them)."""

    kind: str  # "image" | "video"
    mime: str
    bytes: int
    width: int
    height: int
    duration_s: float | None = None
    codec: str | None = None
    frame_rate: float | None = None
    #: Frames of an animated picture (1 for a still one).
    frames: int | None = None
    alt: str = ""
    has_location: bool = False
    name: str = ""

    @property
    def animated_gif(self) -> bool:
        return self.mime == "image/gif" and (self.frames or 1) > 1

    @property
    def aspect(self) -> float:
        return self.width / self.height if self.height else 0.0


@dataclass(frozen=True)
class Limits:
    """One network's media rules. ``None`` means "no rule found in the sources"."""

    max_images: int
    max_videos: int
    #: Pictures and a video in one post.
    mixing: bool
    image_types: frozenset[str]
    image_max_bytes: int | None
    video_types: frozenset[str] = frozenset({"video/mp4", "video/quicktime"})
    video_codecs: frozenset[str] = frozenset({"h264", "hevc"})
    video_max_bytes: int | None = None
    video_min_bytes: int | None = None
    min_items: int = 0
    image_min_side: int | None = None
    image_max_side: int | None = None
    image_max_pixels: int | None = None
    #: Aspect ratios (width / height) accepted, inclusive.
    image_aspect: tuple[float, float] | None = None
    video_aspect: tuple[float, float] | None = None
    video_min_side: int | None = None
    video_max_width: int | None = None
    video_max_height: int | None = None
    duration_s: tuple[float, float] | None = None
    frame_rate: tuple[float, float] | None = None
    #: An animated GIF: alone in its post; its own caps.
    gif_alone: bool = False
    gif_max_bytes: int | None = None
    gif_max_width: int | None = None
    gif_max_height: int | None = None
    gif_max_frames: int | None = None
    alt_max: int | None = None
    #: Whether the network takes an alternative text for videos (else only pictures are asked for one).
    video_alt: bool = False
    #: Alt text is published: a missing one is pointed out.
    alt_supported: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)


JPEG_PNG_GIF_WEBP = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})

NETWORKS: dict[str, Limits] = {
    # X: 1-4 photos OR 1 GIF OR 1 video (X3); JPG/PNG/GIF/WEBP <= 5 MB, 4x4-8192x8192 (X3, X6; X8 sec.);
    # GIF <= 15 MB, <= 1280x1080, <= 350 frames, alone (X3); video H.264, <= 60 fps, 32x32-1280x1024, aspect
    # 1:3-3:1, 0.5-140 s, <= 512 MB (X3, the 2026-08 snapshot: the stricter reading); alt text <= 1,000 (X6).
    "x": Limits(
        max_images=4, max_videos=1, mixing=False, image_types=JPEG_PNG_GIF_WEBP, image_max_bytes=5 * MB,
        image_min_side=4, image_max_side=8192, video_codecs=frozenset({"h264"}), video_max_bytes=512 * MB,
        video_aspect=(1 / 3, 3.0), video_min_side=32, video_max_width=1280, video_max_height=1024,
        duration_s=(0.5, 140.0), frame_rate=(0.0, 60.0), gif_alone=True, gif_max_bytes=15 * MB,
        gif_max_width=1280, gif_max_height=1080, gif_max_frames=350, alt_max=1000,
    ),
    # Facebook Pages: photos JPEG/BMP/PNG/GIF/TIFF < 10 MB (F5, F2), up to 10 per post (F7: no Meta figure);
    # photos and a video never together (F7); video 10 GB, 4 h (F8 sec.); alt text on photos (F5, no length).
    "facebook": Limits(
        max_images=10, max_videos=1, mixing=False, image_types=frozenset({"image/jpeg", "image/png", "image/gif"}),
        image_max_bytes=10 * MB, video_max_bytes=10 * GB, duration_s=(1.0, 4 * 3600.0),
    ),
    # Instagram: feed pictures JPEG only, <= 8 MB, aspect 4:5-1.91:1 (I1, I2); carousel 2-10 items, pictures and
    # videos mixed (I1, I4); videos MOV/MP4 HEVC/H.264, 23-60 fps, <= 1920 px wide, 3 s-15 min, <= 300 MB (I1, I2);
    # alt text <= 1,000 characters, pictures only (I1). Always media (I1: no text-only post).
    "instagram": Limits(
        max_images=10, max_videos=10, mixing=True, image_types=frozenset({"image/jpeg"}), image_max_bytes=8 * MB,
        image_aspect=(4 / 5, 1.91), video_max_bytes=300 * MB, video_aspect=(0.01, 10.0), video_max_width=1920,
        duration_s=(3.0, 15 * 60.0), frame_rate=(23.0, 60.0), alt_max=1000, min_items=1,
    ),
    # LinkedIn: 1 picture, or 2-20 (MultiImage), JPG/PNG/GIF, < 36,152,320 pixels (L3, L6); 1 video, MP4, 3 s-30
    # min, 75 KB-500 MB, aspect 1:2.4-2.4:1 (L4; L7 sec.); never pictures with a video (L6); altText (L1).
    "linkedin": Limits(
        max_images=20, max_videos=1, mixing=False, image_types=frozenset({"image/jpeg", "image/png", "image/gif"}),
        image_max_bytes=8 * MB, image_max_pixels=36_152_320, video_types=frozenset({"video/mp4"}),
        video_max_bytes=500 * MB, video_min_bytes=75 * 1024, video_aspect=(1 / 2.4, 2.4),
        duration_s=(3.0, 30 * 60.0),
    ),
    # YouTube: exactly one video per item (Y5); <= 256 GB or 12 h (Y6 sec.); no pictures (a thumbnail is set
    # separately, not published as a post's media). No alternative text.
    "youtube": Limits(
        max_images=0, max_videos=1, mixing=False, image_types=frozenset(), image_max_bytes=None,
        video_max_bytes=256 * GB, duration_s=(1.0, 12 * 3600.0), alt_supported=False, min_items=1,
    ),
    # Snapchat: exactly one picture or one video, no carousel (S3, S4); picture JPEG/PNG <= 20 MB, 1080x1920
    # (S3); video MP4, 5-60 s, 9:16 (S3, S4), <= 500 MB (S3, the stricter). Vertical: 9:16 within a few percent.
    # No alternative text (none documented).
    "snapchat": Limits(
        max_images=1, max_videos=1, mixing=False, image_types=frozenset({"image/jpeg", "image/png"}),
        image_max_bytes=20 * MB, image_aspect=(0.5, 0.6), video_types=frozenset({"video/mp4"}),
        video_max_bytes=500 * MB, video_aspect=(0.5, 0.6), duration_s=(5.0, 60.0), alt_supported=False, min_items=1,
    ),
}

KIND_NAMES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WebP",
              "video/mp4": "MP4", "video/quicktime": "MOV"}


def accepted(network: str) -> tuple[str, ...]:
    """The types of file a post on ``network`` may carry (MIME types, pictures first): what the editor's file picker
    offers, and names before an upload."""
    limits = NETWORKS[network]
    pictures = [mime for mime in KIND_NAMES if mime in limits.image_types] if limits.max_images else []
    videos = [mime for mime in KIND_NAMES if mime in limits.video_types] if limits.max_videos else []
    return (*pictures, *videos)


def _at(analysis: Analysis, index: int) -> tuple[int, int]:
    start = len(analysis.text) + index
    return start, start + 1


def media_index(start: int, end: int, text: str) -> int | None:
    """The position of the media item a finding about ``text`` points at, or None for a finding about the text."""
    return start - len(text) if end > len(text) else None


def _finding(analysis: Analysis, rule: str, severity: Severity, message_id: str, index: int,
             **params: Any) -> Finding:
    start, end = _at(analysis, index)
    return Finding.make(rule, severity, message_id, start, end, media=index, number=index + 1, **params)


def _setup(analysis: Analysis) -> tuple[str, Limits, tuple[MediaItem, ...]] | None:
    network = analysis.context.network or ""
    media = tuple(getattr(analysis.context, "media", ()) or ())
    limits = NETWORKS.get(network)
    if limits is None or not media:
        return None
    return network, limits, media


def size_figure(size: int, unit: int) -> float:
    """``size`` bytes in ``unit`` (``KB`` or ``MB``: 1 MB is 1,024 KB, as the networks' limits are counted) as every
    page writes a file's size: the file's card, the findings about it and the refusals of an upload. One decimal,
    rounded half up; a figure that would read as a whole number it is not gets its hundredths: the limits are whole
    figures, and a file a few bytes over 5 MB (or under 75 KB) must not read as the limit itself ("5.03 MB: X takes
    at most 5 MB"). A message's decimal parameter: each reader's language writes it."""
    value = size / unit
    shown = math.floor(value * 10 + 0.5) / 10
    if shown == math.floor(shown) and value != shown:
        shown = math.ceil(value * 100) / 100 if value > shown else math.floor(value * 100) / 100
    return shown


def size_unit(size: int) -> int:
    """The unit a file's size is written in: MB from 1 MB, KB below."""
    return MB if size >= MB else KB


def _outside(value: float, low: float, high: float) -> float:
    """A figure outside ``low``..``high``, to the hundredth that keeps it outside (2.996 s is not "3 s" beside a
    minimum of 3 s), for a message's decimal parameter."""
    return math.floor(value * 100) / 100 if value < low else math.ceil(value * 100) / 100


def check_count(analysis: Analysis) -> Iterator[Finding]:
    setup = _setup(analysis)
    if setup is None:
        return
    network, limits, media = setup
    name = NAMES[network]
    images = [i for i, m in enumerate(media) if m.kind == "image"]
    videos = [i for i, m in enumerate(media) if m.kind == "video"]
    gifs = [i for i, m in enumerate(media) if m.animated_gif]
    if images and videos and not limits.mixing:
        yield _finding(analysis, COUNT, Severity.error,
                       N_("%(network)s does not take pictures and a video in one post."),
                       max(images[0], videos[0]), network=name)
    if len(images) > limits.max_images:
        if limits.max_images == 0:
            yield _finding(analysis, COUNT, Severity.error, N_("%(network)s takes a video, not pictures."),
                           images[0], network=name)
        else:
            yield _finding(analysis, COUNT, Severity.error,
                           N_("%(count)d pictures: %(network)s takes at most %(limit)d."),
                           images[limits.max_images], count=len(images), network=name, limit=limits.max_images)
    if len(videos) > limits.max_videos:
        yield _finding(analysis, COUNT, Severity.error, N_("%(count)d videos: %(network)s takes at most %(limit)d."),
                       videos[limits.max_videos], count=len(videos), network=name, limit=limits.max_videos)
    if limits.gif_alone and gifs and len(media) > 1:
        yield _finding(analysis, COUNT, Severity.error,
                       N_("An animated GIF goes alone on %(network)s: no other picture or video with it."),
                       gifs[0], network=name)


def _wrong_type(network: str, limits: Limits, kind: str, mime: str) -> tuple[str, dict[str, Any]] | None:
    """The message (its id and parameters) for a picture or a video of a type ``network`` does not take, or None."""
    if kind == "image" and limits.image_types and mime not in limits.image_types:
        return N_("%(network)s takes %(allowed)s pictures, not %(kind)s."), {
            "network": NAMES[network], "allowed": ", ".join(sorted(KIND_NAMES[t] for t in limits.image_types)),
            "kind": KIND_NAMES.get(mime, mime)}
    if kind == "video" and mime not in limits.video_types:
        return N_("%(network)s takes %(allowed)s videos, not %(kind)s."), {
            "network": NAMES[network], "allowed": ", ".join(sorted(KIND_NAMES[t] for t in limits.video_types)),
            "kind": KIND_NAMES.get(mime, mime)}
    return None


def never_taken(network: str, kind: str, mime: str) -> tuple[str, dict[str, Any]] | None:
    """Why a post on ``network`` never carries a file of this kind ("image", "video") and type, whatever else it
    carries, in the gate's own words (a message id and its parameters): a picture on YouTube, a PNG on Instagram, a
    MOV on LinkedIn. An upload is refused for it before it is stored; the limits that depend on the post's other
    files (how many, mixing) stay the gate's."""
    limits = NETWORKS.get(network)
    if limits is None:
        return None
    if kind == "image" and limits.max_images == 0:
        return N_("%(network)s takes a video, not pictures."), {"network": NAMES[network]}
    return _wrong_type(network, limits, kind, mime)


def check_format(analysis: Analysis) -> Iterator[Finding]:
    setup = _setup(analysis)
    if setup is None:
        return
    network, limits, media = setup
    name = NAMES[network]
    for index, item in enumerate(media):
        if (wrong := _wrong_type(network, limits, item.kind, item.mime)) is not None:
            message_id, params = wrong
            yield _finding(analysis, FORMAT, Severity.error, message_id, index, **params)
        if item.kind != "video":
            continue
        if item.codec and item.codec not in limits.video_codecs:
            allowed = " or ".join(sorted(c.upper().replace("HEVC", "HEVC").replace("H264", "H.264")
                                         for c in limits.video_codecs))
            yield _finding(analysis, FORMAT, Severity.error,
                           N_("%(network)s takes videos in %(allowed)s, not %(codec)s."),
                           index, network=name, allowed=allowed, codec=item.codec)
        if limits.frame_rate and item.frame_rate:
            low, high = limits.frame_rate
            if not low <= item.frame_rate <= high + 0.01:
                yield _finding(analysis, FORMAT, Severity.error,
                               N_("%(rate)s frames per second: %(network)s takes %(low)s to %(high)s."), index,
                               rate=_outside(item.frame_rate, low, high), network=name, low=float(low),
                               high=float(high))


def check_size(analysis: Analysis) -> Iterator[Finding]:
    setup = _setup(analysis)
    if setup is None:
        return
    network, limits, media = setup
    name = NAMES[network]
    for index, item in enumerate(media):
        cap: int | None
        if item.animated_gif and limits.gif_max_bytes:
            cap = limits.gif_max_bytes
        else:
            cap = limits.image_max_bytes if item.kind == "image" else limits.video_max_bytes
        if cap and item.bytes > cap:
            # In MB as the file's card writes it (a cap is at least 5 MB: so is a file over it).
            yield _finding(analysis, SIZE, Severity.error, N_("%(size)s MB: %(network)s takes at most %(limit)s MB."),
                           index, size=size_figure(item.bytes, MB), network=name, limit=size_figure(cap, MB))
        if item.kind == "video" and limits.video_min_bytes and item.bytes < limits.video_min_bytes:
            # In KB as the card writes a file under 1 MB.
            yield _finding(analysis, SIZE, Severity.error,
                           N_("%(size)s KB: %(network)s takes videos of %(limit)s KB or more."), index,
                           size=size_figure(item.bytes, KB), network=name,
                           limit=size_figure(limits.video_min_bytes, KB))


def _ratio(value: float) -> float:
    return round(value, 2)


def check_dimensions(analysis: Analysis) -> Iterator[Finding]:
    setup = _setup(analysis)
    if setup is None:
        return
    network, limits, media = setup
    name = NAMES[network]
    for index, item in enumerate(media):
        size = f"{item.width}×{item.height}"
        if item.kind == "image":
            aspect = limits.image_aspect
            if item.animated_gif and (limits.gif_max_width or limits.gif_max_height):
                if item.width > (limits.gif_max_width or item.width) or item.height > (limits.gif_max_height
                                                                                        or item.height):
                    yield _finding(analysis, DIMENSIONS, Severity.error,
                                   N_("An animated GIF of %(size)s: %(network)s takes at most %(limit)s."), index,
                                   size=size, network=name, limit=f"{limits.gif_max_width}×{limits.gif_max_height}")
                if limits.gif_max_frames and (item.frames or 1) > limits.gif_max_frames:
                    yield _finding(analysis, DIMENSIONS, Severity.error,
                                   N_("%(frames)d frames: %(network)s takes GIFs of at most %(limit)d."), index,
                                   frames=item.frames, network=name, limit=limits.gif_max_frames)
            if limits.image_min_side and min(item.width, item.height) < limits.image_min_side or \
                    limits.image_max_side and max(item.width, item.height) > limits.image_max_side:
                yield _finding(analysis, DIMENSIONS, Severity.error,
                               N_("A picture of %(size)s: %(network)s takes %(low)d to %(high)d pixels a side."),
                               index, size=size, network=name, low=limits.image_min_side or 1,
                               high=limits.image_max_side or 0)
            if limits.image_max_pixels and item.width * item.height > limits.image_max_pixels:
                yield _finding(analysis, DIMENSIONS, Severity.error,
                               N_("A picture of %(size)s: %(network)s takes at most %(limit)s pixels."), index,
                               size=size, network=name, limit=f"{limits.image_max_pixels:,}")
        else:
            aspect = limits.video_aspect
            too_small = limits.video_min_side and min(item.width, item.height) < limits.video_min_side
            too_wide = limits.video_max_width and item.width > limits.video_max_width
            too_high = limits.video_max_height and item.height > limits.video_max_height
            if too_small or too_wide or too_high:
                yield _finding(analysis, DIMENSIONS, Severity.error,
                               N_("A video of %(size)s is outside what %(network)s takes (%(limit)s)."), index,
                               size=size, network=name,
                               limit=f"{limits.video_min_side or 1}–{limits.video_max_width or '∞'}"
                                     f"×{limits.video_max_height or '∞'}")
        if aspect and item.height:
            low, high = aspect
            if not low - 0.005 <= item.aspect <= high + 0.005:
                if network == "snapchat":
                    yield _finding(analysis, DIMENSIONS, Severity.error,
                                   N_("%(size)s is not vertical 9:16: Snapchat shows full-screen vertical media."),
                                   index, size=size)
                else:
                    yield _finding(analysis, DIMENSIONS, Severity.error,
                                   N_("An aspect ratio of %(ratio)s (%(size)s): %(network)s takes %(low)s to "
                                      "%(high)s (width / height)."), index, ratio=_outside(item.aspect, low, high),
                                   size=size, network=name, low=_ratio(low), high=_ratio(high))


def check_duration(analysis: Analysis) -> Iterator[Finding]:
    setup = _setup(analysis)
    if setup is None:
        return
    network, limits, media = setup
    if limits.duration_s is None:
        return
    low, high = limits.duration_s
    for index, item in enumerate(media):
        if item.kind == "video" and item.duration_s is not None and not low <= item.duration_s <= high:
            yield _finding(analysis, DURATION, Severity.error,
                           N_("A video of %(duration)s s: %(network)s takes %(low)s to %(high)s s."), index,
                           duration=_outside(item.duration_s, low, high), network=NAMES[network],
                           low=float(low),
                           high=float(high))


def check_alt_text(analysis: Analysis) -> Iterator[Finding]:
    setup = _setup(analysis)
    if setup is None:
        return
    network, limits, media = setup
    if not limits.alt_supported:
        return
    for index, item in enumerate(media):
        if item.kind == "video" and not limits.video_alt:
            continue
        alt = item.alt.strip()
        if not shows_anything(alt):  # zero-width or blank characters describe nothing
            yield _finding(analysis, ALT_TEXT, Severity.warning,
                           N_("Picture %(number)d has no alternative text: people using a screen reader will not "
                              "know what it shows."), index)
        elif limits.alt_max and len(alt) > limits.alt_max:
            yield _finding(analysis, ALT_TEXT, Severity.error,
                           N_("The alternative text of picture %(number)d has %(count)d characters: %(network)s "
                              "takes at most %(limit)d."), index, count=len(alt), network=NAMES[network],
                           limit=limits.alt_max)


def check_location(analysis: Analysis) -> Iterator[Finding]:
    for index, item in enumerate(getattr(analysis.context, "media", ()) or ()):
        if item.has_location:
            yield _finding(analysis, LOCATION, Severity.warning,
                           N_("Picture %(number)d carries the GPS position where it was taken: anyone can read "
                              "it."), index)


#: (id, default severity, check, description, problem) for ``approval.style.rules``.
RULES: tuple[tuple[str, Severity, Callable[[Analysis], Iterable[Finding]], str, str], ...] = (
    (COUNT, Severity.error, check_count,
     N_("No more pictures or videos than the network takes, mixed only where it allows."),
     N_("Too many files, or a mix the network refuses")),
    (FORMAT, Severity.error, check_format, N_("Pictures and videos in a type and codec the network takes."),
     N_("File type the network refuses")),
    (SIZE, Severity.error, check_size, N_("Files no larger than the network takes."),
     N_("Files too large for the network")),
    (DIMENSIONS, Severity.error, check_dimensions,
     N_("Pictures and videos in the sizes and aspect ratios the network takes."),
     N_("Size or aspect ratio the network refuses")),
    (DURATION, Severity.error, check_duration, N_("Videos as long as the network takes, no more, no less."),
     N_("Videos too long or too short for the network")),
    (ALT_TEXT, Severity.warning, check_alt_text, N_("Every picture has an alternative text."),
     N_("Alternative text missing or too long")),
    (LOCATION, Severity.warning, check_location,
     N_("Pictures carry no GPS position (set to error: it is removed at upload)."),
     N_("GPS position in pictures")),
)


def media_items(values: Iterable[object]) -> tuple[MediaItem, ...]:
    return tuple(v if isinstance(v, MediaItem) else v.as_style_item() for v in values)  # type: ignore[attr-defined]
