"""The live link of a post handed to the outbox: the page says where it went, and a project manager of its market
gives the address where the other tool put it online (``operations.add_live_link``). The post stays published; an
``edit`` row of its trail with no new revision keeps the new address, the one it replaced and the outbox's."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from approval import operations as ops
from approval.db import utcnow
from approval.models import AuditEntry, OutboxMessage, Post, PublicationAttempt
from approval.publishing.connectors import OutboxConnector
from approval.publishing.controls import connect_account
from approval.publishing.worker import publication_of, publishing_key
from approval.workflow import engine
from approval.workflow.errors import GuardFailed, InvalidTransition, NotPermitted, Stale
from approval.workflow.states import Action, Role, State

LIVE = "https://www.facebook.com/helio/posts/4242"


def handed_to_outbox(make, db_session, app, market, network: str = "facebook", executive=None) -> Post:  # noqa: ANN001
    """A post the outbox published, recorded as the worker's outbox pass records it (``Worker._publish_in_place``,
    as ``approval.demo`` does): the message, its attempt, the post's address ``outbox:<id>`` and the ``publish``
    step."""
    account = connect_account(db_session, make.account(market, network, executive=executive), "outbox")
    post = make.post(State.scheduled, account=account)
    key, now = publishing_key(post), utcnow()
    publication = publication_of(app, post, key)
    db_session.add(OutboxMessage(idempotency_key=key, post_id=post.id, account_id=account.id,
                                 body=publication.as_json(), created_at=now))
    db_session.flush()
    result = OutboxConnector(Path(app.instance_path)).lookup(key, session=db_session)
    assert result is not None and result.url.startswith("outbox:")
    attempt = PublicationAttempt(post_id=post.id, revision_id=post.current_revision_id, account_id=account.id,
                                 sha256=post.current_revision.sha256, idempotency_key=key, connector="outbox",
                                 outcome=result.outcome, remote_id=result.remote_id, url=result.url,
                                 started_at=now, finished_at=now)
    db_session.add(attempt)
    db_session.flush()
    post.publish_key, post.published_url, post.published_at = key, result.url, now
    engine.record_step(db_session, post, Action.publish, now=now, payload={
        "attempt": attempt.id, "outcome": result.outcome.value, "url": result.url, "id": result.remote_id})
    return post


@pytest.fixture()
def france(make):  # noqa: ANN001, ANN201
    return make.market("FR")


@pytest.fixture()
def pm(make, france):  # noqa: ANN001, ANN201
    return make.user(Role.project_manager, markets=[france], name="Paule Manager")


@pytest.fixture()
def outbox_post(make, db_session, app, france):  # noqa: ANN001, ANN201
    return handed_to_outbox(make, db_session, app, france)


def _trail(db_session, post: Post) -> list[AuditEntry]:  # noqa: ANN001
    db_session.expire_all()
    return list(db_session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id).order_by(AuditEntry.id)))


def _html(response) -> str:  # noqa: ANN001
    return html.unescape(response.get_data(as_text=True))


def _text(response) -> str:  # noqa: ANN001
    """What the page says, its tags left out and its spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", response.get_data(as_text=True))).split())


# The page ----------------------------------------------------------------------------------------------------------


def test_a_project_manager_adds_the_live_link_and_the_page_links_to_it(web, db_session, pm, outbox_post):
    outbox = outbox_post.published_url
    web.login(pm)
    page = _text(web.get(f"/posts/{outbox_post.id}"))
    assert f"Handed to the outbox as {outbox}." in page and "Add the live link" in page
    assert f'action="/posts/{outbox_post.id}/live-link"' in _html(web.get(f"/posts/{outbox_post.id}"))
    version = outbox_post.version
    answer = web.post(f"/posts/{outbox_post.id}/live-link", {"url": f"  {LIVE} ", "version": version})
    assert answer.status_code == 302 and answer.headers["Location"] == f"/posts/{outbox_post.id}"
    db_session.expire_all()
    assert outbox_post.state == State.published and outbox_post.published_url == LIVE
    assert outbox_post.version == version + 1
    last = _trail(db_session, outbox_post)[-1]
    assert (last.action, last.from_state, last.to_state, last.actor_id) == (
        Action.edit, State.published, State.published, pm.id)
    assert last.payload == {"live_link": True, "url": LIVE, "previous_url": outbox, "outbox_url": outbox}
    assert last.revision_id == outbox_post.current_revision_id  # no new revision
    shown = _html(web.get(f"/posts/{outbox_post.id}"))
    assert f'<a class="button" href="{LIVE}" rel="noopener noreferrer">View on Facebook</a>' in shown
    assert "Live link added" in shown
    page = _text(web.get(f"/posts/{outbox_post.id}"))
    assert f"Handed to the outbox as {outbox}." in page  # the old address stays said
    assert "added the live link" in page and "Correct the live link" in page
    # The wall's published list shows it, as it shows a network's address.
    assert "www.facebook.com/helio/posts/4242" in _text(web.get("/hub?view=published"))


def test_a_link_given_again_corrects_it_audited_again(web, db_session, pm, outbox_post):
    outbox = outbox_post.published_url
    web.login(pm)
    assert web.post(f"/posts/{outbox_post.id}/live-link",
                    {"url": LIVE, "version": outbox_post.version}).status_code == 302
    db_session.expire_all()
    corrected = "https://www.facebook.com/helio/posts/4343"
    answer = web.post(f"/posts/{outbox_post.id}/live-link", {"url": corrected, "version": outbox_post.version})
    assert answer.status_code == 302
    db_session.expire_all()
    assert outbox_post.published_url == corrected
    rows = [e for e in _trail(db_session, outbox_post) if (e.payload or {}).get("live_link")]
    assert [(e.payload["previous_url"], e.payload["url"]) for e in rows] == [(outbox, LIVE), (LIVE, corrected)]
    assert all(e.payload["outbox_url"] == outbox for e in rows)
    page = _text(web.get(f"/posts/{outbox_post.id}"))
    assert "corrected the live link" in page


@pytest.mark.parametrize("role", [Role.community_manager, Role.admin])
def test_other_roles_see_no_form_and_are_refused(make, web, db_session, france, outbox_post, role):
    """Who may confirm a post as published may give its live link: a project manager (not a writer, nor an admin,
    whom ``confirm_published`` does not let either)."""
    user = make.user(role, markets=[france] if role is Role.community_manager else None)
    web.login(user)
    page = _text(web.get(f"/posts/{outbox_post.id}"))
    assert "Handed to the outbox as" in page and "Add the live link" not in page
    answer = web.post(f"/posts/{outbox_post.id}/live-link", {"url": LIVE, "version": outbox_post.version})
    assert answer.status_code == 403
    db_session.expire_all()
    assert outbox_post.published_url.startswith("outbox:")


def test_a_project_manager_of_another_market_gets_404(make, web, db_session, outbox_post):
    kenya = make.market("KE", "Africa/Nairobi", ("en",))
    web.login(make.user(Role.project_manager, markets=[kenya]))
    before = len(_trail(db_session, outbox_post))
    assert web.post(f"/posts/{outbox_post.id}/live-link",
                    {"url": LIVE, "version": outbox_post.version}).status_code == 404
    assert web.get(f"/posts/{outbox_post.id}/live-link").status_code == 404
    assert len(_trail(db_session, outbox_post)) == before
    assert outbox_post.published_url.startswith("outbox:")


@pytest.mark.parametrize(("url", "said"), [
    ("javascript:alert(1)", "Give the address (http or https) where the message was published."),
    ("", "Give the address (http or https) where the message was published."),
    ("https://x.com/helio/status/1", "This address is not on Facebook"),
    ("https://www.facebook.com/" + "a" * 2000, "At most 2,000 characters."),
])
def test_a_bad_address_is_refused_beside_the_field(web, db_session, pm, outbox_post, url, said):
    web.login(pm)
    before = len(_trail(db_session, outbox_post))
    answer = web.post(f"/posts/{outbox_post.id}/live-link", {"url": url, "version": outbox_post.version})
    assert answer.status_code == 422
    page = _html(answer)
    form = page[page.index('id="live-link"'):]
    assert said in form[:form.index("</form>")]
    assert 'aria-invalid="true"' in form[:form.index("</form>")]
    assert len(_trail(db_session, outbox_post)) == before
    assert outbox_post.published_url.startswith("outbox:")


def test_a_stale_version_is_a_conflict_that_keeps_the_address_typed(web, db_session, pm, make, france,
                                                                      outbox_post):
    other = make.user(Role.project_manager, markets=[france])
    ops.add_live_link(db_session, outbox_post, other, LIVE, expected_version=outbox_post.version)
    web.login(pm)
    typed = "https://www.facebook.com/helio/posts/9999"
    answer = web.post(f"/posts/{outbox_post.id}/live-link", {"url": typed, "version": outbox_post.version - 1})
    assert answer.status_code == 409
    page = _html(answer)
    assert "Your live link was not recorded" in page and f'value="{typed}"' in page
    assert f'name="version" value="{outbox_post.version}"' in page
    db_session.expire_all()
    assert outbox_post.published_url == LIVE


def test_a_post_no_outbox_published_is_refused(make, web, db_session, pm, france):
    """A post marked as published by hand (or a webhook's) has the network's address already: no form, a 409."""
    post = make.post(State.published, account=make.account(france), reviewer=pm)
    web.login(pm)
    page = _text(web.get(f"/posts/{post.id}"))
    assert "Add the live link" not in page and "Online at" in page
    answer = web.post(f"/posts/{post.id}/live-link", {"url": LIVE, "version": post.version})
    assert answer.status_code == 409
    assert "This post was not handed to the outbox" in _text(answer)


def test_a_post_not_published_is_refused(make, web, db_session, pm, france):
    post = make.post(State.approved, account=make.account(france), reviewer=pm)
    web.login(pm)
    answer = web.post(f"/posts/{post.id}/live-link", {"url": LIVE, "version": post.version})
    assert answer.status_code == 409
    assert "Only a published post has a live link" in _text(answer)


def test_the_cabinet_reads_the_link_not_the_outbox(make, web, db_session, app, france, pm):
    executive = make.executive("Hélène Marchand")
    cabinet = make.user(Role.cabinet, executives=[executive])
    post = handed_to_outbox(make, db_session, app, france, executive=executive)
    web.login(cabinet)
    page = _text(web.get(f"/posts/{post.id}"))
    assert "outbox:" not in page and "Add the live link" not in page
    assert web.post(f"/posts/{post.id}/live-link", {"url": LIVE, "version": post.version}).status_code == 403
    ops.add_live_link(db_session, post, pm, LIVE, expected_version=post.version)
    page = _text(web.get(f"/posts/{post.id}"))
    assert "View on Facebook" in page and "outbox:" not in page


# The operation -----------------------------------------------------------------------------------------------------


def test_the_audit_row_and_the_address_go_together_or_not_at_all(db_session, pm, outbox_post):
    outbox, before = outbox_post.published_url, len(_trail(db_session, outbox_post))
    savepoint = db_session.begin_nested()
    ops.add_live_link(db_session, outbox_post, pm, LIVE, expected_version=outbox_post.version)
    assert len(_trail(db_session, outbox_post)) == before + 1
    savepoint.rollback()  # a failure after the operation, before the commit
    db_session.expire_all()
    assert outbox_post.published_url == outbox and len(_trail(db_session, outbox_post)) == before


def test_a_request_failing_after_the_operation_keeps_neither(web, db_session, pm, outbox_post, monkeypatch):
    import approval.views.posts as views

    def broken(*_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("after the operation")

    monkeypatch.setattr(views, "flash", broken)
    web.login(pm)
    before = len(_trail(db_session, outbox_post))
    web.client.application.testing = False  # answer the 500 rather than raise it here
    try:
        answer = web.post(f"/posts/{outbox_post.id}/live-link", {"url": LIVE, "version": outbox_post.version})
    finally:
        web.client.application.testing = True
    assert answer.status_code == 500
    assert len(_trail(db_session, outbox_post)) == before
    assert outbox_post.published_url.startswith("outbox:")


def test_the_trail_still_verifies_and_the_engine_refuses_in_order(db_session, make, france, pm, outbox_post):
    from approval.models.audit import verify_chain

    writer = make.user(Role.community_manager, markets=[france])
    with pytest.raises(NotPermitted):
        ops.add_live_link(db_session, outbox_post, writer, LIVE, expected_version=outbox_post.version)
    with pytest.raises(Stale):
        ops.add_live_link(db_session, outbox_post, pm, LIVE, expected_version=outbox_post.version - 1)
    with pytest.raises(GuardFailed) as refused:
        ops.add_live_link(db_session, outbox_post, pm, "ftp://example.com/p", expected_version=outbox_post.version)
    assert list(refused.value.errors) == ["url"]
    ops.add_live_link(db_session, outbox_post, pm, LIVE, expected_version=outbox_post.version)
    assert verify_chain(db_session).broken is None
    marked = make.post(State.published, account=make.account(france), reviewer=pm)
    with pytest.raises(InvalidTransition):
        ops.add_live_link(db_session, marked, pm, LIVE, expected_version=marked.version)
