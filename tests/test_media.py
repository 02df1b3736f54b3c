"""Media on revisions (issue 11): upload, remove, reorder and describe through the API; each change is a revision
through the same path as a text edit; the revision's SHA-256 binds the text and the media; the worker sends the
approved media and refuses a revision whose media changed; files are seen only by those who see a post showing
them."""

from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import select, update

from approval.api.tokens import issue_token
from approval.media.storage import file_key, storage
from approval.models import AuditEntry, MediaFile, Post, RevisionMedia, revision_sha256, text_sha256
from approval.workflow.states import Action, Role, State

from test_media_samples import jpeg, picture


class Api:
    def __init__(self, app, secret: str) -> None:  # noqa: ANN001
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path: str, **kw):  # noqa: ANN003, ANN201
        return self.client.get(f"/api/v1{path}", headers=self.headers, **kw)

    def post_json(self, path: str, body: dict, etag: str | None = None):  # noqa: ANN201
        headers = {**self.headers, **({"If-Match": etag} if etag else {})}
        return self.client.post(f"/api/v1{path}", json=body, headers=headers)

    def upload(self, post_id: int, data: bytes, name: str = "photo.jpg", *, alt: str | None = None,
               etag: str | None = None, mimetype: str | None = None):  # noqa: ANN201
        form = {"file": (io.BytesIO(data), name, mimetype or "application/octet-stream")}
        if alt is not None:
            form["alt"] = alt
        if etag is None:
            etag = self.get(f"/posts/{post_id}").headers["ETag"]
        return self.client.post(f"/api/v1/posts/{post_id}/media", data=form, content_type="multipart/form-data",
                                headers={**self.headers, "If-Match": etag})

    def delete(self, post_id: int, media_id: int, etag: str | None = None):  # noqa: ANN201
        etag = etag or self.get(f"/posts/{post_id}").headers["ETag"]
        return self.client.delete(f"/api/v1/posts/{post_id}/media/{media_id}",
                                  headers={**self.headers, "If-Match": etag})

    def set_media(self, post_id: int, items: list[dict], etag: str | None = None):  # noqa: ANN201
        etag = etag or self.get(f"/posts/{post_id}").headers["ETag"]
        return self.client.put(f"/api/v1/posts/{post_id}/media", json={"items": items},
                               headers={**self.headers, "If-Match": etag})


@pytest.fixture()
def api_for(app, db_session):  # noqa: ANN001, ANN201
    def client_for(user) -> Api:  # noqa: ANN001
        _token, secret = issue_token(db_session, user, "tests")
        db_session.flush()
        return Api(app, secret)

    return client_for


@pytest.fixture()
def desk(make):  # noqa: ANN001, ANN201
    """A French X account, its community manager and project manager."""
    france = make.market("FR")
    account = make.account(france, "x")
    writer = make.user(Role.community_manager, markets=[france])
    reviewer = make.user(Role.project_manager, markets=[france])
    return account, writer, reviewer


def test_an_upload_makes_a_new_revision_whose_sha256_binds_text_and_media(make, desk, api_for, db_session, app):
    account, writer, _reviewer = desk
    post = make.post(account=account, author=writer, body="La Tour Eiffel ce soir.")
    assert post.current_revision.sha256 == text_sha256("La Tour Eiffel ce soir.")  # text alone: as before
    api = api_for(writer)
    first = jpeg((80, 60))
    response = api.upload(post.id, first, "tour.jpg", alt="La Tour Eiffel illuminée en orange")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["revision"]["number"] == 2
    [item] = body["media"]
    assert item == {"id": item["id"], "kind": "image", "mime": "image/jpeg", "bytes": len(first), "width": 80,
                    "height": 60, "duration_s": None, "sha256": hashlib.sha256(first).hexdigest(),
                    "alt": "La Tour Eiffel illuminée en orange"}
    assert body["revision"]["sha256"] == revision_sha256(
        "La Tour Eiffel ce soir.", [(item["sha256"], "La Tour Eiffel illuminée en orange")])
    assert body["revision"]["sha256"] != text_sha256("La Tour Eiffel ce soir.")
    # The file is in the store under its digest, and served with its real type.
    assert storage(app).exists(file_key(item["sha256"]))
    got = api.get(f"/media/{item['id']}")
    assert got.status_code == 200 and got.data == first and got.mimetype == "image/jpeg"
    # The audit trail has the edit, with the new revision.
    db_session.expire_all()
    trail = db_session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id).order_by(AuditEntry.id)).all()
    assert [e.action for e in trail][-1] == Action.edit


def test_same_bytes_are_stored_once_and_a_post_lists_a_file_once(make, desk, api_for, db_session):
    account, writer, _reviewer = desk
    one, two = make.post(account=account, author=writer), make.post(account=account, author=writer)
    api = api_for(writer)
    data = picture("PNG", (30, 30))
    first = api.upload(one.id, data, "a.png").get_json()["media"][0]
    second = api.upload(two.id, data, "b.png").get_json()["media"][0]
    assert first["id"] == second["id"]
    assert db_session.scalar(select(MediaFile).where(MediaFile.sha256 == first["sha256"])) is not None
    # The same file again on the same post keeps one entry (and takes the new alternative text).
    again = api.upload(one.id, data, "a.png", alt="Un carré orange").get_json()
    assert [m["alt"] for m in again["media"]] == ["Un carré orange"]


def test_approve_then_reorder_two_images_sends_the_post_back_to_review(make, desk, api_for, db_session):
    account, writer, reviewer = desk
    post = make.post(account=account, author=writer, body="Deux photos du stade.")
    api = api_for(writer)
    api.upload(post.id, jpeg((40, 30), color="red"), "rouge.jpg", alt="Tribune rouge")
    media = api.upload(post.id, jpeg((40, 30), color="blue"), "bleu.jpg", alt="Tribune bleue").get_json()["media"]
    db_session.expire_all()
    post = db_session.get(Post, post.id)
    make.act(post, Action.submit, writer)
    make.act(post, Action.approve, reviewer)
    assert post.state == State.approved
    approved_sha = post.current_revision.sha256
    response = api.set_media(post.id, [{"id": media[1]["id"]}, {"id": media[0]["id"]}])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["state"] == "in_review"
    assert [m["alt"] for m in body["media"]] == ["Tribune bleue", "Tribune rouge"]
    assert body["revision"]["sha256"] != approved_sha
    assert body["approved_revision"] is None or body["approved_revision"]["sha256"] == approved_sha


@pytest.mark.parametrize("change", ["remove", "alt", "add"])
def test_every_media_change_after_approval_is_a_new_revision_back_in_review(make, desk, api_for, db_session,
                                                                            change):
    account, writer, reviewer = desk
    post = make.post(account=account, author=writer, body="Une photo du stade.")
    api = api_for(writer)
    [item] = api.upload(post.id, jpeg(), "stade.jpg", alt="Le stade").get_json()["media"]
    db_session.expire_all()
    post = db_session.get(Post, post.id)
    make.act(post, Action.submit, writer)
    make.act(post, Action.approve, reviewer)
    number = post.current_revision.number
    if change == "remove":
        response = api.delete(post.id, item["id"])
    elif change == "alt":
        response = api.set_media(post.id, [{"id": item["id"], "alt": "Le stade, de nuit"}])
    else:
        response = api.upload(post.id, picture("PNG", (20, 20)), "logo.png", alt="Logo")
    assert response.status_code in (200, 201), response.get_json()
    body = response.get_json()
    assert body["state"] == "in_review" and body["revision"]["number"] == number + 1


def test_the_same_media_again_is_no_new_revision_and_stale_or_foreign_changes_are_refused(make, desk, api_for,
                                                                                        db_session):
    account, writer, _reviewer = desk
    post = make.post(account=account, author=writer)
    api = api_for(writer)
    [item] = api.upload(post.id, jpeg(), "a.jpg", alt="Un").get_json()["media"]
    same = api.set_media(post.id, [{"id": item["id"]}])
    assert same.status_code == 200 and same.get_json()["revision"]["number"] == 2
    # Stale If-Match: 412, nothing written.
    assert api.upload(post.id, jpeg(color="red"), "b.jpg", etag='"post-%d-v1"' % post.id).status_code == 412
    assert api.set_media(post.id, [{"id": 999999}]).status_code == 422
    assert api.delete(post.id, 999999).status_code == 404
    # Someone outside the market sees neither the post nor its file.
    stranger = make.user(Role.community_manager, markets=[make.market("KE")])
    other = api_for(stranger)
    assert other.get(f"/media/{item['id']}").status_code == 404
    assert other.upload(post.id, jpeg(), "c.jpg", etag=f'"post-{post.id}-v9"').status_code == 404
    # A withdrawn post takes no edit, hence no file: 409, as for its text.
    db_session.expire_all()
    post = db_session.get(Post, post.id)
    make.act(post, Action.withdraw, writer)
    assert api.upload(post.id, jpeg(color="green"), "d.jpg").status_code == 409


def test_the_worker_sends_the_approved_media_and_refuses_a_revision_whose_media_changed(make, desk, api_for,
                                                                                      db_session, app):
    from approval.media.publication import describe
    from approval.publishing import reasons
    from approval.publishing.worker import Worker

    account, writer, reviewer = desk
    post = make.post(account=account, author=writer, body="Deux photos du stade.")
    api = api_for(writer)
    api.upload(post.id, jpeg(color="red"), "rouge.jpg", alt="Rouge")
    api.upload(post.id, jpeg(color="blue"), "bleu.jpg", alt="Bleu")
    db_session.expire_all()
    post = db_session.get(Post, post.id)
    make.act(post, Action.submit, writer)
    make.act(post, Action.approve, reviewer)
    revision = post.current_revision
    worker = Worker(app)
    # What goes out: the approved revision's files, in order, with their digests and alternative texts.
    sent = describe(app, revision)
    assert [m["alt"] for m in sent] == ["Rouge", "Bleu"]
    assert [m["sha256"] for m in sent] == [m.file.sha256 for m in revision.media]
    assert worker._refusals(db_session, post) == []
    # Someone swaps the two files in the database behind the workflow's back: the digest no longer matches.
    rows = sorted(revision.media, key=lambda m: m.position)
    db_session.execute(update(RevisionMedia).where(RevisionMedia.id == rows[0].id).values(position=99))
    db_session.execute(update(RevisionMedia).where(RevisionMedia.id == rows[1].id).values(position=0))
    db_session.execute(update(RevisionMedia).where(RevisionMedia.id == rows[0].id).values(position=1))
    db_session.expire_all()
    post = db_session.get(Post, post.id)
    assert post.current_revision.computed_sha256() != post.current_revision.sha256
    assert [reasons.text([r]) for r in worker._refusals(db_session, post)] == [
        "The text or the media no longer match the SHA-256 that was approved."]
