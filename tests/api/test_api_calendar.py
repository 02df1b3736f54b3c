"""GET /api/v1/calendar: scheduled and published posts in a window, as the contract says, within the user's
markets; a window that makes no sense is a 422."""

from __future__ import annotations

from datetime import timedelta

from approval.db import utcnow
from approval.workflow.states import Action, Role, State


def _scheduled(make, account, at, body):
    post = make.post(State.approved, account=account, body=body)
    make.act(post, Action.schedule, make.user(Role.project_manager, markets=[account.market]), scheduled_at=at)
    return post


def test_the_api_calendar_lists_the_window_as_the_contract_says(make, api, db_session):
    france = make.market("FR")
    kenya = make.market("KE", "Africa/Nairobi", ("en",))
    at = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    post = _scheduled(make, make.account(france, "x"), at, "Programme du week-end.")
    hidden = _scheduled(make, make.account(kenya, "x"), at, "Habari.")
    client = api(make.user(Role.community_manager, markets=[france]))
    start = (at - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (at + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    answer = client.get(f"/calendar?from={start}&to={end}")
    assert answer.status_code == 200, answer.json
    # Given twice, a parameter is refused under its own name (it was "from_", the code's).
    twice = client.get(f"/calendar?from={start}&from={start}&to={end}")
    assert twice.status_code == 422 and twice.json["errors"] == {"from": ["Give this parameter once."]}, twice.json
    items = answer.json["items"]
    assert [i["post_id"] for i in items] == [post.id]
    item = items[0]
    assert {"post_id", "at", "state", "account_id", "market", "network", "excerpt"} <= set(item)
    assert item["at"] == at.strftime("%Y-%m-%dT%H:%M:%SZ") and item["market"] == "FR" and item["state"] == "scheduled"
    listed = client.get(f"/calendar?from={start}&to={end}&market=KE").json["items"]
    assert hidden.id not in [i["post_id"] for i in listed]
    assert client.get(f"/calendar?from={end}&to={start}").status_code == 422
    assert client.get("/calendar?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z").status_code == 422
    assert client.get("/calendar?from=yesterday&to=today").status_code == 422
    assert client.get("/calendar").status_code == 422
