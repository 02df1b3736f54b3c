"""The API's posts list reads what holds its scheduled posts a fixed number of times, however many are held: it asked,
one post after the other, what held each (the campaign, the switch now off that held it, ...), so a page of 100
held posts in a crisis cost hundreds of statements."""

from __future__ import annotations

from approval.api.tokens import issue_token
from tests.test_publishing_desk_statements import Crisis, _statements


def _posts(app, web, headers: dict[str, str], crisis: Crisis) -> tuple[int, dict[int, dict]]:  # noqa: ANN001
    crisis.session.flush()
    answers: list = []
    seen = _statements(app, lambda: answers.append(web.get("/api/v1/posts?state=scheduled&limit=100",
                                                           headers=headers)))
    assert answers[0].status_code == 200, answers[0].get_data(as_text=True)
    return len(seen), {item["id"]: item for item in answers[0].get_json()["items"]}


def test_the_posts_list_reads_as_many_times_for_thirty_held_posts_as_for_three(app, make, web, db_session):
    crisis = Crisis(make, db_session)
    crisis.add(1)
    _row, secret = issue_token(db_session, crisis.pm, "test")
    headers = {"Authorization": f"Bearer {secret}"}
    web.get("/api/v1/posts", headers=headers)  # the first request of the app loads what it caches
    crisis.add(2)
    few, items = _posts(app, web, headers, crisis)
    assert len(items) == 12
    for post in crisis.posts["market"]:
        assert items[post.id]["hold"]["kind"] == "market_stop"
        assert items[post.id]["hold"]["reason"] == f"Market {post.account.market.code} is stopped: Match perdu."
    for post in crisis.posts["campaign"]:
        assert items[post.id]["hold"]["reason"] == f"Campaign {post.campaign.name} is stopped: Rappel produit."
    for post in crisis.posts["all"]:
        hold = items[post.id]["hold"]
        assert hold["reason"].startswith("A stop switch held it (Everything is stopped: Deuil national)")
        assert hold["stop_id"] == crisis.everything.id and hold["needs_new_time"] is True
    for post in crisis.posts["embargo"]:
        assert items[post.id]["hold"]["kind"] == "embargo" and items[post.id]["hold"]["until"]

    crisis.add(27)  # 30 of each kind: 120 held, the list's page shows 100
    many, items = _posts(app, web, headers, crisis)
    assert len(items) == 100 and all(item["hold"] for item in items.values())
    assert many == few, f"{few} statements for 12 held posts, {many} for 100"


def test_a_post_alone_still_says_what_holds_it(app, make, web, db_session):
    crisis = Crisis(make, db_session)
    crisis.add(1)
    _row, secret = issue_token(db_session, crisis.pm, "test")
    headers = {"Authorization": f"Bearer {secret}"}
    for kind, posts in crisis.posts.items():
        hold = web.get(f"/api/v1/posts/{posts[0].id}", headers=headers).get_json()["hold"]
        kinds = {"market": "market_stop", "campaign": "campaign_stop", "all": "global_stop", "embargo": "embargo"}
        assert hold is not None and hold["kind"] == kinds[kind], (kind, hold)

