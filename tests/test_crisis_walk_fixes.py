"""What a crisis night showed (a product recall: a stop switch over everything, webhooks answering 500/429, missed
slots, releases): the stops page says who may stop everything, the desk says which hold each held row is and releases
them all at once, the dashboard and the wall say a switch is on, the settings say how each account's last call went,
and a next try within the hour is shown to the second."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from approval.db import utcnow
from approval.models import AuditEntry, Post, PublicationAttempt
from approval.models.publishing import Outcome
from approval.publishing import controls
from approval.workflow.states import Action, Role, State
from tests.publishing_helpers import held_by_a_switch_now_off


def _row(page: str, marker: str) -> str:
    start = page.index(marker)
    return page[start:page.index("</tr>", start)]


# 1. The stops page --------------------------------------------------------------------------------------------------


def test_a_manager_of_some_markets_is_told_who_may_stop_everything(make, web, db_session):
    """In a night crisis a project manager of France looked for "pause all": the option was gone without a word."""
    france = make.market("FR")
    make.user(Role.admin, name="Ada Admin")
    make.user(Role.project_manager, all_markets=True, name="Gaspard Global")
    gone = make.user(Role.admin, name="Ancien Admin")
    gone.active = False
    pm = make.user(Role.project_manager, markets=[france])
    db_session.flush()
    web.login(pm)
    page = web.get("/publishing/stops").get_data(as_text=True)
    assert 'value="all"' not in page  # still not theirs to choose
    note = page[page.index('class="muted who-stops-all"'):]
    note = note[:note.index("</p>")]
    assert "Everything, everywhere" in note and "Ada Admin" in note and "Gaspard Global" in note
    assert "Ancien Admin" not in note


def test_the_switches_list_reads_alike_for_every_scope_and_counts_what_it_holds(make, web, db_session):
    france = make.market("FR")
    kenya = make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    admin = make.user(Role.admin)
    everything = controls.turn_on(db_session, admin, "all", reason="Rappel produit.")
    market = controls.turn_on(db_session, admin, "market", market_code="KE", reason="Grève.")
    admin.locale = "fr"
    db_session.flush()
    web.login(admin)
    page = web.get("/publishing/stops").get_data(as_text=True)
    every_row, market_row = _row(page, f'id="stop-{everything.id}"'), _row(page, f'id="stop-{market.id}"')
    assert "<strong>" not in every_row and "<strong>" not in market_row  # no scope bolder than another
    assert "Retient aucune" not in page and "aucune" not in every_row
    assert "0 publication" in every_row
    # A market's switch in the market's time; everything's in the viewer's.
    assert "Africa/Nairobi" in market_row and "Africa/Nairobi" not in every_row
    assert france is not None and kenya is not None


# 2. Which hold each held row is -------------------------------------------------------------------------------------


def test_each_held_row_says_which_of_the_four_cases_it_is(make, web, db_session):
    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    waiting = make.post(State.scheduled, account=make.account(france))
    held_by_a_switch_now_off(db_session, waiting, pm)
    tomorrow = make.post(State.scheduled, account=make.account(france))
    controls.turn_on(db_session, pm, "market", market_code="FR", reason="Rappel produit.")
    db_session.flush()
    web.login(pm)
    page = web.get("/publishing").get_data(as_text=True)
    held = page[page.index('id="held"'):page.index("</section>", page.index('id="held"'))]
    assert re.search(r'class="hold-case">Stop switch on at its time<', _row(held, f'value="{waiting.id}"'))
    assert re.search(r'class="hold-case">Stop switch, not due yet<', _row(held, f'value="{tomorrow.id}"'))


# 3. Release them all ------------------------------------------------------------------------------------------------


def test_release_all_releases_what_it_may_and_says_what_it_left(make, web, db_session):
    france, kenya = make.market("FR"), make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    pm = make.user(Role.project_manager, markets=[france, kenya])
    posts = [make.post(State.scheduled, account=make.account(france)) for _ in range(3)]
    for post in posts:
        post.held_at = utcnow()
    stop = controls.turn_on(db_session, pm, "market", market_code="FR", reason="Match perdu.")
    for post in posts:
        post.held_by_stop_id = stop.id
    controls.turn_off(db_session, pm, stop.id)
    still = make.post(State.scheduled, account=make.account(kenya))
    on = controls.turn_on(db_session, pm, "market", market_code="KE", reason="Grève.")
    still.held_at, still.held_by_stop_id = utcnow(), on.id
    other = make.market("DE", timezone="Europe/Berlin", languages=("de",))
    theirs = make.post(State.scheduled, account=make.account(other))
    db_session.flush()
    web.login(pm)
    page = web.get("/publishing").get_data(as_text=True)
    assert "Release all 3" in page and 'action="/publishing/release/all"' in page
    stale = posts[2]
    form = {"post": [str(p.id) for p in [*posts, still, theirs]],
            **{f"version-{p.id}": str(p.version) for p in [*posts, still, theirs]}}
    form[f"version-{stale.id}"] = str(stale.version - 1)
    answer = web.post("/publishing/release/all", form, follow_redirects=True)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "2 posts released" in text
    assert f"#{stale.id}: Reload the desk: this post changed." in text
    assert re.search(rf"#{still.id}: [^<]*Stop switch #{on.id} still holds it", text)
    assert f"#{theirs.id}: Not one of the posts you may act on." in text
    db_session.expire_all()
    for post in posts[:2]:
        assert db_session.get(Post, post.id).held_at is None
        assert db_session.scalar(select(AuditEntry).where(AuditEntry.post_id == post.id,
                                                          AuditEntry.action == Action.release)) is not None
    assert db_session.get(Post, stale.id).held_at is not None
    assert db_session.get(Post, still.id).held_at is not None
    assert db_session.get(Post, theirs.id).state is State.scheduled  # not theirs: untouched, not a 404


def test_release_all_needs_the_form_token(make, web, db_session):
    pm = make.user(Role.project_manager)
    web.login(pm)
    assert web.post("/publishing/release/all", {"post": ["1"]}, csrf=False).status_code == 400


# 4. The dashboard ---------------------------------------------------------------------------------------------------


def test_the_dashboard_says_a_switch_is_on_and_counts_the_held(make, web, db_session):
    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    make.post(State.scheduled, account=make.account(france))
    boss = make.user(Role.admin, name="Claire Crise")
    controls.turn_on(db_session, boss, "market", market_code="FR", reason="Rappel produit.")
    db_session.flush()
    web.login(pm)
    page = web.get("/hub/dashboard").get_data(as_text=True)
    banner = page[page.index('class="flash warning dashboard-stops"'):]
    banner = banner[:banner.index("</section>")]
    assert "Rappel produit." in banner and "Claire Crise" in banner and "FR" in banner
    assert re.search(r'data-label="held"[^>]*>\s*<a[^>]*>1</a>', page)


# 5. The wall's banner -----------------------------------------------------------------------------------------------


def test_the_walls_banner_says_one_switch_in_its_markets_time(make, web, db_session):
    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    stop = controls.turn_on(db_session, pm, "market", market_code="FR", reason="Rappel produit.")
    db_session.flush()
    web.login(pm)
    page = web.get("/hub").get_data(as_text=True)
    banner = page[page.index('class="stops alert"'):]
    banner = banner[:banner.index("</section>")]
    assert "Stop switch on<" in banner and "Stop switches on" not in banner
    paris = stop.turned_on_at.astimezone(france.zone)
    assert paris.strftime("%H:%M") in banner and "UTC+1" in banner
    assert 'class="local"' not in banner  # not rewritten to the screen's zone beside the markets' clocks


# 6. How each account's webhook is doing -----------------------------------------------------------------------------


def test_the_settings_say_each_accounts_last_call_and_who_needs_an_admin(make, admin_web, db_session):
    france = make.market("FR")
    hooked = make.account(france)
    controls.connect_account(db_session, hooked, "outbox")
    post = make.post(State.scheduled, account=hooked)
    db_session.add(PublicationAttempt(post_id=post.id, revision_id=post.current_revision_id, account_id=hooked.id,
                                      sha256="0" * 64, idempotency_key="k1", connector="webhook",
                                      outcome=Outcome.temporary_error, message="HTTP 500 boom",
                                      started_at=utcnow() - timedelta(minutes=5),
                                      finished_at=utcnow() - timedelta(minutes=5)))
    bare = make.account(france)
    db_session.flush()
    page = admin_web.get("/publishing/settings").get_data(as_text=True)
    row = _row(page, f'id="account-{hooked.id}"')
    assert 'class="last-call' in row and "Last publishing attempt, 5 minutes ago:" in row and "HTTP 500 boom" in row
    assert "needs-admin" in _row(page, f'id="account-{bare.id}"')
    assert "needs-admin" not in row
    assert "its address and its secret" in page  # what reconnecting a webhook means


# 7. Next try to the second ------------------------------------------------------------------------------------------


def test_a_next_try_within_the_hour_is_shown_to_the_second(make, web, db_session):
    france = make.market("FR", timezone="Atlantic/Reykjavik")
    pm = make.user(Role.project_manager, markets=[france])
    post = make.post(State.scheduled, account=make.account(france))
    soon = (utcnow() + timedelta(minutes=20)).replace(second=30, microsecond=0)
    post.next_attempt_at = soon
    db_session.flush()
    web.login(pm)
    page = web.get("/publishing").get_data(as_text=True)
    retrying = page[page.index('id="retrying"'):page.index("</section>", page.index('id="retrying"'))]
    assert re.search(rf'class="next-try">[^<]*{soon.strftime("%H:%M:%S")}', retrying)


def test_release_all_answers_odd_values_without_a_server_error(make, web, db_session):
    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    post = make.post(State.scheduled, account=make.account(france))
    web.login(pm)
    answer = web.post("/publishing/release/all", {"post": ["x", "-1", "9" * 30, str(post.id)],
                                                  f"version-{post.id}": "zz"}, follow_redirects=True)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 409  # nothing released: the desk says why
    assert f"#{post.id}: Reload the desk: this post changed." in text
    assert web.post("/publishing/release/all", {}, follow_redirects=True).status_code == 200


def test_release_all_over_the_desks_size_writes_nothing_and_names_a_few_left_out(make, web, db_session):
    """More ids than the desk shows are refused whole, before any release (a real held post among 100 unknown ids
    was released, and the desk then said 103 lines, in a session cookie too large for a browser to keep); those it
    leaves out are named up to ten, then counted."""
    from approval.views.publishing import LEFT_OUT_SAID, RESCHEDULED_AT_ONCE

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    post = make.post(State.scheduled, account=make.account(france))
    held_by_a_switch_now_off(db_session, post, pm)
    web.login(pm)
    unknown = [str(9_000_000 + n) for n in range(RESCHEDULED_AT_ONCE)]
    answer = web.post("/publishing/release/all", {"post": [str(post.id), *unknown], f"version-{post.id}":
                                                  str(post.version)}, follow_redirects=True)
    assert answer.status_code == 200
    assert f"Release at most {RESCHEDULED_AT_ONCE} posts at once." in answer.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Post, post.id).held_at is not None
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.post_id == post.id,
                                                      AuditEntry.action == Action.release)) is None

    answer = web.post("/publishing/release/all", {"post": [str(post.id), *unknown[:20]], f"version-{post.id}":
                                                  str(post.version)}, follow_redirects=True)
    text = answer.get_data(as_text=True)
    assert "1 post released" in text and "20 posts were left out:" in text
    assert text.count("Not one of the posts you may act on.") == LEFT_OUT_SAID
    assert f"… and {20 - LEFT_OUT_SAID} others." in text
