"""What an integrator's walk found in the API's input rules: direction controls in comments, an account outside the
caller's markets on create, and the style gate's findings on a sensitive-terms refusal."""

from __future__ import annotations

import pytest
from conftest import row_counts

from approval import policies
from approval.models import AuditEntry, Comment, Post, Revision
from approval.workflow.states import Role, State

from .contract import FINDING_KEYS, assert_error

BODY = "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante."



def _counts(session) -> tuple[int, ...]:  # noqa: ANN001
    return row_counts(session, Post, Revision, Comment, AuditEntry)


# 1. Direction controls in the API's comments ----------------------------------------------------------------------


@pytest.mark.parametrize("control", ["\u202e", "\u202a", "\u2066", "\u2069"])
def test_a_direction_control_is_refused_in_the_apis_comments(make, api, db_session, france, cm, pm, control):
    """As the forms refuse it (``approval.inputs.BIDI_CONTROLS``): in a comment, and in an action's comment."""
    post = make.post(State.in_review, account=make.account(france, "x"), author=cm)
    text = f"Texte {control}inversé\u202c ici."
    before = _counts(db_session)

    comment = assert_error(api(pm).post(f"/posts/{post.id}/comments", {"body": text}), 422, "body")
    assert f"U+{ord(control):04X}" in comment["errors"]["body"][0]
    decision = assert_error(api(pm).act(post, "request_changes", comment=text), 422, "comment")
    assert f"U+{ord(control):04X}" in decision["errors"]["comment"][0]
    assert _counts(db_session) == before

    # Right-to-left text itself needs no control, and is taken.
    assert api(pm).post(f"/posts/{post.id}/comments", {"body": "يرجى تقصير النص."}).status_code == 201


# 2. An account outside the caller's markets ------------------------------------------------------------------------


def test_an_account_outside_the_callers_markets_is_a_field_error_that_tells_nothing(make, api, db_session, cm):
    kenyan = make.account(make.market("KE", "Africa/Nairobi", ("en",)), "x")
    before = _counts(db_session)

    outside = assert_error(api(cm).post("/posts", {"account_id": kenyan.id, "body": BODY}), 422, "account_id")
    missing = assert_error(api(cm).post("/posts", {"account_id": 2**31 - 1, "body": BODY}), 422, "account_id")
    assert outside == missing  # the same words whether it exists elsewhere or nowhere
    assert _counts(db_session) == before
    # The address of something outside stays a 404.
    other = make.post(account=kenyan)
    assert_error(api(cm).get(f"/posts/{other.id}"), 404)


# 3. The sensitive terms' refusal carries the findings -------------------------------------------------------------


def test_the_sensitive_terms_refusal_carries_the_findings(make, api, db_session, france, cm, pm):
    policies.save_policy(db_session, france, make.user(Role.admin),
                         sensitive=[{"phrase": "grève", "reason": "Social climate."}])
    body = "Malgré la grève, le Social Hub reste ouvert ce samedi."
    post = make.post(State.in_review, account=make.account(france, "x"), author=cm, body=body)

    refused = api(pm).act(post, "approve")
    assert refused.status_code == 422
    answer = refused.get_json()
    assert set(answer["errors"]) == {"acknowledge_warnings", "comment"}
    sensitive = [f for f in answer["findings"] if f["rule"] == "policy.sensitive"]
    assert len(sensitive) == 1 and FINDING_KEYS <= set(sensitive[0])
    assert body[sensitive[0]["start"]:sensitive[0]["end"]] == "grève"
    assert sensitive[0]["severity"] == "warning" and sensitive[0]["message"]
    # Only the comment missing: the findings still come with the refusal.
    assert api(pm).act(post, "approve", acknowledge_warnings=True).get_json()["findings"] == answer["findings"]


def test_a_forbidden_term_refusal_carries_the_same_findings(make, api, db_session, france, cm):
    policies.save_policy(db_session, france, make.user(Role.admin), forbidden=[
        {"phrase": "Concurrent Télécom", "reason": "We never name competitors.", "instead": "other operators"}])
    body = "Nos tarifs battent ceux de Concurrent Télécom ce mois-ci."
    post = make.post(State.draft, account=make.account(france, "x"), author=cm, body=body)

    refused = assert_error(api(cm).act(post, "submit"), 422, "body")
    forbidden = [f for f in refused["findings"] if f["rule"] == "policy.forbidden"]
    assert len(forbidden) == 1 and body[forbidden[0]["start"]:forbidden[0]["end"]] == "Concurrent Télécom"
    assert forbidden[0]["severity"] == "error"
