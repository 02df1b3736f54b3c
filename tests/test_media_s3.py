"""The S3 media store against a real S3-speaking server on 127.0.0.1 (moto's server mode, started here): the same
interface as the folder store, an upload through the API stored in the bucket and streamed back, content
addressing, and the worker refusing a revision whose file left the store."""

from __future__ import annotations

import secrets

import boto3
import pytest
from moto.server import ThreadedMotoServer

from approval.media.storage import FolderStorage, S3Storage, file_key, storage_for, thumbnail_key
from approval.models import Post
from approval.workflow.states import Action

from test_media import api_for, desk  # noqa: F401  (fixtures)
from test_media_samples import jpeg, video

BUCKET = "approval-media"


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture()
def s3_env(s3_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("APPROVAL_MEDIA_S3_ENDPOINT", s3_endpoint)
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    if BUCKET not in {b["Name"] for b in client.list_buckets()["Buckets"]}:
        client.create_bucket(Bucket=BUCKET)
    return client


def test_the_url_chooses_the_store(tmp_path, s3_env):
    assert isinstance(storage_for(None, tmp_path), FolderStorage)
    assert storage_for(None, tmp_path).root == tmp_path / "media"
    assert storage_for(f"file://{tmp_path}/elsewhere", tmp_path).root == tmp_path / "elsewhere"
    s3 = storage_for(f"s3://{BUCKET}/team/media", tmp_path)
    assert isinstance(s3, S3Storage) and (s3.bucket, s3.prefix) == (BUCKET, "team/media")
    with pytest.raises(ValueError):
        storage_for("ftp://example.com/media", tmp_path)


@pytest.mark.parametrize("kind", ["folder", "s3"])
def test_both_stores_keep_whole_files_under_their_digest(kind, tmp_path, s3_env):
    store = storage_for(None, tmp_path) if kind == "folder" else storage_for(f"s3://{BUCKET}/t-{kind}", tmp_path)
    source = tmp_path / "upload"
    data = video((64, 48), seconds=0.5)
    source.write_bytes(data)
    key = file_key("ab" * 32)
    assert not store.exists(key)
    store.put(key, source, content_type="video/mp4")
    store.put(key, source, content_type="video/mp4")  # the same key twice: one copy, no error
    assert store.exists(key) and store.size(key) == len(data)
    with store.open(key) as handle:
        assert handle.read() == data
    if kind == "s3":
        head = s3_env.head_object(Bucket=BUCKET, Key=f"t-{kind}/{key}")
        assert head["ContentType"] == "video/mp4"
        assert store.local_path(key) is None
    else:
        assert not [p for p in store.root.rglob(".partial-*")]  # no half-written file left beside it
    store.delete(key)
    assert not store.exists(key)
    with pytest.raises(FileNotFoundError):
        store.open(key)


def test_an_upload_goes_to_the_bucket_and_comes_back_streamed(app, make, desk, api_for, web, db_session,  # noqa: F811
                                                               s3_env, monkeypatch):
    store = S3Storage(BUCKET, "api", client=s3_env)
    monkeypatch.setitem(app.extensions.setdefault("approval.media", {}), "storage", store)
    account, writer, reviewer = desk
    post = make.post(account=account, author=writer, body="Une photo du stade.")
    api = api_for(writer)
    data = jpeg((120, 90), color=f"#{secrets.token_hex(3)}")  # bytes of its own: the bucket outlives the test
    response = api.upload(post.id, data, "stade.jpg", alt="Le stade")
    assert response.status_code == 201, response.get_json()
    item = response.get_json()["media"][0]
    objects = {o["Key"] for o in s3_env.list_objects_v2(Bucket=BUCKET, Prefix="api/")["Contents"]}
    assert f"api/{file_key(item['sha256'])}" in objects
    assert f"api/{thumbnail_key(item['sha256'])}" not in objects  # drawn on first view, from the bucket
    web.login(writer)
    thumb = web.get(f"/media/{item['id']}/thumbnail")
    assert thumb.status_code == 200 and thumb.data.startswith(b"\xff\xd8")
    objects = {o["Key"] for o in s3_env.list_objects_v2(Bucket=BUCKET, Prefix="api/")["Contents"]}
    assert f"api/{thumbnail_key(item['sha256'])}" in objects
    # A picture gone from the bucket before its first view: a placeholder, not an error.
    other = jpeg((120, 90), color=f"#{secrets.token_hex(3)}")
    second = api.upload(post.id, other, "tribune.jpg", alt="La tribune").get_json()["media"][-1]
    s3_env.delete_object(Bucket=BUCKET, Key=f"api/{file_key(second['sha256'])}")
    placeholder = web.get(f"/media/{second['id']}/thumbnail")
    assert placeholder.status_code == 200 and placeholder.mimetype == "image/svg+xml"
    s3_env.put_object(Bucket=BUCKET, Key=f"api/{file_key(second['sha256'])}", Body=other)  # back: drawn now
    assert web.get(f"/media/{second['id']}/thumbnail").mimetype == "image/jpeg"
    got = api.get(f"/media/{item['id']}")
    assert got.status_code == 200 and got.data == data and got.headers["ETag"].strip('"') == item["sha256"]
    # The approved file disappears from the bucket: the worker refuses to publish without it.
    from approval.publishing import reasons
    from approval.publishing.worker import Worker

    db_session.expire_all()
    post = db_session.get(Post, post.id)
    make.act(post, Action.submit, writer)
    make.act(post, Action.approve, reviewer)
    s3_env.delete_object(Bucket=BUCKET, Key=f"api/{file_key(item['sha256'])}")
    refusals = Worker(app)._refusals(db_session, post)
    assert refusals and "missing from the media store" in reasons.text(refusals)
