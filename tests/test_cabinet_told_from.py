"""A cabinet follows a suggestion's story from its first sending on (``operations.told_from``), cut by the rows, not
by the clocks: the trail from the audit row that first sent it to the cabinet (its id), the discussion after the
last comment written before it (``Post.comments_before_cabinet``, kept by that sending).

Cut by timestamps, a writers' row stamped the same instant as the sending (one request, or two in the same
microsecond) read as written after it, and so did one written on a web process whose clock runs ahead; the
cabinet's own row written on a process whose clock runs behind read as written before, and was lost to it."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update
from test_cabinet_trail_drafts import AGAIN, SENT, office  # noqa: F401 - a fixture

from approval import operations as ops
from approval.db import utcnow
from approval.models import Comment
from approval.workflow.states import Action, State

INTERNAL = "Interne : trop plat pour le dirigeant."
ASIDE = "Entre nous : Marc préfère l’autre version."
ASKED = "Plus court, s’il vous plaît."


def _api(people, post, who: str, what: str) -> list[dict]:  # noqa: ANN001
    response = people.api.get(f"/api/v1/posts/{post.id}/{what}", headers=people.headers[who])
    assert response.status_code == 200
    return response.get_json()["items"]


def _page(web, post) -> str:  # noqa: ANN001
    return web.get(f"/posts/{post.id}").get_data(as_text=True)


def _history_actors(page: str) -> str:
    found = re.search(r'<ol class="history">(.*?)</ol>', page, re.S)
    assert found is not None
    return found.group(1)


def _reviewed_then_sent_at_one_instant(people, db_session):  # noqa: ANN001, ANN202
    """The whole story stamped with one instant: the project manager's internal round, the writers' aside and
    second draft, the sending, and the cabinet's request."""
    now = utcnow()
    post = ops.create_post(db_session, people.camille, people.account, SENT, now=now)
    ops.act_on_post(db_session, post, Action.submit, people.camille, expected_version=post.version, now=now)
    ops.act_on_post(db_session, post, Action.request_changes, people.lucile, expected_version=post.version,
                    comment=INTERNAL, now=now)
    ops.add_comment(db_session, post, people.marc, ASIDE)
    ops.edit_post(db_session, post, people.camille, AGAIN, expected_version=post.version, now=now)
    ops.act_on_post(db_session, post, Action.submit, people.camille, expected_version=post.version, now=now)
    ops.act_on_post(db_session, post, Action.approve, people.lucile, expected_version=post.version, now=now)
    ops.act_on_post(db_session, post, Action.request_changes, people.sophie, expected_version=post.version,
                    comment=ASKED, now=now)
    db_session.execute(update(Comment).where(Comment.post_id == post.id).values(created_at=now))
    db_session.flush()
    assert post.sent_to_cabinet_at == now and post.state is State.changes_requested
    return post


def test_rows_stamped_the_instant_of_the_sending_are_cut_by_the_sending_row(make, web, office, db_session):  # noqa: F811
    post = _reviewed_then_sent_at_one_instant(office, db_session)

    trail = _api(office, post, "sophie", "transitions")
    assert [(row["action"], row["actor_id"]) for row in trail] == [
        ("approve", office.lucile.id), ("request_changes", office.sophie.id)]
    assert [item["body"] for item in _api(office, post, "sophie", "comments")] == [ASKED]
    web.login(office.sophie)
    page = _page(web, post)
    assert INTERNAL not in page and ASIDE not in page and ASKED in page
    assert "Camille Dubois" not in _history_actors(page)  # her draft and submissions stay with the writers

    # The writers and the project managers still read it all.
    assert [row["action"] for row in _api(office, post, "lucile", "transitions")] == [
        "create", "submit", "request_changes", "edit", "submit", "approve", "request_changes"]
    assert [item["body"] for item in _api(office, post, "camille", "comments")] == [INTERNAL, ASIDE, ASKED]


def test_clocks_that_differ_between_web_processes_do_not_move_the_cut(make, web, office, db_session):  # noqa: F811
    """The sending written on a process whose clock runs ahead, the writers' aside before it on another that runs
    further ahead, and the cabinet's request after it on one that runs behind: the cabinet reads its own request and
    not the aside."""
    post = make.post(State.in_review, account=office.account, author=office.camille, body=SENT)
    ops.act_on_post(db_session, post, Action.request_changes, office.lucile, expected_version=post.version,
                    comment=INTERNAL)
    aside = ops.add_comment(db_session, post, office.marc, ASIDE)
    ops.act_on_post(db_session, post, Action.submit, office.camille, expected_version=post.version)
    sent = ops.act_on_post(db_session, post, Action.approve, office.lucile, expected_version=post.version,
                           now=utcnow() + timedelta(seconds=5))
    asked = ops.act_on_post(db_session, post, Action.request_changes, office.sophie, expected_version=post.version,
                            comment=ASKED, now=sent.at - timedelta(seconds=4))
    aside.created_at = sent.at + timedelta(seconds=5)
    db_session.flush()
    assert asked.at < sent.at < aside.created_at

    trail = _api(office, post, "sophie", "transitions")
    assert [(row["action"], row["actor_id"]) for row in trail] == [
        ("approve", office.lucile.id), ("request_changes", office.sophie.id)]
    assert [item["body"] for item in _api(office, post, "sophie", "comments")] == [ASKED]
    web.login(office.sophie)
    page = _page(web, post)
    assert ASKED in page and ASIDE not in page and INTERNAL not in page


def test_the_sending_is_the_first_one_a_second_sending_does_not_move_the_cut(make, web, office, db_session):  # noqa: F811
    post = _reviewed_then_sent_at_one_instant(office, db_session)
    ops.add_comment(db_session, post, office.camille, "C’est corrigé.")
    ops.act_on_post(db_session, post, Action.submit, office.camille, expected_version=post.version)
    ops.act_on_post(db_session, post, Action.approve, office.lucile, expected_version=post.version)
    db_session.flush()
    trail = _api(office, post, "sophie", "transitions")
    assert [row["action"] for row in trail] == ["approve", "request_changes", "submit", "approve"]
    assert [item["body"] for item in _api(office, post, "sophie", "comments")] == [ASKED, "C’est corrigé."]
