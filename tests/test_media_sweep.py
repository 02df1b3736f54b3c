"""`approval media sweep`: the files of the media store that no `media_files` row names (an upload that failed on
its second file, a process stopped between the store's put and the commit) are removed once older than the grace
age; a file a row names is kept whatever its age, and so is a young one (an upload between its put and its commit).
On the folder store and on a bucket (moto's S3 server, as test_media_s3), on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from sqlalchemy import delete

from approval.media import sweep
from approval.media.storage import FolderStorage, S3Storage, file_key, thumbnail_key
from approval.models import MediaFile, MediaKind

from test_media import api_for, desk  # noqa: F401  (fixtures)
from test_media_s3 import BUCKET, s3_endpoint, s3_env  # noqa: F401  (fixtures)
from test_media_samples import jpeg

DAY = 24 * 3600


@pytest.fixture()
def run(app, db_session):  # noqa: ANN001, ANN201
    """`approval ARGS` in this test's transaction (``db_session``), as the command line runs it."""

    def invoke(*args: str):  # noqa: ANN202
        db_session.flush()
        result = app.test_cli_runner().invoke(args=list(args))
        db_session.expire_all()
        return result

    return invoke


@pytest.fixture()
def folder(app, tmp_path, monkeypatch) -> FolderStorage:  # noqa: ANN001
    """A folder store of the test's own, as the application's store."""
    store = FolderStorage(tmp_path / "media")
    monkeypatch.setitem(app.extensions.setdefault("approval.media", {}), "storage", store)
    return store


@pytest.fixture()
def bucket(app, s3_env, monkeypatch) -> S3Storage:  # noqa: ANN001, F811
    """A prefix of its own in the tests' bucket, as the application's store; listed two objects a page, so that a
    sweep reads several pages."""
    store = S3Storage(BUCKET, f"sweep-{secrets.token_hex(4)}", client=s3_env)
    store.LIST_PAGE = 2
    monkeypatch.setitem(app.extensions.setdefault("approval.media", {}), "storage", store)
    return store


def put(store, key: str, data: bytes, tmp_path: Path, *, age_s: float = 0) -> None:  # noqa: ANN001
    """``data`` stored under ``key``, written ``age_s`` seconds ago (the folder store: its modification time)."""
    source = tmp_path / f"source-{secrets.token_hex(4)}"
    source.write_bytes(data)
    store.put(key, source, content_type="application/octet-stream")
    if age_s:
        then = time.time() - age_s
        os.utime(store.root / key, (then, then))


def row(session, sha256: str, *, thumbnail: bool = True) -> MediaFile:  # noqa: ANN001
    """The `media_files` row of a stored file, naming its key and (``thumbnail``) its thumbnail's."""
    media_file = MediaFile(sha256=sha256, kind=MediaKind.image, mime="image/jpeg", bytes=10, width=4, height=3,
                           storage_key=file_key(sha256), thumbnail_key=thumbnail_key(sha256) if thumbnail else None)
    session.add(media_file)
    session.flush()
    return media_file


def keys(store) -> set[str]:  # noqa: ANN001
    return {stored.key for stored in store.list_keys()}


def digest() -> str:
    return secrets.token_hex(32)


def store_lines(output: str) -> list[str]:
    """The lines the sweep prints of the store, after those of the staging folder (``test_staging_sweep``): here
    it holds nothing old."""
    staging, *lines = output.splitlines()
    assert re.fullmatch(r"(Would remove|Removed) 0 leftover uploads from the staging folder, 0 bytes \(older than "
                        r"\d+ hours?\)\.", staging), staging
    return lines


def test_the_sweep_removes_old_files_no_row_names_and_keeps_the_others(folder, db_session, run, tmp_path):
    named, orphan, young = digest(), digest(), digest()
    row(db_session, named)
    put(folder, file_key(named), b"named" * 10, tmp_path, age_s=30 * DAY)  # named: kept whatever its age
    put(folder, thumbnail_key(named), b"thumb", tmp_path, age_s=30 * DAY)  # named by its row's thumbnail_key
    put(folder, file_key(orphan), b"orphan" * 100, tmp_path, age_s=2 * DAY)
    put(folder, thumbnail_key(orphan), b"orphan thumbnail", tmp_path, age_s=2 * DAY)
    put(folder, file_key(young), b"young", tmp_path, age_s=3600)  # maybe between its put and its commit: kept
    # A copy stopped half-way (FolderStorage.put writes beside its target, then renames): old, and young.
    partial = folder.root / "files" / named[:2] / named[2:4] / ".partial-k2j4h5"
    partial.write_bytes(b"half")
    os.utime(partial, (time.time() - 2 * DAY,) * 2)
    young_partial = folder.root / "files" / orphan[:2] / orphan[2:4] / ".partial-a8d7f6"
    young_partial.write_bytes(b"half a")
    stranger = folder.root / "files" / "NOTES.txt"  # not a name the store gives: not the sweep's to remove
    stranger.write_text("kept by hand")
    os.utime(stranger, (time.time() - 30 * DAY,) * 2)
    everything = keys(folder)
    old_orphans = {file_key(orphan), thumbnail_key(orphan), partial.relative_to(folder.root).as_posix()}
    size = 600 + len(b"orphan thumbnail") + len(b"half")

    dry = run("media", "sweep", "--dry-run")
    assert dry.exit_code == 0, dry.output
    lines = store_lines(dry.output)
    assert {line.split("\t")[1] for line in lines[:-1]} == old_orphans
    assert all(line.startswith("would remove\t") for line in lines[:-1])
    assert lines[-1] == f"Would remove 3 files, {size} bytes (--dry-run: nothing was removed)."
    assert keys(folder) == everything

    swept = run("media", "sweep")
    assert swept.exit_code == 0, swept.output
    lines = store_lines(swept.output)
    removed = {line.split("\t")[1]: line.split("\t") for line in lines[:-1]}
    assert set(removed) == old_orphans
    assert removed[file_key(orphan)][0] == "removed" and removed[file_key(orphan)][2] == "600"
    assert lines[-1] == f"Removed 3 files, {size} bytes."
    assert keys(folder) == everything - old_orphans and stranger.exists()

    # Without a grace age, the young ones go too; what a row names stays.
    swept = run("media", "sweep", "--older-than", "0")
    assert swept.exit_code == 0, swept.output
    assert store_lines(swept.output)[-1] == f"Removed 2 files, {len(b'young') + len(b'half a')} bytes."
    assert keys(folder) == {file_key(named), thumbnail_key(named), "files/NOTES.txt"}
    assert store_lines(run("media", "sweep", "--older-than", "0").output) == ["Removed 0 files, 0 bytes."]


def test_a_thumbnail_is_kept_while_a_row_names_it_and_goes_with_its_orphaned_file(folder, db_session, run,
                                                                                    tmp_path):
    drawn, undrawn = digest(), digest()
    row(db_session, drawn)
    row(db_session, undrawn, thumbnail=False)  # a video whose thumbnail could not be drawn: its row names none
    for sha256 in (drawn, undrawn):
        put(folder, file_key(sha256), b"file", tmp_path, age_s=2 * DAY)
        put(folder, thumbnail_key(sha256), b"thumbnail", tmp_path, age_s=2 * DAY)
    swept = run("media", "sweep")
    assert swept.exit_code == 0, swept.output
    assert keys(folder) == {file_key(drawn), thumbnail_key(drawn), file_key(undrawn)}
    assert store_lines(swept.output)[0].split("\t")[:3] == ["removed", thumbnail_key(undrawn), "9"]


@pytest.mark.parametrize("grace", ["-1", "nan", "an hour"])
def test_a_grace_age_that_is_no_number_of_hours_is_refused(folder, run, grace):
    refused = run("media", "sweep", "--older-than", grace)
    assert refused.exit_code == 2 and "--older-than" in refused.output


@pytest.mark.parametrize("kind", ["folder", "bucket"])
def test_an_orphan_uploaded_again_after_the_listing_is_kept(kind, request, db_session, tmp_path, monkeypatch):
    """The same bytes uploaded again while the sweep runs: the store's put finds the file there and stores nothing,
    and the row that will name it commits after the sweep read the rows. The put makes the file young again, and
    the sweep looks at each file once more just before removing it."""
    store = request.getfixturevalue(kind)
    sha256, data = digest(), b"the same bytes again"
    if kind == "folder":
        put(store, file_key(sha256), data, tmp_path, age_s=2 * DAY)
    else:  # stored two days ago by the bucket's clock (moto's, in this process)
        import moto.s3.models

        with monkeypatch.context() as patch:
            patch.setattr(moto.s3.models, "utcnow", lambda: datetime.now(UTC).replace(tzinfo=None) - timedelta(days=2))
            put(store, file_key(sha256), data, tmp_path)
    # The only file of the store, no row yet: forced, as the command with --force.
    orphans = sweep.find_orphans(db_session, store, older_than=timedelta(hours=24), force=True)
    assert [orphan.key for orphan in orphans] == [file_key(sha256)]
    put(store, file_key(sha256), data, tmp_path)  # the upload's put: the file is there already
    row(db_session, sha256)  # its row commits after the sweep read the rows
    assert list(sweep.remove_orphans(store, orphans)) == []
    assert store.exists(file_key(sha256))


def test_a_failed_second_file_leaves_an_orphan_that_the_sweep_removes(folder, app, desk, make, api_for, run,  # noqa: F811
                                                                      monkeypatch):
    """A carousel of two pictures where the store fails on the second (here its folder cannot be made: a file
    stands where it goes, as a full disk would refuse it): the request fails, nothing is committed, and the first
    picture stays in the store with no row naming it, until the sweep."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # answered as in production: a 500
    account, writer, _reviewer = desk
    post = make.post(account=account, author=writer, body="Le stade, avant et après.")
    api = api_for(writer)
    shown = jpeg(color=f"#{secrets.token_hex(3)}")
    assert api.upload(post.id, shown, "stade.jpg").status_code == 201  # a file a row names, for contrast
    first, second = jpeg(color=f"#{secrets.token_hex(3)}"), jpeg(color=f"#{secrets.token_hex(3)}")
    first_sha, second_sha = hashlib.sha256(first).hexdigest(), hashlib.sha256(second).hexdigest()
    assert first_sha[:4] != second_sha[:4]
    blocker = folder.root / "files" / second_sha[:2] / second_sha[2:4]
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_bytes(b"in the way")

    etag = api.get(f"/posts/{post.id}").headers["ETag"]
    form = {"file": [(io.BytesIO(first), "avant.jpg", "image/jpeg"), (io.BytesIO(second), "apres.jpg", "image/jpeg")]}
    answer = api.client.post(f"/api/v1/posts/{post.id}/media", data=form, content_type="multipart/form-data",
                             headers={**api.headers, "If-Match": etag})
    assert answer.status_code == 500
    assert len(api.get(f"/posts/{post.id}").get_json()["media"]) == 1
    assert folder.exists(file_key(first_sha))  # the leftover

    kept = run("media", "sweep")  # younger than a day: it may be an upload between its put and its commit
    assert kept.exit_code == 0 and store_lines(kept.output) == ["Removed 0 files, 0 bytes."]
    swept = run("media", "sweep", "--older-than", "0")
    assert swept.exit_code == 0, swept.output
    assert [line.split("\t")[:3] for line in store_lines(swept.output)[:-1]] == [
        ["removed", file_key(first_sha), str(len(first))]]
    assert not folder.exists(file_key(first_sha))
    assert folder.exists(file_key(hashlib.sha256(shown).hexdigest()))
    assert blocker.read_bytes() == b"in the way"  # not a name the store gives


def test_the_sweep_on_a_bucket_lists_every_page_and_keeps_what_is_not_its_own(bucket, s3_env, db_session, run,  # noqa: F811
                                                                               tmp_path):
    named, orphans = digest(), [digest() for _ in range(3)]
    row(db_session, named)
    put(bucket, file_key(named), b"named", tmp_path)
    put(bucket, thumbnail_key(named), b"named thumbnail", tmp_path)
    for sha256 in orphans:
        put(bucket, file_key(sha256), b"orphan", tmp_path)
    put(bucket, thumbnail_key(orphans[0]), b"orphan thumbnail", tmp_path)
    s3_env.put_object(Bucket=BUCKET, Key=f"{bucket.prefix}/exports/report.csv", Body=b"not media")
    s3_env.put_object(Bucket=BUCKET, Key=f"{bucket.prefix}-other/{file_key(orphans[1])}", Body=b"another prefix")
    listed = {stored.key: stored for stored in bucket.list_keys()}
    assert set(listed) == {file_key(named), thumbnail_key(named), thumbnail_key(orphans[0]),
                           *(file_key(sha256) for sha256 in orphans)}
    assert listed[file_key(named)].size == 5
    assert datetime.now(UTC) - listed[file_key(named)].modified < timedelta(hours=1)

    assert store_lines(run("media", "sweep").output) == ["Removed 0 files, 0 bytes."]  # all of them young
    expected = {thumbnail_key(orphans[0]), *(file_key(sha256) for sha256 in orphans)}
    dry = run("media", "sweep", "--older-than", "0", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert {line.split("\t")[1] for line in store_lines(dry.output)[:-1]} == expected
    assert store_lines(dry.output)[-1] == "Would remove 4 files, 34 bytes (--dry-run: nothing was removed)."
    swept = run("media", "sweep", "--older-than", "0")
    assert swept.exit_code == 0, swept.output
    assert store_lines(swept.output)[-1] == "Removed 4 files, 34 bytes."
    assert keys(bucket) == {file_key(named), thumbnail_key(named)}
    left = {o["Key"] for o in s3_env.list_objects_v2(Bucket=BUCKET, Prefix=bucket.prefix)["Contents"]}
    assert left == {f"{bucket.prefix}/{key}" for key in (file_key(named), thumbnail_key(named))} | {
        f"{bucket.prefix}/exports/report.csv", f"{bucket.prefix}-other/{file_key(orphans[1])}"}


def test_a_bucket_that_cannot_be_reached_is_one_line_and_exit_1(app, s3_env, db_session, run, monkeypatch):  # noqa: F811
    media = app.extensions.setdefault("approval.media", {})
    monkeypatch.setitem(media, "storage", S3Storage("no-such-bucket", "media", client=s3_env))
    missing = run("media", "sweep")
    assert missing.exit_code == 1
    assert "the media store cannot be used: bucket no-such-bucket" in missing.output
    assert "Nothing was removed from the store." in missing.output and isinstance(missing.exception, SystemExit)
    silent = boto3.client("s3", endpoint_url="http://127.0.0.1:9", config=Config(
        connect_timeout=1, read_timeout=1, retries={"max_attempts": 1}))
    monkeypatch.setitem(media, "storage", S3Storage(BUCKET, "media", client=silent))
    unreachable = run("media", "sweep", "--dry-run")
    assert unreachable.exit_code == 1 and isinstance(unreachable.exception, SystemExit)
    assert "the media store cannot be used: bucket approval-media" in unreachable.output
    assert "Could not connect" in unreachable.output and "Nothing was removed from the store." in unreachable.output


def test_the_folder_store_lists_its_files_with_their_size_and_age(folder, tmp_path):
    sha256 = digest()
    assert list(folder.list_keys()) == []  # nothing stored yet: not even its folder
    put(folder, file_key(sha256), b"12345", tmp_path, age_s=DAY)
    (stored,) = folder.list_keys()
    assert (stored.key, stored.size) == (file_key(sha256), 5)
    assert abs(datetime.now(UTC) - timedelta(days=1) - stored.modified) < timedelta(minutes=5)
    assert folder.stat(file_key(sha256)) == stored
    with pytest.raises(FileNotFoundError):
        folder.stat(file_key(digest()))


def test_storing_bytes_already_there_makes_them_young_again(folder, tmp_path):
    sha256 = digest()
    put(folder, file_key(sha256), b"bytes", tmp_path, age_s=2 * DAY)
    before = folder.stat(file_key(sha256)).modified
    put(folder, file_key(sha256), b"bytes", tmp_path)
    assert folder.stat(file_key(sha256)).modified - before > timedelta(days=1)


def test_the_command_is_listed_under_media(run, folder):
    shown = run("media", "--help")
    assert shown.exit_code == 0 and "sweep" in shown.output
    assert "--older-than" in run("media", "sweep", "--help").output


def test_a_database_naming_none_of_the_stores_files_is_refused_unless_forced(folder, db_session, run, tmp_path):
    # The sweep pointed at another instance's database (or a new, empty one) would take every file older than a day.
    first, second = digest(), digest()
    put(folder, file_key(first), b"first", tmp_path, age_s=30 * DAY)
    put(folder, file_key(second), b"second", tmp_path, age_s=30 * DAY)
    row(db_session, digest())  # a row, but of no file this store holds

    refused = run("media", "sweep")
    assert refused.exit_code == 1
    assert "names none of the store's 2 files" in refused.output and "Nothing was removed" in refused.output
    assert keys(folder) == {file_key(first), file_key(second)}

    row(db_session, first)  # once the rows name one of its files, the store is this database's
    swept = run("media", "sweep")
    assert swept.exit_code == 0, swept.output
    assert keys(folder) == {file_key(first)}

    put(folder, file_key(second), b"second", tmp_path, age_s=30 * DAY)
    db_session.execute(delete(MediaFile))
    db_session.commit()
    assert run("media", "sweep").exit_code == 1
    forced = run("media", "sweep", "--force")
    assert forced.exit_code == 0, forced.output
    assert keys(folder) == set()


def test_a_file_gone_from_the_store_is_put_back_by_the_same_bytes_sent_again(folder, app, desk, make,  # noqa: F811
                                                                            api_for):  # noqa: F811
    """The sweep's admitted window (the same bytes put between its last look and its removal) leaves a row naming a
    file gone: sending those bytes again puts it back, where the row found was reused with the file still gone."""
    account, writer, _reviewer = desk
    first = make.post(account=account, author=writer, body="Le stade, de nuit.")
    second = make.post(account=account, author=writer, body="Le stade, le lendemain.")
    api = api_for(writer)
    picture = jpeg(color=f"#{secrets.token_hex(3)}")
    key = file_key(hashlib.sha256(picture).hexdigest())
    assert api.upload(first.id, picture, "nuit.jpg").status_code == 201
    folder.delete(key)  # removed under the row's feet
    assert api.upload(second.id, picture, "nuit.jpg").status_code == 201
    assert folder.exists(key)
    with folder.open(key) as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == hashlib.sha256(picture).hexdigest()
