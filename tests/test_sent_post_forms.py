"""A new-post form sent twice makes its post, or its set of up to a dozen, once. The second send (a double click, a
retry, the back button) carries the session cookie as it was before the first one answered, or comes from another
tab at the same moment: the database knows the form (``sent_post_forms``, unique per writer and form key), not the
cookie. A set made twice could have each of its copies approved: the same message out twice on each account."""

from __future__ import annotations

import html
import re
import threading
import time

from sqlalchemy import select

from approval import operations as ops
from approval.models import AuditEntry, Post, PostSet, SentPostForm
from approval.workflow.states import Role

from conftest import Factory, WebClient, app_session, committed_app, row_counts


def _text(response) -> str:  # noqa: ANN001
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def _form(web: WebClient, accounts, body: str = "Le stade brille ce soir.") -> dict:  # noqa: ANN001
    """The new-post form as drawn for ``web``, filled for ``accounts`` (the first chosen, the others ticked)."""
    page = web.get("/posts/new").get_data(as_text=True)
    key = re.search(r'name="form_key" type="hidden" value="([^"]+)"', page).group(1)
    return {"csrf_token": web.token, "form_key": key, "account_id": str(accounts[0].id),
            "also_account_ids": [str(a.id) for a in accounts[1:]], "campaign_id": "", "body": body, "save": "1"}


def _cookies(web: WebClient) -> list[tuple[str, str, str, str]]:
    return [(c.key, c.value, c.domain, c.path) for c in web.client._cookies.values()]


def _put_back(web: WebClient, cookies: list[tuple[str, str, str, str]]) -> None:
    for key, value, domain, path in cookies:
        web.client.set_cookie(key, value, domain=domain, path=path)


def test_a_set_sent_again_with_the_cookie_from_before_makes_nothing(make, web, db_session):
    france = make.market("FR")
    accounts = [make.account(france, network) for network in ("x", "facebook", "linkedin")]
    web.login(make.user(Role.community_manager, markets=[france]))
    form = _form(web, accounts)
    before = _cookies(web)
    first = web.client.post("/posts/new", data=form)
    assert first.status_code == 302 and re.fullmatch(r"/sets/\d+", first.headers["Location"]), _text(first)[:500]
    _put_back(web, before)
    again = web.client.post("/posts/new", data=form)
    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]  # the set it made, not one of its posts
    assert row_counts(db_session, PostSet, Post, SentPostForm) == (1, 3, 1)
    assert "This form was sent already: here is the set it made." in _text(web.get(again.headers["Location"]))


def test_a_post_sent_again_with_the_cookie_from_before_makes_nothing(make, web, db_session):
    france = make.market("FR")
    account = make.account(france, "x")
    web.login(make.user(Role.community_manager, markets=[france]))
    form = _form(web, [account])
    before = _cookies(web)
    first = web.client.post("/posts/new", data=form)
    assert first.status_code == 302
    _put_back(web, before)
    again = web.client.post("/posts/new", data=form)
    post = db_session.scalars(select(Post)).one()
    assert again.status_code == 302 and again.headers["Location"] == f"/posts/{post.id}"
    assert row_counts(db_session, Post, AuditEntry, SentPostForm) == (1, 1, 1)
    assert "This form was sent already: here is the post it made." in _text(web.get(again.headers["Location"]))


def test_a_form_refused_can_be_sent_again_once_fixed(make, web, db_session):
    """A creation refused writes no row of the form: its fix, sent with the same key, is made."""
    france = make.market("FR")
    accounts = [make.account(france, "x") for _ in range(ops.MAX_SET_ACCOUNTS + 1)]
    web.login(make.user(Role.community_manager, markets=[france]))
    form = _form(web, accounts)
    refused = web.client.post("/posts/new", data=form)
    assert refused.status_code == 422
    assert row_counts(db_session, Post, SentPostForm) == (0, 0)
    fixed = web.client.post("/posts/new", data={**form, "also_account_ids": [str(accounts[1].id)]})
    assert fixed.status_code == 302 and re.fullmatch(r"/sets/\d+", fixed.headers["Location"])
    assert row_counts(db_session, PostSet, Post, SentPostForm) == (1, 2, 1)


def test_two_sends_at_once_make_one_set(backend, databases, tmp_path_factory, monkeypatch):
    """Two requests with one form at the same moment (a double click, two tabs): the second waits on the form's
    unique key (PostgreSQL) or the write lock (SQLite), and leads to the set the first made."""
    app = committed_app(databases, backend, tmp_path_factory)
    for session in app_session(app):
        make = Factory(session)
        france = make.market("FR")
        writer = make.user(Role.community_manager, markets=[france])
        accounts = [make.account(france, "x") for _ in range(3)]
        session.commit()
        for loaded in (writer, *accounts):  # read by the test after its session closes
            session.refresh(loaded)
            session.expunge(loaded)
    clients = [WebClient(app.test_client()) for _ in range(2)]
    for client in clients:
        client.login(writer)
    form = _form(clients[0], accounts)

    inside = threading.Event()
    create_post_set = ops.create_post_set

    def slow_create_post_set(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - the first holds its transaction open
        made = create_post_set(*args, **kwargs)
        if not inside.is_set():
            inside.set()
            time.sleep(1.0)
        return made

    monkeypatch.setattr(ops, "create_post_set", slow_create_post_set)
    answers: dict[int, object] = {}

    def send(index: int) -> None:
        answers[index] = clients[index].client.post("/posts/new", data={**form, "csrf_token": clients[index].token})

    first = threading.Thread(target=send, args=(0,))
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=send, args=(1,))
    second.start()
    first.join(30)
    second.join(30)
    assert [answers[i].status_code for i in (0, 1)] == [302, 302], [_text(answers[i])[:500] for i in answers]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    for session in app_session(app):
        assert row_counts(session, PostSet, Post, SentPostForm) == (1, 3, 1)
