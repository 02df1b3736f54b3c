"""The journey of tests/test_browser.py, done again by programs over the API: a community manager writes and submits;
the project manager requests changes; the fix is resubmitted, approved and scheduled in the market's local time; a
suggested message is approved by the project manager and accepted by the executive's cabinet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from approval.db import utcnow
from approval.workflow.states import Role

from .contract import assert_error, assert_post_shape


def test_journey_over_the_api(make, api, db_session):
    france = make.market("FR", "Europe/Paris", ("fr",))
    ceo = make.executive("Hélène Marchand")
    brand = make.account(france, "x")
    executive = make.account(france, "linkedin", executive=ceo)
    camille = api(make.user(Role.community_manager, markets=[france], name="Camille Dubois"))
    lucile = api(make.user(Role.project_manager, all_markets=True, name="Lucile Tardieu"))
    sophie = api(make.user(Role.cabinet, executives=[ceo], name="Sophie Bernard"))

    # The community manager writes; the style gate refuses the submit, the draft stays.
    accounts = {a["handle"]: a for a in camille.get("/accounts").json["items"]}
    assert accounts[brand.handle]["kind"] == "brand" and accounts[executive.handle]["kind"] == "executive"
    linted = camille.post("/lint", {"text": "la Tour Eiffel brille ce soir", "network": "x", "market": "FR"}).json
    assert {f["rule"] for f in linted["findings"]} >= {"house.capital-start", "house.full-stop-end"}
    created = camille.post("/posts", {"account_id": brand.id,
                                      "body": "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante"})
    assert created.status_code == 201
    post = created.json
    assert_post_shape(post)
    assert post["state"] == "draft" and [f["rule"] for f in post["findings"]] == ["house.full-stop-end"]
    refused = assert_error(camille.act(post, "submit", etag=created.headers["ETag"]), 422, "body")
    assert "full stop" in " ".join(refused["errors"]["body"])
    # ... and the findings a program points at, as the post's own (CONTRACT.md: the 422 of a refused transition).
    assert [f["rule"] for f in refused["findings"]] == ["house.full-stop-end"]
    assert set(refused["findings"][0]) >= {"rule", "severity", "message", "start", "end"}
    assert refused["findings"][0]["message"] == post["findings"][0]["message"]
    assert camille.get(f"/posts/{post['id']}").json["state"] == "draft"
    fixed = camille.patch(f"/posts/{post['id']}",
                          {"body": "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante."},
                          if_match=created.headers["ETag"])
    assert fixed.json["findings"] == [] and fixed.json["revision"]["number"] == 2
    submitted = camille.act(post, "submit", etag=fixed.headers["ETag"])
    assert submitted.json["state"] == "in_review"

    # The project manager finds it waiting and requests changes, with the comment it requires.
    waiting = lucile.get("/posts?state=in_review").json["items"]
    assert post["id"] in [p["id"] for p in waiting]
    assert_error(lucile.act(post, "request_changes"), 422, "comment")
    changes = lucile.act(post, "request_changes", comment="Ajoutez le hashtag de la campagne, merci.")
    assert changes.json["state"] == "changes_requested"

    # The community manager reads the comment, fixes and resubmits.
    comments = camille.get(f"/posts/{post['id']}/comments").json["items"]
    assert comments[-1]["body"] == "Ajoutez le hashtag de la campagne, merci."
    etag = camille.get(f"/posts/{post['id']}").headers["ETag"]
    edited = camille.patch(f"/posts/{post['id']}", {
        "body": "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante. #EURO2028"}, if_match=etag)
    assert edited.json["state"] == "changes_requested"
    assert camille.act(post, "submit", etag=edited.headers["ETag"]).json["state"] == "in_review"

    # The project manager sees what changed, approves and schedules at 09:00 Paris time.
    diff = lucile.get(f"/posts/{post['id']}/revisions/2/diff/3").json
    assert [op for op in diff["ops"] if op["op"] != "equal"] == [{"op": "insert", "text": " #EURO2028"}]
    approved = lucile.act(post, "approve")
    assert approved.json["state"] == "approved"
    assert approved.json["approved_revision"] == approved.json["revision"] == {"number": 3, "sha256":
                                                                              edited.json["revision"]["sha256"]}
    day = (utcnow() + timedelta(days=3)).date()
    scheduled = lucile.act(post, "schedule", local_time=f"{day.isoformat()}T09:00")
    assert scheduled.status_code == 200 and scheduled.json["state"] == "scheduled"
    paris_nine = datetime(day.year, day.month, day.day, 9, tzinfo=ZoneInfo("Europe/Paris"))
    assert scheduled.json["scheduled_at"] == paris_nine.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert_post_shape(scheduled.json)

    trail = camille.get(f"/posts/{post['id']}/transitions").json["items"]
    assert [row["action"] for row in trail] == ["create", "edit", "submit", "request_changes", "edit", "submit",
                                                "approve", "schedule"]
    assert [row["revision"]["number"] for row in trail] == [1, 2, 2, 2, 3, 3, 3, 3]

    # A suggested message for the CEO goes through the project manager, then the cabinet accepts it.
    suggested = camille.post("/posts", {"account_id": executive.id,
                                        "body": "Fière d'inaugurer le vélodrome avec les équipes de Marseille."})
    camille.act(suggested.json, "submit", etag=suggested.headers["ETag"])
    assert sophie.get(f"/posts/{suggested.json['id']}").status_code == 404  # in review: not the cabinet's yet
    assert lucile.act(suggested.json, "approve").json["state"] == "with_cabinet"
    assert sophie.get(f"/posts/{suggested.json['id']}").status_code == 200  # sent to it: the cabinet sees it
    inbox = sophie.get("/posts?state=with_cabinet").json["items"]
    assert [p["id"] for p in inbox] == [suggested.json["id"]]
    assert_error(lucile.act(suggested.json, "accept"), 403)  # the cabinet's word, not the project manager's
    accepted = sophie.act(suggested.json, "accept", comment="Mme Marchand valide.")
    assert accepted.status_code == 200 and accepted.json["state"] == "approved"
    assert_post_shape(accepted.json)
    assert sophie.get("/posts").json["items"][0]["id"] == suggested.json["id"]
    assert post["id"] not in [p["id"] for p in sophie.get("/posts").json["items"]]  # a brand post: not hers
