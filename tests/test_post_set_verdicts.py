"""The new-post form's "Also write it for" (a set): one text for up to twelve accounts, each post checked by the
style gate at its creation and again at its submission ("Save and submit"). Within that one unit of work the gate's
verdict for a network and a market stands (``policies.reusing_verdicts``): it runs once per network and market, not
twice per post, and still says each network's own refusals."""

from __future__ import annotations

import pytest

from approval import style
from approval.workflow.states import State

import set_helpers
from test_post_sets import _send, _set_of, members_of, text_of

france, britain, writer = set_helpers.france, set_helpers.britain, set_helpers.writer  # the shared fixtures


@pytest.fixture()
def gate_runs(monkeypatch) -> list[str]:  # noqa: ANN001
    """The texts the gate (``style.check``, as every caller reads it) was run on, in order."""
    runs: list[str] = []
    check = style.check

    def counted(text, context=None):  # noqa: ANN001, ANN202
        runs.append(text)
        return check(text, context)

    monkeypatch.setattr(style, "check", counted)
    return runs


def test_a_set_saved_and_submitted_runs_the_gate_once_per_network_and_market(make, web, db_session, france,
                                                                               britain, writer, gate_runs):
    accounts = [make.account(france, "facebook"), make.account(france, "x"), make.account(france, "x"),
                make.account(britain, "x")]
    web.login(writer)
    body = "La finale ce soir au stade : venez nombreux. " * 7  # more than X takes, less than Facebook
    gate_runs.clear()
    answer = _send(web, accounts, body, submit=True)
    assert answer.status_code == 302, text_of(answer)[:3000]
    posts = {post.account_id: post for post in members_of(db_session, _set_of(answer))}
    # Each network's own refusal still said: the X posts, too long, stay drafts; the Facebook one goes to review.
    assert [posts[account.id].state for account in accounts] == [State.in_review, State.draft, State.draft,
                                                                  State.draft]
    # FR Facebook, FR X (both its accounts), GB X: three verdicts, each at a creation, none again at submission.
    assert len(gate_runs) == 3
