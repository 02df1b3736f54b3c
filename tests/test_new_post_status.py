"""A new-post form sent and refused answers 422 (its fields' errors on the form it gives back); the form drawn for a
GET answers 200."""

from __future__ import annotations

import pytest

from approval.models import Post
from approval.workflow.states import Role

from conftest import row_counts


@pytest.mark.parametrize("also", ["abc", "1.5", "", "-1", str(10**30), "elsewhere"])
def test_a_refused_new_post_form_answers_422(make, web, db_session, also):  # noqa: ANN001
    france = make.market("FR")
    account, other = make.account(france, "facebook"), make.account(france, "x")
    elsewhere = make.account(make.market("DE", timezone="Europe/Berlin", languages=("de",)), "facebook")
    web.login(make.user(Role.community_manager, markets=[france]))
    assert web.get("/posts/new").status_code == 200
    before = row_counts(db_session, Post)
    answer = web.post("/posts/new", {"account_id": str(account.id), "campaign_id": "", "body": "Bonjour.",
                                     "also_account_ids": [str(other.id),
                                                          str(elsewhere.id) if also == "elsewhere" else also],
                                     "save": "1"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "Invalid choice(s)" in page or "is not a valid choice for this field" in page, page[-2000:]
    assert row_counts(db_session, Post) == before
