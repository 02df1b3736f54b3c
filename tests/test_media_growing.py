"""A picture is inspected while it is uploaded (approval.media.growing, approval.media.intake.HashingFile): the
decoding follows the bytes as they arrive, yet every check holds - a cut file is refused, a file past the picture cap
is 413, and a request refused or broken half-way leaves no temporary file, no thumbnail and no thread behind."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from approval.media.growing import Abandoned, GrowingReader, Growth, PastLimit
from approval.media.inspect import Invalid, TooLarge
from approval.media.intake import HashingFile, Limits
from approval.models import MediaFile

from test_media import Api, api_for, desk  # noqa: F401  (fixtures)
from test_media_intake import _nothing_left, _stored, upload  # noqa: F401  (fixture)
from test_media_samples import jpeg, picture, video

LIMITS = Limits(image_bytes=20 * 1024 * 1024, video_bytes=512 * 1024 * 1024, max_pixels=70_000_000)


def _later(action, delay: float = 0.05) -> threading.Thread:  # noqa: ANN001
    thread = threading.Thread(target=lambda: (time.sleep(delay), action()))
    thread.start()
    return thread


def test_a_reader_waits_for_bytes_not_yet_written_and_reads_the_end_once_the_writer_ended(tmp_path):
    path = tmp_path / "growing"
    path.write_bytes(b"abc")
    growth = Growth()
    growth.wrote(3)
    with GrowingReader(path, growth, limit=100) as reader:
        assert reader.read(2) == b"ab"

        def more() -> None:
            with open(path, "ab") as out:
                out.write(b"defg")
            growth.wrote(4)

        writer = _later(more)
        assert reader.read(4) == b"cdef"  # waited for the writer
        writer.join()
        _later(growth.end).join()
        assert reader.read(10) == b"g"  # the file ended: a short read, then nothing
        assert reader.read(10) == b""
        reader.seek(0)
        assert reader.read() == b"abcdefg"


def test_a_reader_stops_at_its_limit_and_when_the_writer_gives_up(tmp_path):
    path = tmp_path / "growing"
    path.write_bytes(b"x" * 50)
    growth = Growth()
    growth.wrote(50)
    with GrowingReader(path, growth, limit=40) as reader:
        assert len(reader.read(40)) == 40  # up to the limit
        with pytest.raises(PastLimit):
            reader.read(1)
        assert reader.past_limit
    growth = Growth()
    growth.wrote(50)
    with GrowingReader(path, growth, limit=100) as reader:
        _later(lambda: growth.end(abandon=True))
        with pytest.raises(Abandoned):
            reader.read(60)  # waits for bytes that never come


def _hashing_file(tmp_path: Path, limits: Limits = LIMITS) -> HashingFile:
    return HashingFile(tmp_path, pictures=limits)


def test_a_picture_is_decoded_as_it_arrives_and_found_whole(tmp_path):
    data = jpeg((800, 600))
    incoming = _hashing_file(tmp_path)
    incoming.write(data[:len(data) // 2])
    assert incoming._inspector is not None and incoming._inspector.is_alive()  # reading, waiting for the rest
    incoming.write(data[len(data) // 2:])
    incoming.finish()
    found = incoming.inspected()
    assert (found.kind, found.mime, found.width, found.height, found.thumbnail) == ("image", "image/jpeg", 800, 600,
                                                                                   True)
    assert incoming.thumbnail_path.is_file()
    incoming.close()
    assert not incoming.thumbnail_path.exists()  # not taken by the store: removed with the upload
    incoming.path.unlink()


@pytest.mark.parametrize("data", [video((64, 48), seconds=0.5), b"plain text, no picture at all", b"\xff\xd8"])
def test_what_is_not_a_picture_is_left_to_the_inspection_after_the_upload(tmp_path, data):
    incoming = _hashing_file(tmp_path)
    incoming.write(data)
    incoming.finish()
    assert incoming.inspected() is None
    incoming.close()
    incoming.path.unlink()


def test_a_cut_picture_is_refused_and_one_past_the_picture_cap_is_too_large(tmp_path):
    data = jpeg((400, 300))
    incoming = _hashing_file(tmp_path)
    incoming.write(data[:-900])
    incoming.finish()
    with pytest.raises(Invalid, match="cut short"):
        incoming.inspected()
    incoming.close()
    small = Limits(image_bytes=len(data) // 2, video_bytes=LIMITS.video_bytes, max_pixels=LIMITS.max_pixels)
    incoming = _hashing_file(tmp_path, small)
    incoming.write(data)
    incoming.finish()
    with pytest.raises(TooLarge):
        incoming.inspected()
    incoming.close()


def test_an_upload_given_up_half_way_stops_its_inspection_and_leaves_no_thumbnail(tmp_path):
    data = jpeg((800, 600))
    incoming = _hashing_file(tmp_path)
    incoming.write(data[:len(data) // 2])
    inspector = incoming._inspector
    incoming.close()  # the request ended (refused, or the client went away) before the body was whole
    assert inspector is not None and not inspector.is_alive()
    assert not incoming.thumbnail_path.exists()
    incoming.path.unlink()
    assert list(tmp_path.iterdir()) == []


def test_a_stale_upload_is_refused_and_its_early_inspection_leaves_nothing(upload, app, db_session):  # noqa: F811
    before = _stored(app)
    api = upload.api
    response = api.upload(upload.post.id, jpeg((800, 600)), "photo.jpg", etag='"post-1-v99"')
    assert response.status_code in (409, 412), response.get_json()
    _nothing_left(app, db_session, before)


def test_a_body_cut_short_is_refused_and_leaves_nothing(upload, app, db_session):  # noqa: F811
    """The client goes away mid-picture: the request fails (4xx) while the picture is being decoded."""
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
def test_a_malformed_multipart_body_is_a_4xx_and_leaves_nothing(upload, app, db_session, body):  # noqa: F811
    before = _stored(app)
    api = upload.api
    post = upload.post
    etag = api.get(f"/posts/{post.id}").headers["ETag"]
    response = api.client.post(f"/api/v1/posts/{post.id}/media", data=body,
                               headers={**api.headers, "If-Match": etag,
                                        "Content-Type": "multipart/form-data; boundary=b"})
    assert 400 <= response.status_code < 500
    _nothing_left(app, db_session, before)


def test_only_the_first_file_of_a_body_is_inspected_as_it_arrives(upload, app, db_session):  # noqa: F811
    """A body of many files never starts many decodings: the upload (``file``) is still inspected whole."""
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


def test_a_seek_to_the_end_of_a_file_past_the_limit_is_refused_before_the_file_ends(tmp_path):
    path = tmp_path / "growing"
    path.write_bytes(b"x" * 50)
    growth = Growth()
    growth.wrote(50)  # still arriving, already longer than the reader may read
    with GrowingReader(path, growth, limit=40) as reader, pytest.raises(PastLimit):
        reader.seek(0, io.SEEK_END)


@pytest.fixture
def early(monkeypatch):
    """The uploads whose inspection started as they arrived."""
    started: list[HashingFile] = []
    original = HashingFile._start_inspection

    def record(self, pictures):  # noqa: ANN001, ANN202
        started.append(self)
        return original(self, pictures)

    monkeypatch.setattr(HashingFile, "_start_inspection", record)
    return started


def test_a_strangers_picture_is_never_decoded_and_a_users_is(upload, app, db_session, early):  # noqa: F811
    """The page's CSRF check reads the form before its login check: a body sent by nobody signed in is written to
    disk and thrown away, never decoded; the same picture from a user is decoded as it arrives."""
    before = _stored(app)
    post = upload.post
    stranger = app.test_client()
    response = stranger.post(f"/posts/{post.id}/media", data={"file": (io.BytesIO(jpeg((800, 600))), "photo.jpg")},
                             content_type="multipart/form-data")
    assert response.status_code in (302, 400, 401, 403), response.status_code
    assert early == []
    _nothing_left(app, db_session, before)
    response = upload(jpeg((800, 600)), "photo.jpg")
    assert response.status_code == 201, response.get_json()
    assert len(early) == 1


def test_an_empty_file_field_first_does_not_cost_the_upload_its_early_decoding(upload, app, early):  # noqa: F811
    api = upload.api
    post = upload.post
    etag = api.get(f"/posts/{post.id}").headers["ETag"]
    form = {"spare": (io.BytesIO(b""), ""), "file": (io.BytesIO(jpeg((300, 200))), "photo.jpg", "image/jpeg")}
    response = api.client.post(f"/api/v1/posts/{post.id}/media", data=form, content_type="multipart/form-data",
                               headers={**api.headers, "If-Match": etag})
    assert response.status_code == 201, response.get_json()
    assert len(early) == 1
