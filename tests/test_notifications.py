"""Notifications in the app (issue 12): who is told what, by role and market, in the change's transaction; the bell,
the list, marking read; the API; the preferences and the market settings pages. SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from approval.api.tokens import issue_token
from approval.models import Post
from approval.notifications import texts
from approval.models.notifications import (
    ChatMessage,
    MailMode,
    MarketNotificationSettings,
    Notification,
    NotificationKind as Kind,
    NotificationPreference,
)
from approval.publishing import controls
from approval.workflow.states import Action, Role, State
from tests.api.contract import ApiClient
from tests.said_helpers import said_in_english


def told(session, post: Post | None = None) -> list[tuple[str, str]]:
    """(recipient's name, kind) of every notification (of ``post``), in order."""
    query = select(Notification).order_by(Notification.id)
    if post is not None:
        query = query.where(Notification.post_id == post.id)
    session.expire_all()
    return [(n.user.name, n.kind.value) for n in session.scalars(query)]


@pytest.fixture()
def team(make):
    """France and Kenya, each with a community manager and a project manager; a group-wide project manager."""
    fr, ke = make.market("FR"), make.market("KE", timezone="Africa/Nairobi", languages=("en", "sw"))
    return {
        "fr": fr, "ke": ke,
        "cm_fr": make.user(Role.community_manager, markets=[fr], name="Camille"),
        "pm_fr": make.user(Role.project_manager, markets=[fr], name="Pierre"),
        "cm_ke": make.user(Role.community_manager, markets=[ke], name="Wanjiru"),
        "pm_ke": make.user(Role.project_manager, markets=[ke], name="Otieno"),
        "group": make.user(Role.project_manager, all_markets=True, name="Gaia"),
        "account_fr": make.account(fr), "account_ke": make.account(ke),
    }


def test_submitting_tells_the_markets_project_managers_only(make, team, db_session):
    post = make.post(State.draft, account=team["account_fr"], author=team["cm_fr"])
    make.act(post, Action.submit, team["cm_fr"])
    assert told(db_session, post) == [("Pierre", "review_requested")]


def test_a_market_without_a_project_manager_of_its_own_is_told_to_the_group_wide_ones(make, team, db_session):
    """Poland's only reviewer is the group-wide project manager: a post submitted there was told to no one."""
    pl = make.market("PL", timezone="Europe/Warsaw", languages=("pl",))
    author = make.user(Role.community_manager, markets=[pl], name="Zofia")
    post = make.post(State.draft, account=make.account(pl), author=author)
    make.act(post, Action.submit, author)
    assert told(db_session, post) == [("Gaia", "review_requested")]
    make.user(Role.project_manager, markets=[pl], name="Piotr").active = False  # a deactivated one reviews nothing
    make.act(post, Action.recall, author)
    make.act(post, Action.submit, author)
    assert told(db_session, post) == [("Gaia", "review_requested")] * 2


def test_each_decision_tells_the_author_and_never_the_one_who_acted(make, team, db_session):
    cm, pm = team["cm_fr"], team["pm_fr"]
    post = make.post(State.in_review, account=team["account_fr"], author=cm)
    make.act(post, Action.request_changes, pm, comment="Shorter, please.")
    make.act(post, Action.submit, cm)
    make.act(post, Action.approve, pm)
    from datetime import timedelta

    from approval.db import utcnow
    make.act(post, Action.schedule, pm, scheduled_at=utcnow() + timedelta(days=1))
    assert told(db_session, post) == [
        ("Pierre", "review_requested"), ("Camille", "changes_requested"), ("Pierre", "review_requested"),
        ("Camille", "approved"), ("Camille", "scheduled")]
    changes = db_session.scalars(select(Notification).where(Notification.kind == Kind.changes_requested)).one()
    assert changes.comment == "Shorter, please." and changes.actor_id == pm.id


def test_a_post_moved_to_another_time_leaves_its_author_one_unread_scheduled_notice(make, team, db_session):
    """A calendar move is an unscheduling and a scheduling: the author is told of the new slot, and the notice of the
    slot it left, which the list would show with the new time, stops counting as news."""
    from datetime import timedelta

    from approval.db import utcnow

    cm, pm = team["cm_fr"], team["pm_fr"]
    post = make.post(State.approved, account=team["account_fr"], author=cm)
    make.act(post, Action.schedule, pm, scheduled_at=utcnow() + timedelta(days=1))
    make.act(post, Action.unschedule, pm)
    make.act(post, Action.schedule, pm, scheduled_at=utcnow() + timedelta(days=2))
    db_session.expire_all()
    notices = db_session.scalars(select(Notification).where(Notification.post_id == post.id,
                                                            Notification.kind == Kind.scheduled)
                                 .order_by(Notification.id)).all()
    assert [n.read_at is None for n in notices] == [False, True]


def test_a_rejection_is_told_to_its_author_in_kenya_and_nobody_in_france_hears_of_it(make, team, db_session):
    post = make.post(State.in_review, account=team["account_ke"], author=team["cm_ke"], reviewer=team["pm_ke"])
    make.act(post, Action.reject, team["pm_ke"], comment="Off brand.")
    names = {name for name, _kind in told(db_session, post)}
    assert names == {"Otieno", "Wanjiru"}
    assert ("Wanjiru", "rejected") in told(db_session, post)


def test_an_executive_suggestion_awaits_its_cabinet(make, team, db_session):
    executive = make.executive("Marie Curie")
    account = make.account(team["fr"], executive=executive)
    cabinet = make.user(Role.cabinet, executives=[executive], name="Cabinet Curie")
    make.user(Role.cabinet, executives=[make.executive("Other")], name="Other cabinet")
    post = make.post(State.in_review, account=account, author=team["cm_fr"], reviewer=team["pm_fr"])
    make.act(post, Action.approve, team["pm_fr"])
    assert told(db_session, post)[-1] == ("Cabinet Curie", "cabinet_requested")
    make.act(post, Action.accept, cabinet)
    # The author, and the project manager who sent it to the cabinet: it now waits for them to schedule it.
    assert told(db_session, post)[-2:] == [("Camille", "approved"), ("Pierre", "cabinet_decided")]
    decided = db_session.scalars(select(Notification).where(Notification.kind == Kind.cabinet_decided)).one()
    # It says what the cabinet decided (it said only "decided"); a row written before it kept its action reads as then.
    assert texts.title(decided.kind, decided.action) == "The cabinet accepted a suggested message you sent it"
    assert texts.title(decided.kind) == "The cabinet decided on a suggested message you sent it"
    # Its author reads that the cabinet accepted it (it read "Your post was approved", by the cabinet's member).
    accepted = db_session.scalars(select(Notification).where(Notification.kind == Kind.approved,
                                                             Notification.post_id == post.id)).one()
    assert texts.title(accepted.kind, accepted.action) == "Your suggested message was accepted by the cabinet"


def _declined_by_a_cabinet(make, team, comment: str):  # noqa: ANN001, ANN202
    """A suggested message Pierre approved for Marie Curie's account, which her cabinet declined."""
    executive = make.executive("Marie Curie")
    account = make.account(team["fr"], executive=executive)
    cabinet = make.user(Role.cabinet, executives=[executive], name="Cabinet Curie")
    post = make.post(State.in_review, account=account, author=team["cm_fr"], reviewer=team["pm_fr"])
    make.act(post, Action.approve, team["pm_fr"])
    make.act(post, Action.decline, cabinet, comment=comment)
    return post


def test_a_cabinets_decline_is_told_as_a_decline_not_a_rejection(make, team, db_session):
    post = _declined_by_a_cabinet(make, team, "Not this week.")
    assert told(db_session, post)[-2:] == [("Camille", "declined"), ("Pierre", "cabinet_decided")]
    decided = db_session.scalars(select(Notification).where(Notification.kind == Kind.cabinet_decided)).one()
    assert texts.title(decided.kind, decided.action) == "The cabinet declined a suggested message you sent it"
    declined = db_session.scalars(select(Notification).where(Notification.kind == Kind.declined)).one()
    assert texts.title(declined.kind) == "Your suggested message was declined by the cabinet"
    assert declined.comment == "Not this week."


def test_who_scheduled_a_post_hears_that_it_failed_even_from_outside_the_market_staff(make, team, db_session):
    """A group-wide project manager schedules a French post: its failure reaches them as well as the author and the
    market's project managers (a group-wide manager hears nothing of posts they did not touch)."""
    from datetime import timedelta

    from approval.db import utcnow
    from approval.workflow import engine

    post = make.post(State.approved, account=team["account_fr"], author=team["cm_fr"], reviewer=team["pm_fr"])
    make.act(post, Action.schedule, team["group"], scheduled_at=utcnow() + timedelta(hours=1))
    engine.record_step(db_session, post, Action.fail, now=utcnow(), payload={}, comment="HTTP 400.")
    assert sorted(told(db_session, post)[-3:]) == [("Camille", "failed"), ("Gaia", "failed"), ("Pierre", "failed")]
    other = make.post(State.approved, account=team["account_fr"], author=team["cm_fr"], reviewer=team["pm_fr"])
    make.act(other, Action.schedule, team["pm_fr"], scheduled_at=utcnow() + timedelta(hours=1))
    engine.record_step(db_session, other, Action.fail, now=utcnow(), payload={}, comment="HTTP 400.")
    assert ("Gaia", "failed") not in told(db_session, other)


def test_a_batch_of_steps_tells_each_posts_own_people(make, team, db_session):
    """The worker records a batch's steps together, and their notifications with one statement per kind (on
    PostgreSQL, every post's values in one statement): each post's author and market hear of that post only, and a
    market's chat only of its own posts."""
    from datetime import timedelta

    from approval.db import utcnow
    from approval.workflow import engine

    db_session.add(MarketNotificationSettings(market_id=team["ke"].id, reminder_minutes=240,
                                              chat_webhook_url="http://127.0.0.1:9/hook"))
    posts = [make.post(State.scheduled, account=team[f"account_{m}"], author=team[f"cm_{m}"], reviewer=team[f"pm_{m}"])
             for m in ("fr", "ke", "fr", "ke")]
    for post in posts:
        post.claim_token, post.claimed_until = "0" * 32, utcnow() + timedelta(minutes=2)
    db_session.flush()
    engine.record_steps(db_session, [engine.Step(post, Action.fail, {}, "HTTP 400.") for post in posts], now=utcnow())
    for post, people in zip(posts, (["Camille", "Pierre"], ["Otieno", "Wanjiru"]) * 2, strict=True):
        assert sorted(name for name, kind in told(db_session, post) if kind == "failed") == people
    assert len([kind for _name, kind in told(db_session) if kind == "failed"]) == 8
    chat = db_session.scalars(select(ChatMessage).where(ChatMessage.kind == Kind.failed)
                              .order_by(ChatMessage.post_id)).all()
    assert [(m.post_id, m.market_id) for m in chat] == [(posts[1].id, team["ke"].id), (posts[3].id, team["ke"].id)]


def test_a_deactivated_user_is_not_told(make, team, db_session):
    team["pm_fr"].active = False
    db_session.flush()
    make.post(State.in_review, account=team["account_fr"], author=team["cm_fr"])
    assert told(db_session) == [("Gaia", "review_requested")], "France has no reviewer left but the group-wide one"


def test_a_stop_switch_tells_the_managers_of_its_market(make, team, db_session):
    switch = controls.turn_on(db_session, team["pm_ke"], "market", market_code="KE", reason="Elections")
    assert sorted(told(db_session)) == [("Gaia", "stop_on"), ("Wanjiru", "stop_on")]
    stop = db_session.scalars(select(Notification)).first()
    assert stop.comment == "Elections" and stop.market_id == team["ke"].id
    # Turned off, the same people hear of it (they heard nothing of its end): what it held waits for a new time.
    controls.turn_off(db_session, team["pm_ke"], switch.id)
    assert sorted(told(db_session)) == [("Gaia", "stop_off"), ("Gaia", "stop_on"), ("Wanjiru", "stop_off"),
                                        ("Wanjiru", "stop_on")]
    off = db_session.scalars(select(Notification).where(Notification.kind == Kind.stop_off)).first()
    assert off.comment == "Elections" and off.market_id == team["ke"].id and off.at == switch.turned_off_at


def test_a_stop_over_everything_tells_every_manager(make, team, db_session):
    controls.turn_on(db_session, team["group"], "all", reason="Crisis")
    assert sorted(name for name, _kind in told(db_session)) == ["Camille", "Otieno", "Pierre", "Wanjiru"]


def test_a_rolled_back_change_leaves_no_notification(make, team, db_session):
    post = make.post(State.draft, account=team["account_fr"], author=team["cm_fr"])
    savepoint = db_session.begin_nested()
    make.act(post, Action.submit, team["cm_fr"])
    assert told(db_session, post) == [("Pierre", "review_requested")]
    savepoint.rollback()
    assert told(db_session, post) == []


def test_the_mail_preference_is_noted_with_the_notification(make, team, db_session):
    db_session.add(NotificationPreference(user_id=team["pm_fr"].id, kind=Kind.review_requested, mode=MailMode.daily))
    db_session.flush()
    make.post(State.in_review, account=team["account_fr"], author=team["cm_fr"])
    notification = db_session.scalars(select(Notification)).one()
    assert notification.mail == MailMode.daily and notification.mail_sent_at is None


def test_a_market_with_a_chat_webhook_gets_its_message_in_the_same_transaction(make, team, db_session):
    db_session.add(MarketNotificationSettings(market_id=team["fr"].id, reminder_minutes=240,
                                              chat_webhook_url="http://127.0.0.1:9/hook"))
    db_session.flush()
    post = make.post(State.in_review, account=team["account_fr"], author=team["cm_fr"])
    make.post(State.in_review, account=team["account_ke"], author=team["cm_ke"])  # Kenya has no webhook
    make.act(post, Action.approve, team["pm_fr"])  # approvals are not told in chat
    messages = db_session.scalars(select(ChatMessage)).all()
    assert [(m.kind, m.post_id, m.market_id) for m in messages] == [(Kind.review_requested, post.id, team["fr"].id)]


# The bell, the list ----------------------------------------------------------------------------------------------


def test_the_bell_counts_and_the_list_opens_the_post_and_marks_it_read(make, team, web, db_session):
    first = make.post(State.in_review, account=team["account_fr"], author=team["cm_fr"])
    second = make.post(State.in_review, account=team["account_fr"], author=team["cm_fr"])
    web.login(team["pm_fr"])
    page = web.get("/posts").get_data(as_text=True)
    assert 'data-unread="2"' in page
    listing = web.get("/notifications").get_data(as_text=True)
    assert "A post awaits your review" in listing and listing.count('class="notification unread"') == 2
    mine = db_session.scalars(select(Notification).where(Notification.post_id == first.id)).one()
    answer = web.get(f"/notifications/{mine.id}")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/posts/{first.id}")
    assert 'data-unread="1"' in web.get("/posts").get_data(as_text=True)
    # From an older page, back to that page.
    older = web.post("/notifications/read", {"id": str(mine.id), "before": str(mine.id + 1)})
    assert older.status_code == 302 and older.headers["Location"].endswith(f"/notifications?before={mine.id + 1}")
    assert web.post("/notifications/read", {"all": "1"}).status_code == 302
    assert 'data-unread="0"' in web.get("/posts").get_data(as_text=True)
    assert second.id


def test_someone_elses_notification_is_a_404(make, team, web, db_session):
    make.post(State.in_review, account=team["account_fr"], author=team["cm_fr"])
    theirs = db_session.scalars(select(Notification)).one()
    web.login(team["pm_ke"])
    assert web.get(f"/notifications/{theirs.id}").status_code == 404
    assert web.post("/notifications/read", {"id": str(theirs.id)}).status_code == 302
    db_session.expire_all()
    assert db_session.get(Notification, theirs.id).read_at is None


def test_the_list_in_french(make, team, web, db_session):
    make.post(State.in_review, account=team["account_fr"], author=team["cm_fr"])
    team["pm_fr"].locale = "fr"
    db_session.flush()
    web.login(team["pm_fr"])
    page = web.get("/notifications").get_data(as_text=True)
    assert "Une publication attend votre relecture" in page


def test_the_preferences_page_saves_each_kind_and_the_zone(team, web, db_session):
    web.login(team["cm_fr"])
    assert web.get("/notifications/preferences").status_code == 200
    answer = web.post("/notifications/preferences", {"mode-approved": "off", "mode-published": "daily",
                                                     "timezone": "Africa/Nairobi"})
    assert answer.status_code == 302
    saved = {p.kind: p.mode for p in db_session.scalars(select(NotificationPreference))}
    assert saved == {Kind.approved: MailMode.off, Kind.published: MailMode.daily}
    assert web.post("/notifications/preferences", {"mode-approved": "sometimes"}).status_code == 400
    assert web.post("/notifications/preferences", {"timezone": "Mars/Olympus"}).status_code == 422


def test_the_default_zone_is_named_for_what_the_person_covers(make, team, web):
    """A group-wide project manager covers every market and has none of their own: their default zone is not said
    to be for "no market"."""
    web.login(make.user(Role.project_manager, all_markets=True))
    page = web.get("/notifications/preferences").get_data(as_text=True)
    assert "UTC (I cover every market)" in page and "no market of my own" not in page
    web.login(team["cm_fr"])
    assert ("Automatic: the pages in my browser&#39;s zone, the digest in my first market&#39;s (Europe/Paris)"
            in web.get("/notifications/preferences").get_data(as_text=True))


def test_admins_set_a_markets_threshold_and_webhook_others_may_not(team, web, admin_user, db_session):
    web.login(team["pm_fr"])
    assert web.get("/notifications/settings/FR").status_code == 403
    web.client.cookie_jar.clear() if hasattr(web.client, "cookie_jar") else None
    admin = type(web)(web.client.application.test_client())
    admin.login(admin_user)
    assert admin.get("/notifications/settings/ZZ").status_code == 404
    assert admin.get("/notifications/settings/FRxx").status_code == 404  # no market; it was read as FR
    answer = admin.post("/notifications/settings/FR", {"reminder_minutes": "120",
                                                       "chat_webhook_url": "http://127.0.0.1:8080/hook"})
    assert answer.status_code == 302
    settings = db_session.get(MarketNotificationSettings, team["fr"].id)
    assert (settings.reminder_minutes, settings.chat_webhook_url) == (120, "http://127.0.0.1:8080/hook")
    assert admin.post("/notifications/settings/FR", {"reminder_minutes": "5"}).status_code == 422
    assert admin.post("/notifications/settings/FR", {"reminder_minutes": "60",
                                                     "chat_webhook_url": "ftp://x.example/h"}).status_code == 422
    # Each mistake told as what it is, all at once.
    said = lambda data: admin.post("/notifications/settings/FR", data).get_data(as_text=True)  # noqa: E731
    zero = said({"reminder_minutes": "0"})
    assert "between 15 and 10080" in zero and "This field is required." not in zero
    assert "This field is required." in said({"reminder_minutes": ""})
    assert "Give an http or https address." in said({"reminder_minutes": "60", "chat_webhook_url": "ftp://x/h"})
    both = said({"reminder_minutes": "5", "chat_webhook_url": "gopher://x/h"})
    assert "between 15 and 10080" in both and "Give an http or https address." in both
    # Two admins at once: one changes the threshold, the other the webhook; both are kept, and the second is told.
    import html
    import re

    page = admin.get("/notifications/settings/FR").get_data(as_text=True)
    seen = html.unescape(re.search(r'name="seen" type="hidden" value="([^"]*)"', page).group(1))
    settings.reminder_minutes = 240  # the other admin's save, meanwhile
    db_session.flush()
    answer = admin.post("/notifications/settings/FR", {"reminder_minutes": "120", "seen": seen,
                                                       "chat_webhook_url": "http://127.0.0.1:8081/hook"})
    assert answer.status_code == 302
    db_session.refresh(settings)
    assert (settings.reminder_minutes, settings.chat_webhook_url) == (240, "http://127.0.0.1:8081/hook")
    assert "their changes are kept with yours" in admin.get("/notifications/settings/FR").get_data(as_text=True)



def test_a_chat_webhook_on_the_servers_own_network_is_refused_set_or_called(team, web, admin_user, app, db_session):
    """As a publishing webhook: the server calls it from inside its network, so an address on the machine or its
    private network (a cloud's metadata service) is refused when it is set and again before each call, unless the
    operator allows it; and a redirect is never followed (it could lead there)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import pytest

    from approval.notifications.chat import ChatSender

    web.login(admin_user)
    app.config["WEBHOOK_PRIVATE_ADDRESSES"] = False
    try:
        for address in ("http://169.254.169.254/latest", "http://127.0.0.1:9/hook", "http://[::1]/hook"):
            refused = web.post("/notifications/settings/FR", {"reminder_minutes": "60", "chat_webhook_url": address})
            assert refused.status_code == 422 and "own network" in refused.get_data(as_text=True), address
        assert db_session.get(MarketNotificationSettings, team["fr"].id) is None
        with app.app_context(), pytest.raises(OSError, match="own network"):
            ChatSender.post("http://127.0.0.1:9/hook", {"text": "x"})  # set before the rule: refused when called
    finally:
        app.config["WEBHOOK_PRIVATE_ADDRESSES"] = True
    calls: list[str] = []

    class Redirecting(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            calls.append(self.path)
            self.send_response(302)  # urllib follows a 302 for a POST (as a GET): refused here
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with app.app_context(), pytest.raises(OSError):
            ChatSender.post(f"http://127.0.0.1:{server.server_address[1]}/hook", {"text": "x"})
    finally:
        server.shutdown()
    assert calls == ["/hook"]  # the redirect was not followed


# The API ---------------------------------------------------------------------------------------------------------


def _api(app, session, user) -> ApiClient:
    _token, secret = issue_token(session, user, "tests")
    session.flush()
    return ApiClient(app, secret, user)


def test_the_api_lists_newest_first_and_marks_read(app, make, team, db_session):
    posts = [make.post(State.in_review, account=team["account_fr"], author=team["cm_fr"]) for _ in range(3)]
    api = _api(app, db_session, team["pm_fr"])
    body = api.get("/api/v1/notifications").get_json()
    assert body["unread"] == 3
    assert [item["post_id"] for item in body["items"]] == [p.id for p in reversed(posts)]
    assert set(body["items"][0]) == {"id", "kind", "post_id", "action", "comment", "at", "read"}
    assert body["items"][0]["kind"] == "review_requested" and body["items"][0]["at"].endswith("Z")
    first = body["items"][-1]["id"]
    marked = api.post("/api/v1/notifications/read", json={"ids": [first]}).get_json()
    assert marked["unread"] == 2 and [i["read"] for i in marked["items"]] == [False, False, True]
    assert api.post("/api/v1/notifications/read", json={"all": True}).get_json()["unread"] == 0
    older = api.get(f"/api/v1/notifications?before={body['items'][0]['id']}&limit=1").get_json()
    assert [i["post_id"] for i in older["items"]] == [posts[1].id]


def test_the_api_says_what_the_cabinet_decided_and_hides_a_comment_the_user_may_no_longer_see(
        app, make, team, db_session):
    _declined_by_a_cabinet(make, team, "Pas avant l'assemblée générale.")
    api = _api(app, db_session, team["pm_fr"])
    decided = api.get("/api/v1/notifications").get_json()["items"][0]
    assert (decided["kind"], decided["action"], decided["comment"]) == (
        "cabinet_decided", "decline", "Pas avant l'assemblée générale.")
    team["pm_fr"].markets = [team["ke"]]
    db_session.flush()
    decided = api.get("/api/v1/notifications").get_json()["items"][0]
    assert (decided["kind"], decided["action"], decided["comment"]) == ("cabinet_decided", "decline", None)


def test_the_api_shows_only_the_users_own_and_refuses_bad_input(app, make, team, db_session):
    make.post(State.in_review, account=team["account_fr"], author=team["cm_fr"])
    theirs = db_session.scalars(select(Notification)).one()
    api = _api(app, db_session, team["pm_ke"])
    assert api.get("/api/v1/notifications").get_json() == {"items": [], "unread": 0}
    assert api.post("/api/v1/notifications/read", json={"ids": [theirs.id]}).status_code == 200
    db_session.expire_all()
    assert db_session.get(Notification, theirs.id).read_at is None
    for bad in ({}, {"ids": [1], "all": True}, {"ids": "1"}, {"all": "yes"}, {"ids": [-1]}, {"other": 1}):
        assert api.post("/api/v1/notifications/read", json=bad).status_code == 422, bad
    assert api.get("/api/v1/notifications?limit=0").status_code == 422
    assert api.get("/api/v1/notifications?unknown=1").status_code == 422
    assert ApiClient(app, None).get("/api/v1/notifications").status_code == 401


def test_the_profile_links_to_the_preferences_and_admins_list_the_markets_settings(team, web, admin_user):
    web.login(team["cm_fr"])
    assert "/notifications/preferences" in web.get("/profile").get_data(as_text=True)
    assert web.get("/notifications/settings").status_code == 403
    admin = type(web)(web.client.application.test_client())
    admin.login(admin_user)
    page = admin.get("/notifications/settings").get_data(as_text=True)
    assert "/notifications/settings/FR" in page and "/notifications/settings/KE" in page


def test_a_post_that_left_the_users_markets_is_no_longer_shown_in_their_list(make, team, web, db_session):
    make.post(State.in_review, account=team["account_fr"], author=team["cm_fr"],
              body="Le secret du lancement de demain matin.")
    web.login(team["pm_fr"])
    assert "Le secret du lancement" in web.get("/notifications").get_data(as_text=True)
    team["pm_fr"].markets = [team["ke"]]
    db_session.flush()
    page = web.get("/notifications").get_data(as_text=True)
    assert "A post awaits your review" in page and "Le secret du lancement" not in page
    # Opened, it says why there is nothing to show rather than lead to a bare 404.
    notification = db_session.scalars(select(Notification).where(Notification.user_id == team["pm_fr"].id)).one()
    opened = web.get(f"/notifications/{notification.id}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/notifications")
    assert "You no longer see this post" in web.get("/notifications").get_data(as_text=True)


def test_a_comment_on_a_post_that_left_the_users_markets_is_no_longer_shown_either(make, team, db_session, web):
    cm, pm = team["cm_fr"], team["pm_fr"]
    post = make.post(State.in_review, account=team["account_fr"], author=cm)
    make.act(post, Action.request_changes, pm, comment="Le prix du lancement est confidentiel.")
    web.login(cm)
    assert "Le prix du lancement est confidentiel." in web.get("/notifications").get_data(as_text=True)
    cm.markets = [team["ke"]]
    db_session.flush()
    page = web.get("/notifications").get_data(as_text=True)
    assert "Le prix du lancement est confidentiel." not in page


def test_the_pages_dates_are_told_in_the_users_zone(app, team, web, db_session):
    """A token's dates on the profile page are in the user's zone (their first market's, or the one they chose),
    not UTC."""
    from datetime import UTC, datetime

    from approval.models.notifications import NotificationProfile

    row, _secret = issue_token(db_session, team["cm_fr"], "laptop")
    row.created_at = datetime(2026, 1, 15, 16, 0, tzinfo=UTC)
    db_session.flush()
    web.login(team["cm_fr"])
    made = row.created_at
    assert said_in_english(app, made, "Europe/Paris") in web.get("/profile").get_data(as_text=True)  # 17:00, winter
    db_session.add(NotificationProfile(user_id=team["cm_fr"].id, timezone="Asia/Kolkata"))
    db_session.flush()
    assert said_in_english(app, made, "Asia/Kolkata") in web.get("/profile").get_data(as_text=True)  # 21:30


def test_the_preferences_offer_what_the_role_is_ever_told(make, team, web, db_session):
    """A community manager is never asked for reviews: their page leaves those kinds out; a cabinet member's lists
    what it is told: the suggestions awaiting the cabinet and what becomes of them, not the writers' own news. A
    kind not shown keeps what was saved for it."""
    cm = team["cm_fr"]
    db_session.add(NotificationPreference(user_id=cm.id, kind=Kind.review_requested, mode=MailMode.off))
    db_session.flush()
    web.login(cm)
    page = web.get("/notifications/preferences").get_data(as_text=True)
    assert 'name="mode-changes_requested"' in page and 'name="mode-review_requested"' not in page
    assert 'name="mode-cabinet_requested"' not in page
    assert web.post("/notifications/preferences", {"mode-approved": "daily", "timezone": ""}).status_code == 302
    saved = {p.kind: p.mode for p in db_session.scalars(select(NotificationPreference)
                                                         .where(NotificationPreference.user_id == cm.id))}
    assert saved == {Kind.approved: MailMode.daily, Kind.review_requested: MailMode.off}
    cabinet = make.user(Role.cabinet, executives=[make.executive("Marie Curie")])
    other = type(web)(web.client.application.test_client())
    other.login(cabinet)
    page = other.get("/notifications/preferences").get_data(as_text=True)
    assert {m for m in re.findall(r'name="mode-(\w+)"', page)} == {
        "cabinet_requested", "cabinet_reminder", "accepted_changed", "withdrawn", "scheduled", "published", "missed",
        "failed", "unconfirmed", "commented"}
