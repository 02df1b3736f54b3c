"""Findings of the API walk (/tmp/w/walk-api.md), each fixed: a stop switch refused to a role with the role's reason,
a body sent without Content-Type refused as any body that is not JSON, the bad-token lock that spares valid tokens
and sends no rate-limit headers on answers it did not refuse, ``PUT /posts/{id}/media`` that lists every file, and
the revision diff that tells the media's changes."""

from __future__ import annotations

import io
import json

import pytest
from conftest import row_counts
from test_media_samples import jpeg

from approval.models import AuditEntry, Post, Revision, StopSwitch
from approval.publishing import controls
from approval.workflow.errors import NotPermitted
from approval.workflow.states import Action, Role

from .contract import assert_error

ROLE_REFUSAL = "Only project managers and admins turn stop switches off."
EVERY_MARKET = "Only an admin or a group-wide project manager turns off a switch that reaches every market."
NOT_JSON = "The API takes JSON: send the body with Content-Type: application/json."
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After")



# Finding 1: a role that may not turn switches off is told so, whatever the switch reaches -------------------------


def test_a_community_manager_or_cabinet_member_is_refused_a_market_switch_for_their_role(make, api, db_session, pm,
                                                                                         cm):
    market_stop = controls.turn_on(db_session, pm, "market", market_code="FR", reason="Test FR.")
    everything = controls.turn_on(db_session, None, "all", reason="Crise.")
    db_session.flush()
    cabinet = make.user(Role.cabinet, executives=[make.executive()])
    for user, stop in ((cm, market_stop), (cm, everything), (cabinet, everything)):
        refused = api(user).request("DELETE", f"/stops/{stop.id}")
        assert assert_error(refused, 403)["message"] == ROLE_REFUSAL, (user.role, stop.scope)
        # The operation itself, which the publishing page's button calls too, says the same.
        with pytest.raises(NotPermitted, match=ROLE_REFUSAL):
            controls.turn_off(db_session, user, stop.id)
    # A project manager of some markets is refused the switch over everything for its reach, as before.
    refused = api(pm).request("DELETE", f"/stops/{everything.id}")
    assert assert_error(refused, 403)["message"] == EVERY_MARKET
    db_session.expire_all()
    assert db_session.get(StopSwitch, market_stop.id).active and db_session.get(StopSwitch, everything.id).active
    assert api(pm).request("DELETE", f"/stops/{market_stop.id}").status_code == 200


# Finding 2: a body without Content-Type is refused as a body that is not JSON ---------------------------------------


def test_a_body_sent_without_content_type_is_refused_as_not_json(make, api, db_session, france, cm):
    account = make.account(france, "x")
    client = api(cm)
    body = json.dumps({"account_id": account.id, "body": "Sans type."})
    untyped = client.request("POST", "/posts", data=body)
    assert untyped.request.headers.get("Content-Type") is None  # the test client sent none, as requests' data= does
    assert assert_error(untyped, 400)["message"] == NOT_JSON
    texted = client.request("POST", "/posts", data=body, content_type="text/plain")
    assert assert_error(texted, 400)["message"] == NOT_JSON
    # The PUT of the media blueprint checks its body too.
    post = client.post("/posts", {"account_id": account.id, "body": "Un texte."}).get_json()
    refused = client.request("PUT", f"/posts/{post['id']}/media", data=json.dumps({"items": []}),
                             if_match=f'"post-{post["id"]}-v1"')
    assert assert_error(refused, 400)["message"] == NOT_JSON
    # A request with no body at all still reaches its schema: the fields it lacks are named.
    empty = client.request("POST", "/posts")
    assert_error(empty, 422, "account_id", "body")
    assert client.post("/posts", {"account_id": account.id, "body": "Avec type."}).status_code == 201


# Findings 3 and 4: the bad-token lock spares valid tokens; rate-limit headers only on its refusals ----------------


@pytest.fixture()
def throttled(app, monkeypatch):  # noqa: ANN001, ANN201
    """The app with its throttles on (the suite runs them off), counters empty before and after."""
    limiter = app.extensions["approval.limiter"]
    monkeypatch.setitem(app.config, "THROTTLING", True)
    limiter.reset()
    yield limiter
    limiter.reset()


def test_a_valid_token_is_never_locked_out_by_bad_tokens_from_its_address(app, api, make, cm, throttled):
    good = api(cm)
    answer = good.get("/me")
    assert answer.status_code == 200
    assert not [name for name in RATE_HEADERS if name in answer.headers], dict(answer.headers)
    client = app.test_client()

    def upload(headers: dict):  # noqa: ANN202
        return client.post("/api/v1/posts/999999/media", data={"file": (io.BytesIO(b"GIF89a"), "a.gif")},
                           content_type="multipart/form-data", headers=headers)

    for n in range(60):
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer apv1_guess{n}"}).status_code == 401
        assert upload({"Authorization": f"Bearer apv1_upload{n}"}).status_code == 401
    locked = client.get("/api/v1/me", headers={"Authorization": "Bearer apv1_guess60"})
    assert assert_error(locked, 429)["message"] == ("Too many requests with an unknown or revoked token: wait 15 "
                                                   "minutes and retry.")
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    # The same address's valid token still works, and its answers carry no counter.
    answer = good.get("/me")
    assert answer.status_code == 200, answer.get_json()
    assert not [name for name in RATE_HEADERS if name in answer.headers], dict(answer.headers)
    assert upload({"Authorization": f"Bearer {good.token}"}).status_code == 404  # refused for what it is
    # An unknown or revoked token is still locked out, upload or not.
    assert upload({"Authorization": "Bearer apv1_upload60"}).status_code == 429


# Finding 5: PUT /posts/{id}/media lists every file of the post, or changes nothing --------------------------------


def _upload(client, post_id: int, data: bytes, name: str, alt: str) -> dict:  # noqa: ANN001
    etag = client.get(f"/posts/{post_id}").headers["ETag"]
    answer = client.request("POST", f"/posts/{post_id}/media", data={"file": (io.BytesIO(data), name), "alt": alt},
                            content_type="multipart/form-data", if_match=etag)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _counts(session) -> tuple[int, ...]:  # noqa: ANN001
    return row_counts(session, Revision, AuditEntry)


def test_a_media_list_that_leaves_files_out_is_refused_and_changes_nothing(make, api, db_session, france, cm):
    client = api(cm)
    post = client.post("/posts", {"account_id": make.account(france, "x").id, "body": "Deux photos."}).get_json()
    _upload(client, post["id"], jpeg(color="red"), "rouge.jpg", "Rouge.")
    red, green = _upload(client, post["id"], jpeg(color="green"), "vert.jpg", "Vert.")["media"]
    before = _counts(db_session)
    etag = client.get(f"/posts/{post['id']}").headers["ETag"]
    refused = client.request("PUT", f"/posts/{post['id']}/media", json={"items": [{"id": green["id"], "alt": "V."}]},
                             if_match=etag)
    body = assert_error(refused, 422, "items")
    [reason] = body["errors"]["items"]
    assert str(red["id"]) in reason and f"DELETE /posts/{post['id']}/media/" in reason, reason
    assert str(green["id"]) not in reason.replace(f"/posts/{post['id']}/", ""), reason
    assert _counts(db_session) == before
    shown = client.get(f"/posts/{post['id']}")
    assert shown.headers["ETag"] == etag and [m["alt"] for m in shown.get_json()["media"]] == ["Rouge.", "Vert."]
    # Every file listed: reordered and described.
    taken = client.request("PUT", f"/posts/{post['id']}/media",
                           json={"items": [{"id": green["id"], "alt": "V."}, {"id": red["id"]}]}, if_match=etag)
    assert taken.status_code == 200, taken.get_json()
    assert [(m["id"], m["alt"]) for m in taken.get_json()["media"]] == [(green["id"], "V."), (red["id"], "Rouge.")]
    # Removing is DELETE's: it still works.
    removed = client.request("DELETE", f"/posts/{post['id']}/media/{red['id']}", if_match=taken.headers["ETag"])
    assert removed.status_code == 200 and [m["id"] for m in removed.get_json()["media"]] == [green["id"]]


def test_a_media_list_is_checked_after_whether_the_post_may_change(make, api, db_session, france, cm, pm):
    client = api(cm)
    post = client.post("/posts", {"account_id": make.account(france, "x").id, "body": "Une photo."}).get_json()
    _upload(client, post["id"], jpeg(), "a.jpg", "Un.")
    stale = client.request("PUT", f"/posts/{post['id']}/media", json={"items": []}, if_match=f'"post-{post["id"]}-v1"')
    assert_error(stale, 412)
    db_session.expire_all()
    rejected = db_session.get(Post, post["id"])
    make.act(rejected, Action.submit, cm)
    make.act(rejected, Action.reject, pm, comment="Hors sujet.")
    db_session.flush()
    etag = client.get(f"/posts/{post['id']}").headers["ETag"]
    assert_error(client.request("PUT", f"/posts/{post['id']}/media", json={"items": []}, if_match=etag), 409)


# Finding 12: the revision diff tells what changed in the media ------------------------------------------------------


def test_the_revision_diff_tells_the_media_added_moved_described_and_removed(make, api, france, cm):
    client = api(cm)
    post = client.post("/posts", {"account_id": make.account(france, "x").id,
                                  "body": "Une photo du Social Hub."}).get_json()  # revision 1
    _upload(client, post["id"], jpeg(color="red"), "rouge.jpg", "Rouge.")  # 2
    red, green = _upload(client, post["id"], jpeg(color="green"), "vert.jpg", "Vert.")["media"]  # 3
    etag = client.get(f"/posts/{post['id']}").headers["ETag"]
    moved = client.request("PUT", f"/posts/{post['id']}/media",
                           json={"items": [{"id": green["id"]}, {"id": red["id"], "alt": "Rouge vif."}]},
                           if_match=etag)  # 4
    assert moved.status_code == 200
    assert client.request("DELETE", f"/posts/{post['id']}/media/{green['id']}",
                          if_match=moved.headers["ETag"]).status_code == 200  # 5

    def media(number: int, other: int) -> list[dict]:
        diff = client.get(f"/posts/{post['id']}/revisions/{number}/diff/{other}").get_json()
        assert set(diff) == {"from", "to", "ops", "media"}
        assert diff["ops"] == [{"op": "equal", "text": "Une photo du Social Hub."}]
        return diff["media"]

    assert media(1, 1) == []
    added = media(1, 3)
    keys = ("id", "sha256", "change", "position", "old_position", "alt", "old_alt", "alt_changed")
    assert [tuple(m[key] for key in keys) for m in added] == [
        (red["id"], red["sha256"], "added", 1, None, "Rouge.", None, False),
        (green["id"], green["sha256"], "added", 2, None, "Vert.", None, False)]
    reordered = {m["id"]: m for m in media(3, 4)}
    assert (reordered[red["id"]]["change"], reordered[red["id"]]["old_position"], reordered[red["id"]]["position"]) == \
        ("moved", 1, 2)
    assert reordered[red["id"]]["alt_changed"] and reordered[red["id"]]["old_alt"] == "Rouge."
    assert reordered[red["id"]]["alt"] == "Rouge vif."
    assert (reordered[green["id"]]["change"], reordered[green["id"]]["alt_changed"]) == ("kept", False)
    kept, gone = sorted(media(4, 5), key=lambda m: m["change"])
    assert (kept["id"], kept["change"], kept["position"], kept["old_position"]) == (red["id"], "kept", 1, 2)
    assert (gone["id"], gone["change"], gone["position"], gone["old_position"]) == (green["id"], "removed", None, 1)
    # Backwards: what 5 lacks, 1 never had.
    assert [(m["id"], m["change"]) for m in media(5, 1)] == [(red["id"], "removed")]


# A stop switch already on over the same scope is refused, with the field at fault ----------------------------------


def test_a_second_switch_over_the_same_scope_is_refused(make, api, db_session, pm):
    controls.turn_on(db_session, pm, "market", market_code="FR", reason="Grève.")
    db_session.flush()
    refused = api(pm).post("/stops", {"scope": "market", "market": "FR", "reason": "Encore."})
    assert "already on" in assert_error(refused, 422, "market")["errors"]["market"][0]
    assert api(pm).post("/stops", {"scope": "all", "reason": "Crise."}).status_code in (201, 403)
