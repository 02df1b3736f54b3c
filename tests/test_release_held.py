"""Held posts on the publishing desk: "publish now" says the truth under a stop switch, and a project manager
releases a post a switch held once that switch is off (CONTRACT, ``approval stop off``: "held posts stay held until a
project manager releases them or gives new times"), from the post's page, the desk and the API, through the engine.
The worker then publishing it at its time is in tests/test_worker.py."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from approval.api.tokens import issue_token
from approval.db import utcnow
from approval.models import AuditEntry, Post, StopSwitch
from approval.publishing import controls
from approval.workflow.states import Action, Role, State
from tests.publishing_helpers import held_by_a_switch_now_off


def _held_under_a_switch_on(db_session, post: Post, actor, reason: str = "Match perdu.") -> int:
    """``post`` held at its time by a switch over its market (as the worker marks it), the switch still on: the one
    already on over that market, if any (a second is refused)."""
    stop = db_session.scalar(select(StopSwitch).where(StopSwitch.market_id == post.account.market_id,
                                                      StopSwitch.turned_off_at.is_(None))) \
        or controls.turn_on(db_session, actor, "market", market_code=post.account.market.code, reason=reason)
    post.held_at, post.held_by_stop_id = utcnow(), stop.id
    db_session.flush()
    return stop.id


def _trail(db_session, post: Post) -> list[AuditEntry]:
    db_session.expire_all()
    return list(db_session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id).order_by(AuditEntry.id)))


def _token(db_session, user) -> dict[str, str]:  # noqa: ANN001
    _row, secret = issue_token(db_session, user, "test")
    db_session.flush()
    return {"Authorization": f"Bearer {secret}"}


# "Publish the checked posts now" under a stop switch ----------------------------------------------------------------


def test_publish_now_refuses_the_posts_a_switch_holds_and_says_which_switch(make, web, db_session):
    """The desk said "1 post goes out now." and then "1 of them is still held", and the post did not go out. Now
    nothing claims it goes out: the held posts are refused up front, each with the switch and its reason."""
    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    post = make.post(State.scheduled, account=make.account(france))
    stop_id = _held_under_a_switch_on(db_session, post, pm, reason="Deuil national.")
    slot, version = post.scheduled_at, post.version
    web.login(pm)
    assert f'name="post" value="{post.id}"' in web.get("/publishing").get_data(as_text=True)

    answer = web.post("/publishing/reschedule", {"post": [str(post.id)], "when": "now",
                                                 f"version-{post.id}": str(version)})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "1 post goes out now." not in page and "still held" not in page
    assert "No post goes out now: a stop switch or an embargo holds some of the checked posts." in page
    assert (f"#{post.id}: Held by stop switch #{stop_id} (Market FR is stopped: Deuil national): it cannot go out "
            "while that switch is on.") in page
    assert f'value="{post.id}" form="move-held" aria-label="Post #{post.id}" checked' in page  # still checked
    db_session.expire_all()
    kept = db_session.get(Post, post.id)
    assert kept.version == version and kept.scheduled_at == slot and kept.held_by_stop_id == stop_id

    # A missed post under the same switch is refused too (it would be held at once), and nothing else moves.
    missed = make.post(State.approved, account=make.account(france))
    missed.missed_at = utcnow() - timedelta(hours=1)
    db_session.flush()
    answer = web.post("/publishing/reschedule", {"post": [str(missed.id)], "when": "now",
                                                 f"version-{missed.id}": str(missed.version)})
    assert answer.status_code == 422 and f"#{missed.id}: Held by stop switch #{stop_id}" in answer.get_data(
        as_text=True)
    db_session.expire_all()
    assert db_session.get(Post, missed.id).state is State.approved


# Releasing a held post ----------------------------------------------------------------------------------------------


def test_a_project_manager_releases_a_held_post_from_its_page_and_the_trail_says_who(make, web, db_session):
    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france], name="Lucile Tardieu")
    post = make.post(State.scheduled, account=make.account(france))
    held_by_a_switch_now_off(db_session, post, pm)
    stop_id, slot = post.held_by_stop_id, post.scheduled_at
    web.login(pm)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "It waits for a project manager to release it or give it a new time." in page
    assert f'action="/posts/{post.id}/actions/release"' in page and "Release the hold" in page

    answer = web.post(f"/posts/{post.id}/actions/release", {"version": post.version})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    db_session.expire_all()
    released = db_session.get(Post, post.id)
    assert released.state is State.scheduled and released.scheduled_at == slot  # its own time, kept
    assert released.held_at is None and released.held_by_stop_id is None
    row = _trail(db_session, post)[-1]
    assert (row.action, row.from_state, row.to_state, row.actor_id) == (Action.release, State.scheduled,
                                                                        State.scheduled, pm.id)
    assert row.payload.get("stop_id") == stop_id
    said = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Released: the post goes out at its time" in said and "Held:" not in said
    assert "Release the hold" not in said  # nothing to release any more


def test_a_post_a_switch_still_holds_cannot_be_released_and_the_refusal_names_the_switch(make, web, db_session):
    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    post = make.post(State.scheduled, account=make.account(france))
    stop_id = _held_under_a_switch_on(db_session, post, pm)
    rows = len(_trail(db_session, post))
    web.login(pm)
    assert "Release the hold" not in web.get(f"/posts/{post.id}").get_data(as_text=True)
    answer = web.post(f"/posts/{post.id}/actions/release", {"version": post.version})
    assert answer.status_code == 422
    assert (f"Stop switch #{stop_id} still holds it (Market FR is stopped: Match perdu): it can be released once "
            "that switch is off.") in answer.get_data(as_text=True)
    assert len(_trail(db_session, post)) == rows
    # A post nothing held has nothing to release; a community manager may not release at all.
    free = make.post(State.scheduled, account=make.account(make.market("KE", "Africa/Nairobi", ("en",))))
    web.login(make.user(Role.project_manager, markets=[free.account.market]))
    refused = web.post(f"/posts/{free.id}/actions/release", {"version": free.version})
    assert refused.status_code == 422 and "This post is not held: there is nothing to release." in refused.get_data(
        as_text=True)
    web.login(make.user(Role.community_manager, markets=[france]))
    assert web.post(f"/posts/{post.id}/actions/release", {"version": post.version}).status_code == 403


def test_a_held_post_whose_slot_passed_beyond_its_grace_period_needs_a_new_time(make, web, db_session):
    from approval.workflow import engine
    from approval.workflow.errors import GuardFailed

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    post = make.post(State.scheduled, account=make.account(france))
    held_by_a_switch_now_off(db_session, post, pm)
    late = post.scheduled_at + timedelta(minutes=france.grace_minutes, seconds=1)
    try:
        engine.apply(db_session, post, Action.release, pm, expected_version=post.version, now=late)
    except GuardFailed as refused:
        assert "Its slot has passed beyond its market's grace period: give it a new time instead." in str(
            refused.errors)
    else:
        raise AssertionError("released past its grace period")
    # Within it, released (the worker sends it at its next pass).
    within = post.scheduled_at + timedelta(minutes=france.grace_minutes - 1)
    engine.apply(db_session, post, Action.release, pm, expected_version=post.version, now=within)
    assert post.held_at is None


def test_the_desk_releases_one_held_post_or_the_checked_ones_in_one_go(make, web, db_session):
    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    first, second, third = (make.post(State.scheduled, account=make.account(france)) for _ in range(3))
    for post in (first, second, third):
        held_by_a_switch_now_off(db_session, post, pm)
    web.login(pm)
    desk = web.get("/publishing").get_data(as_text=True)
    assert f'<input type="hidden" name="only" value="{first.id}">' in desk and "Release only the checked posts" in desk

    answer = web.post("/publishing/release", {"only": str(first.id), f"version-{first.id}": str(first.version)},
                      follow_redirects=True)
    assert f"Post #{first.id} released: it goes out at its time, " in answer.get_data(as_text=True)
    both = {"post": [str(second.id), str(third.id)], f"version-{second.id}": str(second.version),
            f"version-{third.id}": str(third.version)}
    answer = web.post("/publishing/release", both, follow_redirects=True)
    assert "2 posts released: each goes out at its own time." in answer.get_data(as_text=True)
    db_session.expire_all()
    assert all(db_session.get(Post, p.id).held_at is None for p in (first, second, third))
    assert [_trail(db_session, p)[-1].action for p in (first, second, third)] == [Action.release] * 3

    # One still under a switch refuses them all, and the desk says which switch.
    fourth, fifth = (make.post(State.scheduled, account=make.account(france)) for _ in range(2))
    held_by_a_switch_now_off(db_session, fourth, pm)
    stop_id = _held_under_a_switch_on(db_session, fifth, pm, reason="Encore.")
    form = {"post": [str(fourth.id), str(fifth.id)], f"version-{fourth.id}": str(fourth.version),
            f"version-{fifth.id}": str(fifth.version)}
    answer = web.post("/publishing/release", form)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "No post was released" in page
    assert f"#{fifth.id}: “Release the hold” was refused. Stop switch #{stop_id} still holds it" in page
    db_session.expire_all()
    assert db_session.get(Post, fourth.id).held_at is not None
    # Nothing checked; another market's post (404); another role (403).
    web.post("/publishing/release", {})
    assert "Check the posts to release." in web.get("/publishing").get_data(as_text=True)
    elsewhere = make.post(State.scheduled, account=make.account(make.market("PL", "Europe/Warsaw", ("pl",))))
    outsider = {"post": [str(elsewhere.id)], f"version-{elsewhere.id}": str(elsewhere.version)}
    assert web.post("/publishing/release", outsider).status_code == 404
    web.login(make.user(Role.community_manager, markets=[france]))
    assert web.post("/publishing/release", form).status_code == 403


def test_the_api_releases_a_held_post_within_the_project_managers_markets(make, app, db_session):
    france = make.market("FR")
    kenya = make.market("KE", "Africa/Nairobi", ("en",))
    pm = make.user(Role.project_manager, markets=[france])
    post = make.post(State.scheduled, account=make.account(france))
    held_by_a_switch_now_off(db_session, post, pm)
    client = app.test_client()
    headers = _token(db_session, pm)
    seen = client.get(f"/api/v1/posts/{post.id}", headers=headers)
    assert seen.get_json()["hold"]["needs_new_time"] is True
    etag = seen.headers["ETag"]

    outsider = _token(db_session, make.user(Role.project_manager, markets=[kenya]))
    hidden = client.post(f"/api/v1/posts/{post.id}/transitions", json={"action": "release"},
                         headers={**outsider, "If-Match": etag})
    assert hidden.status_code == 404

    done = client.post(f"/api/v1/posts/{post.id}/transitions", json={"action": "release"},
                       headers={**headers, "If-Match": etag})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["state"] == "scheduled" and done.get_json()["hold"] is None
    trail = client.get(f"/api/v1/posts/{post.id}/transitions", headers=headers).get_json()
    trail = trail["items"] if isinstance(trail, dict) else trail
    assert (trail[-1]["action"], trail[-1]["actor_id"]) == ("release", pm.id)

    # Under a switch still on: a 422 naming it.
    other = make.post(State.scheduled, account=make.account(france))
    stop_id = _held_under_a_switch_on(db_session, other, pm, reason="Encore.")
    etag = client.get(f"/api/v1/posts/{other.id}", headers=headers).headers["ETag"]
    refused = client.post(f"/api/v1/posts/{other.id}/transitions", json={"action": "release"},
                          headers={**headers, "If-Match": etag})
    assert refused.status_code == 422
    assert any(f"Stop switch #{stop_id} still holds it" in reason
               for reason in refused.get_json()["errors"]["_workflow"])


def test_a_post_a_switch_held_and_an_embargo_still_covers_waits_for_a_release_and_is_told_so(make, web, db_session):
    """A switch held the post at its time, then went off while its campaign's embargo still runs: the worker lifts
    embargo holds only (not a switch's), so the refusal does not promise it goes out by itself."""
    from approval.models import Campaign

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    campaign = Campaign(name="Rapport annuel", market=france, embargo_until=utcnow() + timedelta(minutes=5))
    db_session.add(campaign)
    post = make.post(State.scheduled, account=make.account(france))
    post.campaign, post.scheduled_at = campaign, utcnow() - timedelta(minutes=1)  # its slot, before the embargo
    stop_id = _held_under_a_switch_on(db_session, post, pm)
    controls.turn_off(db_session, pm, stop_id)
    db_session.flush()
    web.login(pm)
    answer = web.post(f"/posts/{post.id}/actions/release", {"version": post.version})
    assert answer.status_code == 422
    said = answer.get_data(as_text=True)
    assert "it can be released once the embargo lifts." in said and "goes out by itself" not in said


def test_the_desk_asks_the_engine_nothing_of_posts_a_switch_on_still_holds(make, web, db_session, monkeypatch):
    """The desk asked the engine, one query of the switches each, whether each held post could be released: while a
    crisis lasts none can, and a hundred held posts cost a hundred queries. Only those nothing holds are asked."""
    from approval.views import publishing

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    held = [make.post(State.scheduled, account=make.account(france)) for _ in range(3)]
    for post in held:
        _held_under_a_switch_on(db_session, post, pm)
    asked: list[int] = []
    real = publishing.available_actions
    monkeypatch.setattr(publishing, "available_actions", lambda post, user: asked.append(post.id) or real(post, user))
    web.login(pm)
    desk = web.get("/publishing").get_data(as_text=True)
    assert all(f">#{post.id}<" in desk for post in held) and 'name="only"' not in desk
    assert asked == []
