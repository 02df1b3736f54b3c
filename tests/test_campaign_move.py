"""Moving a post to another campaign, or out of one: an edit like another.

A campaign brings its hashtag, its disclosure, its embargo and its stop switch, so a reviewer approved the post *in*
its campaign: moving it makes a new revision (its findings see the new campaign) and sends a post that awaited or
held an approval back to review, with an audit row naming both campaigns. Through the engine, the editor and the API.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import row_counts
from sqlalchemy import select

from approval import administration as admin
from approval import operations as ops
from approval.db import utcnow
from approval.models import AuditEntry, Market, Post, Revision
from approval.workflow.errors import GuardFailed, InvalidTransition
from approval.workflow.states import Action, Role, State

BODY = "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante."


@pytest.fixture()
def france(make):
    return make.market("FR")


@pytest.fixture()
def euro(db_session, france):
    return admin.create_campaign(db_session, "Euro 2028", france, "#EURO2028")


@pytest.fixture()
def report(db_session):
    return admin.create_campaign(db_session, "Annual report", None, "#HelioReport")


def _counts(session) -> tuple[int, ...]:  # noqa: ANN001
    return row_counts(session, Revision, AuditEntry)


def _last_entry(session, post: Post) -> AuditEntry:
    return session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id)
                           .order_by(AuditEntry.id.desc()).limit(1)).one()


def test_moving_an_approved_post_sends_it_back_to_review(make, db_session, france, euro, report):
    post = make.post(State.approved, account=make.account(france))
    writer = post.created_by
    ops.edit_post(db_session, post, writer, post.body, campaign=euro, expected_version=post.version)
    assert post.state is State.in_review and post.campaign is euro
    assert post.current_revision.number == 2 and post.approved_revision.number == 1
    assert post.current_revision.sha256 == post.approved_revision.sha256  # the same text, not the same approval
    entry = _last_entry(db_session, post)
    assert (entry.action, entry.from_state, entry.to_state) == (Action.edit, State.approved, State.in_review)
    assert entry.payload["campaign_moved"] == {"from": None, "to": {"id": euro.id, "name": "Euro 2028"}}
    # The new revision's findings are those of the post in its new campaign: its hashtag is missing.
    assert "policy.campaign-hashtag" in {f["rule"] for f in post.current_revision.findings}
    # The approval was for the post outside the campaign: it must be given again, by someone else than the mover.
    pm = make.user(Role.project_manager, markets=[france])
    with pytest.raises(InvalidTransition):
        make.act(post, Action.schedule, pm, scheduled_at=utcnow() + timedelta(days=1))
    make.act(post, Action.approve, pm)
    assert post.state is State.approved
    # A project manager who moves a post wrote its revision: another one approves it.
    ops.edit_post(db_session, post, pm, post.body, campaign=report, expected_version=post.version)
    with pytest.raises(GuardFailed):
        make.act(post, Action.approve, pm)
    make.act(post, Action.approve, make.user(Role.project_manager, markets=[france]))

    assert _last_entry(db_session, post).action is Action.approve
    moves = db_session.scalars(select(AuditEntry.payload).where(AuditEntry.post_id == post.id,
                                                                AuditEntry.action == Action.edit)).all()
    assert moves[-1]["campaign_moved"] == {
        "from": {"id": euro.id, "name": "Euro 2028"}, "to": {"id": report.id, "name": "Annual report"}}
    ops.edit_post(db_session, post, writer, post.body, campaign=None, expected_version=post.version)
    assert post.campaign is None
    assert _last_entry(db_session, post).payload["campaign_moved"]["to"] is None


def test_moving_a_scheduled_post_drops_its_slot(make, db_session, france, euro):
    post = make.post(State.scheduled, account=make.account(france))
    slot = post.scheduled_at
    ops.edit_post(db_session, post, post.created_by, post.body, campaign=euro, expected_version=post.version)
    assert post.state is State.in_review and post.scheduled_at is None
    assert _last_entry(db_session, post).payload["dropped_slot"] == slot.isoformat()


def test_a_draft_moves_and_stays_a_draft(make, db_session, france, euro):
    post = make.post(State.draft, account=make.account(france))
    entry = ops.edit_post(db_session, post, post.created_by, post.body, campaign=euro, expected_version=post.version)
    assert entry is not None and (entry.from_state, entry.to_state) == (State.draft, State.draft)
    assert post.campaign is euro


def test_the_same_campaign_changes_nothing_and_another_markets_is_refused(make, db_session, france, euro):
    post = make.post(State.approved, account=make.account(france))
    before = _counts(db_session)
    assert ops.edit_post(db_session, post, post.created_by, post.body, expected_version=post.version) is None
    kenya = admin.create_campaign(db_session, "Nairobi marathon", make.market("KE", "Africa/Nairobi", ("en",)), "")
    with pytest.raises(GuardFailed) as refused:
        ops.edit_post(db_session, post, post.created_by, post.body, campaign=kenya, expected_version=post.version)
    assert "campaign_id" in refused.value.errors
    assert _counts(db_session) == before and post.state is State.approved and post.campaign is None


def test_a_published_post_keeps_its_campaign(make, db_session, france, euro):
    post = make.post(State.published, account=make.account(france))
    with pytest.raises(InvalidTransition):
        ops.edit_post(db_session, post, post.created_by, post.body, campaign=euro, expected_version=post.version)


# The editor ------------------------------------------------------------------------------------------------------


def _edit_form(web, post: Post, **fields: object) -> dict:
    return {"body": post.body, "version": post.version, **fields}


def test_the_editor_moves_a_post_and_its_page_says_so(web, make, db_session, france, euro):
    post = make.post(State.approved, account=make.account(france))
    web.login(post.created_by)
    page = web.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    assert 'name="campaign_id"' in page and "Euro 2028" in page
    answer = web.post(f"/posts/{post.id}/edit", _edit_form(web, post, campaign_id=euro.id), follow_redirects=True)
    shown = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "its campaign is not the one it was approved in" in shown
    assert "campaign: none → Euro 2028" in shown
    # The comparison a reviewer reads says it too: the text is the same, the campaign is not.
    assert "The text is the same." in shown and "Campaign: none → Euro 2028 (revision 2)" in shown
    db_session.expire_all()
    post = db_session.get(Post, post.id)
    assert post.state is State.in_review and post.campaign_id == euro.id


def test_an_editor_form_without_the_field_keeps_the_campaign(web, make, db_session, france, euro):
    post = ops.create_post(db_session, make.user(Role.community_manager, markets=[france]), make.account(france),
                           BODY, euro)
    web.login(post.created_by)
    answer = web.post(f"/posts/{post.id}/edit", _edit_form(web, post, body=BODY + " Merci."))
    assert answer.status_code == 302
    db_session.expire_all()
    assert db_session.get(Post, post.id).campaign_id == euro.id


def test_the_editor_refuses_a_campaign_it_does_not_offer(web, make, db_session, france):
    post = make.post(State.draft, account=make.account(france))
    kenya = admin.create_campaign(db_session, "Nairobi marathon", make.market("KE", "Africa/Nairobi", ("en",)), "")
    web.login(post.created_by)
    before = _counts(db_session)
    answer = web.post(f"/posts/{post.id}/edit", _edit_form(web, post, campaign_id=kenya.id))
    assert answer.status_code == 200 and "Not a valid choice" in answer.get_data(as_text=True)
    # Spaces alone are no choice either, not "no campaign".
    answer = web.post(f"/posts/{post.id}/edit", _edit_form(web, post, campaign_id=" "))
    assert answer.status_code == 200 and "Invalid Choice" in answer.get_data(as_text=True)
    assert _counts(db_session) == before


def test_a_text_fix_keeps_a_campaign_the_select_would_not_list(web, make, db_session, france, euro):
    """An admin moved the account to another market: its post's campaign (of the former market) is no choice of
    the new one, and the select's first choice, "No campaign", took the post out of it silently."""
    writer = make.user(Role.community_manager, markets=[france, make.market("BE", "Europe/Brussels", ("fr",))])
    account = make.account(france)
    post = ops.create_post(db_session, writer, account, BODY, euro)
    account.market = db_session.scalars(select(Market).where(Market.code == "BE")).one()
    db_session.flush()
    web.login(writer)
    page = web.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    assert f'<option selected value="{euro.id}">Euro 2028</option>' in page
    shown = re.search(r'name="campaign_shown" type="hidden" value="([^"]*)"', page).group(1)
    answer = web.post(f"/posts/{post.id}/edit", _edit_form(web, post, body=BODY + " Merci.",
                                                            campaign_id=euro.id, campaign_shown=shown))
    assert answer.status_code == 302
    db_session.expire_all()
    assert db_session.get(Post, post.id).campaign_id == euro.id


def test_a_conflict_tells_of_a_campaign_moved_meanwhile_and_keeps_it(web, make, db_session, france, euro, report):
    """Bea opened the editor (campaign Euro); Ana moved the post to the annual report. Bea's text fix is a
    conflict that says so, shows the saved campaign, and sent again keeps Ana's move."""
    writer = make.user(Role.community_manager, markets=[france])
    post = ops.create_post(db_session, writer, make.account(france), BODY, euro)
    web.login(writer)
    page = web.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    shown = re.search(r'name="campaign_shown" type="hidden" value="([^"]*)"', page).group(1)
    opened_at = post.version
    ops.edit_post(db_session, post, make.user(Role.community_manager, markets=[france]), BODY, campaign=report,
                  expected_version=post.version)
    db_session.flush()
    sent = {"body": BODY + " Merci.", "version": opened_at, "campaign_id": euro.id, "campaign_shown": shown}
    conflict = web.post(f"/posts/{post.id}/edit", sent)
    page = conflict.get_data(as_text=True)
    assert conflict.status_code == 409 and "They also changed its campaign: it is now in Annual report" in page
    assert f'<option selected value="{report.id}">Annual report</option>' in page
    version = int(re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1))
    assert version == post.version  # sent again, the form saves over the version it showed, not the old one
    again = {**sent, "version": version, "campaign_id": report.id,
             "campaign_shown": re.search(r'name="campaign_shown" type="hidden" value="([^"]*)"', page).group(1)}
    assert web.post(f"/posts/{post.id}/edit", again).status_code == 302
    db_session.expire_all()
    saved = db_session.get(Post, post.id)
    assert saved.campaign_id == report.id and saved.body == BODY + " Merci."
