""""Mark the selected read" with no notification selected (the product walk: the page came back as it was, and
nothing said why): the list says to select them, and marks nothing."""

from __future__ import annotations

from approval.workflow.states import Role, State


def test_marking_none_selected_read_says_to_select_them(make, web):
    france = make.market("FR")
    author = make.user(Role.community_manager, markets=[france])
    reviewer = make.user(Role.project_manager, markets=[france])
    make.post(State.in_review, account=make.account(france), author=author)
    web.login(reviewer)

    answer = web.post("/notifications/read", {})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/notifications")
    listing = web.get("/notifications").get_data(as_text=True)
    assert "Select the notifications to mark read." in listing
    assert listing.count('class="notification unread"') == 1  # nothing marked

    web.post("/notifications/read", {"all": "1"})
    assert "Select the notifications" not in web.get("/notifications").get_data(as_text=True)
