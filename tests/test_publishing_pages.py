"""The publishing desk, the stop switches page and the post page's publishing parts, through the web forms; and
the API's stop switches and a post's ``publication`` and ``hold``."""

from __future__ import annotations

import re
from datetime import timedelta
from uuid import uuid4

from sqlalchemy import select

from approval.db import utcnow
from approval.labels import said_wall
from approval.models import StopSwitch
from approval.views.publishing import RESCHEDULED_AT_ONCE
from approval.workflow.states import Role, State
from tests.said_helpers import in_english, said_in_english


def test_a_project_manager_stops_a_market_and_its_scheduled_post_shows_held(make, web, db_session):
    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    post = make.post(State.scheduled, account=make.account(france))
    web.login(pm)

    from approval import administration as admin

    everywhere = admin.create_campaign(db_session, "Annual report", None, "#HelioReport")
    ours = admin.create_campaign(db_session, "Euro 2028", france, "#EURO2028")
    page = web.get("/publishing/stops")
    assert page.status_code == 200
    # Only a group-wide manager stops a group-wide campaign: a market's is not offered one it would be refused.
    listed = page.get_data(as_text=True)
    assert f'value="{ours.id}"' in listed and f'value="{everywhere.id}"' not in listed
    refused = web.post("/publishing/stops", {"scope": "market", "market": "FR", "reason": ""})
    assert refused.status_code == 422
    refused = web.post("/publishing/stops", {"scope": "market", "market": "", "reason": "Match perdu."})
    assert refused.status_code == 422 and refused.get_data(as_text=True).count("Choose the market to stop.") == 1
    answer = web.post("/publishing/stops", {"scope": "market", "market": "FR", "reason": "Match perdu."})
    assert answer.status_code == 302
    stop = db_session.scalar(select(StopSwitch).where(StopSwitch.reason == "Match perdu."))
    assert stop.active and stop.turned_on_by_id == pm.id

    shown = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Held:" in shown and "Match perdu." in shown
    desk = web.get("/publishing").get_data(as_text=True)
    assert f"#{post.id}" in desk
    assert ('<td class="hold-reason"><strong class="hold-case">Stop switch, not due yet</strong>: '
            f'Market FR is stopped: Match perdu.<br><small class="still-held">Held by switch #{stop.id}: turn it '
            f'off first (<a href="/publishing/stops#stop-{stop.id}">Stop switches</a>).</small></td>'
            ) in desk  # why, on the desk itself, which of the held cases, and what to do before publishing it now

    assert web.post(f"/publishing/stops/{stop.id}/off", {}).status_code == 302
    db_session.expire_all()
    assert not db_session.get(StopSwitch, stop.id).active
    assert "Held:" not in web.get(f"/posts/{post.id}").get_data(as_text=True)


def test_the_stop_switches_are_told_in_one_zone_the_viewers(make, web, db_session):
    """The list compares switches with each other: each in the viewer's own zone (their first market's here). A
    market's switch in its market's time alone put a Paris time above a Kolkata one that read as the later switch;
    UTC beside them was worse. A market's switch says its market's time too, the viewer's beside it (as every
    market's time does), and a switch over everything the viewer's."""
    from approval.publishing import controls

    kenya = make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    india = make.market("IN", timezone="Asia/Kolkata", languages=("en",))
    controls.turn_on(db_session, None, "all", reason="Crise.")
    controls.turn_on(db_session, None, "market", market_code="KE", reason="Kenya only.")
    db_session.flush()
    web.login(make.user(Role.project_manager, markets=[india, kenya]))
    page = web.get("/publishing/stops").get_data(as_text=True)
    assert page.count("(Asia/Kolkata, UTC+05:30)") == 1 and page.count("your time (Asia/Kolkata)") == 1
    assert "(Africa/Nairobi, UTC+03:00)" in page and "(UTC, UTC+00:00)" not in page


def test_a_post_held_by_a_switch_now_off_tells_the_switchs_story_in_one_sentence(make, web, db_session):
    """Held by a switch turned off since: who turned it on, when, when it went off, and what the post waits for;
    no "turned on by" stitched after a sentence that says the switch is off."""
    from publishing_helpers import held_by_a_switch_now_off

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france], name="Lucile Tardieu")
    post = make.post(State.scheduled, account=make.account(france))
    held_by_a_switch_now_off(db_session, post, pm)
    web.login(pm)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "A stop switch held it (Market FR is stopped: Match perdu), turned on by Lucile Tardieu on " in page
    assert "It waits for a project manager to release it or give it a new time." in page
    assert "— turned on by" not in page


def test_a_community_manager_has_no_publishing_desk(make, web):
    web.login(make.user(Role.community_manager))
    assert web.get("/publishing").status_code == 403
    assert web.get("/publishing/stops").status_code == 403


def test_a_stop_switch_of_another_market_cannot_be_turned_off_from_outside(make, web, db_session):
    from approval.publishing import controls

    kenya = make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    stop = controls.turn_on(db_session, None, "market", market_code="KE", reason="Kenya only.")
    db_session.flush()
    web.login(make.user(Role.project_manager, markets=[make.market("FR")]))
    assert web.post(f"/publishing/stops/{stop.id}/off", {}).status_code == 404
    db_session.expire_all()
    assert db_session.get(StopSwitch, stop.id).active
    assert kenya.code == "KE"


def test_the_post_page_offers_the_fold_when_a_local_time_happens_twice(make, web):
    paris = make.market("FR")
    pm = make.user(Role.project_manager, markets=[paris])
    post = make.post(State.approved, account=make.account(paris))
    web.login(pm)
    # The last Sunday of October next year (within a year: the test picks the coming one).
    from datetime import date

    today = utcnow().date()
    year = today.year if date(today.year, 10, 25) > today + timedelta(days=2) else today.year + 1
    sunday = max(date(year, 10, d) for d in range(25, 32) if date(year, 10, d).weekday() == 6)
    answer = web.post(f"/posts/{post.id}/actions/schedule",
                      {"version": post.version, "local_time": f"{sunday.isoformat()}T02:30"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert 'name="fold"' in page and "+02:00" in page and "+01:00" in page
    # Each choice names its instant (the radios said "the first time", "the second time": the offsets were only in
    # the error above them).
    first, second = (page[page.index(f'value="{fold}"'):].split("</label>")[0] for fold in (0, 1))
    assert "02:30 UTC+02:00" in first and "02:30 UTC+01:00" in second, (first, second)
    answer = web.post(f"/posts/{post.id}/actions/schedule",
                      {"version": post.version, "local_time": f"{sunday.isoformat()}T02:30", "fold": "1"})
    assert answer.status_code == 302


def test_the_api_lists_turns_on_and_off_stop_switches(make, app, db_session):
    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    cm = make.user(Role.community_manager, markets=[france])
    post = make.post(State.scheduled, account=make.account(france))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {_token(db_session, pm)}"}
    created = client.post("/api/v1/stops", json={"scope": "market", "market": "FR", "reason": "Crise."},
                          headers=headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["active"] is True
    assert client.post("/api/v1/stops", json={"scope": "market", "reason": "x"}, headers=headers).status_code == 422
    listed = client.get("/api/v1/stops", headers=headers).get_json()["items"]
    assert [s["reason"] for s in listed] == ["Crise."]
    seen = client.get(f"/api/v1/posts/{post.id}", headers=headers).get_json()
    assert seen["hold"]["reason"].endswith("Crise.") and seen["publication"] is None
    off = client.delete(f"/api/v1/stops/{created.get_json()['id']}", headers=headers)
    assert off.status_code == 200 and off.get_json()["active"] is False
    again_off = client.delete(f"/api/v1/stops/{created.get_json()['id']}", headers=headers)  # as the command line
    assert again_off.status_code == 200 and again_off.get_json()["turned_off_at"] == off.get_json()["turned_off_at"]
    assert client.get(f"/api/v1/posts/{post.id}", headers=headers).get_json()["hold"] is None
    kenya = make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    kenya_pm = make.user(Role.project_manager, markets=[kenya])
    again = client.post("/api/v1/stops", json={"scope": "market", "market": "FR", "reason": "Encore."}, headers=headers)
    outsider = {"Authorization": f"Bearer {_token(db_session, kenya_pm)}"}
    assert client.delete(f"/api/v1/stops/{again.get_json()['id']}", headers=outsider).status_code == 404
    assert client.post("/api/v1/stops", json={"scope": "market", "market": "FR", "reason": "x"},
                       headers=outsider).status_code == 422
    assert [s["reason"] for s in client.get("/api/v1/stops", headers=outsider).get_json()["items"]] == []
    # The switches turned off too, on request (who stopped what, and when), within the user's markets only.
    history = client.get("/api/v1/stops?all=true", headers=headers).get_json()["items"]
    assert [(s["reason"], s["active"]) for s in history] == [("Encore.", True), ("Crise.", False)]
    assert client.get("/api/v1/stops?all=true", headers=outsider).get_json()["items"] == []
    for query in ("all=maybe", "active=1"):  # an unknown or unreadable argument is said, not ignored
        refused = client.get(f"/api/v1/stops?{query}", headers=headers)
        assert refused.status_code in (400, 422) and refused.get_json()["errors"], refused.get_json()
    cm_headers = {"Authorization": f"Bearer {_token(db_session, cm)}"}
    assert client.get("/api/v1/stops", headers=cm_headers).status_code == 403
    assert client.post("/api/v1/stops", json={"scope": "all", "reason": "x"}, headers=cm_headers).status_code == 403


def _token(session, user) -> str:  # noqa: ANN001
    from approval.api.tokens import issue_token

    _token_row, secret = issue_token(session, user, "test")
    session.flush()
    return secret


def _tried(session, post, outcome, step, message: str | None = None, url: str | None = None) -> None:  # noqa: ANN001
    """What the publishing worker records around one call of ``post``'s current revision through a webhook: its
    claim, the attempt and its ``outcome``, then ``step`` (``lose``, ``fail``, ``publish``) with ``message``."""
    from approval.models import PublicationAttempt
    from approval.workflow import engine
    from approval.workflow.states import Action

    now = utcnow()
    post.publish_key, post.claim_token, post.claimed_until = uuid4().hex, "t" * 32, now + timedelta(minutes=2)
    engine.record_step(session, post, Action.claim, now=now, payload={})
    session.add(PublicationAttempt(post_id=post.id, revision_id=post.current_revision_id, account_id=post.account_id,
                                   sha256=post.current_revision.sha256, idempotency_key=post.publish_key,
                                   connector="webhook", outcome=outcome, started_at=now, finished_at=now,
                                   message=message, url=url))
    post.claim_token = post.claimed_until = None
    if url is not None:
        post.published_url, post.published_at = url, now
    engine.record_step(session, post, step, now=now, payload={}, comment=message)
    session.flush()


def test_going_out_next_never_shows_an_overdue_post_as_still_coming(make, web, db_session):
    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    coming = make.post(State.scheduled, account=make.account(france))
    late = make.post(State.scheduled, account=make.account(france))
    late.scheduled_at = utcnow() - timedelta(minutes=3)  # the worker is down
    db_session.flush()
    web.login(pm)
    page = web.get("/review").get_data(as_text=True)
    row = lambda post: page[page.index(f">#{post.id}<"):].split("</tr>")[0]  # noqa: E731
    assert "overdue" in row(late) and "overdue" not in row(coming)


def test_admins_set_connectors_grace_periods_and_embargoes_and_no_one_else(make, web, admin_web, db_session):
    france = make.market("FR")
    account = make.account(france)
    from approval import administration as admin

    campaign = admin.create_campaign(db_session, "Rapport annuel", france, "#Rapport")
    db_session.flush()
    routes = [f"/publishing/settings/markets/{france.id}", f"/publishing/settings/accounts/{account.id}",
              f"/publishing/settings/campaigns/{campaign.id}"]
    assert admin_web.get("/publishing/settings").status_code == 200
    assert admin_web.post(routes[0], {"grace_minutes": "2000"}).status_code == 422
    assert admin_web.post(routes[0], {"grace_minutes": "0"}).status_code == 422  # every post would miss its slot
    assert admin_web.post(routes[0], {"grace_minutes": "5"}).status_code == 302
    refused = admin_web.post(routes[1], {"connector": "webhook", "url": "https://hooks.example/p", "secret": "short"})
    assert refused.status_code == 422
    saved = admin_web.post(routes[1], {"connector": "webhook", "url": "https://hooks.example/p",
                                       "secret": "a-secret-never-shown-again"})
    assert saved.status_code == 302
    assert "a-secret-never-shown-again" not in admin_web.get("/publishing/settings").get_data(as_text=True)
    kept = admin_web.post(routes[1], {"connector": "webhook", "url": "https://hooks.example/q", "secret": ""})
    assert kept.status_code == 302
    assert admin_web.post(routes[2], {"embargo_until": "2027-03-10T08:00"}).status_code == 302
    db_session.expire_all()
    assert db_session.get(type(france), france.id).grace_minutes == 5
    account = db_session.get(type(account), account.id)
    assert (account.connector, account.connector_url, account.connector_secret) == (
        "webhook", "https://hooks.example/q", "a-secret-never-shown-again")
    from datetime import UTC, datetime

    assert db_session.get(type(campaign), campaign.id).embargo_until == datetime(2027, 3, 10, 7, 0, tzinfo=UTC)
    assert admin_web.post(routes[1], {"connector": ""}).status_code == 302
    db_session.expire_all()
    assert db_session.get(type(account), account.id).connector is None

    web.login(make.user(Role.project_manager, markets=[france]))  # the same browser, now a project manager's
    assert web.get("/publishing/settings").status_code == 403
    for route in routes:
        assert web.post(route, {"grace_minutes": "7"}).status_code == 403
    db_session.expire_all()
    assert db_session.get(type(france), france.id).grace_minutes == 5


def test_a_refused_setting_keeps_what_was_typed_and_says_why_once(make, admin_web, db_session):
    """After a refusal the row shows what the admin typed (to correct a typo, not type it all again), outlined, and
    a value that is no number is told once, not also as out of range."""
    import re

    france = make.market("FR")
    account = make.account(france)
    db_session.commit()
    refused = admin_web.post(f"/publishing/settings/markets/{france.id}", {"grace_minutes": "abc"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Not a valid integer value." in page
    assert "between" not in page and "required" not in page
    assert re.search(r'name="grace_minutes"[^>]*value="abc"', page)
    refused = admin_web.post(f"/publishing/settings/accounts/{account.id}",
                             {"connector": "webhook", "url": "https://hooks.example/typed", "secret": "short"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    row = page[page.index(f'id="account-{account.id}"'):]
    row = row[:row.index("</tr>")]
    assert 'class="refused"' in row and 'value="https://hooks.example/typed"' in row
    assert '<option value="webhook" selected>' in row and 'value="short"' not in row  # a secret is never written back
    assert '<p class="error" role="alert">' in row  # why, beside the row: the banner is out of sight on a long page
    # Beside the field it is about: the secret, not the address the admin typed right.
    secret_cell = row[row.index('name="secret"'):]
    assert "16 to 200 characters." in secret_cell[secret_cell.index(">"):]
    address_cell = row[row.index('name="url"'):row.index('name="secret"')]
    assert "aria-invalid" not in address_cell and "The secret has" not in address_cell
    assert 'value="{}"'.format(france.grace_minutes) in admin_web.get("/publishing/settings").get_data(as_text=True)


def test_a_group_wide_campaigns_embargo_is_typed_in_the_admins_own_zone(make, admin_web, admin_user, db_session):
    """A campaign of every market has no market's time: its embargo is read, and shown, in the admin's own zone."""
    from datetime import UTC, datetime

    from approval import administration as admin
    from approval.models.notifications import NotificationProfile

    db_session.add(NotificationProfile(user_id=admin_user.id, timezone="Asia/Kolkata"))
    campaign = admin.create_campaign(db_session, "Rapport annuel", None, "#Rapport")
    db_session.flush()
    assert admin_web.post(f"/publishing/settings/campaigns/{campaign.id}",
                          {"embargo_until": "2027-03-10T08:00"}).status_code == 302
    db_session.expire_all()
    assert db_session.get(type(campaign), campaign.id).embargo_until == datetime(2027, 3, 10, 2, 30, tzinfo=UTC)
    page = admin_web.get("/publishing/settings").get_data(as_text=True)
    row = page[page.index(f'id="campaign-{campaign.id}"'):]
    assert 'value="2027-03-10T08:00"' in row[:row.index("</tr>")] and "Asia/Kolkata" in row[:row.index("</tr>")]


def test_an_embargo_at_a_time_the_clocks_repeat_asks_which(make, admin_web, db_session):
    """Paris's 02:30 on 31 October 2027 comes twice (summer time, then winter time): the page asks which, as a post's
    time does (it took the second, silently), and saves the one chosen."""
    from datetime import UTC, datetime

    from approval import administration as admin

    campaign = admin.create_campaign(db_session, "Rapport", make.market("FR", timezone="Europe/Paris"), "#Rapport")
    db_session.flush()
    asked = admin_web.post(f"/publishing/settings/campaigns/{campaign.id}", {"embargo_until": "2027-10-31T02:30"})
    assert asked.status_code == 422 and "This time happens twice in Europe/Paris" in asked.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(type(campaign), campaign.id).embargo_until is None
    assert admin_web.post(f"/publishing/settings/campaigns/{campaign.id}",
                          {"embargo_until": "2027-10-31T02:30", "embargo_fold": "1"}).status_code == 302
    db_session.expire_all()
    assert db_session.get(type(campaign), campaign.id).embargo_until == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)


def test_an_embargo_out_of_range_is_refused_with_a_reason(make, admin_web, db_session):
    from approval import administration as admin

    campaign = admin.create_campaign(db_session, "Rapport", make.market("FR"), "#Rapport")
    db_session.flush()
    # Out of range; and full-width digits, which strptime reads and no browser sends.
    for value in ("0001-01-01T00:00", "9999-12-31T23:59", "\uff12\uff10\uff12\uff17-01-01T10:00"):
        answer = admin_web.post(f"/publishing/settings/campaigns/{campaign.id}", {"embargo_until": value})
        assert answer.status_code == 422, value
    db_session.expire_all()
    assert db_session.get(type(campaign), campaign.id).embargo_until is None


def test_a_stop_over_everything_has_a_null_market_in_the_api(make, app, db_session):
    admin_user = make.user(Role.admin)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {_token(db_session, admin_user)}"}
    created = client.post("/api/v1/stops", json={"scope": "all", "reason": "Crise."}, headers=headers)
    assert created.status_code == 201
    assert created.get_json()["market"] is None and created.get_json()["scope"] == "all"


def test_a_post_scheduled_on_an_account_connected_to_nothing_is_flagged_before_it_fails(make, web, db_session):
    from approval.publishing import controls

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    account = make.account(france, "linkedin")
    post = make.post(State.scheduled, account=account)
    db_session.commit()
    web.login(pm)
    warning = "is not connected to a publisher: at its time this post will fail"
    assert warning in web.get(f"/posts/{post.id}").get_data(as_text=True)
    desk = web.get("/publishing").get_data(as_text=True)
    section = desk[desk.index('class="card desk-unconnected"'):]
    assert "Will fail: account deactivated or not connected" in section and f"#{post.id}" in section

    controls.connect_account(db_session, account, "outbox")
    db_session.commit()
    assert warning not in web.get(f"/posts/{post.id}").get_data(as_text=True)
    desk = web.get("/publishing").get_data(as_text=True)
    assert f"#{post.id}" not in desk[desk.index('class="card desk-unconnected"'):]

    # A deactivated account's scheduled posts fail at their time as well: the desk and the page say so.
    from approval.administration import deactivate_account

    deactivate_account(db_session, account)
    db_session.commit()
    assert "is deactivated: at its time this post will fail" in web.get(f"/posts/{post.id}").get_data(as_text=True)
    section = web.get("/publishing").get_data(as_text=True)
    section = section[section.index('class="card desk-unconnected"'):].split("</section>")[0]
    assert f"#{post.id}" in section and '<td class="failure-reason">The account is deactivated.</td>' in section


def test_the_stop_switches_page_tells_a_markets_times_in_its_zone(make, web, db_session):
    from approval.publishing import controls

    kenya = make.market("KE", timezone="Africa/Nairobi")
    pm = make.user(Role.project_manager, markets=[kenya])
    stop = controls.turn_on(db_session, pm, "market", market_code="KE", reason="Coupure de courant.")
    db_session.commit()
    web.login(pm)
    page = web.get("/publishing/stops").get_data(as_text=True)
    row = page[page.index(f'id="stop-{stop.id}"'):]
    assert "Coupure de courant." in row and "Africa/Nairobi" in row[:row.index("</tr>")]


def test_a_switch_over_every_market_is_turned_off_only_by_whom_may_turn_it_on(make, web, app, db_session):
    """A market's project manager sees the switch over everything (it holds their posts) but may not let every
    market publish again: neither the page (no button, no 'everything' choice), nor a forged form, nor the API; a
    group-wide campaign's switch alike. A group-wide project manager may."""
    from approval.publishing import controls

    france = make.market("FR")
    local = make.user(Role.project_manager, markets=[france])
    group = make.user(Role.project_manager, all_markets=True)
    everything = controls.turn_on(db_session, None, "all", reason="Crise mondiale.")
    from approval import administration

    campaign = administration.create_campaign(db_session, "Coupe du monde", None)
    tournament = controls.turn_on(db_session, None, "campaign", campaign_id=campaign.id, reason="Match perdu.")
    mine = controls.turn_on(db_session, local, "market", market_code="FR", reason="Grève.")
    db_session.flush()
    web.login(local)
    page = web.get("/publishing/stops").get_data(as_text=True)
    assert "Crise mondiale." in page and 'value="all"' not in page
    assert f'action="/publishing/stops/{everything.id}/off"' not in page
    assert f'action="/publishing/stops/{tournament.id}/off"' not in page
    assert f'action="/publishing/stops/{mine.id}/off"' in page
    for stop in (everything, tournament):
        assert web.post(f"/publishing/stops/{stop.id}/off", {}).status_code == 403
    refused = web.post("/publishing/stops", {"scope": "campaign", "campaign_id": str(campaign.id), "reason": "Non."})
    assert refused.status_code == 422 and "Not a valid choice" in refused.get_data(as_text=True)  # not offered
    headers = {"Authorization": f"Bearer {_token(db_session, local)}"}
    assert app.test_client().delete(f"/api/v1/stops/{everything.id}", headers=headers).status_code == 403
    db_session.expire_all()
    assert db_session.get(StopSwitch, everything.id).active and db_session.get(StopSwitch, tournament.id).active
    assert web.post(f"/publishing/stops/{mine.id}/off", {}).status_code == 302
    web.client.post("/logout", data={"csrf_token": web.token})
    web.login(group)
    for stop in (everything, tournament):
        assert web.post(f"/publishing/stops/{stop.id}/off", {}).status_code == 302
    db_session.expire_all()
    assert not db_session.get(StopSwitch, everything.id).active and not db_session.get(StopSwitch, tournament.id).active


def test_editing_a_scheduled_post_says_which_time_it_drops(app, make, web, db_session):
    """The edit page warns that saving drops the post's time, and after the save the page says which time it was, in
    the market's zone: the project manager must schedule it again once it is approved."""
    from datetime import UTC, datetime

    france = make.market("FR")
    writer = make.user(Role.community_manager, markets=[france])
    post = make.post(State.scheduled, account=make.account(france), author=writer, body="Le stade ce soir.")
    post.scheduled_at = datetime(utcnow().year + 1, 1, 15, 17, 30, tzinfo=UTC)  # 18:30 in Paris, in winter
    db_session.flush()
    web.login(writer)
    page = web.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    slot = said_in_english(app, post.scheduled_at, "Europe/Paris")  # "Jan 15, ..., 18:30 (Europe/Paris, UTC+01:00)"
    assert f"{slot}: saving a change drops that time" in page
    answer = web.post(f"/posts/{post.id}/edit", {"version": post.version, "body": "Le stade ce soir, enfin."})
    assert answer.status_code == 302
    shown = web.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"It was scheduled for {slot}: that time is dropped" in shown
    db_session.expire_all()
    assert db_session.get(type(post), post.id).scheduled_at is None


def test_a_post_waiting_for_its_next_try_is_not_called_overdue_and_a_failed_one_says_why(make, web, db_session):
    """A post the network asked to wait (rate limit, 5xx) is listed with its next try, not as overdue with "is a
    worker running?"; nor is one a project manager just retried (due now: the worker's pass takes a moment). A
    failed post says why, on its page and on the desk."""
    from approval.workflow import engine
    from approval.workflow.states import Action

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    now = utcnow()
    waiting = make.post(State.scheduled, account=make.account(france))
    waiting.scheduled_at, waiting.next_attempt_at = now - timedelta(minutes=5), now + timedelta(minutes=2)
    retried = make.post(State.scheduled, account=make.account(france))
    retried.scheduled_at = now - timedelta(seconds=5)
    stuck = make.post(State.scheduled, account=make.account(france))
    stuck.scheduled_at = now - timedelta(minutes=5)
    failed = make.post(State.scheduled, account=make.account(france))
    db_session.flush()
    engine.record_step(db_session, failed, Action.fail, now=now, payload={},
                       comment="HTTP 400: the text is too long for this page.")
    waiting.claim_token, waiting.claimed_until = "t" * 32, now + timedelta(minutes=2)  # the network said "later"
    engine.record_step(db_session, waiting, Action.claim, now=now - timedelta(minutes=1), payload={})
    waiting.claim_token = waiting.claimed_until = None
    engine.record_step(db_session, waiting, Action.postpone, now=now - timedelta(minutes=1), payload={},
                       comment="HTTP 503 Service Unavailable")
    db_session.flush()
    web.login(pm)
    desk = web.get("/publishing").get_data(as_text=True)
    section = lambda key: desk[desk.index(f"desk-{key}"):].split("</section>")[0]  # noqa: E731
    assert f">#{waiting.id}<" in section("retrying") and f">#{waiting.id}<" not in section("overdue")
    # What it said, as the network's own words, after what that means (a 5xx: a new try at the time shown).
    assert ('<td class="failure-reason">The network could not take the post for now; nothing went out: the worker '
            'tries again at the time shown.<p class="network-said"><span class="network-label">The network said:'
            '</span> <q>HTTP 503 Service Unavailable</q></p></td>') in section("retrying")
    assert f">#{retried.id}<" not in section("overdue") and f">#{stuck.id}<" in section("overdue")
    assert "HTTP 400: the text is too long for this page." in section("failed")
    for post in (waiting, retried):
        page = web.get(f"/posts/{post.id}").get_data(as_text=True)
        assert "is a publishing worker running?" not in page
    assert "is a publishing worker running?" in web.get(f"/posts/{stuck.id}").get_data(as_text=True)
    page = web.get(f"/posts/{failed.id}").get_data(as_text=True)
    # As the desk frames it: what the answer came to, then the network's words, quoted as its own.
    assert "Failed:</strong> The network refused the post, for the reason in its answer" in page
    assert "<q>HTTP 400: the text is too long for this page.</q>" in page
    # A missed slot says why too, in the reader's language.
    from approval.publishing import reasons

    missed = make.post(State.scheduled, account=make.account(france))
    why = [reasons.reason(reasons.MISSED_UNSENT)]
    missed.missed_at = missed.scheduled_at
    engine.record_step(db_session, missed, Action.miss, now=now, payload={"why": why}, comment=reasons.text(why))
    db_session.flush()
    web.post("/language", {"language": "fr", "next": "/publishing"})
    desk = web.get("/publishing").get_data(as_text=True)
    assert "Aucun processus de publication ne l’a envoyée" in section("missed"), section("missed")


def test_a_post_confirmed_by_hand_shows_where_and_when_it_went_out(make, web, app, db_session):
    """Nobody knew whether the webhook's call went out; the project manager found the post online and confirmed it
    with its address: the API's ``publication`` gives that address, and the page says when it was published (not
    "as scheduled") and where."""
    from approval.models import Outcome
    from approval.workflow.states import Action

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    post = make.post(State.scheduled, account=make.account(france))
    _tried(db_session, post, Outcome.unknown, Action.lose, "no complete answer within 15 s")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {_token(db_session, pm)}"}
    seen = client.get(f"/api/v1/posts/{post.id}", headers=headers)
    url = "https://www.facebook.com/helio/posts/12345"
    reversed_ = client.post(f"/api/v1/posts/{post.id}/transitions",
                            headers={**headers, "If-Match": seen.headers["ETag"]},
                            json={"action": "confirm_published", "url": url + "/\u202e"})
    assert reversed_.status_code == 422, "a right-to-left override shows the address reversed"
    done = client.post(f"/api/v1/posts/{post.id}/transitions", headers={**headers, "If-Match": seen.headers["ETag"]},
                       json={"action": "confirm_published", "url": url})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["state"] == "published" and done.get_json()["publication"]["url"] == url
    web.login(pm)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Published on" in page and "as scheduled" not in page
    assert f'Online at <a href="{url}"' in page


def test_a_missed_post_is_published_now_from_its_page(make, web, db_session):
    """'Choose a new time, or publish now': the schedule form's 'Publish now' gives it the present as its time (a
    breath ahead), for the worker's next pass."""
    from approval.publishing import controls

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    post = make.post(State.approved, account=controls.connect_account(db_session, make.account(france), "outbox"))
    post.missed_at = utcnow() - timedelta(hours=1)
    db_session.flush()
    web.login(pm)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert 'name="when" value="now"' in page and "Publish now" in page
    before = utcnow()
    answer = web.post(f"/posts/{post.id}/actions/schedule", {"version": post.version, "when": "now"})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    db_session.expire_all()
    post = db_session.get(type(post), post.id)
    assert post.state is State.scheduled and before < post.scheduled_at < utcnow() + timedelta(seconds=5)
    assert post.missed_at is None
    said = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Publishing now: the post goes out within a minute." in said and "now scheduled" not in said
    # The page follows the post by itself (it said so and did not): it asks for the post's version.
    assert 'id="post-watch"' in said and "post_watch.js" in said
    answer = web.get(f"/posts/{post.id}/version")
    assert answer.json == {"version": post.version, "state": "scheduled", "said": None}
    assert answer.headers["Cache-Control"] == "no-store"



def test_publish_now_under_a_stop_switch_says_the_post_is_held(make, web, db_session):
    """"Publishing now: it goes out within a minute" above a banner saying everything is stopped: the promise must
    not be made while a stop switch holds the post."""
    from approval.publishing import controls

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    post = make.post(State.approved, account=make.account(france))
    controls.turn_on(db_session, make.user(Role.admin), "all", reason="The match was lost.")
    web.login(pm)
    answer = web.post(f"/posts/{post.id}/actions/schedule", {"version": post.version, "when": "now"})
    assert answer.status_code == 302
    said = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Scheduled, but held" in said and "The match was lost." in said
    assert "goes out within a minute" not in said


def test_publish_now_on_an_account_connected_to_nothing_says_it_will_fail(make, web, db_session):
    """"It goes out within a minute", and it failed seconds later: the account had no connector."""
    from approval.publishing import controls

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    loose, connected = make.account(france), make.account(france)
    controls.connect_account(db_session, connected, "outbox")
    web.login(pm)
    for account, warned in ((loose, True), (connected, False)):
        post = make.post(State.approved, account=account)
        assert web.post(f"/posts/{post.id}/actions/schedule", {"version": post.version, "when": "now"}).status_code \
            == 302
        said = web.get(f"/posts/{post.id}").get_data(as_text=True)
        assert ("connected to no publishing tool: it will fail at its time" in said) is warned
        assert ("goes out within a minute" in said) is not warned


def test_a_refused_publish_now_says_publish_now_and_the_editor_of_a_published_post_leads_to_it(make, web,
                                                                                                 db_session):
    from approval import administration as admin

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    campaign = admin.create_campaign(db_session, "Tournoi", france, "#Tournoi")
    campaign.embargo_until = utcnow() + timedelta(days=2)
    post = make.post(State.approved, account=make.account(france))
    post.campaign = campaign
    db_session.flush()
    web.login(pm)
    answer = web.post(f"/posts/{post.id}/actions/schedule", {"version": post.version, "when": "now"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "“Publish now” was refused." in page and "“Schedule” was refused" not in page
    published = make.post(State.published, account=make.account(france))
    answer = web.get(f"/posts/{published.id}/edit")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/posts/{published.id}")
    assert "is not possible while the post is published" in web.get(answer.headers["Location"]).get_data(as_text=True)
    assert web.post(f"/posts/{published.id}/edit", {"version": published.version, "body": "Autre."}).status_code == 409


def test_only_a_post_about_to_go_out_is_watched_and_its_version_keeps_to_the_viewers_markets(make, web, db_session):
    france, kenya = make.market("FR"), make.market("KE", "Africa/Nairobi", ("en",))
    later = make.post(State.scheduled, account=make.account(france))  # tomorrow
    elsewhere = make.post(State.scheduled, account=make.account(kenya))
    web.login(make.user(Role.project_manager, markets=[france]))
    assert 'id="post-watch"' not in web.get(f"/posts/{later.id}").get_data(as_text=True)
    assert web.get(f"/posts/{later.id}/version").json["state"] == "scheduled"
    assert web.get(f"/posts/{elsewhere.id}/version").status_code == 404


def test_each_action_says_what_was_done_in_words(app, make, web, db_session):
    """The confirmation names what the person did ("Scheduled for ... (Europe/Paris ...)", "Changes requested"),
    not the state's label dropped into a sentence ("the post is now changes requested")."""
    from zoneinfo import ZoneInfo

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    web.login(pm)
    asked = make.post(State.in_review, account=make.account(france))
    web.post(f"/posts/{asked.id}/actions/request_changes", {"version": asked.version, "comment": "Le lien."})
    page = web.get(f"/posts/{asked.id}").get_data(as_text=True)
    assert f"You sent post #{asked.id} back to its author, with your request for changes." in page
    post = make.post(State.approved, account=make.account(france))
    local = (utcnow() + timedelta(days=30)).astimezone(ZoneInfo("Europe/Paris")).replace(hour=18, minute=0,
                                                                                          second=0, microsecond=0)
    answer = web.post(f"/posts/{post.id}/actions/schedule", {"version": post.version,
                                                              "local_time": local.strftime("%Y-%m-%dT%H:%M")})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert f"Scheduled for {said_in_english(app, local, 'Europe/Paris')}." in page


def test_a_scheduled_post_moves_to_another_time_in_one_step_from_its_page(make, web, db_session):
    """No unschedule-then-schedule by hand: the post page's 'Move to this time' gives it another slot (both steps
    audited, in one transaction), and comes back to the post."""
    from datetime import UTC, datetime

    from approval.models import AuditEntry
    from approval.workflow.states import Action

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    post = make.post(State.scheduled, account=make.account(france))
    web.login(pm)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert 'class="action action-move"' in page
    year = utcnow().year + 1 if utcnow().month > 1 else utcnow().year
    answer = web.post("/calendar/move", {"post_id": post.id, "version": post.version, "tz": "Europe/Paris",
                                         "local_time": f"{year}-01-20T18:30", "next": f"/posts/{post.id}"})
    assert answer.status_code == 303 and answer.headers["Location"] == f"/posts/{post.id}"
    db_session.expire_all()
    post = db_session.get(type(post), post.id)
    assert post.state is State.scheduled and post.scheduled_at == datetime(year, 1, 20, 17, 30, tzinfo=UTC)
    trail = db_session.scalars(select(AuditEntry.action).where(AuditEntry.post_id == post.id)
                               .order_by(AuditEntry.id)).all()
    assert trail[-2:] == [Action.unschedule, Action.schedule]


def test_the_desks_overdue_list_and_the_post_pages_rule_agree(make, db_session):
    """One rule, said twice (Python for a page, SQL for the desk's lists): each case below is overdue in both or in
    neither; waiting for a next try is in the retrying list instead."""
    from approval.models import Account, Post
    from approval.publishing.status import overdue, overdue_clause, retrying_clause

    now = utcnow()
    france = make.market("FR")
    account = make.account(france)
    cases = {  # name -> (scheduled this long ago, next try this long ago, held)
        "just due": (timedelta(seconds=30), None, False), "late": (timedelta(minutes=5), None, False),
        "retry coming": (timedelta(minutes=5), -timedelta(minutes=2), False),
        "retry late": (timedelta(minutes=9), timedelta(minutes=3), False),
        "held": (timedelta(minutes=5), None, True), "coming": (-timedelta(hours=1), None, False),
    }
    posts = {}
    for name, (ago, retry_ago, held) in cases.items():
        post = make.post(State.scheduled, account=account)
        post.scheduled_at = now - ago
        post.next_attempt_at = now - retry_ago if retry_ago is not None else None
        post.held_at = now if held else None
        posts[name] = post
    db_session.flush()

    def listed(clause):  # noqa: ANN001, ANN202
        ids = set(db_session.scalars(select(Post.id).join(Post.account).where(clause, Account.id == account.id)))
        return {name for name, post in posts.items() if post.id in ids}

    assert listed(overdue_clause(now)) == {name for name, post in posts.items() if overdue(post, now)} == {
        "late", "retry late"}
    assert listed(retrying_clause(now)) == {"retry coming"}


def test_pages_name_each_network_as_it_names_itself(make, web):
    """LinkedIn and X, as they write their names, not the values stored (linkedin, x)."""
    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    for network, name in (("linkedin", "LinkedIn"), ("x", "X")):
        post = make.post(State.in_review, account=make.account(france, network))
        web.login(pm)
        page = web.get(f"/posts/{post.id}").get_data(as_text=True)
        assert f'<span class="network network-{network}">{name}</span>' in page, network
    assert ">LinkedIn</span>" in web.get("/review").get_data(as_text=True)


def test_after_a_crisis_the_desk_gives_held_and_missed_posts_a_new_time_together(app, make, web, db_session):
    """Every post a switch held had to be opened one by one: the desk moves the checked ones together, each to the
    same wall-clock time in its own market, through the engine, with the version the desk showed; one refused
    refuses them all."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from publishing_helpers import held_by_a_switch_now_off

    from approval.models import AuditEntry, Post
    from approval.workflow.states import Action

    france, kenya = make.market("FR"), make.market("KE", "Africa/Nairobi", ("en",))
    pm = make.user(Role.project_manager, markets=[france, kenya])
    held = make.post(State.scheduled, account=make.account(france))
    held_by_a_switch_now_off(db_session, held, pm)
    missed = make.post(State.approved, account=make.account(kenya))
    missed.missed_at = utcnow() - timedelta(hours=1)
    db_session.flush()
    web.login(pm)
    desk = web.get("/publishing").get_data(as_text=True)
    assert f'name="post" value="{held.id}"' in desk and f'name="post" value="{missed.id}"' in desk
    tomorrow = (utcnow() + timedelta(days=1)).date()
    form = {"post": [str(held.id), str(missed.id)], "local_time": f"{tomorrow}T09:00",
            f"version-{held.id}": str(held.version), f"version-{missed.id}": str(missed.version)}

    # One of them changed since the desk was read (or its version is not said): nothing moves, the desk says which.
    for stale in ({**form, f"version-{missed.id}": str(missed.version - 1)},
                  {key: value for key, value in form.items() if key != f"version-{missed.id}"}):
        answer = web.post("/publishing/reschedule", stale)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 422 and "No post was moved" in page and f"#{missed.id}:" in page
        # The desk as it was sent: the posts still checked, the time still typed, to fix and send again.
        assert f'value="{held.id}" form="move-held" aria-label="Post #{held.id}" checked' in page
        assert f'value="{tomorrow}T09:00"' in page
    db_session.expire_all()
    assert db_session.get(Post, held.id).held_at is not None
    assert db_session.get(Post, missed.id).state is State.approved

    moved = web.post("/publishing/reschedule", form, follow_redirects=True).get_data(as_text=True)
    nine = in_english(app, said_wall, datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, 0))  # as typed, no zone
    assert f"2 posts given a new time: {nine}, each in its own market&#39;s time." in moved
    db_session.expire_all()
    paris, nairobi = db_session.get(Post, held.id), db_session.get(Post, missed.id)
    assert paris.state is nairobi.state is State.scheduled and paris.held_at is None and nairobi.missed_at is None
    for post, zone in ((paris, "Europe/Paris"), (nairobi, "Africa/Nairobi")):  # 09:00 in each market's time
        nine = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, 0, tzinfo=ZoneInfo(zone))
        assert post.scheduled_at == nine.astimezone(UTC)
    actions = db_session.scalars(select(AuditEntry.action).where(AuditEntry.post_id == held.id)
                                 .order_by(AuditEntry.id.desc()).limit(2)).all()
    assert actions == [Action.schedule, Action.unschedule]

    # Nothing checked: said for what was asked, a new time or publishing now; too many at once: said so.
    for when, said in (("", "Check the posts to give a new time."), ("now", "Check the posts to publish now.")):
        web.post("/publishing/reschedule", {"when": when, "local_time": f"{tomorrow}T09:00"})
        assert said in web.get("/publishing").get_data(as_text=True), when
    web.post("/publishing/reschedule", {"when": "now", "post": [str(n) for n in range(1, RESCHEDULED_AT_ONCE + 2)]})
    assert f"at most {RESCHEDULED_AT_ONCE} posts at once" in web.get("/publishing").get_data(as_text=True)

    # Outside the user's markets: 404; the other roles: 403.
    elsewhere = make.post(State.approved, account=make.account(make.market("PL", "Europe/Warsaw", ("pl",))))
    outsider = {"post": [str(elsewhere.id)], "when": "now", f"version-{elsewhere.id}": str(elsewhere.version)}
    assert web.post("/publishing/reschedule", outsider).status_code == 404
    web.login(make.user(Role.community_manager, markets=[france]))
    assert web.post("/publishing/reschedule", outsider).status_code == 403


def test_the_desk_says_what_came_of_an_unconfirmed_post_s_call(make, web, db_session):
    """Before confirming or retrying, the project manager reads what the call got (no answer in time, a broken
    connection): the desk says it beside the post, as it says why a failed post failed."""
    from approval.models import Outcome
    from approval.workflow.states import Action

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    post = make.post(State.scheduled, account=make.account(france))
    _tried(db_session, post, Outcome.unknown, Action.lose, "no complete answer within 15 s")
    web.login(pm)
    desk = web.get("/publishing").get_data(as_text=True)
    assert '<td class="failure-reason">no complete answer within 15 s</td>' in desk
    # Its writer, who has no desk, reads on the post's page what it means and who decides.
    web.login(post.created_by)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Unconfirmed:</strong> it was sent, and no answer said whether the network took it" in page
    # The call's answer, told as such (it ran on after the banner's last sentence: "...by itself. no complete...").
    assert "What the call got: no complete answer within 15 s." in page


def test_the_desk_asks_which_of_a_time_the_clocks_repeat_and_says_posts_go_out_now(app, make, web, db_session):
    """A time that happens twice (Paris, the last Sunday of October) refused every move with the API's words ("fold
    0 for the first"), and the desk had no way to say which: it now asks, first or second, with the posts still
    checked; "Publish now" says the posts go out now, not that they were given a new time."""
    from datetime import UTC, datetime

    from approval.models import Post

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    missed = make.post(State.approved, account=make.account(france))
    missed.missed_at = utcnow() - timedelta(hours=1)
    other = make.post(State.approved, account=make.account(france))
    other.missed_at = utcnow() - timedelta(hours=1)
    db_session.flush()
    web.login(pm)
    year = utcnow().year + (1 if utcnow().month >= 10 else 0)
    last_sunday = max(datetime(year, 10, day) for day in range(25, 32) if datetime(year, 10, day).weekday() == 6)
    form = {"post": [str(missed.id)], "local_time": f"{last_sunday:%Y-%m-%d}T02:30",
            f"version-{missed.id}": str(missed.version)}
    asked = web.post("/publishing/reschedule", form)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 422 and "This time happens twice where the clocks go back" in page
    assert 'name="fold" value="1"' in page and "fold 0" not in page
    # The choice made stays made when the desk refuses for another reason (here, a version it no longer has).
    stale = web.post("/publishing/reschedule", {**form, "fold": "1", f"version-{missed.id}": str(missed.version - 1)})
    assert stale.status_code == 422
    assert 'name="fold" value="1" form="move-missed" checked' in stale.get_data(as_text=True)
    moved = web.post("/publishing/reschedule", {**form, "fold": "1"}, follow_redirects=True).get_data(as_text=True)
    second = datetime(year, 10, last_sunday.day, 1, 30, tzinfo=UTC)  # 02:30 in winter time, UTC+1
    assert f"Post #{missed.id} given a new time: {said_in_english(app, second, 'Europe/Paris')}." in moved
    db_session.expire_all()
    assert db_session.get(Post, missed.id).scheduled_at == datetime(
        year, 10, last_sunday.day, 1, 30, tzinfo=UTC)  # 02:30 in winter time, UTC+1
    now = web.post("/publishing/reschedule", {"post": [str(other.id)], "when": "now",
                                              f"version-{other.id}": str(other.version)})
    assert now.status_code == 303
    assert "1 post goes out now." in web.get("/publishing").get_data(as_text=True)


def test_the_apis_publication_counts_the_tries_of_the_revision_it_describes(make, db_session, app):
    """A text the network refused, fixed (a new revision, under a new key), then published: its ``publication``
    said two attempts, the refused text's and its own."""
    from approval import operations as ops
    from approval.models import Outcome
    from approval.workflow.states import Action

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    post = make.post(State.scheduled, account=make.account(france))

    _tried(db_session, post, Outcome.refused, Action.fail, "HTTP 400 The text is too long.")
    ops.edit_post(db_session, post, post.created_by, "Le texte corrigé.", expected_version=post.version)
    make.act(post, Action.approve, pm)
    make.act(post, Action.schedule, pm, scheduled_at=utcnow() + timedelta(hours=1))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {_token(db_session, pm)}"}
    assert client.get(f"/api/v1/posts/{post.id}", headers=headers).get_json()["publication"] is None
    _tried(db_session, post, Outcome.published, Action.publish, url="https://www.facebook.com/p/1")
    publication = client.get(f"/api/v1/posts/{post.id}", headers=headers).get_json()["publication"]
    assert (publication["attempts"], publication["last_outcome"]) == (1, "published")


def test_the_apis_publication_says_what_the_last_try_came_to(make, db_session, app):
    """A program listing the failed or unconfirmed posts reads why from each post's ``publication`` (it needed one
    more request per post, to its transitions): the network's words, or the worker's in the reader's language."""
    from approval.models import Outcome, PublicationAttempt
    from approval.publishing import reasons
    from approval.workflow.states import Action

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    refused, lost = (make.post(State.scheduled, account=make.account(france)) for _ in range(2))
    _tried(db_session, refused, Outcome.refused, Action.fail, "HTTP 400 The text is too long.")
    _tried(db_session, lost, Outcome.unknown, Action.lose)
    attempt = db_session.scalars(select(PublicationAttempt).where(PublicationAttempt.post_id == lost.id)).one()
    attempt.why = reasons.reason(reasons.NO_ANSWER_IN_TIME, seconds=15)
    db_session.flush()
    client = app.test_client()
    token = _token(db_session, pm)

    def said(post, language: str) -> str:  # noqa: ANN001
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": language}
        return client.get(f"/api/v1/posts/{post.id}", headers=headers).get_json()["publication"]["last_answer"]

    assert said(refused, "en") == said(refused, "fr") == "HTTP 400 The text is too long."
    assert said(lost, "en") == "no complete answer within 15 s"
    assert said(lost, "fr") != said(lost, "en") and "15" in said(lost, "fr")


def test_the_desk_says_since_when_a_worker_holds_a_post_going_out(make, web, db_session):
    """A call hanging on a slow network looked like one just begun: "Going out now" says how long ago a worker
    took each post, in the reader's language."""
    from approval.workflow import engine
    from approval.workflow.states import Action

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    post = make.post(State.scheduled, account=make.account(france))
    taken = utcnow() - timedelta(minutes=3, seconds=10)
    post.claim_token, post.claimed_until = "t" * 32, utcnow() + timedelta(minutes=2, seconds=5)
    engine.record_step(db_session, post, Action.claim, now=taken, payload={"worker": "vm-2:12968"})
    stalled = make.post(State.scheduled, account=make.account(france))
    stalled.claim_token, stalled.claimed_until = "s" * 32, utcnow() - timedelta(seconds=30)
    engine.record_step(db_session, stalled, Action.claim, now=taken, payload={"worker": "vm-1:4711"})
    db_session.flush()
    assert post.state is State.publishing
    web.login(pm)
    desk = web.get("/publishing").get_data(as_text=True)
    going = desk[desk.index("desk-publishing"):].split("</section>")[0]
    assert f">#{post.id}<" in going and ">3 minutes ago</time>" in going, going
    # Which worker, and until when it has the post: an on-call engineer reads whether one is stuck (a worker killed
    # in a call kept its post "going out" for two minutes, with no word of when another would take over).
    mine, theirs = (going[going.index(f">#{p.id}<"):].split("</tr>")[0] for p in (post, stalled))
    assert "vm-2:12968" in mine and "its lease ends in 2 minutes" in mine, mine
    assert "vm-1:4711" in theirs and "its lease ended" in theirs and "the next worker's pass settles it" in theirs
    web.post("/language", {"language": "fr", "next": "/publishing"})
    desk = web.get("/publishing").get_data(as_text=True)
    assert ">il y a 3\u00a0minutes</time>" in desk or ">il y a 3 minutes</time>" in desk


def test_a_control_character_in_a_stop_switchs_reason_is_shown_on_its_field_and_the_text_kept(make, web, db_session):
    """In a crisis, a reason pasted with a stray control character lost what was typed on a whole-page refusal; the
    page now comes back with the reason kept and the field saying what to remove, and nothing is turned on."""
    from approval.models import StopSwitch

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    web.login(pm)
    reason = "Match perdu\x07 : on suspend tout."
    response = web.post("/publishing/stops", {"scope": "market", "market": "FR", "campaign_id": "", "reason": reason})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This field holds a control character (U+0007)" in page
    assert "Match perdu" in page and "on suspend tout." in page
    assert db_session.scalars(select(StopSwitch)).all() == []


def test_the_desk_shows_its_lists_with_posts_first_and_says_when_nothing_needs_the_manager(make, web, db_session):
    """Ten cards, eight of them "None.", buried the two that mattered: the lists with posts come first, linked from
    a line above them; the empty ones after, small; a desk with nothing on it says so."""
    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    web.login(pm)
    desk = web.get("/publishing").get_data(as_text=True)
    assert "Nothing needs you here: no post is held, late, failed, unconfirmed or refused by its policy." in desk
    assert 'class="desk-summary"' not in desk and desk.count('<p class="empty">None.</p>') == 10

    stuck = make.post(State.scheduled, account=make.account(france))
    stuck.scheduled_at = utcnow() - timedelta(minutes=5)
    db_session.flush()
    desk = web.get("/publishing").get_data(as_text=True)
    assert "Nothing needs you here" not in desk
    summary = re.search(r'<p class="desk-summary">(.*?)</p>', desk).group(1)
    assert '<a href="#overdue">Overdue <span class="count">1</span></a>' in summary and "#held" not in summary
    quiet = desk.index('<div class="desk-quiet">')
    assert desk.index('id="overdue"') < quiet < desk.index('id="held"')
    assert f">#{stuck.id}<" in desk[:quiet] and desk.count('<p class="empty">None.</p>') < 10


def test_an_empty_desk_says_a_stop_switch_is_on_rather_than_all_is_well(make, web, db_session):
    from approval.publishing import controls

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    controls.turn_on(db_session, pm, "market", market_code="FR", reason="Match perdu.")
    db_session.flush()
    web.login(pm)
    desk = web.get("/publishing").get_data(as_text=True)
    assert "Nothing needs you here" not in desk
    assert "No post waits for you here, but 1 stop switch is on: what it covers does not go out." in desk


def test_turning_a_switch_off_says_how_many_posts_it_covered_go_out_at_their_time(make, web, db_session):
    """The switches list said "Holds 1 post" for a post covered, not due yet; turned off, the switch "held no post",
    and a project manager in a crisis could not tell whether that post was still held: it goes out at its time."""
    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    covered = make.post(State.scheduled, account=make.account(france))
    covered.scheduled_at = utcnow() + timedelta(hours=5)
    db_session.flush()
    web.login(pm)
    assert web.post("/publishing/stops", {"scope": "market", "market": "FR", "reason": "Match perdu."}
                    ).status_code == 302
    stop = db_session.scalar(select(StopSwitch).where(StopSwitch.reason == "Match perdu."))
    answer = web.post(f"/publishing/stops/{stop.id}/off", {}, follow_redirects=True)
    assert ("Stop switch off. It held no post at its time; the 1 post it covered, not due yet, goes out at its "
            "time.") in answer.get_data(as_text=True)
