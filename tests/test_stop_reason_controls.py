"""A stop switch's reason goes to the whole market's staff (the desk, the wall, the held posts, the notices): it
refuses the controls that turn the text's direction, as a comment does (the prober's finding F4: the API and the
page took U+202E)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from approval.models import StopSwitch
from approval.workflow.states import Role
from test_hardening import token_for


@pytest.mark.parametrize("control", ["\u202e", "\u2066"])
def test_a_stop_reason_with_a_direction_control_is_refused_on_the_page_and_over_the_api(make, web, app, db_session,
                                                                                       control):
    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    reason = f"Match perdu {control}gnol."
    web.login(pm)
    page = web.post("/publishing/stops", {"scope": "market", "market": "FR", "reason": reason})
    assert page.status_code == 422 and f"U+{ord(control):04X}" in page.get_data(as_text=True)
    answer = app.test_client().post("/api/v1/stops", json={"scope": "market", "market": "FR", "reason": reason},
                                    headers={"Authorization": f"Bearer {token_for(db_session, pm)}"})
    assert answer.status_code == 422, answer.get_json()
    assert f"U+{ord(control):04X}" in answer.get_json()["errors"]["reason"][0]
    assert db_session.scalar(select(func.count()).select_from(StopSwitch)) == 0
    # Right-to-left text itself needs none, and goes in.
    fine = web.post("/publishing/stops", {"scope": "market", "market": "FR", "reason": "مباراة خاسرة."})
    assert fine.status_code == 302
