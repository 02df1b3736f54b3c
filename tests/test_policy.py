"""The editorial policy of a market: versioned by admins, applied by the style gate wherever it runs (the editor's
live check, submit, approve, schedule, ``approval lint --market``), and named in the audit rows it decided."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from approval import administration as admin
from approval import operations as ops
from approval import policies
from approval.db import make_engine, utcnow
from approval.models import AuditEntry, Market, PolicyVersion, Post
from approval.workflow import engine
from approval.workflow.errors import GuardFailed
from approval.workflow.guards import ACKNOWLEDGE
from approval.workflow.states import Action, Role, State

COMPETITOR = {"phrase": "Concurrent Télécom", "reason": "We never name competitors.", "instead": "other operators"}
STRIKE = {"phrase": "grève", "reason": "A labour dispute is under way: the press office checks every mention."}
NAMES_A_COMPETITOR = "Nos tarifs battent ceux de Concurrent Télécom ce mois-ci."
MENTIONS_THE_STRIKE = "Malgré la grève, nos boutiques restent ouvertes samedi."
CLEAN = "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante."


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True)).replace("&#39;", "'").replace("&#34;", '"')


def versions(db_session, market: Market) -> list[PolicyVersion]:
    db_session.expire_all()
    return list(db_session.scalars(select(PolicyVersion).where(PolicyVersion.market_id == market.id)
                                   .order_by(PolicyVersion.number)))


def audit(db_session, post: Post, action: Action) -> AuditEntry:
    db_session.expire_all()
    return db_session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id, AuditEntry.action == action)
                              .order_by(AuditEntry.id.desc())).first()


@pytest.fixture()
def france(make) -> Market:
    return make.market("FR")


def policy_form(**fields) -> dict:  # noqa: ANN003
    return {"based_on": "0", "forbidden": "", "sensitive": "", "capital_exceptions": "", "disclosures": "",
            "note": "", **fields}


# Versions --------------------------------------------------------------------------------------------------------


def test_an_admin_saves_a_policy_as_versions_and_older_ones_stay_as_they_were(admin_web, db_session, france):
    page = admin_web.get(f"/admin/markets/{france.id}/policy")
    assert page.status_code == 200
    assert "typo.double-space" in text(page) and "No double spaces." in text(page)
    assert "FR-v0" in text(page)  # the defaults

    first = admin_web.post(f"/admin/markets/{france.id}/policy", policy_form(
        forbidden="Concurrent Télécom | We never name competitors. | other operators\n\n  concurren* | Idem.  \n",
        sensitive="grève | A labour dispute is under way.", capital_exceptions="bpifrance\nsosh",
        disclosures="#pub #partenariat", strict_full_stop="y", rule_typo_double_space="off",
        rule_policy_campaign_hashtag="error", note="Competitors and the strike."))
    assert first.status_code == 303
    assert first.headers["Location"].endswith(f"/admin/markets/{france.id}/policy")

    (v1,) = versions(db_session, france)
    assert (v1.number, v1.label, v1.note) == (1, "FR-v1", "Competitors and the strike.")
    assert v1.forbidden == [COMPETITOR, {"phrase": "concurren*", "reason": "Idem."}]
    assert v1.sensitive == [{"phrase": "grève", "reason": "A labour dispute is under way."}]
    assert (v1.capital_exceptions, v1.disclosures, v1.strict_full_stop) == (["bpifrance", "sosh"],
                                                                            ["#pub", "#partenariat"], True)
    assert v1.rules == {"policy.campaign-hashtag": "error", "typo.double-space": "off"}
    assert v1.created_by.name == "Ada Admin"

    page = text(admin_web.get(f"/admin/markets/{france.id}/policy"))
    assert 'name="based_on" type="hidden" value="1"' in page
    assert "Concurrent Télécom | We never name competitors. | other operators" in page
    assert '<option selected value="off">' in page

    second = admin_web.post(f"/admin/markets/{france.id}/policy", policy_form(
        based_on="1", forbidden="Concurrent Télécom | We never name competitors.", note="The strike is over."))
    assert second.status_code == 303
    old, new = versions(db_session, france)
    assert old.id == v1.id
    assert (old.forbidden, old.sensitive, old.rules, old.strict_full_stop) == (
        [COMPETITOR, {"phrase": "concurren*", "reason": "Idem."}], [{"phrase": "grève", "reason":
                                                                    "A labour dispute is under way."}],
        {"policy.campaign-hashtag": "error", "typo.double-space": "off"}, True)
    assert (new.number, new.forbidden, new.sensitive, new.rules) == (
        2, [{"phrase": "Concurrent Télécom", "reason": "We never name competitors."}], [], {})
    assert policies.current_policy(db_session, france).id == new.id

    history = text(admin_web.get(f"/admin/markets/{france.id}/policy"))
    assert history.index("FR-v2") < history.index("FR-v1")
    assert "The strike is over." in history and "Competitors and the strike." in history
    assert f'href="/admin/markets/{france.id}/policy"' in text(admin_web.get("/admin/markets"))
    assert f'href="/admin/markets/{france.id}/policy"' in text(admin_web.get(f"/admin/markets/{france.id}/edit"))


def test_the_rules_default_reads_in_the_pages_language(admin_web, france):
    """The choices are built once, at import: their severity stayed English ("par défaut (error)") in French."""
    admin_web.post("/language", {"language": "fr", "next": "/"})
    page = text(admin_web.get(f"/admin/markets/{france.id}/policy"))
    assert "par défaut (erreur)" in page and "par défaut (error)" not in page and "par défaut (alerte)" in page


def test_saving_the_same_policy_writes_no_version(admin_web, db_session, france, admin_user):
    policies.save_policy(db_session, france, admin_user, forbidden=[COMPETITOR])
    response = admin_web.post(f"/admin/markets/{france.id}/policy", policy_form(
        based_on="1", forbidden="Concurrent Télécom | We never name competitors. | other operators"),
        follow_redirects=True)
    assert "No change: the policy in force stays FR-v1." in text(response)
    assert len(versions(db_session, france)) == 1


def test_saving_over_a_version_saved_meanwhile_is_a_conflict(admin_web, db_session, france, admin_user):
    policies.save_policy(db_session, france, admin_user, forbidden=[COMPETITOR], note="Someone else.")
    response = admin_web.post(f"/admin/markets/{france.id}/policy", policy_form(sensitive="grève | Strike."))
    assert response.status_code == 409
    page = text(response)
    assert "Someone saved this policy while you were editing it: version FR-v1." in page
    assert "grève | Strike." in page  # what they typed is kept
    assert 'name="based_on" type="hidden" value="1"' in page
    assert len(versions(db_session, france)) == 1


def test_each_market_has_its_own_versions(db_session, make, admin_user):
    france, kenya = make.market("FR"), make.market("KE", "Africa/Nairobi", ("en",))
    policies.save_policy(db_session, france, admin_user, forbidden=[COMPETITOR])
    policies.save_policy(db_session, france, admin_user, forbidden=[])
    policies.save_policy(db_session, kenya, admin_user, strict_full_stop=True)
    assert [v.label for v in versions(db_session, france)] == ["FR-v1", "FR-v2"]
    assert [v.label for v in versions(db_session, kenya)] == ["KE-v1"]
    assert policies.current_label(db_session, make.market("PL", "Europe/Warsaw", ("pl",))) == "PL-v0"
    assert policies.current_label(db_session, france) == "FR-v2"


def test_the_market_points_at_its_policy_in_force_and_a_save_puts_a_stray_pointer_right(db_session, france,
                                                                                         admin_user):
    first = policies.save_policy(db_session, france, admin_user, forbidden=[COMPETITOR])
    assert france.policy_version_id == first.id and policies.current_policy(db_session, france) is first
    france.policy_version_id = None  # as a restore of an older dump might leave it
    db_session.flush()
    db_session.expire(france, ["policy_in_force"])
    second = policies.save_policy(db_session, france, admin_user, forbidden=[], based_on=1)
    assert second.number == 2
    assert france.policy_version_id == second.id and policies.current_policy(db_session, france) is second


@pytest.mark.parametrize(("fields", "errors"), [
    ({"forbidden": "Concurrent Télécom"}, ["Line 1: give the reason after a “|” (phrase | reason | instead)."]),
    ({"forbidden": "Concurrent Télécom |  "}, ["Line 1: give the reason after a “|” (phrase | reason | instead)."]),
    ({"forbidden": "ok | fine\n | no term"}, ["Line 2: the term is missing before the “|”."]),
    ({"forbidden": "a | b | c | d"}, ["Line 1: at most 3 parts separated by “|” (phrase | reason | instead)."]),
    ({"sensitive": "grève | strike | walkout"}, ["Line 1: at most 2 parts separated by “|” (phrase | reason)."]),
    ({"forbidden": "Concurrent Télécom | A.\n\nconcurrent  TELECOM | B."},
     ["Line 3: “concurrent TELECOM” is listed already, on line 1."]),
    ({"forbidden": "*concurrent | A."}, ["Line 1: “*” goes only at the end of a word (concurren*)."]),
    ({"forbidden": "!!! | A."}, ["Line 1: the term has no letters."]),
    ({"forbidden": "grève | A.", "sensitive": "Greve | B."},
     ["Listed as forbidden too: greve. A term is either forbidden or sensitive."]),
    ({"capital_exceptions": "de Gaulle"},
     ["One word a name (the gate compares a sentence's first word): de Gaulle."]),
    ({"capital_exceptions": "Helio"}, ["These already start with a capital letter: Helio."]),
    ({"disclosures": "#ad, sponsored"}, ["Hashtags only, e.g. #ad #partenariat: sponsored."]),
    ({"rule_typo_double_space": "sometimes"}, ["Not a valid choice."]),
    ({"based_on": "x"}, None),
])
def test_bad_policy_input_is_a_field_error_and_writes_nothing(admin_web, db_session, france, fields, errors):
    response = admin_web.post(f"/admin/markets/{france.id}/policy", policy_form(**fields))
    assert response.status_code == 422
    page = text(response)
    assert "The policy has errors: nothing was saved." in page
    for error in errors or []:
        assert f'<p class="error">{error}</p>' in page, page[-4000:]
    assert versions(db_session, france) == []


def test_a_line_error_names_every_bad_line_and_keeps_what_was_typed(admin_web, db_session, france):
    typed = "Concurrent Télécom\nbon | ok\nx | y | z | w"
    page = text(admin_web.post(f"/admin/markets/{france.id}/policy", policy_form(forbidden=typed)))
    assert "Line 1: give the reason" in page and "Line 3: at most 3 parts" in page and "Line 2" not in page
    assert "Concurrent Télécom bon | ok x | y | z | w" in page


def test_campaigns_may_require_a_disclosure(admin_web, db_session):
    response = admin_web.post("/campaigns/new", {"name": "Partenariat Euro", "market_id": "",
                                                        "hashtag": "#EURO2028", "disclosure_required": "y"})
    assert response.status_code == 303
    db_session.expire_all()
    from approval.models import Campaign

    campaign = db_session.scalars(select(Campaign)).one()
    assert campaign.disclosure_required
    assert "partnership" in text(admin_web.get("/campaigns"))
    from tests.test_admin import edit

    edit(admin_web, f"/campaigns/{campaign.id}/edit", {"name": "Partenariat Euro", "market_id": "",
                                                       "hashtag": "#EURO2028"})
    db_session.expire_all()
    assert not db_session.get(Campaign, campaign.id).disclosure_required


@pytest.mark.parametrize("role", [Role.community_manager, Role.project_manager, Role.cabinet])
def test_only_admins_reach_the_policy(web, make, db_session, france, role):
    web.login(make.user(role, markets=[france] if role != Role.cabinet else None))
    assert web.get(f"/admin/markets/{france.id}/policy").status_code == 403
    assert web.post(f"/admin/markets/{france.id}/policy", policy_form(forbidden="x | y")).status_code == 403
    assert versions(db_session, france) == []


# The gate with the market's policy -------------------------------------------------------------------------------


def test_a_forbidden_term_refuses_the_submission_with_its_reason(make, db_session, france, admin_user):
    policies.save_policy(db_session, france, admin_user, forbidden=[COMPETITOR])
    post = make.post(State.draft, account=make.account(france), body=NAMES_A_COMPETITOR)
    assert [f["rule"] for f in post.current_revision.findings] == ["policy.forbidden"]
    assert post.current_revision.findings[0]["message_id"]  # stored translatable

    with pytest.raises(GuardFailed) as refused:
        engine.apply(db_session, post, Action.submit, post.created_by, expected_version=post.version)
    assert refused.value.errors["body"] == ["“Concurrent Télécom” may not be said here: We never name competitors."]
    assert post.state is State.draft


def test_a_forbidden_term_refuses_the_submission_through_the_form(web, make, db_session, france, admin_user):
    policies.save_policy(db_session, france, admin_user, forbidden=[COMPETITOR])
    account = make.account(france)
    writer = make.user(Role.community_manager, markets=[france])
    web.login(writer)
    response = web.post("/posts/new", {"account_id": account.id, "body": NAMES_A_COMPETITOR, "submit": "1"},
                        follow_redirects=True)
    page = text(response)
    assert "“Concurrent Télécom” may not be said here: We never name competitors." in page
    assert "Saved, but not submitted" in page
    assert "Suggested: <mark>other operators</mark>" in page  # what the policy offers instead
    db_session.expire_all()
    post = db_session.scalars(select(Post)).one()
    assert post.state is State.draft

    # Submitted again from the editor: one message saying what happened, not "saved" and "no change" beside it.
    unchanged = text(web.post(f"/posts/{post.id}/edit", {"body": NAMES_A_COMPETITOR, "version": post.version,
                                                         "submit": "1"}, follow_redirects=True))
    assert "Not submitted: fix the errors first." in unchanged
    assert "No change to save" not in unchanged and "Saved" not in unchanged
    changed = text(web.post(f"/posts/{post.id}/edit", {"body": NAMES_A_COMPETITOR + " Vite.",
                                                       "version": post.version, "submit": "1"}, follow_redirects=True))
    assert "Saved, but not submitted: fix the errors first." in changed and changed.count("Saved") == 1


def test_submit_and_schedule_record_the_policy_version(make, db_session, france, admin_user):
    policies.save_policy(db_session, france, admin_user, forbidden=[COMPETITOR])
    policies.save_policy(db_session, france, admin_user, forbidden=[COMPETITOR], sensitive=[STRIKE])
    post = make.post(State.scheduled, account=make.account(france))
    for action in (Action.submit, Action.approve, Action.schedule):
        payload = audit(db_session, post, action).payload
        assert payload["policy_version"] == "FR-v2", action
        assert payload["policy_version_id"] == policies.current_policy(db_session, france).id
        assert payload["findings"] == []


def test_without_a_policy_the_checks_name_the_defaults(make, db_session, france):
    post = make.post(State.in_review, account=make.account(france))
    assert audit(db_session, post, Action.submit).payload["policy_version"] == "FR-v0"


def test_a_campaign_is_recorded_with_the_check(make, db_session, france):
    campaign = admin.create_campaign(db_session, "Euro", None, "#EURO2028", disclosure_required=True)
    writer = make.user(Role.community_manager, markets=[france])
    post = ops.create_post(db_session, writer, make.account(france), "Le Social Hub ouvre samedi. #EURO2028 #pub",
                           campaign)
    ops.act_on_post(db_session, post, Action.submit, writer, expected_version=post.version)
    payload = audit(db_session, post, Action.submit).payload
    assert payload["campaign"] == {"id": campaign.id, "hashtag": "#EURO2028", "disclosure_required": True}


def test_a_partnership_post_without_its_disclosure_is_refused(make, db_session, france):
    campaign = admin.create_campaign(db_session, "Euro", france, "#EURO2028", disclosure_required=True)
    writer = make.user(Role.community_manager, markets=[france])
    post = ops.create_post(db_session, writer, make.account(france), "Le Social Hub ouvre samedi. #EURO2028",
                           campaign)
    with pytest.raises(GuardFailed) as refused:
        ops.act_on_post(db_session, post, Action.submit, writer, expected_version=post.version)
    assert "A partnership post says so" in refused.value.errors["body"][0]


# Sensitive terms: acknowledged by the approving project manager ---------------------------------------------------


@pytest.fixture()
def sensitive_post(make, db_session, france, admin_user) -> Post:
    policies.save_policy(db_session, france, admin_user, sensitive=[STRIKE])
    return make.post(State.in_review, account=make.account(france), body=MENTIONS_THE_STRIKE)


def test_a_sensitive_term_needs_the_approvers_acknowledgement_and_reason(make, db_session, france, sensitive_post):
    reviewer = make.user(Role.project_manager, markets=[france])
    post = sensitive_post
    for params, fields in [({}, {ACKNOWLEDGE, "comment"}), ({ACKNOWLEDGE: True}, {"comment"}),
                           ({"comment": "Vu avec la presse."}, {ACKNOWLEDGE}),
                           ({ACKNOWLEDGE: False, "comment": "Vu."}, {ACKNOWLEDGE})]:
        with pytest.raises(GuardFailed) as refused:
            engine.apply(db_session, post, Action.approve, reviewer, expected_version=post.version, **params)
        assert set(refused.value.errors) == fields, params
        assert post.state is State.in_review
    assert "“grève”" in refused.value.errors[ACKNOWLEDGE][0]

    entry = engine.apply(db_session, post, Action.approve, reviewer, expected_version=post.version,
                         comment="Validé avec le service de presse.", **{ACKNOWLEDGE: True})
    assert post.state is State.approved
    start = MENTIONS_THE_STRIKE.index("grève")
    assert entry.payload["overrides"] == [{"rule": "policy.sensitive", "term": "grève", "start": start,
                                           "end": start + len("grève"), "reason": "Validé avec le service de presse."}]
    assert entry.payload["policy_version"] == "FR-v1"
    assert [f["rule"] for f in entry.payload["findings"]] == ["policy.sensitive"]


def test_other_warnings_need_no_acknowledgement_but_may_be_overridden(make, db_session, france):
    post = make.post(State.in_review, account=make.account(france), body="Rendez-vous au  Social Hub samedi.")
    reviewer = make.user(Role.project_manager, markets=[france])
    entry = engine.apply(db_session, post, Action.approve, reviewer, expected_version=post.version,
                         comment="Deux espaces, tant pis.", **{ACKNOWLEDGE: True})
    assert [(o["rule"], o["term"]) for o in entry.payload["overrides"]] == [("typo.double-space", "  ")]

    plain = make.post(State.in_review, account=post.account, body="Rendez-vous au  Social Hub dimanche.")
    entry = engine.apply(db_session, plain, Action.approve, reviewer, expected_version=plain.version)
    assert "overrides" not in entry.payload and plain.state is State.approved


def test_approving_with_an_error_of_the_policy_in_force_is_refused(make, db_session, france, admin_user):
    post = make.post(State.in_review, account=make.account(france), body=NAMES_A_COMPETITOR)
    policies.save_policy(db_session, france, admin_user, forbidden=[COMPETITOR])
    reviewer = make.user(Role.project_manager, markets=[france])
    with pytest.raises(GuardFailed) as refused:
        engine.apply(db_session, post, Action.approve, reviewer, expected_version=post.version,
                     comment="Je passe outre.", **{ACKNOWLEDGE: True})
    assert refused.value.errors["body"]
    assert post.state is State.in_review


def test_the_post_page_asks_the_reviewer_to_acknowledge(web, make, db_session, france, sensitive_post):
    post = sensitive_post
    reviewer = make.user(Role.project_manager, markets=[france])
    web.login(reviewer)
    page = text(web.get(f"/posts/{post.id}"))
    assert "“grève” is sensitive, the reviewer must acknowledge it" in page
    assert 'name="acknowledge_warnings"' in page
    assert "Style checked against the policy FR-v1, in force now." in page

    refused = web.post(f"/posts/{post.id}/actions/approve", {"version": post.version, "comment": "Vu."})
    assert refused.status_code == 422
    assert "confirm that you have read the warnings" in text(refused)
    assert audit(db_session, post, Action.approve) is None

    done = web.post(f"/posts/{post.id}/actions/approve", {"version": post.version, "comment": "Vu avec la presse.",
                                                          "acknowledge_warnings": "y"})
    assert done.status_code == 302, text(done)[-2000:]
    entry = audit(db_session, post, Action.approve)
    assert entry.payload["overrides"][0]["term"] == "grève"
    history = text(web.get(f"/posts/{post.id}"))
    assert "warning acknowledged: “grève”" in history
    assert "policy FR-v1" in history


def test_the_author_does_not_see_the_acknowledgement(web, make, db_session, france, sensitive_post):
    web.login(sensitive_post.created_by)
    page = text(web.get(f"/posts/{sensitive_post.id}"))
    assert "“grève” is sensitive" in page
    assert 'name="acknowledge_warnings"' not in page


# Schedule: the policy in force on the approved text --------------------------------------------------------------


def test_scheduling_is_refused_when_the_policy_changed_since_the_approval(make, db_session, france, admin_user):
    post = make.post(State.approved, account=make.account(france), body=NAMES_A_COMPETITOR)
    policies.save_policy(db_session, france, admin_user, forbidden=[COMPETITOR], note="New competitor.")
    reviewer = make.user(Role.project_manager, markets=[france])
    with pytest.raises(GuardFailed) as refused:
        engine.apply(db_session, post, Action.schedule, reviewer, expected_version=post.version,
                     scheduled_at=utcnow() + timedelta(days=1))
    assert refused.value.errors["body"] == ["“Concurrent Télécom” may not be said here: We never name competitors."]
    assert (post.state, post.scheduled_at) == (State.approved, None)
    assert audit(db_session, post, Action.schedule) is None

    verdict = policies.check_before_publishing(db_session, post)
    assert not verdict.passes and verdict.policy_version == "FR-v1"


def test_scheduling_through_the_form_shows_the_reasons(web, make, db_session, france, admin_user):
    post = make.post(State.approved, account=make.account(france), body=NAMES_A_COMPETITOR)
    policies.save_policy(db_session, france, admin_user, forbidden=[COMPETITOR])
    web.login(make.user(Role.project_manager, markets=[france]))
    response = web.post(f"/posts/{post.id}/actions/schedule", {"version": post.version,
                                                               "local_time": "2099-06-01T09:00"})
    assert response.status_code == 422
    assert "We never name competitors." in text(response)
    db_session.expire_all()
    assert db_session.get(Post, post.id).state is State.approved


def test_a_manual_publication_records_the_policy_without_refusing(make, db_session, france, admin_user):
    post = make.post(State.approved, account=make.account(france), body=NAMES_A_COMPETITOR)
    policies.save_policy(db_session, france, admin_user, forbidden=[COMPETITOR])
    reviewer = make.user(Role.project_manager, markets=[france])
    entry = engine.apply(db_session, post, Action.mark_published, reviewer, expected_version=post.version,
                         url="https://www.facebook.com/helio/posts/9")
    assert entry.payload["policy_version"] == "FR-v1"
    assert [f["rule"] for f in entry.payload["findings"]] == ["policy.forbidden"]


# Per-market rule settings ----------------------------------------------------------------------------------------


def test_a_rule_runs_with_each_markets_setting(make, db_session, admin_user):
    france, belgium = make.market("FR"), make.market("BE", "Europe/Brussels", ("fr",))
    policies.save_policy(db_session, france, admin_user, rules={"typo.double-space": "off"})
    policies.save_policy(db_session, belgium, admin_user, rules={"typo.double-space": "error"})
    body = "Rendez-vous au  Social Hub samedi."

    def rules(market: Market) -> list[tuple[str, str]]:
        verdict = policies.check_body(db_session, make.account(market), body)
        return [(f.rule, f.severity.value) for f in verdict.findings]

    assert rules(france) == []
    assert rules(belgium) == [("typo.double-space", "error")]
    assert rules(make.market("LU", "Europe/Luxembourg", ("fr",))) == [("typo.double-space", "warning")]

    post = make.post(State.draft, account=make.account(belgium), body=body)
    with pytest.raises(GuardFailed):
        engine.apply(db_session, post, Action.submit, post.created_by, expected_version=post.version)


def test_strict_full_stop_and_capital_exceptions(make, db_session, france, admin_user):
    account = make.account(france)
    assert policies.check_body(db_session, account, "bpifrance finance le Social Hub !").errors
    policies.save_policy(db_session, france, admin_user, capital_exceptions=["bpifrance"])
    assert not policies.check_body(db_session, account, "bpifrance finance le Social Hub !").errors
    policies.save_policy(db_session, france, admin_user, capital_exceptions=["bpifrance"], strict_full_stop=True)
    assert [f.rule for f in policies.check_body(db_session, account, "bpifrance finance le Social Hub !").errors] \
        == ["house.full-stop-end"]


# The editor's live check -----------------------------------------------------------------------------------------


def test_the_live_check_applies_the_markets_policy_and_the_chosen_campaign(web, make, db_session, france,
                                                                           admin_user):
    policies.save_policy(db_session, france, admin_user, forbidden=[COMPETITOR], disclosures=["#pub"])
    account = make.account(france)
    partnership = admin.create_campaign(db_session, "Euro", None, "#EURO2028", disclosure_required=True)
    elsewhere = admin.create_campaign(db_session, "Kenya only", make.market("KE", "Africa/Nairobi", ("en",)),
                                      "#Karibu", disclosure_required=True)
    web.login(make.user(Role.community_manager, markets=[france]))

    def check(body: str, campaign_id: object = "") -> list[tuple[str, str]]:
        result = web.post("/posts/check", {"account_id": account.id, "campaign_id": campaign_id, "body": body})
        assert result.status_code == 200
        return [(f["rule"], f["severity"]) for f in result.get_json()["findings"]]

    assert check(NAMES_A_COMPETITOR) == [("policy.forbidden", "error")]
    assert check(CLEAN, partnership.id) == [("policy.campaign-hashtag", "warning"), ("policy.disclosure", "error")]
    assert check(CLEAN[:-1] + " #EURO2028 #pub.", partnership.id) == []
    assert check(CLEAN, elsewhere.id) == []  # another market's campaign is not this post's
    assert check(CLEAN, "None") == []
    message = web.post("/posts/check", {"account_id": account.id, "body": NAMES_A_COMPETITOR}).get_json()
    assert message["findings"][0]["message"] == "“Concurrent Télécom” may not be said here: We never name competitors."
    assert message["findings"][0]["suggestion"] == "other operators"


def test_the_edit_page_tells_the_live_check_the_posts_campaign(web, make, db_session, france):
    campaign = admin.create_campaign(db_session, "Euro", None, "#EURO2028")
    writer = make.user(Role.community_manager, markets=[france])
    post = ops.create_post(db_session, writer, make.account(france), CLEAN, campaign)
    web.login(writer)
    assert f'data-campaign="{campaign.id}"' in text(web.get(f"/posts/{post.id}/edit"))


# approval lint --market ------------------------------------------------------------------------------------------


def test_lint_with_a_market_applies_its_policy(cli_in_process, databases):
    cli = cli_in_process  # in this process: the language models load once, not once per command
    databases.migrate(cli.url)
    cli("market", "create", "FR", "--name", "France", "--tz", "Europe/Paris", "--lang", "fr")
    engine_ = make_engine(cli.url)
    with Session(engine_) as session:
        france = session.scalar(select(Market).where(Market.code == "FR"))
        policies.save_policy(session, france, None, forbidden=[COMPETITOR], note="From the test.")
        session.commit()
        assert session.scalar(select(func.count()).select_from(PolicyVersion)) == 1
    engine_.dispose()

    without_market = cli("lint", input=NAMES_A_COMPETITOR + "\n")
    assert without_market.stdout == ""

    refused = cli("lint", "--market", "fr", input=NAMES_A_COMPETITOR + "\n", check=False)
    assert refused.returncode == 1, refused.stderr
    assert "error policy.forbidden “Concurrent Télécom” may not be said here: We never name competitors." \
        in refused.stdout
    assert "(suggestion: 'other operators')" in refused.stdout

    assert cli("lint", "--market", "FR", input=CLEAN + "\n").stdout == ""

    unknown = cli("lint", "--market", "ZZ", input=CLEAN + "\n", check=False)
    assert unknown.returncode == 2
    assert "no market ZZ" in unknown.stderr and "Traceback" not in unknown.stderr


@pytest.mark.parametrize("field", ["forbidden", "sensitive"])
def test_a_reason_after_a_colon_is_one_error_with_an_example(admin_web, db_session, france, field):
    page = text(admin_web.post(f"/admin/markets/{france.id}/policy",
                               policy_form(**{field: "grève: A labour dispute is under way."})))
    said = "Line 1: write the reason after a “|”, e.g. grève | A labour dispute is under way."
    assert page.count(said) == 1, page[-4000:]
    assert page.count("Line 1:") == 1
    assert versions(db_session, france) == []
