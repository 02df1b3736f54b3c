"""What an integrator's walk found in the API's HTTP: answers no cache keeps, what holds a post, a document that lists
every refusal a call can meet, and polling (``updated_since``, ``If-None-Match``)."""

from __future__ import annotations

import io
from datetime import timedelta

from openapi_spec_validator import validate
from PIL import Image
from sqlalchemy import update

from approval.db import utcnow
from approval.models import Campaign, Post
from approval.publishing import controls
from approval.workflow.states import State

from .contract import assert_error, assert_post_shape

BODY = "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante."



def _png() -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(picture, "PNG")
    return picture.getvalue()


# 4. No cache keeps an answer -----------------------------------------------------------------------------------


def test_every_authenticated_answer_is_no_store_and_the_document_may_be_cached(app, make, api, db_session, france,
                                                                               cm):
    account = make.account(france, "x")
    client = api(cm)
    created = client.post("/posts", {"account_id": account.id, "body": BODY})
    assert created.status_code == 201
    post_id = created.json["id"]
    uploaded = client.request("POST", f"/posts/{post_id}/media", if_match=created.headers["ETag"],
                              data={"file": (io.BytesIO(_png()), "red.png")}, content_type="multipart/form-data")
    assert uploaded.status_code == 201, uploaded.json
    media_id = uploaded.json["media"][0]["id"]

    answers = {
        "me": client.get("/me"), "accounts": client.get("/accounts"), "posts": client.get("/posts"),
        "created": created, "post": client.get(f"/posts/{post_id}"),
        "trail": client.get(f"/posts/{post_id}/transitions"), "file": client.get(f"/media/{media_id}"),
        "lint": client.post("/lint", {"text": BODY}), "no token": api().get("/me"),
        "bad token": app.test_client().get("/api/v1/me", headers={"Authorization": "Bearer apv1_nothing"}),
        "not found": client.get("/posts/999999"), "no route": client.get("/nowhere"),
        "refused": client.post("/posts", {"account_id": account.id}),
    }
    for name, answer in answers.items():
        assert answer.headers.get("Cache-Control") == "no-store", (name, answer.status_code, answer.headers)
    document = app.test_client().get("/api/v1/openapi.json")
    assert document.status_code == 200
    assert not document.cache_control.no_store and 0 < document.cache_control.max_age <= 3600


# 5. What holds a post -------------------------------------------------------------------------------------------


def test_a_held_post_says_what_holds_it(make, api, db_session, france, cm, pm):
    account = make.account(france, "x")
    campaign = Campaign(name="Rentrée", market_id=france.id)
    db_session.add(campaign)
    db_session.flush()
    post = make.post(State.approved, account=account, author=cm)
    post.campaign_id = campaign.id
    db_session.flush()
    make.act(post, "schedule", pm, scheduled_at=utcnow() + timedelta(days=2))
    client = api(cm)
    assert client.get(f"/posts/{post.id}").json["hold"] is None

    seen = {}
    for scope, target in (("all", {}), ("market", {"market_code": "FR"}), ("campaign", {"campaign_id": campaign.id})):
        stop = controls.turn_on(db_session, None, scope, reason="Deuil national.", **target)
        hold = client.get(f"/posts/{post.id}").json["hold"]
        seen[scope] = hold
        assert hold["stop_id"] == stop.id and hold["until"] is None and hold["needs_new_time"] is False, hold
        assert "Deuil national." in hold["reason"] and hold["since"]
        controls.turn_off(db_session, None, stop.id)
    assert [seen[scope]["kind"] for scope in ("all", "market", "campaign")] == [
        "global_stop", "market_stop", "campaign_stop"]

    # An embargo holds a post slotted before it, until it lifts.
    lifts = post.scheduled_at + timedelta(days=1)
    controls.set_embargo(db_session, campaign, lifts)
    hold = client.get(f"/posts/{post.id}").json["hold"]
    assert hold["kind"] == "embargo" and hold["stop_id"] is None and hold["needs_new_time"] is False
    assert hold["until"] == lifts.strftime("%Y-%m-%dT%H:%M:%SZ")
    controls.set_embargo(db_session, campaign, None)

    # A switch that held the post at its time: off since, the post waits for a new time.
    stop = controls.turn_on(db_session, None, "market", market_code="FR", reason="Panne du réseau.")
    db_session.execute(update(Post).where(Post.id == post.id).values(held_by_stop_id=stop.id, held_at=utcnow()))
    controls.turn_off(db_session, None, stop.id)
    db_session.expire_all()
    body = client.get(f"/posts/{post.id}").json
    assert_post_shape(body)
    assert body["hold"]["kind"] == "market_stop" and body["hold"]["stop_id"] == stop.id
    assert body["hold"]["needs_new_time"] is True


# 6. The document lists what a call can meet ---------------------------------------------------------------------


def test_the_document_is_valid_and_lists_the_throttle_and_the_uploads_refusals(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    validate(document)
    operations = [(path, method, operation) for path, item in document["paths"].items()
                  for method, operation in item.items() if method in ("get", "post", "put", "patch", "delete")]
    assert operations
    for path, method, operation in operations:
        throttled = operation["responses"].get("429")
        assert throttled, (method, path)
        assert "Retry-After" in throttled.get("headers", {}), (method, path)
        assert throttled["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    upload = document["paths"]["/api/v1/posts/{post_id}/media"]["post"]["responses"]
    for code in ("413", "415", "422"):
        assert upload[code]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, code
    get_post = document["paths"]["/api/v1/posts/{post_id}"]["get"]
    assert "304" in get_post["responses"]
    assert any(p["name"] == "If-None-Match" and p["in"] == "header" for p in get_post.get("parameters", []))
    listing = document["paths"]["/api/v1/posts"]["get"]
    assert any(p["name"] == "updated_since" and p["in"] == "query" for p in listing["parameters"])


def test_a_throttled_call_is_answered_as_the_document_says(app, make, db_session, monkeypatch):
    """The token throttle's refusal: the contract's error, with Retry-After (the suite runs the throttles off)."""
    limiter = app.extensions["approval.limiter"]
    monkeypatch.setitem(app.config, "THROTTLING", True)
    limiter.reset()
    client = app.test_client()
    bad = {"Authorization": "Bearer apv1_nothing"}
    try:
        answers = [client.get("/api/v1/posts", headers=bad) for _ in range(61)]
    finally:
        limiter.reset()
    throttled = answers[-1]
    assert_error(throttled, 429)
    assert int(throttled.headers["Retry-After"]) > 0
    assert throttled.headers["Cache-Control"] == "no-store"


# 7. Polling: updated_since, If-None-Match -----------------------------------------------------------------------


def test_updated_since_lists_the_posts_changed_since_then(make, api, db_session, france, cm, pm):
    account = make.account(france, "x")
    old, recent = make.post(account=account, author=cm), make.post(account=account, author=cm)
    long_ago = utcnow() - timedelta(days=30)
    db_session.execute(update(Post).where(Post.id == old.id).values(updated_at=long_ago))
    db_session.flush()
    client = api(cm)

    since = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    listed = client.get("/posts", query_string={"updated_since": since + "+02:00"})
    assert listed.status_code == 200, listed.json
    assert [p["id"] for p in listed.json["items"]] == [recent.id]
    assert [p["id"] for p in client.get("/posts", query_string={"updated_since": since + "Z"}).json["items"]] == [
        recent.id]
    # The instant is included: a client polls with the updated_at it last saw and misses nothing.
    at = client.get(f"/posts/{recent.id}").json["updated_at"]
    assert [p["id"] for p in client.get("/posts", query_string={"updated_since": at}).json["items"]] == [recent.id]
    # Combined with the other filters and the pages.
    both = client.get("/posts", query_string={"updated_since": long_ago.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                              "limit": 1})
    assert [p["id"] for p in both.json["items"]] == [recent.id] and both.json["next"]
    assert [p["id"] for p in client.get("/posts", query_string={
        "updated_since": long_ago.strftime("%Y-%m-%dT%H:%M:%SZ"), "cursor": both.json["next"]}).json["items"]] == [
        old.id]

    for wrong in ("2026-06-01T09:00:00", "2026-06-01", "yesterday", "2026-06-01T09:00:00 02:00", ""):
        assert_error(client.get("/posts", query_string={"updated_since": wrong}), 422, "updated_since")


def test_if_none_match_answers_304_while_the_post_is_unchanged(make, api, db_session, france, cm):
    post = make.post(account=make.account(france, "x"), author=cm)
    client = api(cm)
    first = client.get(f"/posts/{post.id}")
    etag = first.headers["ETag"]

    for tag in (etag, f"W/{etag}", f'"post-{post.id}-v999", {etag}', "*"):
        unchanged = client.get(f"/posts/{post.id}", headers={"If-None-Match": tag})
        assert unchanged.status_code == 304, tag
        assert unchanged.data == b"" and unchanged.headers["ETag"] == etag
        assert unchanged.headers["Cache-Control"] == "no-store"

    edited = client.patch(f"/posts/{post.id}", {"body": BODY + " Venez nombreux."}, if_match=etag)
    assert edited.status_code == 200
    changed = client.get(f"/posts/{post.id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json["body"].endswith("Venez nombreux.")
    assert changed.headers["ETag"] == edited.headers["ETag"] != etag
    # Outside the user's markets it stays a 404, whatever the header.
    other = make.post(account=make.account(make.market("KE", "Africa/Nairobi", ("en",)), "x"))
    assert_error(client.get(f"/posts/{other.id}", headers={"If-None-Match": "*"}), 404)
