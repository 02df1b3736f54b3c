"""The networks' own rules: length as each network counts it, hashtags, media.

Sources for the figures (checked 2026):

* X: 280, weighted as twitter-text config v3 counts (``approval.style.twitter``).
* Facebook: 63,206 characters for a post's text.
* Instagram: a caption of at most 2,200 characters and 30 hashtags (Instagram Graph API, content publishing:
  "maximum 2200 characters, 30 hashtags, and 20 @ tags").
* LinkedIn: 3,000 characters for a post (LinkedIn Help, "share posts": up to 3,000 characters).
* YouTube: a video description of 5,000 bytes (YouTube Data API, ``videos.snippet.description``: "maximum length of
  5000 bytes", UTF-8); more than 60 hashtags and YouTube ignores them all ("Use hashtags for YouTube videos"). The
  post's first line is the video's title: at most 100 characters (``videos.snippet.title``); neither the title nor
  the description may hold ``<`` or ``>`` (the same reference: "invalid characters").
* Snapchat: 250 characters for a Story or Spotlight caption (Snapchat publishes no API limit for captions; the app's
  caption field stops at 250, the figure guides quote).

Instagram, YouTube and Snapchat publish pictures and videos, never text alone: ``network.media-required`` says so
once the post's context knows whether media are attached (``Context.has_media``; unknown means silent).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from approval.style import twitter
from approval.style.findings import Finding, Severity
from approval.style.i18n import N_
from approval.style.text import Analysis

LENGTH = "network.length"
HASHTAGS = "network.hashtags"
MEDIA = "network.media-required"

#: Each network's limit on a post's length, in the network's own count (see ``length``).
LIMITS: dict[str, int] = {
    "x": twitter.MAX_LENGTH,
    "facebook": 63206,
    "instagram": 2200,
    "linkedin": 3000,
    "youtube": 5000,
    "snapchat": 250,
}
#: What ``length`` counts for each network, for the editor's label.
UNITS: dict[str, str] = {"x": "weighted characters", "youtube": "bytes"}
HASHTAG_LIMITS: dict[str, int] = {"instagram": 30, "youtube": 60}
#: A YouTube video's title: the post's first line.
YOUTUBE_TITLE = 100
MEDIA_REQUIRED = frozenset({"instagram", "youtube", "snapchat"})
NAMES = {"x": "X", "facebook": "Facebook", "instagram": "Instagram", "linkedin": "LinkedIn", "youtube": "YouTube",
         "snapchat": "Snapchat"}


#: Where each network shows a post (or a subdomain of it: www., m., mobile.): the address of a post published by
#: hand is on one of them. The networks' own short links count (youtu.be, lnkd.in, fb.watch, instagr.am).
POST_HOSTS: dict[str, tuple[str, ...]] = {
    "x": ("x.com", "twitter.com"),
    "facebook": ("facebook.com", "fb.com", "fb.watch"),
    "instagram": ("instagram.com", "instagr.am"),
    "linkedin": ("linkedin.com", "lnkd.in"),
    "youtube": ("youtube.com", "youtu.be"),
    "snapchat": ("snapchat.com",),
}


def on_network(url: str, network: object) -> bool:
    """Whether ``url`` (an http(s) address) is on ``network``'s own site."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    known_hosts = POST_HOSTS.get(str(getattr(network, "value", network)), ())
    return any(host == known or host.endswith("." + known) for known in known_hosts)


def network_name(network: object) -> str:
    """A network as it names itself ("LinkedIn", "X"), from an account's network or its value."""
    value = getattr(network, "value", network)
    return NAMES.get(str(value), str(value))


def length(text: str, network: str | None) -> int:
    """The length the network counts: X's weighted length, YouTube's UTF-8 bytes, code points elsewhere."""
    if network == "x":
        return twitter.weighted_length(text)
    if network == "youtube":
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text)


def _overflow_offset(text: str, network: str, limit: int) -> int:
    if network == "x":
        return twitter.overflow_offset(text, limit)
    if network == "youtube":
        size = 0
        for i, char in enumerate(text):
            size += len(char.encode("utf-8", "surrogatepass"))
            if size > limit:
                return i
        return len(text)
    return min(limit, len(text))


def check_length(analysis: Analysis) -> Iterator[Finding]:
    network = analysis.context.network
    limit = LIMITS.get(network) if network else None
    if network is None or limit is None:
        return
    text = analysis.text
    count = length(text, network)
    if count > limit:
        yield Finding.make(LENGTH, Severity.error,
                           N_("%(count)d characters as %(network)s counts them: the limit is %(limit)d."),
                           _overflow_offset(text, network, limit), len(text),
                           count=count, network=NAMES[network], limit=limit)
    if network == "youtube":
        yield from _youtube_title_and_brackets(text)
    if network == "x":
        for offset in twitter.invalid_characters(text):
            yield Finding.make(LENGTH, Severity.error, N_("X refuses the invisible character U+%(code)s."),
                               offset, offset + 1, "", code=f"{ord(text[offset]):04X}")


def youtube_title(text: str) -> tuple[int, int]:
    """Where the video's title lies in the post: its first line, without the spaces around it."""
    line = text.partition("\n")[0]
    start = len(line) - len(line.lstrip())
    return start, len(line.rstrip())


def _youtube_title_and_brackets(text: str) -> Iterator[Finding]:
    start, end = youtube_title(text)
    if end - start > YOUTUBE_TITLE:
        yield Finding.make(LENGTH, Severity.error,
                           N_("The first line is the video's title on YouTube: %(count)d characters, the limit is "
                              "%(limit)d."), start + YOUTUBE_TITLE, end, count=end - start, limit=YOUTUBE_TITLE)
    for offset, char in enumerate(text):
        if char in "<>":
            yield Finding.make(LENGTH, Severity.error, N_("YouTube refuses %(char)s in a video's title and "
                                                         "description."), offset, offset + 1, "", char=char)


def check_hashtags(analysis: Analysis) -> Iterator[Finding]:
    network = analysis.context.network or ""
    limit = HASHTAG_LIMITS.get(network)
    if limit is None or "#" not in analysis.text and "＃" not in analysis.text:
        return
    tags = [e for e in analysis.entities if e.kind == "hashtag"]
    if len(tags) > limit:
        yield Finding.make(HASHTAGS, Severity.error,
                           N_("%(count)d hashtags: %(network)s allows at most %(limit)d."),
                           tags[limit].start, tags[-1].end, count=len(tags), network=NAMES[network], limit=limit)


def check_media(analysis: Analysis) -> Iterator[Finding]:
    network = analysis.context.network or ""
    if network in MEDIA_REQUIRED and analysis.context.has_media is False:
        yield Finding.make(MEDIA, Severity.error, N_("Posts on %(network)s need a video.") if network == "youtube"
                           else N_("Posts on %(network)s need a picture or a video."), 0, 0, network=NAMES[network])
    elif network == "youtube" and analysis.context.media and not any(m.kind == "video" for m in analysis.context.media):
        yield Finding.make(MEDIA, Severity.error, N_("Posts on %(network)s need a video."), 0, 0,
                           network=NAMES[network])

