"""A post's ETag names its representation, hold included (probe h4, F2). A stop switch or an embargo changes what
``GET /posts/{id}`` says (its ``hold``) without a new version of the post: the ETag was the version alone, so a client
polling with If-None-Match got a 304 and never learnt that its scheduled post was held (one strong ETag, two bodies).
The held post's ETag carries a part for its hold; If-Match still compares the version only, so a write made with the
ETag last seen, held or not, goes through while the version is current, and a stale one is a 412."""

from __future__ import annotations

import re
from datetime import timedelta

from approval.db import utcnow
from approval.models import Campaign
from approval.publishing import controls
from approval.workflow.states import State

from .contract import assert_error


def _scheduled(make, db_session, france, cm, pm, campaign: Campaign | None = None):  # noqa: ANN001, ANN202
    post = make.post(State.approved, account=make.account(france, "x"), author=cm)
    if campaign is not None:
        post.campaign_id = campaign.id
        db_session.flush()
    make.act(post, "schedule", pm, scheduled_at=utcnow() + timedelta(days=2))
    db_session.flush()
    return post


def test_a_stop_switch_changes_the_etag_of_the_posts_it_holds(make, api, db_session, france, cm, pm):
    post = _scheduled(make, db_session, france, cm, pm)
    client = api(cm)
    free = client.get(f"/posts/{post.id}")
    plain = free.headers["ETag"]
    assert free.json["hold"] is None and plain == f'"post-{post.id}-v{post.version}"'

    stop = controls.turn_on(db_session, None, "market", market_code="FR", reason="Deuil national.")
    polled = client.get(f"/posts/{post.id}", headers={"If-None-Match": plain})
    assert polled.status_code == 200, "the hold is news: not a 304"
    assert polled.json["hold"]["stop_id"] == stop.id and polled.json["version"] == free.json["version"]
    held = polled.headers["ETag"]
    assert held != plain and held.startswith(plain[:-1] + "-")  # the same version, and what holds it
    for tag in (held, f"W/{held}", f"{plain}, {held}"):
        again = client.get(f"/posts/{post.id}", headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.headers["ETag"] == held, tag
    assert client.get(f"/posts/{post.id}", headers={"If-None-Match": plain}).status_code == 200

    # Another switch over it instead: another hold, another ETag.
    controls.turn_off(db_session, None, stop.id)
    other = controls.turn_on(db_session, None, "all", reason="Incident.")
    moved = client.get(f"/posts/{post.id}", headers={"If-None-Match": held})
    assert moved.status_code == 200 and moved.json["hold"]["stop_id"] == other.id
    assert moved.headers["ETag"] not in (held, plain)

    # Off, and the post was not due meanwhile: nothing holds it, the plain ETag again.
    controls.turn_off(db_session, None, other.id)
    freed = client.get(f"/posts/{post.id}", headers={"If-None-Match": moved.headers["ETag"]})
    assert freed.status_code == 200 and freed.json["hold"] is None and freed.headers["ETag"] == plain
    assert client.get(f"/posts/{post.id}", headers={"If-None-Match": plain}).status_code == 304


def test_an_embargo_and_its_end_change_the_etag(make, api, db_session, france, cm, pm):
    campaign = Campaign(name="Rentrée", market_id=france.id)
    db_session.add(campaign)
    db_session.flush()
    post = _scheduled(make, db_session, france, cm, pm, campaign)
    client = api(cm)
    plain = client.get(f"/posts/{post.id}").headers["ETag"]

    controls.set_embargo(db_session, campaign, post.scheduled_at + timedelta(days=1))
    first = client.get(f"/posts/{post.id}", headers={"If-None-Match": plain})
    assert first.status_code == 200 and first.json["hold"]["kind"] == "embargo"
    controls.set_embargo(db_session, campaign, post.scheduled_at + timedelta(days=3))  # lifts later: says so
    later = client.get(f"/posts/{post.id}", headers={"If-None-Match": first.headers["ETag"]})
    assert later.status_code == 200 and later.headers["ETag"] not in (plain, first.headers["ETag"])
    controls.set_embargo(db_session, campaign, None)
    assert client.get(f"/posts/{post.id}", headers={"If-None-Match": later.headers["ETag"]}).headers["ETag"] == plain


def test_writes_take_the_held_etag_or_the_plain_one_of_the_same_version(make, api, db_session, france, cm, pm):
    posts = [_scheduled(make, db_session, france, cm, pm) for _ in range(3)]
    controls.turn_on(db_session, None, "market", market_code="FR", reason="Deuil national.")
    manager, writer = api(pm), api(cm)
    held = [manager.get(f"/posts/{post.id}").headers["ETag"] for post in posts]
    plain = [f'"post-{post.id}-v{post.version}"' for post in posts]
    assert all(h != p for h, p in zip(held, plain, strict=True))

    # A transition with the held ETag, as the GET gave it.
    unscheduled = manager.act({"id": posts[0].id}, "unschedule", etag=held[0])
    assert unscheduled.status_code == 200, unscheduled.json
    assert unscheduled.json["state"] == "approved" and unscheduled.headers["ETag"] == \
        f'"post-{posts[0].id}-v{unscheduled.json["version"]}"'  # not held any more: the plain ETag
    # An edit with the plain ETag of the same version (a client that read it before the switch).
    edited = writer.patch(f"/posts/{posts[1].id}", {"body": "Un texte revu."}, if_match=plain[1])
    assert edited.status_code == 200, edited.json
    # A media change (its If-Match is checked against the document's pattern first) with the held one.
    media = writer.request("PUT", f"/posts/{posts[2].id}/media", json={"items": []}, if_match=held[2])
    assert media.status_code == 200, media.json

    # A version gone by is stale, held part or not.
    for stale in (held[0], plain[0], held[1], plain[1]):
        post_id = int(re.match(r'"post-(\d+)-', stale)[1])
        assert_error(writer.patch(f"/posts/{post_id}", {"body": "Trop tard."}, if_match=stale), 412)
    # And a malformed hold part is not a post's ETag.
    current = writer.get(f"/posts/{posts[1].id}").headers["ETag"]
    assert_error(writer.patch(f"/posts/{posts[1].id}", {"body": "Mal écrit."}, if_match=current[:-1] + '-hzz"'), 400)


def test_the_document_describes_the_held_etag(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    edit = document["paths"]["/api/v1/posts/{post_id}"]["patch"]
    [if_match] = [p for p in edit["parameters"] if p["name"] == "If-Match"]
    pattern = re.compile(if_match["schema"]["pattern"])
    for tag in ("*", '"post-42-v3"', '"post-42-v3-h0123456789abcdef"'):
        assert pattern.match(tag), tag
    for tag in ('"post-42-v3-"', '"post-42-v3-hXYZ"', 'W/"post-42-v3"'):
        assert not pattern.match(tag), tag
    assert "hold" in if_match["description"]
    get = document["paths"]["/api/v1/posts/{post_id}"]["get"]
    assert "hold" in get["responses"]["200"]["headers"]["ETag"]["description"]
    assert "hold" in get["responses"]["304"]["description"]
