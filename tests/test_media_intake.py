"""Each file type a post takes, and each refusal (issue 11): what the bytes are decides, never the name; a refused
upload leaves nothing behind (no stored file, no row, no temporary file)."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from approval.media.storage import storage
from approval.models import AuditEntry, MediaFile, Post
from approval.workflow.states import Role, State

from test_media import Api, api_for, desk  # noqa: F401  (fixtures)
from test_media_samples import jpeg, picture, png_without_data, video


@pytest.fixture()
def upload(make, desk, api_for):  # noqa: F811, ANN001, ANN201
    account, writer, _reviewer = desk
    post = make.post(account=account, author=writer, body="Une photo du stade.")
    api = api_for(writer)

    def send(data: bytes, name: str, mimetype: str | None = None, alt: str | None = None):  # noqa: ANN202
        return api.upload(post.id, data, name, mimetype=mimetype, alt=alt)

    send.post = post
    send.api = api
    return send


def _stored(app) -> set:  # noqa: ANN001
    root = storage(app).root
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _nothing_left(app, db_session, before: set) -> None:  # noqa: ANN001
    """No row, no stored file, no temporary file."""
    assert db_session.scalar(select(func.count()).select_from(MediaFile)) == 0
    assert _stored(app) == before
    staging = Path(app.instance_path) / "media-staging"
    assert not staging.exists() or [p.name for p in staging.iterdir()] == []


@pytest.mark.parametrize(("name", "make_file", "kind", "mime", "extra"), [
    ("photo.jpg", lambda: jpeg((120, 90)), "image", "image/jpeg", {}),
    ("photo.png", lambda: picture("PNG", (120, 90)), "image", "image/png", {}),
    ("photo.webp", lambda: picture("WEBP", (120, 90)), "image", "image/webp", {}),
    ("anim.gif", lambda: picture("GIF", (120, 90), frames=3), "image", "image/gif", {}),
    ("clip.mp4", lambda: video((96, 64), seconds=1.0, fps=10), "video", "video/mp4", {"duration_s": 1.0}),
    ("clip.mov", lambda: video((96, 64), seconds=0.5, fps=10, fmt="mov"), "video", "video/quicktime",
     {"duration_s": 0.5}),
    ("hevc.mp4", lambda: video((96, 64), seconds=0.5, fps=10, codec="libx265"), "video", "video/mp4",
     {"duration_s": 0.5}),
])
def test_each_file_type_is_read_from_its_bytes(upload, db_session, name, make_file, kind, mime, extra):
    data = make_file()
    response = upload(data, name)
    assert response.status_code == 201, response.get_json()
    [item] = response.get_json()["media"]
    assert (item["kind"], item["mime"], item["bytes"]) == (kind, mime, len(data))
    assert (item["width"], item["height"]) == ((120, 90) if kind == "image" else (96, 64))
    for key, value in extra.items():
        assert item[key] == pytest.approx(value, abs=0.15)
    stored = db_session.get(MediaFile, item["id"])
    assert stored.thumbnail_key is not None  # the pages show a thumbnail, of the first frame for a video
    if name == "anim.gif":
        assert stored.frames == 3
    if kind == "video":
        assert stored.codec in ("h264", "hevc") and stored.frame_rate == pytest.approx(10)


def _bomb_png() -> bytes:
    """A valid little PNG whose header claims 100,000 x 100,000 pixels."""
    data = bytearray(picture("PNG", (8, 8)))
    ihdr = data.index(b"IHDR")
    data[ihdr + 4:ihdr + 12] = struct.pack(">II", 100_000, 100_000)
    crc = zlib.crc32(bytes(data[ihdr:ihdr + 17]))
    data[ihdr + 17:ihdr + 21] = struct.pack(">I", crc)
    return bytes(data)


def _moov_first_video_cut() -> bytes:
    """A video whose index comes first (as "fast start" exports write it), cut a third short: it opens, but its
    frames are not all there."""
    import tempfile

    import av

    data = video((96, 64), seconds=2.0, fps=10)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fast.mp4"
        with av.open(io.BytesIO(data)) as source, av.open(str(path), "w", format="mp4",
                                                          options={"movflags": "faststart"}) as target:
            stream = target.add_stream_from_template(source.streams.video[0])
            for packet in source.demux(source.streams.video[0]):
                if packet.dts is None:
                    continue
                packet.stream = stream
                target.mux(packet)
        whole = path.read_bytes()
    assert whole[4:8] == b"ftyp" and b"moov" in whole[:200]
    return whole[: len(whole) - len(whole) // 3]


def _half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _bmp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10), "red").save(out, "BMP")
    return out.getvalue()


@pytest.mark.parametrize(("name", "make_file", "status", "words"), [
    ("empty.jpg", lambda: b"", 422, "empty"),
    ("notes.jpg", lambda: b"Just some text pretending to be a photo.\n" * 20, 415, "neither"),
    ("fake.jpg", lambda: picture("PNG", (20, 20)), 422, "claims to be image/jpeg but it is image/png"),
    ("fake.mp4", lambda: jpeg(), 422, "claims to be video/mp4"),
    ("cut.jpg", lambda: jpeg((400, 300))[:-900], 422, "cut short"),
    ("cut.mp4", lambda: video((96, 64), seconds=1.0)[:900], 422, "cut short"),
    ("cut-faststart.mp4", _moov_first_video_cut, 422, "cut short"),
    ("bomb.png", _bomb_png, 422, "bomb"),
    ("no-data.png", png_without_data, 422, "damaged"),  # a header and an end, no picture between them
    ("cut.webp", lambda: _half(picture("WEBP", (120, 90))), 422, "cut short"),
    ("cut.gif", lambda: _half(picture("GIF", (120, 90), frames=3)), 422, "cut short"),
    ("image.bmp", _bmp, 415, "BMP"),
    ("mpeg4.mp4", lambda: video((96, 64), seconds=0.5, codec="mpeg4"), 415, "H.264 or HEVC"),
    ("../../etc/passwd.jpg", lambda: jpeg(), 422, "path"),
    ("folder/photo.jpg", lambda: jpeg(), 422, "path"),
    ("photo\u202egpj.exe", lambda: jpeg(), 422, "control characters"),  # would read "photoexe.jpg"
])
def test_each_bad_file_is_refused_with_a_clear_4xx_and_nothing_is_kept(upload, app, db_session, name, make_file,
                                                                      status, words):
    before = _stored(app)
    response = upload(make_file(), name)
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert words in body["message"], body
    assert body["errors"]["file"]
    _nothing_left(app, db_session, before)
    db_session.expire_all()
    assert db_session.get(Post, upload.post.id).current_revision.number == 1


def test_animations_of_too_many_frames_and_videos_larger_than_8k_are_refused(upload, app, db_session, monkeypatch):
    """A 1 x 1 GIF of 860,000 frames took 25 s to read; a 16384 x 8192 video of 985 KB decoded into 2.4 GB. The
    caps are lowered here to the samples' sizes: the same checks, without making such files."""
    from approval.media import inspect

    before = _stored(app)
    monkeypatch.setattr(inspect, "MAX_FRAMES", 2)
    crowded = upload(picture("GIF", (120, 90), frames=3), "anim.gif")
    assert crowded.status_code == 422 and crowded.get_json()["message"] == "The animation has more than 2 frames."
    monkeypatch.setattr(inspect, "MAX_VIDEO_PIXELS", 96 * 64 - 1)
    large = upload(video((96, 64), seconds=0.5), "clip.mp4")
    assert large.status_code == 422 and "96 x 64 pixels: larger than 8K" in large.get_json()["message"]
    _nothing_left(app, db_session, before)
    monkeypatch.setattr(inspect, "MAX_FRAMES", 3)
    assert upload(picture("GIF", (120, 90), frames=3), "anim.gif").status_code == 201


def test_files_over_the_caps_are_413_and_nothing_is_kept(upload, app, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_MAX_IMAGE_BYTES", 2000)
    big = jpeg((600, 400), color="purple")
    assert len(big) > 2000
    response = upload(big, "big.jpg")
    assert response.status_code == 413
    assert "A picture may be" in response.get_json()["message"]  # the picture cap, not the larger video one
    # A video under its own cap still goes in.
    assert upload(video((64, 48), seconds=0.5), "clip.mp4").status_code == 201
    # A body larger than any cap is refused before it is read.
    monkeypatch.setitem(app.config, "MEDIA_MAX_VIDEO_BYTES", 3000)
    response = upload(b"\0" * (1024 * 1024 + 10_000), "huge.mp4")
    assert response.status_code == 413
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(MediaFile)) == 1


def test_a_picture_keeps_its_gps_position_unless_the_market_policy_refuses_it(upload, make, app, db_session):
    from approval import policies

    with_gps = jpeg((64, 48), gps=True)
    response = upload(with_gps, "gps.jpg", alt="Le stade")
    item = response.get_json()["media"][0]
    assert response.get_json()["findings"][-1]["rule"] == "media.location"
    assert db_session.get(MediaFile, item["id"]).has_location
    # The market's policy sets media.location to error: pictures lose their position at upload.
    post = upload.post
    policies.save_policy(db_session, post.account.market, None, rules={"media.location": "error"})
    db_session.flush()
    again = upload(jpeg((64, 48), gps=True, color="navy"), "gps2.jpg", alt="La tribune").get_json()
    stripped = db_session.get(MediaFile, again["media"][-1]["id"])
    assert not stripped.has_location
    with storage(app).open(stripped.storage_key) as handle:
        image = Image.open(io.BytesIO(handle.read()))
        assert not image.getexif().get_ifd(0x8825)
        assert image.getexif()[0x010F] == "Helio camera"  # the rest of the EXIF data stays
    assert all(f["rule"] != "media.location" or f["start"] == len(post.body) for f in again["findings"])


def test_an_upload_needs_multipart_and_a_file(upload, make, desk):  # noqa: F811
    api = upload.api
    post = upload.post
    etag = api.get(f"/posts/{post.id}").headers["ETag"]
    as_json = api.client.post(f"/api/v1/posts/{post.id}/media", json={"file": "x"},
                              headers={**api.headers, "If-Match": etag})
    assert as_json.status_code == 400
    no_file = api.client.post(f"/api/v1/posts/{post.id}/media", data={"alt": "x"},
                              content_type="multipart/form-data", headers={**api.headers, "If-Match": etag})
    assert no_file.status_code == 400
    no_if_match = api.client.post(f"/api/v1/posts/{post.id}/media",
                                  data={"file": (io.BytesIO(jpeg()), "a.jpg")}, content_type="multipart/form-data",
                                  headers=api.headers)
    assert no_if_match.status_code == 428
    unauthenticated = api.client.post(f"/api/v1/posts/{post.id}/media", data={"file": (io.BytesIO(jpeg()), "a.jpg")},
                                      content_type="multipart/form-data")
    assert unauthenticated.status_code == 401
    assert make.user(Role.cabinet) is not None


def test_a_stale_upload_is_refused_and_leaves_nothing(upload, app, db_session):
    before = _stored(app)
    api = upload.api
    response = api.upload(upload.post.id, jpeg((800, 600)), "photo.jpg", etag='"post-1-v99"')
    assert response.status_code in (409, 412), response.get_json()
    _nothing_left(app, db_session, before)


def test_an_upload_the_post_refuses_leaves_no_file_in_the_store(upload, app, db_session):
    """Too long an alternative text, or a 21st file: refused before the file is stored (it stayed, with no row)."""
    before = _stored(app)
    response = upload(jpeg((800, 600)), "photo.jpg", alt="a" * 1001)
    assert response.status_code == 422 and "at most 1000 characters" in response.get_data(as_text=True)
    _nothing_left(app, db_session, before)
    # Zero-width characters and lone marks (an accent on nothing, the emoji selector) describe nothing either.
    response = upload(jpeg((800, 600)), "photo.jpg", alt="\u200b\u0301\ufe0f")
    assert response.status_code == 422 and "invisible characters only" in response.get_data(as_text=True)
    _nothing_left(app, db_session, before)
    for number in range(20):
        assert upload(jpeg((64 + number, 64)), f"p{number}.jpg").status_code == 201
    before = _stored(app)
    response = upload(jpeg((800, 600), color="blue"), "one-too-many.jpg")
    assert response.status_code == 422 and "at most 20" in response.get_data(as_text=True)
    assert _stored(app) == before
    staging = Path(app.instance_path) / "media-staging"
    assert not staging.exists() or [p.name for p in staging.iterdir()] == []
    # A file the full post already shows takes no room: sent again, it gives its new alternative text.
    again = upload(jpeg((64, 64)), "p0.jpg", alt="Le stade vu du ciel")
    assert again.status_code == 201 and again.get_json()["media"][0]["alt"] == "Le stade vu du ciel"


def test_a_body_cut_short_is_refused_and_leaves_nothing(upload, app, db_session):
    """The client goes away mid-picture: the request fails (4xx)."""
    before = _stored(app)
    api = upload.api
    post = upload.post
    etag = api.get(f"/posts/{post.id}").headers["ETag"]
    boundary = "cutboundary"
    data = jpeg((800, 600))
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    cut = body[:len(body) // 2]
    response = api.client.post(f"/api/v1/posts/{post.id}/media", input_stream=io.BytesIO(cut),
                               headers={**api.headers, "If-Match": etag, "Content-Length": str(len(body)),
                                        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert 400 <= response.status_code < 500
    _nothing_left(app, db_session, before)


@pytest.mark.parametrize("body", [
    b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\r\nno closing boundary",
    b"not multipart at all",
])
def test_a_malformed_multipart_body_is_a_4xx_and_leaves_nothing(upload, app, db_session, body):
    before = _stored(app)
    api = upload.api
    post = upload.post
    etag = api.get(f"/posts/{post.id}").headers["ETag"]
    response = api.client.post(f"/api/v1/posts/{post.id}/media", data=body,
                               headers={**api.headers, "If-Match": etag,
                                        "Content-Type": "multipart/form-data; boundary=b"})
    assert 400 <= response.status_code < 500
    _nothing_left(app, db_session, before)


def test_the_file_field_is_the_upload_whatever_else_the_body_carries(upload, app, db_session):
    """Only ``file`` is stored; another file part is written to disk, then thrown away with the request."""
    api = upload.api
    post = upload.post
    etag = api.get(f"/posts/{post.id}").headers["ETag"]
    form = {"other": (io.BytesIO(jpeg((300, 200))), "other.jpg", "image/jpeg"),
            "file": (io.BytesIO(picture("PNG", (120, 90))), "photo.png", "image/png")}
    response = api.client.post(f"/api/v1/posts/{post.id}/media", data=form, content_type="multipart/form-data",
                               headers={**api.headers, "If-Match": etag})
    assert response.status_code == 201, response.get_json()
    [item] = response.get_json()["media"]
    assert (item["mime"], item["width"], item["height"]) == ("image/png", 120, 90)
    assert db_session.scalar(select(func.count()).select_from(MediaFile)) == 1
    staging = Path(app.instance_path) / "media-staging"
    assert [p.name for p in staging.iterdir()] == []


@pytest.mark.parametrize(("orientation", "size"), [(1, (160, 90)), (3, (160, 90)), (6, (90, 160)), (8, (90, 160))])
def test_a_picture_is_measured_as_it_is_shown(upload, orientation, size):
    """A phone held upright stores its picture lying and says so in EXIF (orientation 6 or 8): every screen shows it
    turned, so its width and height (and the networks' aspect rules) are those of the picture shown."""
    image, exif = Image.new("RGB", (160, 90), "teal"), Image.Exif()
    exif[0x0112] = orientation
    data = io.BytesIO()
    image.save(data, "JPEG", exif=exif.tobytes())
    response = upload(data.getvalue(), "debout.jpg", alt="Le stade")
    assert response.status_code == 201, response.get_json()
    [item] = response.get_json()["media"]
    assert (item["width"], item["height"]) == size


def test_a_transparent_picture_is_drawn_on_white_in_its_thumbnail():
    """A logo's transparent background shows white on the networks; a JPEG thumbnail has no transparency, and
    dropping it blindly turned it black."""
    from approval.media.inspect import _fitted

    logo = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    logo.paste((200, 0, 0, 255), (0, 0, 20, 20))
    thumbnail = _fitted(logo)
    assert thumbnail.mode == "RGB" and thumbnail.getpixel((150, 50)) == (255, 255, 255)
    assert thumbnail.getpixel((5, 5)) == (200, 0, 0)


def test_an_upload_holds_no_lock_while_its_file_is_inspected(databases, tmp_path, monkeypatch):
    """On SQLite every transaction takes the write lock: the upload held it from the post's locked read through the
    file's inspection (a 1 x 1 GIF of 860,000 frames: 25 s), and every other writer of the application gave up
    after its busy timeout (503s). The post is read, then let go, the file inspected, then the post locked again
    to attach it. Another writer goes ahead during the inspection."""
    import sqlite3

    from sqlalchemy.orm import Session

    from approval import create_app
    from approval.api.tokens import issue_token
    from approval.media import intake
    from approval.workflow.states import Role, State
    from tests.conftest import Factory

    path = tmp_path / "media.db"
    monkeypatch.setenv("APPROVAL_INSTANCE_PATH", str(tmp_path / "instance"))  # its media stored there
    databases.migrate(f"sqlite:///{path}")
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "test"})
    engine = app.extensions["approval.db"]["engine"]
    with Session(engine) as session:
        make = Factory(session)
        market = make.market("FR")
        author = make.user(Role.community_manager, markets=[market])
        post = make.post(State.draft, account=make.account(market, "linkedin"), author=author)
        _token, secret = issue_token(session, author, "test")
        session.commit()
        post_id, version = post.id, post.version
    other_writer = []
    receive = intake.receive

    def another_writes() -> None:
        writer = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")  # "database is locked" at once if the upload held the lock
            writer.execute("ROLLBACK")
            other_writer.append("went ahead")
        except sqlite3.OperationalError as error:
            other_writer.append(str(error))
        finally:
            writer.close()

    def inspected_while_another_writes(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        another_writes()
        return receive(*args, **kwargs)

    monkeypatch.setattr(intake, "receive", inspected_while_another_writes)
    client = app.test_client()
    answer = client.post(f"/api/v1/posts/{post_id}/media", data={"file": (io.BytesIO(jpeg()), "a.jpg")},
                         content_type="multipart/form-data",
                         headers={"Authorization": f"Bearer {secret}", "If-Match": f'"post-{post_id}-v{version}"'})
    assert answer.status_code == 201, answer.get_json()
    assert other_writer == ["went ahead"]
    # Nor while its body arrives (a large video over a slow line: minutes): the checks before it let go first.
    monkeypatch.setattr(intake, "receive", receive)
    boundary = "probingboundary"
    data = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="b.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n").encode() + jpeg((40, 30)) + f"\r\n--{boundary}--\r\n".encode()

    class Probing(io.BytesIO):
        def readinto(self, buffer) -> int:  # noqa: ANN001 - what Werkzeug's stream reads with
            if not other_writer[1:]:
                another_writes()  # probes the lock, then gives the body
            return super().readinto(buffer)

    etag = client.get(f"/api/v1/posts/{post_id}", headers={"Authorization": f"Bearer {secret}"}).headers["ETag"]
    answer = client.post(f"/api/v1/posts/{post_id}/media", input_stream=Probing(data), content_length=len(data),
                         content_type=f"multipart/form-data; boundary={boundary}",
                         headers={"Authorization": f"Bearer {secret}", "If-Match": etag})
    assert answer.status_code == 201, answer.get_json()
    assert other_writer == ["went ahead", "went ahead"]
    engine.dispose()


class _Watched(io.BytesIO):
    """A request body that counts what the server read of it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk

    def readinto(self, buffer) -> int:  # noqa: ANN001 - what Werkzeug's stream reads with
        count = super().readinto(buffer)
        self.taken += count
        return count


def _body(token: str | None = None) -> tuple[bytes, str]:
    boundary = "watchedboundary"
    parts = [] if token is None else [f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
                                      f"{token}\r\n".encode()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
                 "Content-Type: image/jpeg\r\n\r\n".encode() + jpeg((64, 48)) + b"\0" * 200_000
                 + f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_nobody_but_who_may_change_the_post_has_an_upload_s_body_read(make, desk, api_for, web, app):  # noqa: F811
    """Who may upload is decided before the body is read: logged out, without a token, outside one's markets
    (404), an admin (403), a post no longer open to change (409): not a byte of the body is read, so nothing of it
    reaches the disk (it did, up to the media cap, before the login, the CSRF check or the token was looked at)."""
    account, writer, _reviewer = desk
    post = make.post(account=account, author=writer, body="Une photo du stade.")
    published = make.post(State.published, account=account, author=writer)
    elsewhere = make.user(Role.community_manager, markets=[make.market("KE", timezone="Africa/Nairobi")])
    admin = make.user(Role.admin)

    def sent(client, path: str, token: str | None = None, headers: dict | None = None):  # noqa: ANN001, ANN202
        data, content_type = _body(token)
        stream = _Watched(data)
        answer = client.post(path, input_stream=stream, content_type=content_type, content_length=len(data),
                             headers=headers or {})
        return answer.status_code, stream.taken

    assert sent(app.test_client(), f"/posts/{post.id}/media") == (302, 0)  # to the login page
    assert sent(app.test_client(), f"/api/v1/posts/{post.id}/media")[0] == 401
    assert sent(app.test_client(), f"/api/v1/posts/{post.id}/media")[1] == 0
    for user, status in ((elsewhere, 404), (admin, 403)):
        api = api_for(user)
        assert sent(api.client, f"/api/v1/posts/{post.id}/media", headers={**api.headers, "If-Match": "*"}) \
            == (status, 0), user.role
        web.login(user)
        assert sent(web.client, f"/posts/{post.id}/media", web.token, {"Accept": "application/json"}) \
            == (status, 0), user.role
    api = api_for(writer)
    assert sent(api.client, f"/api/v1/posts/{published.id}/media", headers={**api.headers, "If-Match": "*"}) \
        == (409, 0)
    # The writer of an open post: the body is read, and the file taken.
    etag = api.get(f"/posts/{post.id}").headers["ETag"]
    status, taken = sent(api.client, f"/api/v1/posts/{post.id}/media", headers={**api.headers, "If-Match": etag})
    assert status == 201 and taken > 200_000


def _sized(size: int) -> bytes:
    """A JPEG's start, then zeros up to ``size`` bytes: refused by its size before it is read."""
    start = jpeg((64, 48))
    return start + b"\0" * (size - len(start))


@pytest.mark.parametrize(("language", "cap", "said"), [
    ("en", 1572864, "A picture may be 1.5 MB at most; this one is 2.2 MB."),
    ("fr", 1572864, "1,5"),
    ("en", 512 * 1024, "A picture may be 0.5 MB at most; this one is 2.2 MB."),
])
def test_a_picture_over_its_cap_hears_the_cap_as_it_is_not_rounded_down(upload, app, monkeypatch, language, cap,
                                                                        said):
    """1.5 MB read "1 MB", and a cap under 1 MB "0 MB": the cap is written as the size is, to one decimal, in the
    reader's language."""
    monkeypatch.setitem(app.config, "MEDIA_MAX_IMAGE_BYTES", cap)
    upload.api.headers["Accept-Language"] = language
    response = upload(_sized(int(2.2 * 1024 * 1024)), "big.jpg")
    assert response.status_code == 413, response.get_json()
    assert said in response.get_json()["message"]
    assert response.get_json()["errors"]["file"] == [response.get_json()["message"]]


def test_a_body_over_every_cap_is_refused_with_the_caps_on_the_file_before_it_is_read(upload, app, desk, web,  # noqa: F811
                                                                                        monkeypatch):
    """Beyond what one request carries (a post's pictures at their cap, or a video) and the envelope's room,
    Werkzeug's own 413 said "The request is too large." with no field and no limit; now the API and the editor's
    script hear the caps, on ``file``, and nothing is read."""
    monkeypatch.setitem(app.config, "MEDIA_MAX_IMAGE_BYTES", 200 * 1024)
    monkeypatch.setitem(app.config, "MEDIA_MAX_VIDEO_BYTES", 300 * 1024)
    said = "(20 pictures of 0.2 MB, or a video of 0.3 MB); send the files in several requests."
    data, content_type = _body_of(_sized(6 * 1024 * 1024))
    api = upload.api
    etag = api.get(f"/posts/{upload.post.id}").headers["ETag"]
    stream = _Watched(data)
    answer = api.client.post(f"/api/v1/posts/{upload.post.id}/media", input_stream=stream, content_type=content_type,
                             content_length=len(data), headers={**api.headers, "If-Match": etag})
    assert answer.status_code == 413 and stream.taken == 0
    body = answer.get_json()
    assert said in body["message"] and body["errors"]["file"] == [body["message"]], body
    _account, writer, _reviewer = desk
    web.login(writer)
    post = upload.post
    data, content_type = _body_of(_sized(6 * 1024 * 1024), web.token, post.version)
    stream = _Watched(data)
    answer = web.client.post(f"/posts/{post.id}/media", input_stream=stream, content_type=content_type,
                             content_length=len(data),
                             headers={"Accept": "application/json", "X-Requested-With": "fetch"})
    assert answer.status_code == 413 and stream.taken == 0
    body = answer.get_json()
    assert said in body["message"] and body["errors"]["file"] == [body["message"]], body
    # Between the cap and the body's cap, the file is read and named as before.
    smaller = web.client.post(f"/posts/{post.id}/media", data={
        "csrf_token": web.token, "version": str(post.version), "file": (io.BytesIO(_sized(250 * 1024)), "b.jpg")},
        content_type="multipart/form-data", headers={"Accept": "application/json", "X-Requested-With": "fetch"})
    assert smaller.status_code == 413 and "A picture may be 0.2 MB at most" in smaller.get_json()["message"]
    assert smaller.get_json()["errors"]["file"]


def _body_of(data: bytes, token: str | None = None, version: int | None = None) -> tuple[bytes, str]:
    boundary = "capboundary"
    fields = {} if token is None else {"csrf_token": token, "version": str(version)}
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
                 "Content-Type: image/jpeg\r\n\r\n".encode() + data + f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _several(upload, files: list[tuple[bytes, str]], alts: list[str] | None = None):  # noqa: ANN001, ANN202
    api = upload.api
    etag = api.get(f"/posts/{upload.post.id}").headers["ETag"]
    form: dict = {"file": [(io.BytesIO(data), name, "image/jpeg") for data, name in files]}
    if alts is not None:
        form["alt"] = alts
    return api.client.post(f"/api/v1/posts/{upload.post.id}/media", data=form, content_type="multipart/form-data",
                           headers={**api.headers, "If-Match": etag})


def test_an_api_upload_of_several_files_adds_them_all_in_one_revision_in_order(upload, app, db_session):
    """A carousel sent at once is one revision (one review), each file with its own alternative text; the files
    after the first were once dropped without a word, then refused."""
    red, blue, green = jpeg(color="red"), jpeg(color="blue"), jpeg(color="green")
    revision = upload.api.get(f"/posts/{upload.post.id}").get_json()["revision"]["number"]
    answer = _several(upload, [(red, "a.jpg"), (blue, "b.jpg"), (green, "c.jpg")],
                      alts=["Le stade", "", "La tribune"])
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["revision"]["number"] == revision + 1
    assert [(m["sha256"], m["alt"]) for m in body["media"]] == [
        (hashlib.sha256(red).hexdigest(), "Le stade"), (hashlib.sha256(blue).hexdigest(), ""),
        (hashlib.sha256(green).hexdigest(), "La tribune")]
    edits = db_session.scalars(select(AuditEntry.action).where(AuditEntry.post_id == upload.post.id,
                                                               AuditEntry.action == "edit")).all()
    assert len(edits) == 1
    # Without alternative texts, each file has none.
    answer = _several(upload, [(jpeg(color="white"), "d.jpg"), (jpeg(color="black"), "e.jpg")])
    assert answer.status_code == 201 and [m["alt"] for m in answer.get_json()["media"]][3:] == ["", ""]


def test_several_files_with_alternative_texts_that_do_not_pair_up_are_refused(upload, app, db_session):
    before = _stored(app)
    answer = _several(upload, [(jpeg(color="red"), "a.jpg"), (jpeg(color="blue"), "b.jpg")], alts=["Le stade"])
    assert answer.status_code == 422, answer.get_json()
    body = answer.get_json()
    assert "one alternative text per file" in body["message"] and body["errors"]["alt"], body
    _nothing_left(app, db_session, before)


def test_one_bad_file_among_several_refuses_them_all_and_leaves_nothing(upload, app, db_session):
    before = _stored(app)
    revision = upload.api.get(f"/posts/{upload.post.id}").get_json()["revision"]["number"]
    answer = _several(upload, [(jpeg(color="red"), "a.jpg"), (b"not a picture at all", "b.jpg")])
    assert 400 <= answer.status_code < 500 and answer.get_json()["errors"]["file"], answer.get_json()
    _nothing_left(app, db_session, before)
    answer = _several(upload, [(jpeg(color="red"), "a.jpg"), (jpeg(color="blue"), "b.jpg")],
                      alts=["Le stade", "a" * 1001])
    assert answer.status_code == 422 and answer.get_json()["errors"]["alt"], answer.get_json()
    _nothing_left(app, db_session, before)
    assert upload.api.get(f"/posts/{upload.post.id}").get_json()["revision"]["number"] == revision


def test_more_files_in_one_request_than_a_post_carries_are_refused_before_they_are_inspected(upload, app,
                                                                                          db_session, monkeypatch):
    from approval.media import intake

    inspected = []
    monkeypatch.setattr(intake, "inspect", lambda *a, **k: inspected.append(a) or pytest.fail("inspected"))
    before = _stored(app)
    answer = _several(upload, [(jpeg((64 + n, 64)), f"p{n}.jpg") for n in range(21)])
    assert answer.status_code == 422 and "at most 20" in answer.get_json()["message"], answer.get_json()
    assert inspected == []
    _nothing_left(app, db_session, before)


def test_sending_again_a_file_the_post_shows_as_it_is_answers_200_nothing_changed(upload):
    """Nothing was created (no revision, the same ETag): a 201 said otherwise."""
    data = jpeg(color="teal")
    first = upload(data, "stade.jpg", alt="Le stade")
    assert first.status_code == 201
    again = upload(data, "stade.jpg", alt="Le stade")
    assert again.status_code == 200, again.get_json()
    assert again.headers["ETag"] == first.headers["ETag"] and "Location" not in again.headers
    assert again.get_json()["revision"] == first.get_json()["revision"]
    described = upload(data, "stade.jpg", alt="Le stade vu du ciel")  # a new alternative text: a new revision
    assert described.status_code == 201 and described.headers["ETag"] != first.headers["ETag"]


def test_each_file_is_on_disk_before_its_digest_names_it_in_the_store(upload, monkeypatch):
    """The fsync runs beside the next file's parsing and the post's checks, and is waited for before the rename
    into the store: a crash never leaves a content address naming a file not wholly on disk (the same bytes
    uploaded again would find the address taken and keep the damaged file)."""
    import os
    import threading
    import time

    events: list[tuple[str, int | str]] = []
    lock = threading.Lock()
    real_fsync, real_replace = os.fsync, os.replace

    def slow_fsync(fd: int) -> None:
        name = os.readlink(f"/proc/self/fd/{fd}")  # before a rename would change it
        time.sleep(0.2)  # a disk slower than the rest of the request
        real_fsync(fd)
        with lock:
            events.append(("synced", name))

    def replace(source, target) -> None:  # noqa: ANN001
        with lock:
            events.append(("stored", str(source)))
        real_replace(source, target)

    def noise() -> bytes:  # bytes no other test stored (the folder store keeps a content once)
        out = io.BytesIO()
        Image.frombytes("RGB", (32, 24), os.urandom(32 * 24 * 3)).save(out, "JPEG")
        return out.getvalue()

    monkeypatch.setattr(os, "fsync", slow_fsync)
    monkeypatch.setattr(os, "replace", replace)
    answer = _several(upload, [(noise(), "a.jpg"), (noise(), "b.jpg")])
    assert answer.status_code == 201, answer.get_json()
    stored = [name for kind, name in events if kind == "stored" and ".upload-" in str(name)]
    assert len(stored) == 2, events
    for name in stored:
        synced_at = events.index(("synced", name))
        assert synced_at < events.index(("stored", name)), events


def _padded_png(size: int, seed: int) -> bytes:
    """A valid PNG of exactly ``size`` bytes: a small picture and a private chunk of padding."""
    out = io.BytesIO()
    Image.frombytes("RGB", (8, 8), bytes((seed + i) % 256 for i in range(192))).save(out, "PNG")
    data = out.getvalue()
    end = data.rindex(b"IEND") - 4
    filler = bytes((seed * 7 + i) % 251 for i in range(size - len(data) - 12))
    chunk = struct.pack(">I", len(filler)) + b"prVt" + filler + struct.pack(">I", zlib.crc32(b"prVt" + filler))
    return data[:end] + chunk + data[end:]


def _multipart(files: list[tuple[bytes, str]]) -> tuple[bytes, str]:
    boundary = "severalboundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
             "Content-Type: image/png\r\n\r\n".encode() + data + b"\r\n" for data, name in files]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_several_files_each_within_its_cap_go_in_one_request_up_to_the_request_s_cap(upload, app, db_session,
                                                                                     monkeypatch):
    """A request carries as many pictures as a post takes at their cap, or one video at its cap: three pictures
    of 1.5 MB under a 2 MB cap were refused as one "upload of 4.5 MB"."""
    monkeypatch.setitem(app.config, "MEDIA_MAX_IMAGE_BYTES", 2 * 1024 * 1024)
    monkeypatch.setitem(app.config, "MEDIA_MAX_VIDEO_BYTES", 3 * 1024 * 1024)
    api = upload.api
    data, kind = _multipart([(_padded_png(1536 * 1024, n), f"p{n}.png") for n in range(3)])
    etag = api.get(f"/posts/{upload.post.id}").headers["ETag"]
    answer = api.client.post(f"/api/v1/posts/{upload.post.id}/media", data=data, content_type=kind,
                             headers={**api.headers, "If-Match": etag})
    assert answer.status_code == 201, answer.get_json()
    assert len(answer.get_json()["media"]) == 3
    # Past it (20 pictures at their cap, 40 MB here, and the envelope): refused before it is read, saying so.
    before = _stored(app)
    monkeypatch.setitem(app.config, "MEDIA_MAX_IMAGE_BYTES", 1024 * 1024)
    data, kind = _multipart([(_padded_png(1000 * 1024, 50 + n), f"q{n}.png") for n in range(22)])
    stream = _Watched(data)
    etag = api.get(f"/posts/{upload.post.id}").headers["ETag"]
    answer = api.client.post(f"/api/v1/posts/{upload.post.id}/media", input_stream=stream, content_type=kind,
                             content_length=len(data), headers={**api.headers, "If-Match": etag})
    assert answer.status_code == 413 and stream.taken == 0, answer.get_json()
    assert "send the files in several requests" in answer.get_json()["message"], answer.get_json()
    assert _stored(app) == before


def test_a_request_stops_being_read_at_the_file_part_one_past_what_a_post_carries(upload, app, db_session):
    """The 21st file is refused as it begins: the parts after it are not written to disk (900 parts were each
    written and synced before the count was looked at)."""
    data, kind = _multipart([(_padded_png(64 * 1024, n), f"p{n}.png") for n in range(40)])
    stream = _Watched(data)
    api = upload.api
    etag = api.get(f"/posts/{upload.post.id}").headers["ETag"]
    before = _stored(app)
    answer = api.client.post(f"/api/v1/posts/{upload.post.id}/media", input_stream=stream, content_type=kind,
                             content_length=len(data), headers={**api.headers, "If-Match": etag})
    assert answer.status_code == 422 and "at most 20" in answer.get_json()["message"], answer.get_json()
    assert answer.get_json()["errors"]["file"]
    assert stream.taken < len(data) * 0.7, (stream.taken, len(data))
    _nothing_left(app, db_session, before)


def test_the_same_file_twice_in_one_request_is_refused_not_merged(upload, app, db_session):
    """Its two alternative texts would be one file's, the first dropped without a word (PUT refuses a file
    listed twice the same way)."""
    before = _stored(app)
    same = jpeg(color="olive")
    answer = _several(upload, [(same, "a.jpg"), (same, "b.jpg")], alts=["Premier", "Second"])
    assert answer.status_code == 422 and "twice" in answer.get_json()["message"], answer.get_json()
    _nothing_left(app, db_session, before)


def test_an_upload_sent_without_its_length_past_the_application_s_cap_is_a_413(upload, app, db_session,
                                                                             monkeypatch):
    """A body without a length is read up to the application's cap before any view (``inputs.SizedBody``); an
    upload's view then raised its own cap and parsed the cut body as whole: a 400 "Send the file in a field named
    file." for two pictures that together passed 16 MB."""
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2 * 1024 * 1024)
    data, kind = _multipart([(_padded_png(1536 * 1024, n), f"p{n}.png") for n in range(2)])
    api = upload.api
    etag = api.get(f"/posts/{upload.post.id}").headers["ETag"]
    before = _stored(app)
    answer = api.client.post(f"/api/v1/posts/{upload.post.id}/media", input_stream=io.BytesIO(data),
                             environ_overrides={"wsgi.input_terminated": True},
                             headers={**api.headers, "If-Match": etag, "Content-Type": kind,
                                      "Transfer-Encoding": "chunked"})
    assert answer.status_code == 413, answer.get_json()
    assert "Content-Length" in answer.get_json()["message"] and answer.get_json()["errors"]["file"]
    _nothing_left(app, db_session, before)
    # Within it, a body without a length goes in as any other.
    data, kind = _multipart([(_padded_png(512 * 1024, 9), "small.png")])
    answer = api.client.post(f"/api/v1/posts/{upload.post.id}/media", input_stream=io.BytesIO(data),
                             environ_overrides={"wsgi.input_terminated": True},
                             headers={**api.headers, "If-Match": etag, "Content-Type": kind,
                                      "Transfer-Encoding": "chunked"})
    assert answer.status_code == 201, answer.get_json()
