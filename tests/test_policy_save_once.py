"""Saving a market's policy runs the style gate once per post on its way or in review under the new version: the
notices to the people of those posts (``policy_refuses``) and the flash of the admin who saved come from that one
pass. Only the posts the new version refuses are checked once more, under the previous version, to tell apart what
this version changes from what was refused already.

The gate is counted where the code calls it (``approval.style.check``), through a wrapper that calls the real one."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from approval import style
from approval.models.notifications import Notification, NotificationKind
from approval.workflow.states import State

NAMES_THE_REPORT = "Notre rapport annuel paraît demain sur notre site."
BANS_THE_REPORT = {"based_on": "0", "forbidden": "rapport annuel | Say “bilan” until the general meeting. | bilan",
                   "sensitive": "", "capital_exceptions": "", "disclosures": "", "note": "The general meeting."}
HARMLESS = ["La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante.",
            "Notre nouvelle boutique ouvre ses portes à Lyon samedi matin.",
            "Merci à nos équipes pour cette belle saison de bénévolat.",
            "Le concert de ce soir commence à vingt heures précises."]


@pytest.fixture()
def checks(monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, str]]:
    """(text, policy version) of every check the gate runs from now on, counted."""
    counted: Counter[tuple[str, str]] = Counter()
    gate = style.check

    def counting(text: str, context: style.Context | None = None) -> list[style.Finding]:
        counted[(text, str(context.policy.version) if context is not None else "")] += 1
        return gate(text, context)

    monkeypatch.setattr(style, "check", counting)
    return counted


def test_saving_a_policy_checks_each_post_once_under_the_new_version(make, admin_web, db_session, checks):
    france = make.market("FR")
    account = make.account(france)
    states = [State.scheduled, State.approved, State.scheduled, State.in_review]
    for state, body in zip(states, HARMLESS, strict=True):
        make.post(state, account=account, body=body)
    refused = make.post(State.scheduled, account=account, body=NAMES_THE_REPORT)
    checks.clear()  # what making the posts checked

    saved = admin_web.post(f"/admin/markets/{france.id}/policy", BANS_THE_REPORT)

    assert saved.status_code == 303
    for body in HARMLESS:
        assert checks[(body, "FR-v1")] == 1, checks
    # The one it refuses: once under FR-v1, once under FR-v0 (which let it through: it is news to its people).
    assert checks[(NAMES_THE_REPORT, "FR-v1")] == 1, checks
    assert checks[(NAMES_THE_REPORT, "FR-v0")] == 1, checks
    assert sum(checks.values()) == len(HARMLESS) + 2, checks
    # Both the notices and the flash came from that pass.
    db_session.expire_all()
    notified = db_session.scalars(select(Notification.post_id).where(
        Notification.kind == NotificationKind.policy_refuses)).all()
    assert set(notified) == {refused.id}
    with admin_web.client.session_transaction() as session:
        flashed = [str(message) for _, message in session.get("_flashes", [])]
    assert any("1 approved or scheduled post of FR (1 scheduled) breaks FR-v1" in message for message in flashed)


def test_a_save_that_changes_nothing_checks_nothing(make, admin_web, checks):
    france = make.market("FR")
    make.post(State.scheduled, account=make.account(france), body=NAMES_THE_REPORT)
    admin_web.post(f"/admin/markets/{france.id}/policy", BANS_THE_REPORT)
    checks.clear()

    again = admin_web.post(f"/admin/markets/{france.id}/policy", {**BANS_THE_REPORT, "based_on": "1"})

    assert again.status_code == 303
    assert sum(checks.values()) == 0, checks
