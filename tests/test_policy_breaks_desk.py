"""A stricter editorial policy and the posts already on their way: the posts of a market the policy in force now
refuses (approved, with the cabinet or scheduled: they will not go out; in review: they can no longer be approved),
listed on the publishing desk with the reason, and counted for the admin who saved the policy.

The worker's side (the posts listed are exactly those it fails at their slot) is in
tests/test_policy_breaks_worker.py."""

from __future__ import annotations

import html
import re

from sqlalchemy import event

from approval import policies
from approval.workflow.states import Role, State

#: What a market bans after its posts were approved (the demo's annual report, scheduled for tomorrow).
ANNUAL_REPORT = {"phrase": "rapport annuel", "reason": "Say “bilan” until the general meeting.", "instead": "bilan"}
NAMES_THE_REPORT = "Notre rapport annuel paraît demain sur notre site."
CLEAN = "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante."
REASON = ("The policy in force (FR-v1) refuses it: “rapport annuel” may not be said here: Say “bilan” until the "
          "general meeting.")


def text(response) -> str:  # noqa: ANN001
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def section(page: str, key: str) -> str:
    """The desk's section ``key`` (its ``<section id>``), up to the next one."""
    found = re.search(rf'<section class="card desk-{key}" id="{key}">(.*?)</section>', page)
    assert found, f"no section {key} on the desk"
    return found.group(1)


def test_the_posts_a_new_policy_refuses_are_listed_apart_by_whether_they_were_approved(make, db_session):
    france, belgium = make.market("FR"), make.market("BE")
    account = make.account(france)
    scheduled = make.post(State.scheduled, account=account, body=NAMES_THE_REPORT)
    make.post(State.scheduled, account=account, body=CLEAN)
    approved = make.post(State.approved, account=account, body=NAMES_THE_REPORT)
    with_cabinet = make.post(State.with_cabinet, account=make.account(france, executive=make.executive()),
                             body=NAMES_THE_REPORT)
    in_review = make.post(State.in_review, account=account, body=NAMES_THE_REPORT)
    make.post(State.draft, account=account, body=NAMES_THE_REPORT)  # its author sees the error in the editor
    make.post(State.changes_requested, account=account, body=NAMES_THE_REPORT)
    make.post(State.scheduled, account=make.account(belgium), body=NAMES_THE_REPORT)  # another market's policy
    assert policies.refused_in_market(db_session, france).count == 0

    policies.save_policy(db_session, france, make.user(Role.admin), forbidden=[ANNUAL_REPORT])

    breaks = policies.refused_in_market(db_session, france)
    # Scheduled first, by their time; then the approved ones, which cannot be scheduled as they stand.
    assert [r.post.id for r in breaks.on_their_way] == [scheduled.id, approved.id, with_cabinet.id]
    assert [r.post.id for r in breaks.in_review] == [in_review.id]
    assert breaks.scheduled == 1 and breaks.count == 4
    verdict = breaks.on_their_way[0].verdict
    assert verdict.policy_version == "FR-v1"
    assert [f.rule for f in verdict.errors] == ["policy.forbidden"]
    assert policies.refused_in_market(db_session, belgium).count == 0


def test_warnings_of_the_new_policy_stop_nothing(make, db_session):
    """A sensitive term is a warning: the worker publishes a text holding one, so nothing is listed."""
    france = make.market("FR")
    make.post(State.scheduled, account=make.account(france), body=NAMES_THE_REPORT)
    policies.save_policy(db_session, france, make.user(Role.admin),
                         sensitive=[{"phrase": "rapport annuel", "reason": "The press office checks it."}])
    assert policies.refused_in_market(db_session, france).count == 0


def test_the_desk_lists_them_with_the_reason_and_a_link_to_each(make, web, db_session):
    france, belgium = make.market("FR"), make.market("BE")
    account = make.account(france)
    scheduled = make.post(State.scheduled, account=account, body=NAMES_THE_REPORT)
    clean = make.post(State.scheduled, account=account, body=CLEAN)
    in_review = make.post(State.in_review, account=account, body=NAMES_THE_REPORT)
    theirs = make.post(State.scheduled, account=make.account(belgium), body=NAMES_THE_REPORT)
    pm = make.user(Role.project_manager, markets=[france])
    web.login(pm)
    assert "None." in section(text(web.get("/publishing")), "policy")

    policies.save_policy(db_session, france, make.user(Role.admin), forbidden=[ANNUAL_REPORT])
    policies.save_policy(db_session, belgium, make.user(Role.admin), forbidden=[ANNUAL_REPORT])
    page = text(web.get("/publishing"))

    will_fail = section(page, "policy")
    assert "Will fail: the policy in force refuses them" in will_fail
    assert f'<a href="/posts/{scheduled.id}">#{scheduled.id}</a>' in will_fail
    assert f'<td class="failure-reason">{REASON}</td>' in will_fail
    assert f"#{clean.id}<" not in will_fail
    assert f"#{theirs.id}<" not in page, "another market's post stays out of sight"
    in_review_part = section(page, "policy_review")
    assert f'<a href="/posts/{in_review.id}">#{in_review.id}</a>' in in_review_part
    assert REASON in in_review_part
    assert f"#{scheduled.id}<" not in in_review_part


def test_the_admin_is_told_how_many_posts_the_saved_version_breaks(app, make, db_session):
    from approval.views.publishing import policy_breaks_notice

    france = make.market("FR")
    account = make.account(france)
    make.post(State.scheduled, account=account, body=NAMES_THE_REPORT)
    make.post(State.approved, account=account, body=NAMES_THE_REPORT)
    make.post(State.in_review, account=account, body=NAMES_THE_REPORT)
    admin = make.user(Role.admin)
    with app.test_request_context():
        assert policy_breaks_notice(france) is None, "nothing breaks the defaults"
        policies.save_policy(db_session, france, admin, forbidden=[ANNUAL_REPORT])
        notice = str(policy_breaks_notice(france))
    assert notice == ("2 approved or scheduled posts of FR (1 scheduled) break FR-v1: they cannot go out as they "
                      "stand. 1 post in review breaks it too: it cannot be approved as it stands. "
                      '<a href="/publishing#policy">The publishing desk lists them.</a>')


def test_the_admin_is_told_of_posts_in_review_alone_and_of_one_post(app, make, db_session):
    from approval.views.publishing import policy_breaks_notice

    france = make.market("FR")
    make.post(State.in_review, account=make.account(france), body=NAMES_THE_REPORT)
    with app.test_request_context():
        policies.save_policy(db_session, france, make.user(Role.admin), forbidden=[ANNUAL_REPORT])
        notice = str(policy_breaks_notice(france))
    assert notice == ('1 post in review of FR breaks FR-v1: it cannot be approved as it stands. '
                      '<a href="/publishing#policy_review">The publishing desk lists it.</a>')


def test_what_the_admin_typed_as_the_reason_is_shown_as_text_on_the_desk(make, web, db_session):
    france = make.market("FR")
    post = make.post(State.scheduled, account=make.account(france), body=NAMES_THE_REPORT)
    policies.save_policy(db_session, france, make.user(Role.admin),
                         forbidden=[{"phrase": "rapport annuel", "reason": "<img src=x>"}])
    web.login(make.user(Role.project_manager, markets=[france]))
    page = web.get("/publishing").get_data(as_text=True)
    assert f"#{post.id}<" in page and "<img src=x>" not in page and "&lt;img src=x&gt;" in page


def test_the_check_reads_the_database_the_same_few_times_however_many_posts(app, make, db_session):
    """Cheap for a market with hundreds of scheduled posts: a handful of statements per batch of posts, not one per
    post (their accounts, markets, policies, revisions, media and campaigns are loaded with them)."""
    france = make.market("FR")
    admin = make.user(Role.admin)
    accounts = [make.account(france), make.account(france, network="x")]
    for account in accounts:
        make.post(State.scheduled, account=account, body=NAMES_THE_REPORT)
    policies.save_policy(db_session, france, admin, forbidden=[ANNUAL_REPORT])
    engine = app.extensions["approval.db"]["engine"]
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        statements.append(statement)

    def statements_for_check() -> int:
        db_session.flush()
        db_session.expire_all()
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            breaks = policies.refused_in_market(db_session, france)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert breaks.count == len(accounts) * posts_each
        return len(statements)

    posts_each = 1
    few = statements_for_check()
    policies.save_policy(db_session, france, admin)  # the posts below are approved before the term is forbidden
    for account in accounts:
        for _ in range(5):
            make.post(State.scheduled, account=account, body=CLEAN)
            make.post(State.approved, account=account, body=NAMES_THE_REPORT.replace("demain", "lundi"))
    policies.save_policy(db_session, france, admin, forbidden=[ANNUAL_REPORT])
    posts_each = 6
    many = statements_for_check()
    assert many == few, f"{few} statements for 2 posts, {many} for 22"
    assert few <= 6


def test_the_post_page_warning_says_what_the_refusal_means_for_the_post_by_its_state(app, make, db_session):
    """The words the post page's banner shows (``status.policy_warning``, from the verdict the page already has)."""
    from approval.publishing.status import policy_warning

    france = make.market("FR")
    account = make.account(france)
    posts = {state: make.post(state, account=account, body=NAMES_THE_REPORT)
             for state in (State.scheduled, State.approved, State.in_review, State.draft)}
    clean = make.post(State.scheduled, account=account, body=CLEAN)
    policies.save_policy(db_session, france, make.user(Role.admin), forbidden=[ANNUAL_REPORT])
    with app.test_request_context():
        said = {state: policy_warning(post, policies.check_revision(db_session, post)) for state, post in posts.items()}
        assert policy_warning(clean, policies.check_revision(db_session, clean)) is None
    assert said[State.scheduled] == (f"{REASON} At its time this post will fail: edit the text (it goes back to "
                                     "review), or an admin changes the policy.")
    assert said[State.approved] == (f"{REASON} It cannot be scheduled as it stands: edit the text (it goes back to "
                                    "review), or an admin changes the policy.")
    assert said[State.in_review] == (f"{REASON} It cannot be approved as it stands: its author edits it, or an admin "
                                     "changes the policy.")
    assert said[State.draft] is None, "the editor shows a draft's errors; nothing was promised of it"
