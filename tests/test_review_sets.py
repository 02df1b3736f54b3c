"""The review queue shows a set's posts as one: each says its set, and those that wait together are grouped under a
link to the set's page, to review them side by side. Five copies of a launch message read as five unrelated rows."""

from __future__ import annotations

import re
from datetime import timedelta

from approval.db import utcnow
from approval.models import PostSet
from approval.workflow.states import Role, State


def _rows(page: str) -> str:
    """The table of what awaits the reviewer."""
    start = page.index("<h1>")
    return page[start:page.index("</table>", start)]


def test_a_sets_posts_wait_together_under_a_link_to_review_them_side_by_side(make, web, db_session):
    france, poland = make.market("FR"), make.market("PL")
    pm = make.user(Role.project_manager, markets=[france])  # sees France only
    writer = make.user(Role.community_manager, markets=[france, poland])
    launch = PostSet(created_by_id=writer.id)
    db_session.add(launch)
    db_session.flush()
    now = utcnow()
    alone = make.post(State.in_review, account=make.account(france), body="Un autre message.")
    alone.submitted_at = now - timedelta(hours=2)
    members = []
    for network in ("facebook", "x", "linkedin", "facebook", "x"):
        post = make.post(State.in_review, account=make.account(france, network), body="Lancement demain.")
        post.set_id, post.submitted_at = launch.id, now - timedelta(hours=1)
        members.append(post)
    hidden = make.post(State.in_review, account=make.account(poland), body="Lancement demain.")
    hidden.set_id, hidden.submitted_at = launch.id, now - timedelta(hours=1)  # not the reviewer's market
    late = make.post(State.in_review, account=make.account(france, "linkedin"), body="Lancement demain.")
    late.set_id, late.submitted_at = launch.id, now - timedelta(minutes=5)  # sent later, after another post
    later = make.post(State.in_review, account=make.account(france), body="Encore un autre.")
    later.submitted_at = now - timedelta(minutes=10)
    db_session.flush()
    web.login(pm)
    table = _rows(web.get("/review").get_data(as_text=True))
    # Every post listed, in the queue's order (the longest waiting first).
    listed = [int(n) for n in re.findall(r'<td><a href="/posts/(\d+)', table)]
    assert listed == [alone.id, *(p.id for p in members), later.id, late.id]
    # The five that wait together: one group under one link, which counts the set's posts the reviewer sees (six).
    groups = re.findall(r'<tbody class="set-run">(.*?)</tbody>', table, re.S)
    assert len(groups) == 2
    assert [int(n) for n in re.findall(r'<td><a href="/posts/(\d+)', groups[0])] == [p.id for p in members]
    link = f'<a href="/sets/{launch.id}">Review the 6 posts of this set side by side</a>'
    assert link in groups[0] and 'scope="rowgroup"' in groups[0]
    # The one sent later waits in its place, marked and linked too; the others say no set.
    assert [int(n) for n in re.findall(r'<td><a href="/posts/(\d+)', groups[1])] == [late.id] and link in groups[1]
    assert table.count(f'href="/sets/{launch.id}">set #{launch.id}</a>') == 6
    assert f"/posts/{alone.id}" not in "".join(groups) and f"/posts/{later.id}" not in "".join(groups)
    assert f"/posts/{hidden.id}" not in table
    french = _rows(web.get("/review", headers={"Accept-Language": "fr"}).get_data(as_text=True))
    assert f'href="/sets/{launch.id}">' in french

