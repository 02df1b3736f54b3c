"""The networks' media rules (issue 11), as data in approval.style.media: counts, mixing, types, sizes, dimensions and
aspect ratios, durations, codecs, GIFs; media required on Instagram, YouTube (a video) and Snapchat; alternative text
a warning, an error where the market's policy says so; findings point at the media item past the text; and
``approval lint --media``."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from approval import style
import approval.style.media  # noqa: F401
from approval.style.cli import lint_command
from approval.style.media import NETWORKS, MediaItem

from test_media_samples import jpeg, picture, png_without_data, video

TEXT = "Le stade ce soir."
MB = 1024 * 1024


def _rule_id(name: str) -> str:
    """A keyword argument's name as the rule id it stands for (network_media_count -> network.media-count)."""
    return name.replace("_", "-").replace("network-", "network.").replace("media-loc", "media.loc")


def photo(**kw) -> MediaItem:  # noqa: ANN003
    fields = {"kind": "image", "mime": "image/jpeg", "bytes": 200_000, "width": 1080, "height": 1080,
              "frames": 1, "alt": "Le stade", "codec": "jpeg"}
    return MediaItem(**{**fields, **kw})


def clip(**kw) -> MediaItem:  # noqa: ANN003
    fields = {"kind": "video", "mime": "video/mp4", "bytes": 5 * MB, "width": 720, "height": 1280,
              "duration_s": 20.0, "codec": "h264", "frame_rate": 30.0}
    return MediaItem(**{**fields, **kw})


def findings(network: str, media: list[MediaItem] | None, text: str = TEXT, **rules: str) -> list[style.Finding]:
    context = style.Context(network=network, media=tuple(media or ()), has_media=None if media is None else bool(media),
                            rules={_rule_id(k): v for k, v in rules.items()})
    return [f for f in style.check(text, context) if f.rule.startswith(("network.", "media."))
            and f.rule not in ("network.length", "network.hashtags")]


def rules_of(found: list[style.Finding]) -> list[tuple[str, str, int]]:
    return [(f.rule, f.severity.value, f.params.get("media", -1)) for f in found]


@pytest.mark.parametrize(("network", "media", "expected"), [
    # X: four pictures at most, a GIF or a video alone, no mixing, video <= 140 s, <= 1280x1024, H.264 only.
    ("x", [photo()] * 4, []),
    ("x", [photo()] * 5, [("network.media-count", "error", 4)]),
    ("x", [photo(), clip(width=1280, height=720)], [("network.media-count", "error", 1)]),
    ("x", [photo(mime="image/gif", frames=20, alt="Un but"), photo()], [("network.media-count", "error", 0)]),
    ("x", [photo(mime="image/gif", frames=400, alt="Un but", width=1280, height=1080)],
     [("network.media-dimensions", "error", 0)]),
    ("x", [photo(bytes=6 * MB)], [("network.media-size", "error", 0)]),
    ("x", [clip(width=1280, height=720, duration_s=200.0)], [("network.media-duration", "error", 0)]),
    ("x", [clip(width=1920, height=1080)], [("network.media-dimensions", "error", 0)]),
    ("x", [clip(width=640, height=360, codec="hevc")], [("network.media-format", "error", 0)]),
    ("x", [clip(width=640, height=360, frame_rate=120.0)], [("network.media-format", "error", 0)]),
    # Instagram: JPEG only, 4:5 to 1.91:1, carousel up to 10, mixing allowed, media required.
    ("instagram", [photo(), clip(width=1080, height=1350)], []),
    ("instagram", [photo(mime="image/png")], [("network.media-format", "error", 0)]),
    ("instagram", [photo(width=1080, height=1920)], [("network.media-dimensions", "error", 0)]),
    ("instagram", [photo(width=2000, height=1000)], [("network.media-dimensions", "error", 0)]),
    ("instagram", [photo()] * 11, [("network.media-count", "error", 10)]),
    ("instagram", [clip(duration_s=2.0)], [("network.media-duration", "error", 0)]),
    ("instagram", [], [("network.media-required", "error", -1)]),
    # LinkedIn: up to 20 pictures, one video, no mixing, MP4 only, 3 s to 30 min.
    ("linkedin", [photo()] * 20, []),
    ("linkedin", [photo()] * 21, [("network.media-count", "error", 20)]),
    ("linkedin", [clip(mime="video/quicktime")], [("network.media-format", "error", 0)]),
    ("linkedin", [clip(width=720, height=2000)], [("network.media-dimensions", "error", 0)]),
    # Facebook: no WebP, photos < 10 MB, never photos with a video.
    ("facebook", [photo(mime="image/webp")], [("network.media-format", "error", 0)]),
    ("facebook", [photo(), clip()], [("network.media-count", "error", 1)]),
    ("facebook", [], []),
    # YouTube: exactly one video, required.
    ("youtube", [clip()], []),
    ("youtube", [], [("network.media-required", "error", -1)]),
    ("youtube", [photo()], [("network.media-required", "error", -1), ("network.media-count", "error", 0)]),
    ("youtube", [clip(), clip()], [("network.media-count", "error", 1)]),
    # Snapchat: one picture or one video, vertical 9:16, video 5-60 s.
    ("snapchat", [photo(width=1080, height=1920)], []),
    ("snapchat", [photo(width=1080, height=1080)], [("network.media-dimensions", "error", 0)]),
    ("snapchat", [clip(duration_s=90.0)], [("network.media-duration", "error", 0)]),
    ("snapchat", [photo(width=1080, height=1920), photo(width=1080, height=1920)],
     [("network.media-count", "error", 1)]),
    ("snapchat", [], [("network.media-required", "error", -1)]),
])
def test_each_network_rule_fires_on_the_media_item_it_concerns(network, media, expected):
    found = findings(network, media)
    assert sorted(rules_of(found)) == sorted(expected), [f.message for f in found]
    for finding in found:
        if "media" in finding.params:
            # The convention: past the text, one position per media item.
            assert (finding.start, finding.end) == (len(TEXT) + finding.params["media"],
                                                    len(TEXT) + finding.params["media"] + 1)


def test_every_network_has_its_limits_with_their_sources_in_a_comment():
    lines = Path(style.media.__file__).read_text().splitlines()
    for network in ("x", "facebook", "instagram", "linkedin", "youtube", "snapchat"):
        assert network in NETWORKS
        row = next(i for i, line in enumerate(lines) if line.strip().startswith(f'"{network}": Limits('))
        start = row
        while lines[start - 1].strip().startswith("#"):
            start -= 1
        comment = " ".join(lines[start:row])
        assert comment and re.search(r"\([A-Z][0-9]", comment), network  # e.g. "(I1, I2)"


def test_missing_alt_text_is_a_warning_and_an_error_where_the_policy_says_so():
    media = [photo(alt="")]
    assert rules_of(findings("x", media)) == [("network.alt-text", "warning", 0)]
    assert rules_of(findings("x", [photo(alt="\u200b\u0301")])) == [("network.alt-text", "warning", 0)]
    assert rules_of(findings("x", media, network_alt_text="error")) == [("network.alt-text", "error", 0)]
    assert findings("x", media, network_alt_text="off") == []
    assert rules_of(findings("x", [photo(alt="x" * 1001)])) == [("network.alt-text", "error", 0)]
    # Videos on X and anything on YouTube or Snapchat take no alternative text: nothing asked.
    assert findings("youtube", [clip(alt="")]) == []
    assert findings("x", [clip(width=640, height=360, alt="")]) == []


def test_the_rules_are_known_to_the_policy_screen_and_the_text_only_gate_is_unchanged():
    for rule in ("network.media-count", "network.media-format", "network.media-size", "network.media-dimensions",
                 "network.media-duration", "network.alt-text", "media.location"):
        assert rule in style.BY_ID
    # Without media information (a text alone, as before), no media rule runs and nothing is required.
    assert findings("instagram", None) == []
    context = style.Context(network="x")
    assert style.check(TEXT, replace(context)) == style.check(TEXT, context)


def test_a_picture_with_its_gps_position_is_pointed_out():
    assert rules_of(findings("facebook", [photo(has_location=True)])) == [("media.location", "warning", 0)]


def test_lint_takes_media_files(tmp_path):
    files = {"a.jpg": jpeg((400, 400)), "b.png": picture("PNG", (400, 400)), "c.mp4": video((96, 64), seconds=0.5)}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "post.txt").write_text(TEXT + "\n")
    runner = CliRunner()
    result = runner.invoke(lint_command, ["--network", "instagram", "--format", "json",
                                          "--media", str(tmp_path / "a.jpg"), "--alt", "Le stade",
                                          "--media", str(tmp_path / "b.png"), str(tmp_path / "post.txt")])
    assert result.exit_code == 1, result.output
    found = json.loads(result.output)["findings"]
    text_length = len(TEXT) + 1
    assert {(f["rule"], f["start"]) for f in found} == {("network.media-format", text_length + 1),
                                                       ("network.alt-text", text_length + 1)}
    result = runner.invoke(lint_command, ["--network", "x", "--media", str(tmp_path / "a.jpg"),
                                          "--media", str(tmp_path / "c.mp4"), str(tmp_path / "post.txt")])
    assert result.exit_code == 1
    assert "post.txt:media 2: error network.media-count" in result.output
    # No media on Instagram says nothing unless media are given: lint cannot know.
    assert runner.invoke(lint_command, ["--network", "instagram", str(tmp_path / "post.txt")]).exit_code == 0
    # A file a post would refuse ends the command with status 2.
    (tmp_path / "notes.jpg").write_text("not a picture")
    bad = runner.invoke(lint_command, ["--media", str(tmp_path / "notes.jpg"), str(tmp_path / "post.txt")])
    assert bad.exit_code == 2 and "neither a picture" in bad.output
    bad = runner.invoke(lint_command, ["--format", "json", "--media", str(tmp_path / "notes.jpg"),
                                       str(tmp_path / "post.txt")])
    assert bad.exit_code == 2 and "neither a picture" in json.loads(bad.stdout)["error"]


def test_lint_refuses_a_png_with_no_picture_data_as_an_upload_does(tmp_path):
    (tmp_path / "empty.png").write_bytes(png_without_data())
    (tmp_path / "post.txt").write_text(TEXT + "\n")
    result = CliRunner().invoke(lint_command, ["--network", "x", "--format", "json", "--media",
                                               str(tmp_path / "empty.png"), str(tmp_path / "post.txt")])
    assert result.exit_code == 2 and "damaged" in json.loads(result.stdout)["error"]


@pytest.mark.parametrize("args", [
    ["--format", "json", "--media", "missing.jpg"],
    ["--media", "missing.jpg", "--format=json"],
    ["--format", "json", "--lang", "zz"],
])
def test_lint_in_json_says_a_usage_error_in_json_too(tmp_path, args):
    """A file that is not there (click's own check) printed plain text on standard error only."""
    (tmp_path / "post.txt").write_text(TEXT + "\n")
    result = CliRunner().invoke(lint_command, [*args, str(tmp_path / "post.txt")])
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert ("missing.jpg" in error) if "--lang" not in args else ("zz" in error)
    assert "Error:" in result.stderr  # click still says it there
    plain = CliRunner().invoke(lint_command, ["--media", "missing.jpg", str(tmp_path / "post.txt")])
    assert plain.exit_code == 2 and plain.stdout == ""


def test_a_decimal_in_a_rule_message_is_written_as_the_reader_s_language_writes_it(app):
    """Sizes, ratios, rates and durations are decimals the page writes in its reader's language: "0,8" in French,
    both when the gate has just spoken and once its finding is stored with the revision (JSON)."""
    from approval.labels import finding_message

    [size] = findings("x", [photo(bytes=int(5.8 * MB))])
    [ratio] = findings("instagram", [photo(width=1000, height=2000)])
    assert size.message == "5.8 MB: X takes at most 5 MB."
    assert "0.5" in ratio.message and "0.8" in ratio.message
    stored = json.loads(json.dumps(size.as_dict(translatable=True)))
    for language, expected in (("en", "5.8"), ("fr", "5,8")):
        with app.test_request_context(headers={"Accept-Language": language}):
            assert expected in finding_message(size) and expected in finding_message(stored)
            assert ("0,8" if language == "fr" else "0.8") in finding_message(ratio)


def test_a_figure_outside_a_limit_never_reads_as_the_limit():
    """A 2.996 s video read "A video of 3 s: Instagram takes 3 to 900 s"; 5 MB and a few KB read "5 MB" beside a
    cap of 5 MB: the figure is written on its side of the limit (to the hundredth, as the file's card writes it)."""
    [short] = findings("instagram", [clip(duration_s=2.996, width=1080, height=1350)])
    [long_] = findings("instagram", [clip(duration_s=900.004, width=1080, height=1350)])
    assert short.message.startswith("A video of 2.99 s") and long_.message.startswith("A video of 900.01 s")
    [heavy] = findings("x", [photo(bytes=5 * MB + 30_000)])
    assert heavy.message == "5.03 MB: X takes at most 5 MB."
