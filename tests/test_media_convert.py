"""A picture of a type the post's network does not take, on a network that takes JPEG, is converted to JPEG at upload
(onboarding finding 10: a PNG dropped on an Instagram post was a 415, where Buffer, Hootsuite and Planable convert it).

The stored file is the JPEG: its SHA-256 is the one the revision binds (what is approved is what goes out); its name
ends in .jpg; transparency lies on white, the EXIF orientation is applied, the colours are sRGB, the pixel
dimensions are kept. The answer says what was done, in the editor's words and the API's. An animation is refused as
before (a JPEG would keep one frame of it), a type the network takes is kept, and a market whose policy made
``network.media-format`` a warning keeps the file as sent.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import struct
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image, ImageCms
from sqlalchemy import func, select

from approval.media.storage import file_key, storage
from approval.models import MediaFile, Post, revision_sha256
from approval.workflow.states import Role

from test_media import api_for  # noqa: F401 - fixture
from test_media_samples import jpeg, picture

MB = 1024 * 1024
ORIENTATION = 0x0112
GPS_IFD = 0x8825


@pytest.fixture()
def france(make):  # noqa: ANN001, ANN201
    return make.market("FR")


@pytest.fixture()
def writer(make, france):  # noqa: ANN001, ANN201
    return make.user(Role.community_manager, markets=[france])


def _post(make, france, writer, network: str = "instagram") -> Post:  # noqa: ANN001
    return make.post(account=make.account(france, network), author=writer, body="Le lancement de la saison.")


def _upload(web, post: Post, data: bytes, name: str, *, json: bool = True, **headers: str):  # noqa: ANN001, ANN202
    sent = {"Accept": "application/json", "X-Requested-With": "fetch"} if json else {}
    return web.client.post(f"/posts/{post.id}/media", data={
        "csrf_token": web.token, "version": str(post.version), "alt": "",
        "file": (io.BytesIO(data), name)}, content_type="multipart/form-data", headers={**sent, **headers})


def _stored(app, media_file: MediaFile) -> bytes:  # noqa: ANN001
    with storage(app).open(file_key(media_file.sha256)) as handle:
        return handle.read()


def _the_file(db_session, post: Post) -> MediaFile:  # noqa: ANN001
    db_session.expire_all()
    post = db_session.get(Post, post.id)
    [attachment] = post.current_revision.media
    return attachment.file


def _binds(app, db_session, post: Post) -> tuple[MediaFile, Image.Image]:  # noqa: ANN001
    """The post's one file: the bytes stored are those its row names, and the revision binds them."""
    media_file = _the_file(db_session, post)
    data = _stored(app, media_file)
    assert hashlib.sha256(data).hexdigest() == media_file.sha256
    revision = db_session.get(Post, post.id).current_revision
    assert revision.sha256 == revision_sha256(revision.body, [(media_file.sha256, "")])
    assert (media_file.mime, media_file.bytes) == ("image/jpeg", len(data))
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "JPEG" and image.mode == "RGB"
    assert (media_file.width, media_file.height) == image.size
    return media_file, image


def _close(pixel: tuple, expected: tuple, tolerance: int = 6) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


def logo_png() -> bytes:
    """A 120 x 90 logo: its left third transparent, its middle third blue at half opacity, its right third red."""
    image = Image.new("RGBA", (120, 90), (0, 0, 0, 0))
    image.paste((0, 0, 255, 128), (40, 0, 80, 90))
    image.paste((255, 0, 0, 255), (80, 0, 120, 90))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _on_white(image: Image.Image) -> None:
    assert _close(image.getpixel((10, 45)), (255, 255, 255)), image.getpixel((10, 45))  # transparent: white
    assert _close(image.getpixel((60, 45)), (127, 127, 255)), image.getpixel((60, 45))  # half blue on white
    assert _close(image.getpixel((110, 45)), (255, 0, 0)), image.getpixel((110, 45))  # opaque: as it was


# The editor and the API ------------------------------------------------------------------------------------------


def test_a_png_with_transparency_on_instagram_becomes_a_jpeg_on_white_in_the_editor(app, make, web, db_session,
                                                                                     france, writer):
    post = _post(make, france, writer)
    web.login(writer)
    answer = _upload(web, post, logo_png(), "launch.png")
    assert answer.status_code == 201, answer.get_data(as_text=True)[:300]
    assert answer.json["message"] == "Added. launch.png was converted to JPEG for Instagram."
    [item] = answer.json["media"]
    assert (item["name"], item["mime"], item["width"], item["height"]) == ("launch.jpg", "image/jpeg", 120, 90)
    media_file, image = _binds(app, db_session, post)
    assert image.size == (120, 90) and media_file.original_name == "launch.jpg"
    _on_white(image)
    assert not [f for f in answer.json["findings"] if f["rule"] == "network.media-format"]


def test_the_plain_form_says_so_too(app, make, web, db_session, france, writer):
    post = _post(make, france, writer)
    web.login(writer)
    answer = _upload(web, post, logo_png(), "launch.png", json=False)
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/posts/{post.id}/edit#media-editor")
    page = web.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Added. launch.png was converted to JPEG for Instagram." in page
    _binds(app, db_session, post)


def test_a_png_with_transparency_on_instagram_becomes_a_jpeg_on_white_over_the_api(app, make, db_session, france,
                                                                                    writer, api_for):  # noqa: F811
    post = _post(make, france, writer)
    answer = api_for(writer).upload(post.id, logo_png(), "launch.png", alt="Le logo de la saison")
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["message"] == "launch.png was converted to JPEG for Instagram."
    [item] = body["media"]
    assert (item["mime"], item["width"], item["height"]) == ("image/jpeg", 120, 90)
    media_file = _the_file(db_session, post)
    assert db_session.get(Post, post.id).current_revision.media[0].name == "launch.jpg"
    data = _stored(app, media_file)
    assert item["sha256"] == media_file.sha256 == hashlib.sha256(data).hexdigest()
    assert body["revision"]["sha256"] == revision_sha256(body["body"], [(media_file.sha256, "Le logo de la saison")])
    _on_white(Image.open(io.BytesIO(data)))
    # An upload with nothing converted says nothing more.
    plain = api_for(writer).upload(post.id, jpeg((120, 90)), "photo.jpg")
    assert plain.status_code == 201 and plain.get_json()["message"] is None


def test_several_files_are_named_together_and_the_jpeg_sent_again_changes_nothing(app, make, web, db_session,
                                                                                   france, writer):
    post = _post(make, france, writer)
    web.login(writer)
    response = web.client.post(f"/posts/{post.id}/media", data={
        "csrf_token": web.token, "version": str(post.version),
        "file": [(io.BytesIO(logo_png()), "a.png"), (io.BytesIO(jpeg((120, 90))), "b.jpg"),
                 (io.BytesIO(picture("WEBP", (120, 90), "green")), "c.webp")]},
        content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    assert response.json["message"] == "Added. a.png and c.webp were converted to JPEG for Instagram."
    assert [(m["name"], m["mime"]) for m in response.json["media"]] == [
        ("a.jpg", "image/jpeg"), ("b.jpg", "image/jpeg"), ("c.jpg", "image/jpeg")]
    db_session.expire_all()
    post = db_session.get(Post, post.id)
    again = _upload(web, post, logo_png(), "a.png")  # the same PNG makes the same JPEG: already there
    assert again.status_code == 200
    assert again.json["message"] == ("This file is already among the post's media: nothing changed. a.png was "
                                     "converted to JPEG for Instagram.")


def test_a_still_gif_and_a_webp_become_jpegs_where_the_network_takes_jpeg(app, make, web, db_session, france,
                                                                           writer, api_for):  # noqa: F811
    """Instagram takes JPEG only; Facebook and LinkedIn take no WebP; Snapchat takes no GIF."""
    api = api_for(writer)
    for network, data, name, said in (
            ("instagram", picture("GIF", (120, 90), "green"), "still.gif", "Instagram"),
            ("facebook", picture("WEBP", (120, 90), "green"), "stade.webp", "Facebook"),
            ("linkedin", picture("WEBP", (120, 90), "green"), "stade.webp", "LinkedIn"),
            ("snapchat", picture("GIF", (1080, 1920), "green"), "story.gif", "Snapchat")):
        post = _post(make, france, writer, network)
        answer = api.upload(post.id, data, name)
        assert answer.status_code == 201, (network, answer.get_json())
        assert answer.get_json()["message"] == f"{name} was converted to JPEG for {said}."
        _media_file, image = _binds(app, db_session, post)
        assert _close(image.getpixel((5, 5)), (0, 128, 0)), (network, image.getpixel((5, 5)))


# What the picture is made of ---------------------------------------------------------------------------------------


def test_an_exif_rotated_png_is_stored_upright(app, make, web, db_session, france, writer):
    """Stored 60 x 40 with a red corner at its top left, shown turned a quarter clockwise (orientation 6): the JPEG
    is 40 x 60, upright, its red corner at the top right, and says no orientation (it would be turned twice)."""
    image = Image.new("RGB", (60, 40), "white")
    image.paste((255, 0, 0), (0, 0, 16, 16))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    out = io.BytesIO()
    image.save(out, "PNG", exif=exif.tobytes())
    post = _post(make, france, writer)
    web.login(writer)
    answer = _upload(web, post, out.getvalue(), "phone.png")
    assert answer.status_code == 201, answer.get_data(as_text=True)[:300]
    [item] = answer.json["media"]
    assert (item["width"], item["height"]) == (40, 60)
    _media_file, stored = _binds(app, db_session, post)
    assert stored.size == (40, 60)
    assert _close(stored.getpixel((36, 3)), (255, 0, 0)) and _close(stored.getpixel((3, 3)), (255, 255, 255))
    assert stored.getexif().get(ORIENTATION) in (None, 1)


def _icc_profile(red: tuple, green: tuple, blue: tuple) -> bytes:
    """A minimal ICC v2 RGB display profile: these colorants (D50 XYZ), a D50 white and a 2.2 gamma."""
    def xyz(values: tuple) -> bytes:
        return b"XYZ " + b"\0" * 4 + b"".join(struct.pack(">i", round(v * 65536)) for v in values)

    description = b"Swapped primaries"
    tags = [(b"desc", b"desc" + b"\0" * 4 + struct.pack(">I", len(description) + 1) + description + b"\0"
             + b"\0" * 8 + b"\0" * 2 + b"\0" + b"\0" * 67),
            (b"wtpt", xyz((0.9642, 1.0, 0.8249))), (b"rXYZ", xyz(red)), (b"gXYZ", xyz(green)), (b"bXYZ", xyz(blue))]
    gamma = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, round(2.2 * 256)) + b"\0\0"
    tags += [(b"rTRC", gamma), (b"gTRC", gamma), (b"bTRC", gamma)]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (struct.pack(">I", size) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ " + b"\0" * 12 + b"acsp"
              + b"\0" * 24 + b"\0" * 4 + struct.pack(">iii", 63190, 65536, 54061) + b"\0" * 48)
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


def test_colours_are_converted_to_srgb_from_the_pictures_profile(app, make, web, db_session, france, writer):
    """A profile whose red is sRGB's blue: the red the file stores is shown blue, and the JPEG, in sRGB without a
    profile, is blue."""
    srgb_red, srgb_blue = (0.4361, 0.2225, 0.0139), (0.1431, 0.0606, 0.7141)
    profile = _icc_profile(red=srgb_blue, green=(0.3851, 0.7169, 0.0971), blue=srgb_red)
    ImageCms.ImageCmsProfile(io.BytesIO(profile))  # a profile lcms reads
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (255, 0, 0)).save(out, "PNG", icc_profile=profile)
    post = _post(make, france, writer)
    web.login(writer)
    answer = _upload(web, post, out.getvalue(), "swapped.png")
    assert answer.status_code == 201, answer.get_data(as_text=True)[:300]
    _media_file, stored = _binds(app, db_session, post)
    assert _close(stored.getpixel((32, 32)), (0, 0, 255), tolerance=12), stored.getpixel((32, 32))
    assert "icc_profile" not in stored.info


@pytest.mark.parametrize("strips", [False, True])
def test_a_location_is_stripped_where_the_markets_policy_strips_it_at_upload(app, make, web, db_session, france,
                                                                            writer, strips):
    from approval import policies

    if strips:
        policies.save_policy(db_session, france, make.user(Role.admin), rules={"media.location": "error"})
    post = _post(make, france, writer)
    db_session.commit()
    web.login(writer)
    answer = _upload(web, post, picture("PNG", (120, 90), gps=True), "terrain.png")
    assert answer.status_code == 201, answer.get_data(as_text=True)[:300]
    media_file, stored = _binds(app, db_session, post)
    assert media_file.has_location is not strips
    assert bool(stored.getexif().get_ifd(GPS_IFD)) is not strips
    assert stored.getexif().get(0x010F) == "Helio camera"  # the rest of the EXIF data stays


def test_a_jpeg_over_the_networks_cap_is_refused_in_the_existing_words(app, make, web, db_session, france, writer,
                                                                      monkeypatch):
    """Instagram takes pictures of 8 MB at most; the cap is lowered here to half a megabyte, under a noisy
    picture's JPEG. The refusal says the network's type and its cap, in words already translated."""
    from approval.style import media as rules

    monkeypatch.setitem(rules.NETWORKS, "instagram", replace(rules.NETWORKS["instagram"], image_max_bytes=MB // 2))
    noise = Image.frombytes("RGB", (1000, 1000), os.urandom(1000 * 1000 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    post = _post(make, france, writer)
    web.login(writer)
    answer = _upload(web, post, out.getvalue(), "bruit.png")
    assert answer.status_code == 413, answer.get_data(as_text=True)[:300]
    assert re.fullmatch(r"Instagram takes JPEG pictures, not PNG\. 0\.\d MB: Instagram takes at most 0\.5 MB\.",
                        answer.json["message"]), answer.json["message"]
    assert answer.json["errors"] == {"file": [answer.json["message"]]}
    assert db_session.scalar(select(func.count()).select_from(MediaFile)) == 0
    staging = Path(app.instance_path) / "media-staging"
    assert not staging.exists() or [p.name for p in staging.iterdir()] == []
    french = _upload(web, post, out.getvalue(), "bruit.png", **{"Accept-Language": "fr"})
    assert french.status_code == 413
    assert re.fullmatch(r"Instagram accepte les images JPEG, pas PNG\. 0,\d\s?Mo\s?: Instagram accepte 0,5\s?Mo "
                        r"au plus\.", french.json["message"]), french.json["message"]


# What is not converted -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "name", "kind"), [("GIF", "anim.gif", "GIF"), ("WEBP", "anim.webp", "WebP")])
def test_an_animation_is_still_refused_rather_than_cut_to_one_frame(app, make, web, db_session, france, writer,
                                                                     api_for, fmt, name, kind):  # noqa: F811
    post = _post(make, france, writer)
    web.login(writer)
    message = f"Instagram takes JPEG pictures, not {kind}."
    answer = _upload(web, post, picture(fmt, (120, 90), frames=3), name)
    assert answer.status_code == 415 and answer.json["message"] == message
    api = api_for(writer).upload(post.id, picture(fmt, (120, 90), frames=3), name)
    assert api.status_code == 415 and api.get_json()["message"] == message
    assert db_session.scalar(select(func.count()).select_from(MediaFile)) == 0


def test_a_png_on_x_stays_a_png(app, make, web, db_session, france, writer):
    post = _post(make, france, writer, "x")
    web.login(writer)
    data = logo_png()
    answer = _upload(web, post, data, "launch.png")
    assert answer.status_code == 201 and answer.json["message"] == "Added."
    [item] = answer.json["media"]
    assert (item["name"], item["mime"]) == ("launch.png", "image/png")
    assert _stored(app, _the_file(db_session, post)) == data


@pytest.mark.parametrize("setting", ["warning", "off"])
def test_a_policy_that_relaxes_the_format_rule_keeps_the_png(app, make, web, db_session, france, writer,
                                                             api_for, setting):  # noqa: F811
    from approval import policies

    policies.save_policy(db_session, france, make.user(Role.admin), rules={"network.media-format": setting})
    post = _post(make, france, writer)
    db_session.commit()
    web.login(writer)
    data = logo_png()
    answer = _upload(web, post, data, "launch.png")
    assert answer.status_code == 201 and answer.json["message"] == "Added."
    [item] = answer.json["media"]
    assert (item["name"], item["mime"]) == ("launch.png", "image/png")
    assert _stored(app, _the_file(db_session, post)) == data
    other = _post(make, france, writer)
    api = api_for(writer).upload(other.id, data, "launch.png")
    assert api.status_code == 201 and api.get_json()["message"] is None
    assert api.get_json()["media"][0]["mime"] == "image/png" and api.get_json()["media"][0]["bytes"] == len(data)


def _png_with_exif(exif: bytes) -> bytes:
    """A PNG carrying ``exif`` in an eXIf chunk (which may hold more than a JPEG's 64 KB segment)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    out = io.BytesIO()
    Image.new("RGBA", (8, 8), (255, 0, 0, 128)).save(out, "PNG")
    data = out.getvalue()
    before_data = data.index(b"IDAT") - 4
    return data[:before_data] + chunk(b"eXIf", exif) + data[before_data:]


def _long_description() -> bytes:
    exif = Image.Exif()
    exif[0x010E] = "A" * 70_000  # ImageDescription: more than a JPEG's EXIF segment holds
    return exif.tobytes()


@pytest.mark.parametrize("exif", [
    pytest.param(_long_description(), id="longer-than-a-jpeg-segment"),
    # XResolution stored as a LONG (Pillow writes it back as a RATIONAL, and fails on the value)
    pytest.param(b"MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x28\x00\x04\x00\x00\x00\x01\x00\x01\x11\x70\x00\x00\x00\x00",
                 id="a-tag-of-another-type"),
])
def test_exif_a_jpeg_cannot_carry_is_left_out_not_a_500(make, web, db_session, france, writer, exif):
    post = _post(make, france, writer)
    web.login(writer)
    answer = _upload(web, post, _png_with_exif(exif), "legende.png")
    assert answer.status_code == 201, answer.get_data(as_text=True)[:300]
    [media] = answer.get_json()["media"]
    assert media["mime"] == "image/jpeg"
