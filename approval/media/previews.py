"""How each network shows a post, computed here so the pages and the editor's live preview agree (the templates
draw it: templates/posts/_previews.html).

What each preview reproduces (from the networks' own pages, December 2026; no network asset is fetched):

* X: the text cut where X cuts it (280 weighted characters, links counted as 23, "Show more" beyond, as X shows a
  long post of a Premium author), links displayed shortened, up to four pictures in X's grid.
* LinkedIn: the first three lines (at most about 210 characters), then "…see more".
* Instagram: the first picture or video cropped square, or 4:5 when it is portrait, the others a swipe away (the
  preview pages through them); the caption under it, its first 125 characters then "… more".
* Facebook: the text (cut at about 480 characters, "See more") above the pictures.
* YouTube: the first line as the title (100 characters), the rest as the description, the video's frame at 16:9.
* Snapchat: one picture or video full screen at 9:16, the caption over it.

Each shows what its network would publish of the post's media (``approval.style.media.NETWORKS``): no more files than
it takes, and, where it never mixes pictures with a video, those of the first file's kind; the preview says how many it
leaves out, and why (the style gate refuses the post meanwhile).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from approval.style import twitter
from approval.style.media import NETWORKS as LIMITS
from approval.style.network import YOUTUBE_TITLE, youtube_title
from approval.style.text import find_entities

X_DISPLAY_URL = 23
LINKEDIN_LINES = 3
LINKEDIN_CHARS = 210
INSTAGRAM_CAPTION = 125
FACEBOOK_CHARS = 480
SNAPCHAT_CAPTION = 250
NETWORKS = ("x", "facebook", "instagram", "linkedin", "youtube", "snapchat")


@dataclass(frozen=True)
class Segment:
    kind: str  # "text" | "link" | "tag" | "mention"
    text: str


@dataclass(frozen=True)
class Shown:
    """A text as a network shows it: the visible segments and whether a "more" link follows."""

    segments: tuple[Segment, ...]
    cut: bool
    hidden: str = ""


@dataclass(frozen=True)
class MediaView:
    id: int
    kind: str
    width: int
    height: int
    alt: str
    has_thumbnail: bool


@dataclass(frozen=True)
class Preview:
    network: str
    text: Shown
    media: tuple[MediaView, ...]
    title: str = ""
    description: Shown | None = None
    #: The first item's crop on Instagram: "square" or "portrait" (4:5).
    crop: str = "square"
    #: Media the post carries beyond what the network shows (X shows four pictures, Snapchat one): the style gate
    #: refuses them, the preview says how many are left out.
    left_out: int = 0
    #: Of those, the ones left out because the network never shows pictures and a video together (LinkedIn).
    left_out_mixed: int = 0
    extra: dict = field(default_factory=dict)


def _segments(text: str, *, shorten_links: bool = False) -> tuple[Segment, ...]:
    out: list[Segment] = []
    position = 0
    kinds = {"url": "link", "hashtag": "tag", "mention": "mention"}
    for entity in find_entities(text):
        if entity.kind not in kinds:
            continue
        if entity.start > position:
            out.append(Segment("text", text[position:entity.start]))
        shown = text[entity.start:entity.end]
        if entity.kind == "url" and shorten_links:
            shown = re.sub(r"^(?i:https?://)(?i:www\.)?", "", shown)
            if len(shown) > X_DISPLAY_URL:
                shown = shown[: X_DISPLAY_URL - 1] + "…"
        out.append(Segment(kinds[entity.kind], shown))
        position = entity.end
    if position < len(text):
        out.append(Segment("text", text[position:]))
    return tuple(out)


def _cut_at(text: str, offset: int, *, shorten_links: bool = False) -> Shown:
    if offset >= len(text):
        return Shown(_segments(text, shorten_links=shorten_links), False)
    # Never cut inside a word when a space is near; a cut that falls on a space or at a line's end splits no word,
    # and keeps the whole line (backing off from there dropped the line's last word).
    if not text[offset].isspace():
        space = text.rfind(" ", max(0, offset - 20), offset)
        offset = space if space > 0 else offset
    return Shown(_segments(text[:offset].rstrip(), shorten_links=shorten_links), True, text[offset:])


def _lines_cut(text: str, lines: int, chars: int) -> Shown:
    newline_at = -1
    for _ in range(lines):
        newline_at = text.find("\n", newline_at + 1)
        if newline_at == -1:
            break
    offset = min(chars, newline_at if newline_at != -1 else len(text))
    return _cut_at(text, offset)


def build(network: str, text: str, media: list[MediaView], *, handle: str = "handle", name: str = "") -> Preview:
    shown, mixed = _published(network, media)
    preview = _build(network, text, shown)
    left_out = len(media) - len(preview.media)
    return replace(preview, left_out=left_out, left_out_mixed=min(mixed, left_out),
                   extra={"handle": handle, "name": name or handle})


def _published(network: str, media: list[MediaView]) -> tuple[list[MediaView], int]:
    """What ``network`` would publish of ``media``: where it never mixes pictures and a video, the first file's
    kind only; no more pictures, no more videos than it takes. With the number left out for mixing."""
    limits = LIMITS.get(network)
    if limits is None or not media:
        return list(media), 0
    caps = {"image": limits.max_images, "video": limits.max_videos}
    taken = [m for m in media if caps.get(m.kind)]  # no picture at all on YouTube: not a matter of mixing
    kept = taken
    if not limits.mixing and len({m.kind for m in taken}) > 1:
        kept = [m for m in taken if m.kind == taken[0].kind]
    counted = dict.fromkeys(caps, 0)
    shown = []
    for item in kept:
        counted[item.kind] += 1
        if counted[item.kind] <= caps[item.kind]:
            shown.append(item)
    return shown, len(taken) - len(kept)


def _build(network: str, text: str, media: list[MediaView]) -> Preview:
    media_t = tuple(media)
    if network == "x":
        shown = _cut_at(text, twitter.overflow_offset(text, twitter.MAX_LENGTH), shorten_links=True)
        return Preview("x", shown, media_t[:4])
    if network == "linkedin":
        return Preview("linkedin", _lines_cut(text, LINKEDIN_LINES, LINKEDIN_CHARS), media_t)
    if network == "instagram":
        first = media_t[0] if media_t else None
        crop = "portrait" if first is not None and first.width < first.height else "square"
        return Preview("instagram", _cut_at(text, INSTAGRAM_CAPTION), media_t, crop=crop)
    if network == "youtube":
        start, end = youtube_title(text)
        title, rest = text[start:end], text.partition("\n")[2]
        if len(title) > YOUTUBE_TITLE:
            title = title[: YOUTUBE_TITLE - 1] + "…"
        videos = tuple(m for m in media_t if m.kind == "video")[:1]
        return Preview("youtube", Shown((), False), videos, title=title,
                       description=_lines_cut(rest.strip(), 3, 160))
    if network == "snapchat":
        return Preview("snapchat", _cut_at(text, SNAPCHAT_CAPTION), media_t[:1])
    return Preview("facebook", _cut_at(text, FACEBOOK_CHARS), media_t)


def media_views(revision: object) -> list[MediaView]:
    """The revision's media as the previews need them (``revision.media`` rows)."""
    return [MediaView(id=m.file.id, kind=m.file.kind.value, width=m.file.width, height=m.file.height, alt=m.alt,
                      has_thumbnail=bool(m.file.thumbnail_key)) for m in getattr(revision, "media", ()) or ()]
