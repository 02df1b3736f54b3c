"""The API's resources, as CONTRACT.md describes them: shapes, filters, pages, and the workflow's refusals."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from conftest import row_counts
from sqlalchemy import select

from approval import administration as admin
from approval import policies
from approval.db import utcnow
from approval.models import AuditEntry, Campaign, Comment, Post, Revision
from approval.style.cli import lint_command
from approval.workflow.states import Role, State

from .contract import FINDING_KEYS, assert_error, assert_post_shape

BODY = "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante."



def _counts(session) -> tuple[int, ...]:  # noqa: ANN001
    return row_counts(session, Post, Revision, Comment, AuditEntry)


# Who and what ----------------------------------------------------------------------------------------------------


def test_me_accounts_markets_and_campaigns(make, api, db_session, france):
    kenya = make.market("KE", "Africa/Nairobi", ("en", "sw"))
    x = make.account(france, "x")
    make.account(kenya, "facebook")
    ceo = make.executive("Hélène Marchand")
    executive = make.account(france, "linkedin", executive=ceo)
    group_wide = Campaign(name="Euro", market_id=None, hashtag="#EURO2028")
    in_france = Campaign(name="Rentrée", market_id=france.id)
    in_kenya = Campaign(name="Safari", market_id=kenya.id)
    db_session.add_all([group_wide, in_france, in_kenya])
    db_session.flush()
    cm = make.user(Role.community_manager, markets=[france], name="Camille")
    client = api(cm)

    me = client.get("/me")
    assert me.status_code == 200
    assert me.json == {"id": cm.id, "email": cm.email, "name": "Camille", "role": "community_manager",
                       "markets": ["FR"]}
    accounts = client.get("/accounts").json["items"]
    assert {a["id"] for a in accounts} == {x.id, executive.id}
    assert {"id": executive.id, "network": "linkedin", "handle": executive.handle, "market": "FR", "brand": "Helio",
            "kind": "executive"} in accounts
    assert client.get("/markets").json == {"items": [{"code": "FR", "name": "Market FR", "timezone": "Europe/Paris",
                                                      "languages": ["fr"]}]}
    campaigns = client.get("/campaigns").json["items"]
    assert {c["name"] for c in campaigns} == {"Euro", "Rentrée"}
    assert {"id": group_wide.id, "name": "Euro", "market": None, "hashtag": "#EURO2028", "description": ""} in campaigns

    cabinet = api(make.user(Role.cabinet, executives=[ceo]))
    assert [a["id"] for a in cabinet.get("/accounts").json["items"]] == [executive.id]
    assert cabinet.get("/me").json["markets"] == ["FR"]
    assert api(make.user(Role.admin)).get("/me").json["markets"] == ["FR", "KE"]


# Writing -----------------------------------------------------------------------------------------------------------


def test_create_get_and_edit_a_post(make, api, db_session, france, cm):
    account = make.account(france, "x")
    client = api(cm)

    created = client.post("/posts", {"account_id": account.id, "body": BODY})
    assert created.status_code == 201
    post = created.json
    assert_post_shape(post)
    assert post["state"] == "draft" and post["body"] == BODY and post["account_id"] == account.id
    assert post["revision"]["number"] == 1 and post["approved_revision"] is None
    assert created.headers["Location"] == f"/api/v1/posts/{post['id']}"
    assert created.headers["ETag"] == f'"post-{post["id"]}-v{post["version"]}"'

    fetched = client.get(f"/posts/{post['id']}")
    assert fetched.json == post and fetched.headers["ETag"] == created.headers["ETag"]

    edited = client.patch(f"/posts/{post['id']}", {"body": BODY + " #EURO2028"}, if_match=created.headers["ETag"])
    assert edited.status_code == 200
    assert edited.json["revision"]["number"] == 2 and edited.json["version"] > post["version"]
    assert edited.headers["ETag"] != created.headers["ETag"]
    same = client.patch(f"/posts/{post['id']}", {"body": BODY + " #EURO2028"}, if_match=edited.headers["ETag"])
    assert same.status_code == 200 and same.json == edited.json  # the same text changes nothing


def test_create_refusals(make, api, db_session, france, cm):
    account = make.account(france, "x")
    elsewhere = make.account(make.market("KE", "Africa/Nairobi", ("en",)), "x")
    other_market = Campaign(name="Safari", market_id=elsewhere.market_id)
    db_session.add(other_market)
    db_session.flush()
    before = _counts(db_session)
    client = api(cm)

    assert_error(client.post("/posts", {"account_id": elsewhere.id, "body": BODY}), 422, "account_id")
    assert_error(client.post("/posts", {"account_id": 999999, "body": BODY}), 422, "account_id")
    assert_error(client.post("/posts", {"account_id": account.id, "body": BODY, "campaign_id": 999999}), 422,
                 "campaign_id")
    assert_error(client.post("/posts", {"account_id": account.id, "body": BODY, "campaign_id": other_market.id}),
                 422, "campaign_id")
    assert_error(api(make.user(Role.cabinet)).post("/posts", {"account_id": account.id, "body": BODY}), 422,
                 "account_id")
    assert_error(api(make.user(Role.admin)).post("/posts", {"account_id": account.id, "body": BODY}), 403)
    assert _counts(db_session) == before


def test_editing_an_approved_post_sends_it_back_to_review(make, api, db_session, france, cm, pm):
    post = make.post(State.approved, account=make.account(france, "x"), author=cm)
    client = api(cm)
    etag = client.get(f"/posts/{post.id}").headers["ETag"]
    edited = client.patch(f"/posts/{post.id}", {"body": BODY + " Merci."}, if_match=etag)
    assert edited.status_code == 200
    assert edited.json["state"] == "in_review"
    assert edited.json["approved_revision"]["number"] == 1 and edited.json["revision"]["number"] == 2


def test_patch_moves_a_post_to_another_campaign(make, api, db_session, france, cm):
    euro = admin.create_campaign(db_session, "Euro 2028", france, "#EURO2028")
    post = make.post(State.approved, account=make.account(france), author=cm)
    client = api(cm)
    etag = client.get(f"/posts/{post.id}").headers["ETag"]
    moved = client.patch(f"/posts/{post.id}", {"campaign_id": euro.id}, if_match=etag)
    assert moved.status_code == 200, moved.json
    assert moved.json["campaign_id"] == euro.id and moved.json["state"] == "in_review"
    assert moved.json["body"] == post.body and moved.json["revision"]["number"] == 2
    # A new text alone leaves the campaign as it is; null takes the post out of it.
    edited = client.patch(f"/posts/{post.id}", {"body": BODY + " Merci."}, if_match=moved.headers["ETag"])
    assert edited.json["campaign_id"] == euro.id
    out = client.patch(f"/posts/{post.id}", {"campaign_id": None}, if_match=edited.headers["ETag"])
    assert out.status_code == 200 and out.json["campaign_id"] is None


def test_patch_refuses_a_campaign_it_cannot_move_to(make, api, db_session, france, cm):
    post = make.post(State.approved, account=make.account(france), author=cm)
    client = api(cm)
    etag = client.get(f"/posts/{post.id}").headers["ETag"]
    kenya = admin.create_campaign(db_session, "Nairobi marathon", make.market("KE", "Africa/Nairobi", ("en",)), "")
    before = _counts(db_session)
    assert_error(client.patch(f"/posts/{post.id}", {}, if_match=etag), 422, "body")
    missing = assert_error(client.patch(f"/posts/{post.id}", {"campaign_id": 987654}, if_match=etag), 422,
                           "campaign_id")
    elsewhere = assert_error(client.patch(f"/posts/{post.id}", {"campaign_id": kenya.id}, if_match=etag), 422,
                             "campaign_id")
    assert elsewhere == missing  # another market's campaign is told as one that does not exist
    created = client.post("/posts", {"account_id": post.account_id, "body": BODY, "campaign_id": kenya.id})
    assert assert_error(created, 422, "campaign_id") == missing
    assert_error(client.patch(f"/posts/{post.id}", {"campaign_id": "1"}, if_match=etag), 422, "campaign_id")
    assert _counts(db_session) == before


# The workflow ------------------------------------------------------------------------------------------------------


def test_transitions_and_the_audit_trail(make, api, db_session, france, cm, pm):
    post = api(cm).post("/posts", {"account_id": make.account(france, "x").id, "body": BODY}).json
    submitted = api(cm).act(post, "submit")
    assert submitted.status_code == 200 and submitted.json["state"] == "in_review"
    assert_post_shape(submitted.json)
    changes = api(pm).act(post, "request_changes", comment="Ajoutez le hashtag, merci.")
    assert changes.json["state"] == "changes_requested"

    trail = api(cm).get(f"/posts/{post['id']}/transitions")
    assert trail.status_code == 200
    rows = trail.json["items"]
    assert [(r["action"], r["from_state"], r["to_state"]) for r in rows] == [
        ("create", "draft", "draft"), ("submit", "draft", "in_review"),
        ("request_changes", "in_review", "changes_requested")]
    assert set(rows[0]) == {"action", "from_state", "to_state", "actor_id", "at", "comment", "revision"}
    assert rows[2]["actor_id"] == pm.id and rows[2]["comment"] == "Ajoutez le hashtag, merci."
    assert rows[2]["revision"] == post["revision"]
    comments = api(cm).get(f"/posts/{post['id']}/comments").json["items"]
    assert [c["body"] for c in comments] == ["Ajoutez le hashtag, merci."]  # an action's comment joins the talk


def test_workflow_refusals_have_their_status_and_reasons(make, api, db_session, france, cm, pm):
    account = make.account(france, "x")
    draft = make.post(State.draft, account=account, author=cm, body="la Tour Eiffel brille")
    in_review = make.post(State.in_review, account=account, author=cm)
    before = _counts(db_session)

    refused = assert_error(api(cm).act(draft, "submit"), 422, "body")  # the style gate's errors, under body
    assert any("capital" in reason for reason in refused["errors"]["body"])
    assert_error(api(cm).act(in_review, "approve"), 403)  # the role
    assert_error(api(pm).act(draft, "approve"), 409, "_workflow")  # the state
    assert_error(api(pm).act(in_review, "reject"), 422, "comment")  # comment required
    assert_error(api(pm).act(in_review, "create"), 422, "action")  # not a transition
    assert_error(api(pm).act(in_review, "edit"), 422, "action")
    assert_error(api(pm).act(in_review, "frobnicate"), 422, "action")
    assert _counts(db_session) == before


def test_approving_sensitive_terms_takes_the_acknowledgement_and_a_reason(make, api, db_session, france, cm, pm):
    admin = make.user(Role.admin)
    policies.save_policy(db_session, france, admin, sensitive=[{"phrase": "grève", "reason": "Social climate."}])
    post = make.post(State.in_review, account=make.account(france, "x"), author=cm,
                     body="Malgré la grève, le Social Hub reste ouvert ce samedi.")
    before = _counts(db_session)

    refused = assert_error(api(pm).act(post, "approve"), 422, "acknowledge_warnings", "comment")
    assert "“grève”" in refused["errors"]["acknowledge_warnings"][0]
    assert_error(api(pm).act(post, "approve", acknowledge_warnings=True), 422, "comment")
    assert_error(api(pm).act(post, "submit", acknowledge_warnings=True), 422, "acknowledge_warnings")  # approve only
    assert _counts(db_session) == before

    approved = api(pm).act(post, "approve", acknowledge_warnings=True, comment="Vu avec la presse.")
    assert approved.status_code == 200 and approved.json["state"] == "approved"
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id)
                               .order_by(AuditEntry.id.desc())).first()
    assert [o["term"] for o in entry.payload["overrides"]] == ["grève"]
    assert entry.payload["overrides"][0]["reason"] == "Vu avec la presse."


def _next(month: int, day: int) -> date:
    """The next ``month``/``day`` to come, within a year (schedules reach a year ahead at most)."""
    today = utcnow().date()
    this_year = date(today.year, month, day)
    return this_year if this_year > today + timedelta(days=1) else date(today.year + 1, month, day)


def _last_sunday_of_march() -> date:
    """The next spring change in Europe (clocks skip 02:00-03:00)."""
    start = _next(3, 31)
    return start - timedelta(days=(start.weekday() + 1) % 7)


def test_schedule_takes_an_instant_or_a_local_time(make, api, db_session, france, pm):
    account = make.account(france, "x")
    first, second = make.post(State.approved, account=account), make.post(State.approved, account=account)
    client = api(pm)
    june = _next(6, 1).isoformat()

    local = client.act(first, "schedule", local_time=f"{june}T09:00")
    assert local.status_code == 200
    assert local.json["state"] == "scheduled" and local.json["scheduled_at"] == f"{june}T07:00:00Z"
    instant = client.act(second, "schedule", scheduled_at=f"{june}T09:00:00-04:00")
    assert instant.json["scheduled_at"] == f"{june}T13:00:00Z"

    third = make.post(State.approved, account=account)
    gap = _last_sunday_of_march().isoformat()
    assert_error(client.act(third, "schedule", local_time=f"{gap}T02:30"), 422, "local_time")  # DST gap
    assert_error(client.act(third, "schedule", local_time="2000-01-01T10:00"), 422, "local_time")  # past
    assert_error(client.act(third, "schedule"), 422, "scheduled_at")
    assert_error(client.act(third, "schedule", scheduled_at=f"{june}T09:00:00"), 422, "scheduled_at")  # no offset
    assert_error(client.act(third, "schedule", local_time=f"{june} 09:00"), 422, "local_time")
    assert_error(client.act(third, "schedule", local_time=f"{june}T09:00",
                            scheduled_at=f"{june}T09:00:00Z"), 422, "local_time")
    assert_error(client.act(third, "approve", local_time=f"{june}T09:00"), 422, "local_time")
    assert_error(client.act(third, "schedule", local_time="2099-06-01T09:00"), 422, "local_time")  # > a year
    published = client.act(third, "mark_published", url="https://x.com/helio/status/1")
    assert published.json["state"] == "published"
    assert published.json["published_url"] == "https://x.com/helio/status/1"


# Reading -----------------------------------------------------------------------------------------------------------


def test_list_filters_and_cursor_pages(make, api, db_session, france):
    kenya = make.market("KE", "Africa/Nairobi", ("en",))
    x, fb, ke = make.account(france, "x"), make.account(france, "facebook"), make.account(kenya, "x")
    campaign = Campaign(name="Euro", market_id=None)
    db_session.add(campaign)
    db_session.flush()
    drafts = [make.post(State.draft, account=x) for _ in range(5)]
    reviewed = make.post(State.in_review, account=fb)
    kenyan = make.post(State.draft, account=ke)
    drafts[0].campaign_id = campaign.id
    db_session.flush()
    client = api(make.user(Role.project_manager, all_markets=True))

    def ids(query: str) -> list[int]:
        response = client.get(f"/posts{query}")
        assert response.status_code == 200, response.json
        for post in response.json["items"]:
            assert_post_shape(post)
        return [post["id"] for post in response.json["items"]]

    everything = [p.id for p in (kenyan, reviewed, *reversed(drafts))]
    assert ids("") == everything  # newest first
    assert ids("?state=in_review") == [reviewed.id]
    assert ids("?market=KE") == [kenyan.id]
    assert ids(f"?account_id={fb.id}") == [reviewed.id]
    assert ids(f"?campaign_id={campaign.id}") == [drafts[0].id]
    assert ids("?market=FR&state=draft") == [p.id for p in reversed(drafts)]

    seen, cursor = [], None
    while True:
        page = client.get("/posts?limit=3" + (f"&cursor={cursor}" if cursor else "")).json
        seen += [post["id"] for post in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == everything
    assert ids_seen_by(api(make.user(Role.community_manager, markets=[kenya]))) == [kenyan.id]

    for bad in ("?state=nope", "?market=france", "?account_id=abc", "?cursor=%%%", "?limit=0", "?limit=101",
                "?colour=blue", "?account_id=99999999999999999999"):
        assert_error(client.get(f"/posts{bad}"), 422)

    # A state and a market may repeat (any of them, as the wall's ``market``): ``?state=draft&state=in_review`` read
    # only its first value, and a client asking for both got the drafts alone without a word.
    assert ids("?state=draft&state=in_review") == [p.id for p in (kenyan, reviewed, *reversed(drafts))]
    assert ids("?market=KE&market=FR&state=in_review") == [reviewed.id]
    assert ids("?market=KE&market=FR") == everything
    assert_error(client.get("/posts?state=draft&state=nope"), 422)
    # The others are single: given twice, a 422 that says so, not the first value silently.
    for repeated in (f"?account_id={fb.id}&account_id={x.id}", "?limit=3&limit=50", f"?campaign_id={campaign.id}&"
                     f"campaign_id={campaign.id}"):
        refused = client.get(f"/posts{repeated}")
        assert_error(refused, 422)
        name = repeated[1:repeated.index("=")]
        assert refused.json["errors"][name] == ["Give this parameter once."]
    refused = client.get("/posts?" + "&".join(["state=draft"] * 20))
    assert_error(refused, 422)
    assert refused.json["errors"]["state"] == [f"Give between 1 and {len(State)} values."]


def ids_seen_by(client) -> list[int]:
    return [post["id"] for post in client.get("/posts").json["items"]]


def test_revisions_and_their_diff(make, api, db_session, france, cm):
    client = api(cm)
    post = client.post("/posts", {"account_id": make.account(france, "x").id,
                                  "body": "Le Social Hub ouvre samedi."}).json
    client.patch(f"/posts/{post['id']}", {"body": "Le Social Hub ouvre ses portes samedi à 10 h."},
                 if_match=f'"post-{post["id"]}-v{post["version"]}"')

    revisions = client.get(f"/posts/{post['id']}/revisions").json["items"]
    assert [r["number"] for r in revisions] == [1, 2]
    assert set(revisions[0]) == {"number", "sha256", "body", "author_id", "created_at", "findings", "media"}
    assert client.get(f"/posts/{post['id']}/revisions/2").json == revisions[1]
    assert_error(client.get(f"/posts/{post['id']}/revisions/3"), 404)

    diff = client.get(f"/posts/{post['id']}/revisions/1/diff/2").json
    assert diff["from"] == {"number": 1, "sha256": revisions[0]["sha256"]}
    assert diff["to"] == {"number": 2, "sha256": revisions[1]["sha256"]}
    assert "".join(op["text"] for op in diff["ops"] if op["op"] != "delete") == revisions[1]["body"]
    assert "".join(op["text"] for op in diff["ops"] if op["op"] != "insert") == revisions[0]["body"]
    assert {"op": "insert", "text": "ses portes "} in diff["ops"]


def test_comments(make, api, db_session, france, cm, pm):
    post = make.post(State.in_review, account=make.account(france, "x"), author=cm)
    created = api(pm).post(f"/posts/{post.id}/comments", {"body": "Belle photo."})
    assert created.status_code == 201
    assert set(created.json) == {"id", "author_id", "body", "created_at", "revision"}
    assert created.json["author_id"] == pm.id and created.json["revision"]["number"] == 1
    assert [c["body"] for c in api(cm).get(f"/posts/{post.id}/comments").json["items"]] == ["Belle photo."]
    assert_error(api(pm).post(f"/posts/{post.id}/comments", {"body": ""}), 422, "body")
    assert_error(api(pm).post(f"/posts/{post.id}/comments", {"body": "   "}), 422, "body")


def test_lint_answers_as_the_command_line(make, api, france, cm):
    client = api(cm)
    response = client.post("/lint", {"text": "la Tour Eiffel brille", "network": "x", "market": "FR"})
    assert response.status_code == 200
    findings = response.json["findings"]
    assert {f["rule"] for f in findings} >= {"house.capital-start", "house.full-stop-end"}
    assert all(FINDING_KEYS <= set(f) <= FINDING_KEYS | {"suggestion"} for f in findings)
    assert client.post("/lint", {"text": "Bonjour."}).json == {"findings": []}
    assert_error(client.post("/lint", {"text": "Bonjour.", "market": "KE"}), 422, "market")  # not one of hers
    assert_error(client.post("/lint", {"text": "Bonjour.", "network": "myspace"}), 422, "network")


def test_hub_summary_counts_what_the_user_sees(make, api, db_session, france):
    kenya = make.market("KE", "Africa/Nairobi", ("en",))
    waiting = make.post(State.in_review, account=make.account(france, "x"))
    coming = make.post(State.scheduled, account=make.account(france, "facebook"))
    make.post(State.draft, account=make.account(kenya, "x"))

    summary = api(make.user(Role.project_manager, markets=[france])).get("/hub/summary")
    assert summary.status_code == 200
    [fr] = summary.json["markets"]
    assert set(fr) == {"code", "counts", "oldest_in_review_at", "next_scheduled_at"}
    assert fr["code"] == "FR" and fr["counts"]["in_review"] == 1 and fr["counts"]["scheduled"] == 1
    assert fr["counts"]["draft"] == 0 and set(fr["counts"]) == {s.value for s in State}
    db_session.refresh(waiting)
    assert fr["oldest_in_review_at"] == waiting.submitted_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert fr["next_scheduled_at"] == coming.scheduled_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    coming.held_at = coming.scheduled_at  # a stop switch holds it: it is not "next"
    db_session.flush()
    assert api(make.user(Role.admin)).get("/hub/summary?market=FR").json["markets"][0]["next_scheduled_at"] is None

    everything = api(make.user(Role.admin)).get("/hub/summary").json["markets"]
    assert [m["code"] for m in everything] == ["FR", "KE"]
    assert api(make.user(Role.admin)).get("/hub/summary?market=KE").json["markets"][0]["counts"]["draft"] == 1

    # A cabinet's summary keeps to what was sent to it: a suggestion its project managers still review gave away
    # its date while the counts said nothing was in review.
    ceo = make.executive("CEO")
    cabinet = make.user(Role.cabinet, executives=[ceo])
    make.post(State.in_review, account=make.account(france, "linkedin", executive=ceo))
    [fr] = api(cabinet).get("/hub/summary").json["markets"]
    assert fr["counts"]["in_review"] == 0 and fr["oldest_in_review_at"] is None, fr


@pytest.mark.parametrize("text", ["la Tour Eiffel brille  ce soir !! #euro2028", "Bonjour.\r\nsalut à tous."])
def test_lint_gives_what_the_command_line_prints(make, api, france, cm, text):
    """The same findings at the same offsets: into the text as given, line breaks of a Windows file included."""
    printed = CliRunner().invoke(lint_command, ["--network", "x", "--format", "json", "-"], input=text.encode())
    answered = api(cm).post("/lint", {"text": text, "network": "x"})
    assert answered.status_code == 200
    assert answered.json == json.loads(printed.output)
    assert answered.json["findings"], "the text breaks a rule"


def test_lint_with_a_market_applies_its_editorial_policy(make, api, db_session, france, cm):
    competitor = {"phrase": "Concurrent Télécom", "reason": "We never name competitors.", "instead": "other operators"}
    policies.save_policy(db_session, france, make.user(Role.admin), forbidden=[competitor])
    client = api(cm)
    text = "Nos tarifs battent ceux de Concurrent Télécom ce mois-ci."
    with_policy = {f["rule"] for f in client.post("/lint", {"text": text, "market": "FR"}).json["findings"]}
    without = {f["rule"] for f in client.post("/lint", {"text": text}).json["findings"]}
    assert "policy.forbidden" in with_policy and "policy.forbidden" not in without


def test_a_post_duplicated_through_the_api_brings_its_media_and_names_its_original(app, make, api, db_session,
                                                                                   france):
    from approval.media import samples

    from test_media_samples import jpeg

    kenya = make.market("KE", "Africa/Nairobi", ("en",))
    cm = make.user(Role.community_manager, markets=[france])
    x, facebook = make.account(france, "x"), make.account(france, "facebook")
    original = make.post(account=x, author=cm, body=BODY)
    with app.app_context():
        samples.attach_bytes(db_session, original, cm, jpeg(color="red"), "rouge.jpg", "La tribune rouge")
    theirs = make.post(account=make.account(kenya, "x"))
    db_session.flush()
    client = api(cm)
    made = client.post("/posts", json={"account_id": facebook.id, "body": "Sur Facebook aussi.",
                                       "copy_of": original.id})
    assert made.status_code == 201, made.json
    assert [(m["sha256"], m["alt"]) for m in made.json["media"]] == [
        (m.file.sha256, "La tribune rouge") for m in original.current_revision.media]
    assert [row["action"] for row in client.get(f"/posts/{made.json['id']}/transitions").json["items"]] == ["create"]
    create = db_session.scalar(select(AuditEntry).where(AuditEntry.post_id == made.json["id"]))
    assert create.payload == {"copy_of": original.id}
    before = _counts(db_session)
    for refused in (theirs.id, 10**9):  # another market's post is no such post, as one that does not exist
        answer = client.post("/posts", json={"account_id": facebook.id, "body": BODY, "copy_of": refused})
        assert answer.status_code == 422 and answer.json["errors"]["copy_of"] == ["No such post among yours."]
    assert _counts(db_session) == before
