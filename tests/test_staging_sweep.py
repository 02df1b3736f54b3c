"""`approval media sweep` and the staging folder: an upload streams there before it is stored (``intake``), and one
cut short (a process killed, a machine stopped) leaves its file behind. The sweep removes what is older than the
longest an upload may take (an hour at least), says how many and how many bytes, whichever the store (a folder, a
bucket), and never touches an upload in progress."""

from __future__ import annotations

import io
import os
import secrets
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from approval.media import sweep
from approval.media.intake import staging_dir

from test_media import api_for, desk  # noqa: F401  (fixtures)
from test_media_s3 import s3_endpoint, s3_env  # noqa: F401  (fixtures)
from test_media_samples import jpeg
from test_media_sweep import bucket, folder, run  # noqa: F401  (fixtures)

HOUR = 3600


@pytest.fixture()
def staging(app, tmp_path, monkeypatch) -> Path:  # noqa: ANN001
    """The staging folder of an instance folder of the test's own (the session's app shares its own)."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    return staging_dir(app)


def leave(where: Path, name: str, data: bytes, *, age_s: float) -> Path:
    """A file ``name`` in the folder ``where`` holding ``data``, last written ``age_s`` seconds ago."""
    path = where / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


def age(path: Path, age_s: float) -> None:
    then = time.time() - age_s
    os.utime(path, (then, then))


@pytest.mark.parametrize("store", ["folder", "bucket"])
def test_the_sweep_removes_old_leftovers_of_the_staging_folder_and_keeps_young_ones(store, request, staging,
                                                                                   run):  # noqa: F811
    request.getfixturevalue(store)  # the application's store: the staging folder is the machine's, either way
    assert sweep.staging_age(request.getfixturevalue("app")) == timedelta(hours=3)  # the default caps
    cut = leave(staging, ".upload-k2j4h5", b"x" * 1000, age_s=4 * HOUR)  # a process killed mid-upload
    leave(staging, ".upload-k2j4h5.thumb.jpg", b"t" * 20, age_s=4 * HOUR)  # its thumbnail, being drawn
    drawing = staging / ".thumbnail-9f8e7d"  # a thumbnail drawn on demand, its process stopped
    leave(drawing, "frame.jpg", b"f" * 300, age_s=4 * HOUR)
    age(drawing, 4 * HOUR)
    fresh = leave(staging, ".upload-a1b2c3", b"y" * 50, age_s=60)  # an upload arriving now
    recent = leave(staging, ".upload-d4e5f6", b"z" * 70, age_s=2 * HOUR)  # younger than any upload may last
    busy = staging / "tmpq8w7e6"  # a folder written in a moment ago, though made long before
    leave(busy, "sample.jpg", b"s" * 40, age_s=30)
    age(busy, 5 * HOUR)
    old = {".upload-k2j4h5": 1000, ".upload-k2j4h5.thumb.jpg": 20, ".thumbnail-9f8e7d": 300}

    dry = run("media", "sweep", "--dry-run")
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    assert {line.split("\t")[1]: int(line.split("\t")[2]) for line in lines[:3]} == {
        f"media-staging/{name}": size for name, size in old.items()}
    assert all(line.startswith("would remove\t") for line in lines[:3])
    assert lines[3] == "Would remove 3 leftover uploads from the staging folder, 1320 bytes (older than 3 hours)."
    assert cut.exists() and drawing.exists()

    swept = run("media", "sweep", "--older-than", "0")  # the store's grace age, not the staging folder's
    assert swept.exit_code == 0, swept.output
    lines = swept.output.splitlines()
    assert [line.split("\t")[:3] for line in lines[:3]] == [
        ["removed", f"media-staging/{name}", str(size)] for name, size in sorted(old.items())]
    assert lines[3] == "Removed 3 leftover uploads from the staging folder, 1320 bytes (older than 3 hours)."
    assert lines[4] == "Removed 0 files, 0 bytes."
    assert sorted(path.name for path in staging.iterdir()) == sorted([fresh.name, recent.name, busy.name])
    assert [path.name for path in busy.iterdir()] == ["sample.jpg"]
    assert run("media", "sweep").output.splitlines()[0] == (
        "Removed 0 leftover uploads from the staging folder, 0 bytes (older than 3 hours).")


def test_the_age_is_the_longest_an_upload_the_caps_allow_may_take(app, monkeypatch):  # noqa: ANN001
    """The largest body the caps allow (a video at its cap, or a post's pictures at theirs) at 512 kbit/s, in whole
    hours: a larger cap waits longer; never less than an hour."""
    monkeypatch.setitem(app.config, "MEDIA_MAX_VIDEO_BYTES", 2 * 1024 ** 3)  # 2 GB: 9.1 hours at 64 KB/s
    assert sweep.staging_age(app) == timedelta(hours=10)
    monkeypatch.setitem(app.config, "MEDIA_MAX_VIDEO_BYTES", 10 * 1024 ** 2)
    monkeypatch.setitem(app.config, "MEDIA_MAX_IMAGE_BYTES", 1024 ** 2)
    assert sweep.staging_age(app) == timedelta(hours=1)


class _Paused(io.RawIOBase):
    """A request body that stops at ``pause_at`` until ``resume`` is set: an upload whose bytes arrive slowly."""

    def __init__(self, body: bytes, pause_at: int) -> None:
        self.body, self.pause_at, self.at = body, pause_at, 0
        self.paused, self.resume = threading.Event(), threading.Event()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:  # the test client measures the body before it sends it
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.at = {io.SEEK_SET: 0, io.SEEK_CUR: self.at, io.SEEK_END: len(self.body)}[whence] + offset
        return self.at

    def tell(self) -> int:
        return self.at

    def readinto(self, buffer) -> int:  # noqa: ANN001
        if self.at == self.pause_at:
            self.paused.set()
            assert self.resume.wait(30)
        end = min(len(self.body), self.at + len(buffer), *((self.pause_at,) if self.at < self.pause_at else ()))
        piece = self.body[self.at:end]
        buffer[:len(piece)] = piece
        self.at = end
        return len(piece)


def test_an_upload_in_progress_keeps_its_files(staging, folder, make, desk, api_for, db_session, app):  # noqa: F811
    """A carousel arriving slowly: its first picture is whole and has not been written for longer than a store's
    orphan may be (here 2 h 50), the second is still arriving. The sweep removes an older leftover beside them and
    neither of theirs; the upload then ends well, both pictures on the post."""
    account, writer, _reviewer = desk
    post = make.post(account=account, author=writer, body="Le stade, avant et après.")
    api = api_for(writer)
    first, second = (jpeg(color=f"#{secrets.token_hex(3)}") for _ in range(2))
    boundary = "staging-" + secrets.token_hex(8)
    parts = [(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
              "Content-Type: image/jpeg\r\n\r\n").encode() + data + b"\r\n"
             for name, data in (("avant.jpg", first), ("apres.jpg", second))]
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    stream = _Paused(body, len(parts[0]) + len(parts[1]) // 2)  # the second picture half sent
    dead = leave(staging, ".upload-zz9y8x", b"d" * 123, age_s=4 * HOUR)
    etag = api.get(f"/posts/{post.id}").headers["ETag"]
    db_session.flush()
    answers = []
    upload = threading.Thread(target=lambda: answers.append(api.client.post(
        f"/api/v1/posts/{post.id}/media", input_stream=stream,
        content_type=f"multipart/form-data; boundary={boundary}", headers={**api.headers, "If-Match": etag})))
    upload.start()
    try:
        assert stream.paused.wait(30)
        deadline = time.monotonic() + 10
        while len(arriving := [path for path in staging.iterdir() if path != dead]) < 2:
            assert time.monotonic() < deadline, list(staging.iterdir())
            time.sleep(0.05)
        for path in arriving:
            age(path, 2 * HOUR + 50 * 60)
        removed = list(sweep.sweep_staging(app))
        assert [(stored.key, stored.size) for stored in removed] == [(f"media-staging/{dead.name}", 123)]
        assert all(path.exists() for path in arriving)
    finally:
        stream.resume.set()
        upload.join(30)
    [answer] = answers
    assert answer.status_code == 201, answer.get_json()
    assert [item["bytes"] for item in answer.get_json()["media"]] == [len(first), len(second)]
    assert list(staging.iterdir()) == []  # the request took its own files away


def test_a_part_still_arriving_keeps_its_requests_earlier_parts_young(tmp_path, monkeypatch):
    """A slow carousel: its first picture, whole, aged past the sweep's age while the second arrived, and the sweep
    removed it under the request still reading its body. The part arriving touches the earlier ones as it goes."""
    import os
    import time as clock

    from approval.media import intake

    class Hasher:
        def update(self, digest, batch):  # noqa: ANN001
            digest.update(batch)

        def finish(self) -> None:
            pass

    first = intake.HashingFile(tmp_path, Hasher())
    first.write(b"x" * 10)
    first.flush()
    four_hours_ago = clock.time() - 4 * 3600
    os.utime(first.path, (four_hours_ago, four_hours_ago))
    second = intake.HashingFile(tmp_path, Hasher(), earlier=[first])
    monkeypatch.setattr(intake.HashingFile, "KEEP_YOUNG_EVERY", 0.0)
    second.write(b"y" * (intake.HashingFile.BATCH + 1))
    assert clock.time() - first.path.stat().st_mtime < 60
