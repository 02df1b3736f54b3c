"""The cabinet's walk (cabinet M1): once a suggestion is back with its writers (the cabinet sent it back, or a writer
changed it while the cabinet had it, or after it accepted it), what they save is their drafting table, not a
proposal. The cabinet reads only the revisions a project manager sent it (an ``approve`` into ``with_cabinet``):
while the writers have the post, the last one it was sent, under a state that says where the post is. A revision
never sent to it is a 404 on every page and every route of the API, its files too. SQLite and PostgreSQL."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from approval import operations as ops
from approval.api.tokens import issue_token
from approval.media import samples
from approval.models import RevisionMedia
from approval.workflow.states import Action, Role, State

SENT = "Fière de nos équipes ce soir."
DRAFT = "BROUILLON INTERNE — à revoir avec Marc, ne pas montrer au cabinet."
#: Words of the draft that no address of the walk holds (a search's words come back in its box).
SECRET = "ne pas montrer au cabinet"


@pytest.fixture()
def office(make, db_session, app):
    """Hélène Marchand's X account in France, her cabinet (Sophie, with an API token), Camille who writes for her and
    Lucile who sends her suggestions."""
    france = make.market("FR")
    helene = make.executive("Hélène Marchand")
    sophie = make.user(Role.cabinet, executives=[helene], name="Sophie Bernard")
    _row, secret = issue_token(db_session, sophie, "script")
    return SimpleNamespace(
        account=make.account(france, "x", executive=helene), sophie=sophie,
        camille=make.user(Role.community_manager, markets=[france], name="Camille Dubois"),
        lucile=make.user(Role.project_manager, markets=[france], name="Lucile Tardieu"),
        api=app.test_client(), headers={"Authorization": f"Bearer {secret}"},
    )


def _sent(make, office, body: str = SENT):  # noqa: ANN202
    post = make.post(State.in_review, account=office.account, author=office.camille, body=body)
    make.act(post, Action.approve, office.lucile)
    return post


def _draft_file(db_session, app, post, office) -> int:
    """A picture Camille adds to her draft (a revision of its own): its file's id."""
    with app.app_context():  # the store is the application's
        samples.attach_bytes(db_session, post, office.camille, samples.draw_picture((64, 48), "brouillon"),
                             "brouillon.jpg", "Brouillon")
    return db_session.scalars(select(RevisionMedia.media_file_id)
                              .where(RevisionMedia.revision_id == post.current_revision_id)).one()


def _assert_the_cabinet_reads_only_what_it_was_sent(web, office, post, draft_file: int, *, sent: int = 1) -> None:
    last = post.current_revision.number
    assert last > sent
    web.login(office.sophie)
    inbox = web.get("/cabinet").get_data(as_text=True)
    assert SECRET not in inbox and SENT in inbox
    assert "with the writers" in inbox
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert SECRET not in page and SENT in page and "brouillon.jpg" not in page
    assert "with the writers" in page
    for query in [f"?r={n}" for n in range(sent + 1, last + 1)] + [
            f"?diff_from={sent}&diff_to={last}", f"?diff_from={last}&diff_to={sent}"]:
        assert web.get(f"/posts/{post.id}{query}").status_code == 404, query
    assert web.get(f"/posts/{post.id}?r={sent}").status_code == 200
    for listing in ("/posts", "/posts?q=BROUILLON", "/cabinet?q=BROUILLON", "/cabinet?q=cabinet"):
        assert SECRET not in web.get(listing).get_data(as_text=True), listing
    assert f'href="/posts/{post.id}"' not in web.get("/cabinet?q=BROUILLON").get_data(as_text=True)
    assert f'href="/posts/{post.id}"' in web.get("/cabinet?q=fière").get_data(as_text=True)
    assert web.get(f"/media/{draft_file}").status_code == 404
    assert web.get(f"/media/{draft_file}/thumbnail").status_code == 404

    api, headers = office.api, office.headers
    one = api.get(f"/api/v1/posts/{post.id}", headers=headers).get_json()
    assert one["body"] == SENT and one["revision"]["number"] == sent and one["media"] == []
    assert one["state"] == post.state.value  # the contract's word: where the post is, not what it says
    listed = api.get("/api/v1/posts", headers=headers).get_json()["items"]
    assert [item["body"] for item in listed if item["id"] == post.id] == [SENT]
    revisions = api.get(f"/api/v1/posts/{post.id}/revisions", headers=headers).get_json()["items"]
    assert [item["number"] for item in revisions] == [sent]
    for path in [f"/revisions/{n}" for n in range(sent + 1, last + 1)] + [
            f"/revisions/{sent}/diff/{last}", f"/revisions/{last}/diff/{sent}"]:
        assert api.get(f"/api/v1/posts/{post.id}{path}", headers=headers).status_code == 404, path
    assert api.get(f"/api/v1/media/{draft_file}", headers=headers).status_code == 404
    trail = api.get(f"/api/v1/posts/{post.id}/transitions", headers=headers).get_data(as_text=True)
    comments = api.get(f"/api/v1/posts/{post.id}/comments", headers=headers).get_data(as_text=True)
    assert SECRET not in trail + comments


def test_a_text_saved_after_the_cabinet_sent_it_back_stays_with_the_writers(make, web, office, db_session, app):
    post = _sent(make, office)
    make.act(post, Action.request_changes, office.sophie, comment="Plus personnel, sans hashtag.")
    ops.edit_post(db_session, post, office.camille, DRAFT, expected_version=post.version)
    draft_file = _draft_file(db_session, app, post, office)
    db_session.flush()
    assert post.state is State.changes_requested
    _assert_the_cabinet_reads_only_what_it_was_sent(web, office, post, draft_file)
    web.login(office.lucile)  # the writers and the project managers read their drafts
    assert DRAFT in web.get(f"/posts/{post.id}").get_data(as_text=True)


def test_a_text_changed_while_the_cabinet_had_it_stays_with_the_writers_until_it_is_sent_again(make, web, office,
                                                                                                db_session, app):
    post = _sent(make, office)
    ops.edit_post(db_session, post, office.camille, DRAFT, expected_version=post.version)
    draft_file = _draft_file(db_session, app, post, office)
    db_session.flush()
    assert post.state is State.in_review
    _assert_the_cabinet_reads_only_what_it_was_sent(web, office, post, draft_file)
    # Submitted and rejected by the project managers: the cabinet still reads the text it had.
    make.act(post, Action.reject, office.lucile, comment="Non, on en reste là.")
    web.login(office.sophie)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert SECRET not in page and SENT in page
    assert office.api.get(f"/api/v1/posts/{post.id}", headers=office.headers).get_json()["body"] == SENT


def test_a_text_sent_again_is_the_cabinets_to_read(make, web, office, db_session):
    post = _sent(make, office)
    make.act(post, Action.request_changes, office.sophie, comment="Plus court.")
    ops.edit_post(db_session, post, office.camille, DRAFT, expected_version=post.version)
    ops.edit_post(db_session, post, office.camille, "Fiers de nos équipes.", expected_version=post.version)
    make.act(post, Action.submit, office.camille)
    make.act(post, Action.approve, office.lucile)
    db_session.flush()
    web.login(office.sophie)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Fiers de nos équipes." in page and SECRET not in page
    assert "with the writers" not in page
    revisions = office.api.get(f"/api/v1/posts/{post.id}/revisions", headers=office.headers).get_json()["items"]
    assert [item["number"] for item in revisions] == [1, 3]  # revision 2 was never sent
    assert web.get(f"/posts/{post.id}?r=2").status_code == 404
    assert web.get(f"/posts/{post.id}?diff_from=1&diff_to=3").status_code == 200


@pytest.mark.parametrize("url", ["/hub", "/hub?view=queue", "/hub/stream", "/hub/stream?view=queue", "/notifications"])
def test_the_wall_and_the_notifications_of_a_cabinet_show_no_draft_of_its_writers(make, web, office, db_session, app,
                                                                                   url):
    """The wall's queue lists what is in review, and the bell the suggestions sent: one back in review shows the
    text the cabinet had, not what a writer saved since, nor its picture; the wall's live stream neither."""
    post = _sent(make, office)
    ops.edit_post(db_session, post, office.camille, DRAFT, expected_version=post.version)
    draft_file = _draft_file(db_session, app, post, office)
    db_session.flush()
    assert post.state is State.in_review
    web.login(office.sophie)
    page = _first_screen(web, url)
    assert SECRET not in page and "brouillon.jpg" not in page and f"/media/{draft_file}" not in page
    if url.startswith("/hub"):
        assert SENT in page  # the queue lists the post, with the text the cabinet was sent


def _first_screen(web, url: str) -> str:  # noqa: ANN001
    """A page, or the first wall a stream sends."""
    if "/stream" not in url:
        return web.get(url).get_data(as_text=True)
    response = web.client.get(url, buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    chunks, sent = iter(response.response), ""
    try:
        while "event: wall" not in sent:
            sent = next(chunks).decode()  # one event per chunk
    finally:
        response.close()
    return sent


@pytest.mark.parametrize(("state", "urls"), [
    (State.scheduled, ("/hub", "/hub?view=next", "/hub?view=problems", "/hub/stream?view=next",
                       "/hub/stream?view=problems")),
    (State.published, ("/hub", "/hub?view=published", "/hub/stream?view=published")),
])
def test_the_walls_other_lists_quote_a_cabinet_the_text_it_was_sent(make, web, office, db_session, app, state, urls):
    """A suggestion the cabinet sent back, redrafted while its account was a brand's (approved without the cabinet:
    nobody sent it the new text), then given back to the executive: the wall's "Next 24 hours", "Needs attention"
    (bound to fail: the account is connected to nothing) and "Published" quote the cabinet the text it was sent,
    never the one it was not, nor its picture; nor do the week's findings count the draft's."""
    from datetime import timedelta

    from approval import administration as admin
    from approval.db import utcnow

    post = _sent(make, office)
    make.act(post, Action.request_changes, office.sophie, comment="Plus personnel.")
    account, helene = office.account, office.account.executive
    admin.update_account(db_session, account, account.market, account.network.value, account.handle, account.brand,
                         executive=None)
    ops.edit_post(db_session, post, office.camille, DRAFT, expected_version=post.version)
    draft_file = _draft_file(db_session, app, post, office)
    post.current_revision.findings = [{"rule": "typo.fr-spacing", "severity": "warning"}]
    make.act(post, Action.submit, office.camille)
    make.act(post, Action.approve, office.lucile)
    make.act(post, Action.schedule, office.lucile, scheduled_at=utcnow() + timedelta(hours=2))
    if state is State.published:
        make.act(post, Action.mark_published, office.lucile, url="https://x.com/helio/status/1")
    admin.update_account(db_session, account, account.market, account.network.value, account.handle, account.brand,
                         executive=helene)
    db_session.flush()
    assert post.state is state
    web.login(office.sophie)
    for url in urls:
        page = _first_screen(web, url)
        assert SENT in page, url  # the post is listed, as the cabinet had it
        assert SECRET not in page and "brouillon.jpg" not in page and f"/media/{draft_file}" not in page, url
        assert "no-break spaces" not in page, url
    web.login(office.lucile)  # the project managers read what goes out
    assert SECRET in _first_screen(web, urls[0])


def test_the_preview_a_cabinet_asks_for_shows_no_file_of_the_writers_draft(make, web, office, db_session, app):
    post = _sent(make, office)
    make.act(post, Action.request_changes, office.sophie, comment="Plus court.")
    draft_file = _draft_file(db_session, app, post, office)
    db_session.flush()
    web.login(office.sophie)
    answer = web.post("/posts/preview", {"post_id": post.id, "body": SENT})
    assert answer.status_code in (200, 404)
    assert f"/media/{draft_file}" not in answer.get_data(as_text=True)


def test_a_cabinets_preview_of_a_copy_shows_what_it_was_sent_not_the_writers_draft(make, web, office, db_session,
                                                                                  app):
    """The preview of a copy (``copy_of``, the new-post page's) read the post's current revision: a cabinet calling it
    saw the picture the writers had added to their draft since."""
    post = _sent(make, office)
    make.act(post, Action.request_changes, office.sophie, comment="Plus court.")
    draft_file = _draft_file(db_session, app, post, office)
    db_session.flush()
    web.login(office.sophie)
    answer = web.post("/posts/preview", {"account_id": office.account.id, "copy_of": post.id, "body": SENT})
    assert answer.status_code == 200 and f"/media/{draft_file}" not in answer.get_data(as_text=True)
