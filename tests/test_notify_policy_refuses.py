"""An admin who saves a stricter policy breaks posts already on their way: the worker would refuse them at their
slot. Their market's project managers, and whoever scheduled them, hear of it at once (``policy_refuses``), once per
post; not the community managers, not the cabinet, not another market. A post the previous version already refused
is not told again; a save that changes nothing tells nothing; the notice settles once the post leaves its way or the
policy lets it through again. SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from approval import policies
from approval.models.notifications import MailMode, Notification, NotificationKind, NotificationPreference
from approval.notifications import texts
from approval.operations import edit_post
from approval.workflow.states import Action, Role, State

REFUSES = NotificationKind.policy_refuses
NAMES_THE_REPORT = "Notre rapport annuel paraît demain sur notre site."
NAMES_THE_RESULTS = "Nos résultats trimestriels paraissent demain sur notre site."
HARMLESS = "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante."
REPORT = {"phrase": "rapport annuel", "reason": "Say “bilan” until the general meeting.", "instead": "bilan"}
RESULTS = {"phrase": "résultats trimestriels", "reason": "Not before the announcement."}


def told(session, kind=REFUSES) -> set[tuple[int, int]]:  # noqa: ANN001
    """(user, post) of every notification of ``kind``."""
    session.flush()
    return {(n.user_id, n.post_id) for n in session.scalars(select(Notification).where(Notification.kind == kind))}


def notices(session, post) -> list[Notification]:  # noqa: ANN001
    session.flush()
    session.expire_all()
    return list(session.scalars(select(Notification).where(Notification.kind == REFUSES,
                                                           Notification.post_id == post.id)))


def test_a_stricter_policy_tells_the_project_managers_and_the_scheduler_once_per_post(make, db_session):
    france, kenya = make.market("FR"), make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    account = make.account(france)
    writer = make.user(Role.community_manager, markets=[france])
    reviewer = make.user(Role.project_manager, markets=[france], name="Pierre")
    colleague = make.user(Role.project_manager, markets=[france], name="Paula")
    # A group-wide manager hears of France's posts only when it scheduled one (France has managers of its own).
    group = make.user(Role.project_manager, all_markets=True, name="Gaia")
    kenyan = make.user(Role.project_manager, markets=[kenya], name="Otieno")
    admin = make.user(Role.admin, name="Ada")

    scheduled = make.post(State.approved, account=account, author=writer, body=NAMES_THE_REPORT, reviewer=reviewer)
    make.act(scheduled, Action.schedule, group, scheduled_at=_tomorrow())
    approved = make.post(State.approved, account=account, author=writer, body=NAMES_THE_REPORT, reviewer=reviewer)
    make.post(State.scheduled, account=account, author=writer, body=HARMLESS, reviewer=reviewer)  # passes
    in_review = make.post(State.in_review, account=account, author=writer, body=NAMES_THE_REPORT)
    make.post(State.scheduled, account=make.account(kenya), body=NAMES_THE_REPORT, reviewer=kenyan)  # Kenya's
    # An executive's words its cabinet accepted: the managers hear of it, the cabinet does not.
    ceo = make.executive("Hélène Marchand")
    suggestion = make.post(State.approved, account=make.account(france, executive=ceo), author=writer,
                           body=NAMES_THE_REPORT, reviewer=reviewer)
    cabinet = [member.id for member in ceo.cabinet]
    assert told(db_session) == set()

    version = policies.save_policy(db_session, france, admin, forbidden=[REPORT])

    assert version is not None and version.label == "FR-v1"
    expected = {(reviewer.id, scheduled.id), (colleague.id, scheduled.id), (group.id, scheduled.id),
                (reviewer.id, approved.id), (colleague.id, approved.id),
                (reviewer.id, suggestion.id), (colleague.id, suggestion.id)}
    assert told(db_session) == expected
    rows = db_session.scalars(select(Notification).where(Notification.kind == REFUSES)).all()
    assert len(rows) == len(expected)  # once per post and person
    recipients = {row.user_id for row in rows}
    assert writer.id not in recipients and kenyan.id not in recipients and admin.id not in recipients
    assert not recipients & set(cabinet)
    assert in_review.id not in {row.post_id for row in rows}  # not on its way: its review will say it
    row = next(row for row in rows if row.post_id == scheduled.id)
    assert row.actor_id == admin.id and row.market_id == france.id and row.read_at is None
    # What refuses it, with the version, in words the reader's language renders.
    english = texts.said(row.comment, row.why)
    assert "FR-v1" in english and "policy.forbidden" in english and "rapport annuel" in english
    assert row.comment == english


def test_a_post_the_previous_version_already_refused_is_not_told_again(make, db_session):
    france = make.market("FR")
    account = make.account(france)
    reviewer = make.user(Role.project_manager, markets=[france])
    admin = make.user(Role.admin)
    report = make.post(State.scheduled, account=account, body=NAMES_THE_REPORT, reviewer=reviewer)
    results = make.post(State.approved, account=account, body=NAMES_THE_RESULTS, reviewer=reviewer)

    policies.save_policy(db_session, france, admin, forbidden=[REPORT])
    assert told(db_session) == {(reviewer.id, report.id)}

    # Stricter still: the results post is told; the report, refused by v1 already, is not told a second time.
    policies.save_policy(db_session, france, admin, forbidden=[REPORT, RESULTS], based_on=1)
    assert len(notices(db_session, report)) == 1
    assert len(notices(db_session, results)) == 1

    # A save that changes nothing writes no version and tells nothing.
    assert policies.save_policy(db_session, france, admin, forbidden=[REPORT, RESULTS], based_on=2) is None
    assert len(notices(db_session, report)) == 1 and len(notices(db_session, results)) == 1


def test_a_policy_that_breaks_nothing_tells_nothing(make, db_session):
    france = make.market("FR")
    make.post(State.scheduled, account=make.account(france), body=HARMLESS)
    make.user(Role.project_manager, markets=[france])
    assert policies.save_policy(db_session, france, make.user(Role.admin), forbidden=[REPORT]) is not None
    assert told(db_session) == set()


def test_the_notice_settles_once_the_policy_lets_the_post_through_again(make, db_session):
    """Relaxed, the policy no longer refuses the post: its unread notice would say what is no longer true."""
    france = make.market("FR")
    account = make.account(france)
    reviewer = make.user(Role.project_manager, markets=[france])
    admin = make.user(Role.admin)
    report = make.post(State.scheduled, account=account, body=NAMES_THE_REPORT, reviewer=reviewer)
    results = make.post(State.scheduled, account=account, body=NAMES_THE_RESULTS, reviewer=reviewer)
    policies.save_policy(db_session, france, admin, forbidden=[REPORT, RESULTS])
    assert all(n.read_at is None for n in notices(db_session, report) + notices(db_session, results))

    policies.save_policy(db_session, france, admin, forbidden=[RESULTS], based_on=1)  # the report passes again

    [settled] = notices(db_session, report)
    assert settled.read_at is not None
    assert settled.mail_sent_at is not None and settled.mail_error == "the policy no longer refuses the post"
    [still] = notices(db_session, results)  # still refused: still unread, still to be mailed
    assert still.read_at is None and still.mail_sent_at is None

    # Refused again by a later version: the post is on its way, refused anew, and told anew.
    policies.save_policy(db_session, france, admin, forbidden=[REPORT, RESULTS], based_on=2)
    assert len(notices(db_session, report)) == 2 and len(notices(db_session, results)) == 1


def test_the_notice_settles_once_the_post_is_edited_and_goes_back_to_review(make, db_session):
    france = make.market("FR")
    account = make.account(france)
    writer = make.user(Role.community_manager, markets=[france])
    reviewer = make.user(Role.project_manager, markets=[france])
    report = make.post(State.scheduled, account=account, author=writer, body=NAMES_THE_REPORT, reviewer=reviewer)
    policies.save_policy(db_session, france, make.user(Role.admin), forbidden=[REPORT])
    [notice] = notices(db_session, report)
    assert notice.read_at is None and not _no_longer_awaited(notice)

    edit_post(db_session, report, writer, "Notre bilan paraît demain sur notre site.",
              expected_version=report.version)

    [notice] = notices(db_session, report)
    assert report.state == State.in_review
    assert notice.read_at is not None
    assert _no_longer_awaited(notice)  # the list says what the post is now; a digest leaves it out


def test_unscheduling_a_refused_post_leaves_its_notice_be(make, db_session):
    """Still approved, still refused: the notice still holds."""
    france = make.market("FR")
    reviewer = make.user(Role.project_manager, markets=[france])
    report = make.post(State.scheduled, account=make.account(france), body=NAMES_THE_REPORT, reviewer=reviewer)
    policies.save_policy(db_session, france, make.user(Role.admin), forbidden=[REPORT])
    make.act(report, Action.unschedule, reviewer)
    [notice] = notices(db_session, report)
    assert report.state == State.approved and notice.read_at is None and not _no_longer_awaited(notice)


def test_project_managers_and_admins_choose_how_it_is_mailed_community_managers_never_see_it():
    assert REFUSES in texts.kinds_for(Role.project_manager)
    assert REFUSES in texts.kinds_for(Role.admin)
    assert REFUSES not in texts.kinds_for(Role.community_manager)
    assert REFUSES not in texts.kinds_for(Role.cabinet)


def test_the_preferences_page_offers_it_to_a_project_manager(make, web, db_session):
    pm = make.user(Role.project_manager, markets=[make.market("FR")])
    web.login(pm)
    page = web.get("/notifications/preferences").get_data(as_text=True)
    assert "A new editorial policy refuses an approved or scheduled post" in page
    assert 'name="mode-policy_refuses"' in page
    assert web.post("/notifications/preferences", {"mode-policy_refuses": "off"}).status_code in (302, 303)
    chosen = db_session.get(NotificationPreference, (pm.id, REFUSES))
    assert chosen is not None and chosen.mode == MailMode.off


def _no_longer_awaited(notice: Notification) -> bool:
    from approval.notifications.inbox import no_longer_awaited

    return no_longer_awaited(notice)


def _tomorrow():  # noqa: ANN202
    from datetime import timedelta

    from approval.db import utcnow

    return utcnow() + timedelta(days=1)
