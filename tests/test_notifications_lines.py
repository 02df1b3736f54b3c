"""The list pages by line, whole: the notices of one act on the posts of a set are one line (``grouping``), never cut
at a page's end. It paged by notification: with the real page size, a set's line at the boundary showed on the first
page with part of its count and again on the next with the rest. Walking every page shows each notice once; a notice
arriving meanwhile moves nothing. The bell counts the list's lines that hold an unread notice (it gathered the unread
ones among themselves, by their time, and counted one line fewer than the list showed); a line's box and its link
mark all its notices read, however long its act took. SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from approval.db import utcnow
from approval.models import Post, User
from approval.models.notifications import MailMode, Notification
from approval.models.notifications import NotificationKind as Kind
from approval.notifications import dispatch, inbox
from approval.workflow.states import Action, Role
from tests.test_notifications_sets import NETWORKS, a_set, approve_and_schedule_all



@pytest.fixture()
def team(make):  # noqa: ANN001, ANN201
    fr = make.market("FR")
    return {"fr": fr, "accounts": [make.account(fr, network) for network in NETWORKS],
            "writer": make.user(Role.community_manager, markets=[fr], name="Camille"),
            "pm": make.user(Role.project_manager, markets=[fr], name="Lucile")}


def stops_told(session, user: User, market, count: int) -> None:  # noqa: ANN001
    """``count`` notices that stand alone (a stop switch's, of no post), newer than the others, in one statement."""
    now = utcnow()
    session.execute(insert(Notification), [
        {"user_id": user.id, "kind": Kind.stop_on, "market_id": market.id, "comment": f"Pause {i}", "at": now,
         "mail": MailMode.off} for i in range(count)])
    session.flush()


def ids_of(session, user: User) -> list[int]:  # noqa: ANN001
    session.flush()
    return list(session.scalars(select(Notification.id).where(Notification.user_id == user.id)))


def lines_of(page: str) -> list[tuple[list[int], str]]:
    """Each line of a page of the list: the ids of its notices and its text."""
    found = []
    for row in re.findall(r'<tr class="notification.*?</tr>', page, re.S):
        ids = re.search(r'data-ids="([\d,]+)"', row) or re.search(r'data-id="(\d+)"', row)
        found.append(([int(i) for i in ids.group(1).split(",")], html.unescape(row)))
    return found


def bell(page: str) -> int:
    return int(re.search(r'data-unread="(\d+)"', page).group(1))


def walk(web, *, between=None) -> list[list[tuple[list[int], str]]]:  # noqa: ANN001
    """Every page of the list, following "Older"; ``between()`` is called after the first."""
    pages, url = [], "/notifications"
    while url:
        page = web.get(url).get_data(as_text=True)
        pages.append(lines_of(page))
        older = re.search(r'href="(/notifications\?before=\d+)"', page)
        url = html.unescape(older.group(1)) if older else None
        if between is not None and len(pages) == 1:
            between()
        assert len(pages) < 20
    return pages


@pytest.mark.parametrize("newer", [inbox.PAGE - 5, inbox.PAGE - 2, inbox.PAGE - 1, inbox.PAGE])
def test_a_sets_line_at_a_page_boundary_is_whole_and_each_notice_shows_once(make, web, db_session, team, newer):
    """5 "approved" and 5 "scheduled" of one act on a set (two lines), ``newer`` notices of their own after them and
    3 before: with the real page size, the set's lines fall at the first page's end."""
    stops_told(db_session, team["writer"], team["fr"], 3)
    set_id, _posts = a_set(make, db_session, team)
    web.login(team["pm"])
    approve_and_schedule_all(web, set_id)
    stops_told(db_session, team["writer"], team["fr"], newer)
    every = ids_of(db_session, team["writer"])
    assert len(every) == 3 + 10 + newer

    web.login(team["writer"])
    # Notices arriving while the reader pages: on the first page when reloaded, never on the next ones.
    pages = walk(web, between=lambda: stops_told(db_session, team["writer"], team["fr"], 4))
    lines = 3 + 2 + newer  # exactly a page's worth offers no older page
    assert [len(page) for page in pages] == ([inbox.PAGE, lines - inbox.PAGE] if lines > inbox.PAGE else [lines])
    shown = Counter(i for page in pages for ids, _text in page for i in ids)
    assert shown == Counter(every), "a notice lost or shown twice across pages"
    texts = [text for page in pages for _ids, text in page]
    for told in ("scheduled", "approved"):
        [line] = [text for text in texts if f"of set #{set_id} were {told}" in text]
        assert f"5 posts of set #{set_id} were {told}" in line
    of_the_set = set(db_session.scalars(select(Notification.id).where(Notification.user_id == team["writer"].id,
                                                                      Notification.post_id.is_not(None))))
    assert [len(ids) for page in pages for ids, _text in page if of_the_set & set(ids)] == [5, 5]
    first = web.get("/notifications").get_data(as_text=True)
    assert len(lines_of(first)) == inbox.PAGE and "Pause 3" in lines_of(first)[0][1]


def test_the_bell_counts_the_lines_the_list_shows_unread(make, web, db_session, team):
    """One act's three notices of a set, written over 100 seconds (a long pass), the newest read: the list showed two
    lines with an unread notice (the oldest beyond a minute of the newest), the bell one (the two unread within a
    minute of each other). Both now say one line, of three posts."""
    set_id, posts = a_set(make, db_session, team, size=3)
    now = utcnow()
    told = [Notification(user_id=team["writer"].id, kind=Kind.approved, post_id=post.id, actor_id=team["pm"].id,
                         action=Action.approve.value, at=now - timedelta(seconds=50 * (2 - i)), mail=MailMode.off)
            for i, post in enumerate(posts)]
    db_session.add_all(told)
    db_session.flush()
    told[-1].read_at = now
    db_session.flush()
    web.login(team["writer"])
    page = web.get("/notifications").get_data(as_text=True)
    unread_lines = [text for _ids, text in lines_of(page) if 'class="notification group unread"' in text
                    or 'class="notification unread"' in text]
    assert bell(page) == len(unread_lines) == inbox.unread_lines(db_session, team["writer"]) == 1
    assert f"3 posts of set #{set_id} were approved" in unread_lines[0]
    # Read, the line leaves the bell; the list keeps it, read.
    inbox.mark_read(db_session, team["writer"], [n.id for n in told])
    page = web.get("/notifications").get_data(as_text=True)
    assert bell(page) == 0 and f"3 posts of set #{set_id} were approved" in page


def test_a_lines_link_and_box_mark_all_its_notices_read(make, web, db_session, team):
    """A set's line whose act took minutes (its notices 75 seconds apart): opening it read only those within a minute
    of its first; its box and its link now read them all, and nothing of another line."""
    set_id, posts = a_set(make, db_session, team, size=3)
    now = utcnow()
    told = [Notification(user_id=team["writer"].id, kind=Kind.approved, post_id=post.id, actor_id=team["pm"].id,
                         action=Action.approve.value, at=now - timedelta(seconds=75 * (2 - i)), mail=MailMode.off)
            for i, post in enumerate(posts)]
    db_session.add_all(told)
    stops_told(db_session, team["writer"], team["fr"], 1)
    web.login(team["writer"])
    page = web.get("/notifications").get_data(as_text=True)
    lines = lines_of(page)
    assert len(lines) == 2 and bell(page) == 2
    ids, text = lines[1]
    assert sorted(ids) == sorted(n.id for n in told) and f"3 posts of set #{set_id} were approved" in text
    answer = web.get(f"/notifications/{max(ids)}/set")
    assert answer.status_code == 302 and answer.headers["Location"] == f"/sets/{set_id}"
    db_session.expire_all()
    assert all(n.read_at is not None for n in told)
    assert bell(web.get("/notifications").get_data(as_text=True)) == 1  # the stop switch's, another line
    # The box: every notice of the line, in one "mark read".
    for n in told:
        n.read_at = None
    db_session.flush()
    box = re.search(r'<input type="checkbox" name="id" value="([\d,]+)"', web.get("/notifications")
                    .get_data(as_text=True).split('data-ids="', 1)[1]).group(1)
    assert sorted(int(i) for i in box.split(",")) == sorted(n.id for n in told)
    assert web.post("/notifications/read", {"id": box}).status_code == 302
    db_session.expire_all()
    assert all(n.read_at is not None for n in told)
    assert bell(web.get("/notifications").get_data(as_text=True)) == 1


def test_one_transaction_is_one_act_and_another_request_another(make, web, db_session, team):
    """The act a notice belongs to: one per transaction, whichever statement wrote it (each kind is its own INSERT),
    the same for every reader; another request's is another."""
    first, _posts = a_set(make, db_session, team, size=2)
    second, _posts = a_set(make, db_session, team, size=2)
    web.login(team["pm"])
    approve_and_schedule_all(web, first)
    approve_and_schedule_all(web, second)
    db_session.expire_all()
    rows = db_session.execute(select(Notification.act_id, Post.set_id, Notification.kind)
                              .join(Post, Post.id == Notification.post_id)
                              .where(Notification.kind.in_([Kind.approved, Kind.scheduled]))).all()
    acts = {set_id: {act for act, of, _kind in rows if of == set_id} for set_id in (first, second)}
    assert len(rows) == 8 and all(len(found) == 1 and None not in found for found in acts.values())
    assert acts[first] != acts[second]
    # The review requests of both sets, written by this test's one transaction: one act, one line per set.
    requests = db_session.scalars(select(Notification.act_id).where(Notification.user_id == team["pm"].id,
                                                                   Notification.kind == Kind.review_requested)).all()
    assert len(requests) == 4 and len(set(requests)) == 1
    page = web.get("/notifications").get_data(as_text=True)
    assert f"2 posts of set #{first} await your review" in html.unescape(page)
    assert f"2 posts of set #{second} await your review" in html.unescape(page)


def test_a_notice_of_no_act_stands_alone(make, web, db_session, team):
    """Written before acts were kept (migration 0043): each notice of a set is a line of its own, paged as one."""
    _set_id, posts = a_set(make, db_session, team, size=3)
    now = utcnow()
    db_session.execute(insert(Notification), [
        {"user_id": team["writer"].id, "kind": Kind.approved, "post_id": post.id, "actor_id": team["pm"].id,
         "action": Action.approve.value, "at": now, "mail": MailMode.off} for post in posts])
    web.login(team["writer"])
    page = web.get("/notifications").get_data(as_text=True)
    assert [len(ids) for ids, _text in lines_of(page)] == [1, 1, 1]
    assert bell(page) == 3 == inbox.unread_lines(db_session, team["writer"])
    found, _next = inbox.lines(db_session, team["writer"], limit=2)
    assert [len(line) for line in found] == [1, 1]


def test_an_act_shared_over_transactions_is_one_line(make, web, db_session, team):
    """One act done over several transactions (a worker's pass records each post's outcome in its own): given one
    act to share (``dispatch.share_act``), its notices of a set are one line; left to themselves, one per
    transaction."""
    set_id, posts = a_set(make, db_session, team, size=3)
    db_session.commit()
    dispatch.share_act(db_session, dispatch.new_act())
    for post in posts:
        make.act(post, Action.approve, team["pm"])
        db_session.commit()
    dispatch.share_act(db_session, None)
    web.login(team["writer"])
    page = html.unescape(web.get("/notifications").get_data(as_text=True))
    assert f"3 posts of set #{set_id} were approved" in page and bell(page) == 1
    second, others = a_set(make, db_session, team, size=2)
    db_session.commit()
    for post in others:
        make.act(post, Action.approve, team["pm"])
        db_session.commit()
    page = html.unescape(web.get("/notifications").get_data(as_text=True))
    assert f"of set #{second}" not in page and bell(page) == 3


def test_past_999_unread_the_bell_says_more_than_without_counting_lines(make, web, db_session, team):
    """Each page draws the bell: counting the lines of 100,000 unread notices took a second a page. Past
    ``inbox.BELL_MOST`` it reads no further and says "999+"; at 999 it counts them."""
    reader, market = team["writer"], team["fr"]
    stops_told(db_session, reader, market, inbox.BELL_MOST)
    web.login(reader)
    page = web.get("/notifications").get_data(as_text=True)
    assert bell(page) == inbox.BELL_MOST and ">999<" in page and "999 unread notifications" in page
    stops_told(db_session, reader, market, 2)
    assert inbox.unread_count(db_session, reader.id) == inbox.BELL_MOST + 2  # the API's figure stays exact
    assert inbox.unread_lines(db_session, reader) == inbox.BELL_MOST + 1
    page = web.get("/notifications").get_data(as_text=True)
    assert ">999+<" in page and "More than 999 unread notifications" in page and "More than 999 unread ·" in page
