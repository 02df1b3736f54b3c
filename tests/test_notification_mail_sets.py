"""The mails of one act on the posts of a set (``grouping``), against a real SMTP server (aiosmtpd), on SQLite and
PostgreSQL: a set of five approved and scheduled in one go is one mail to its writer ("5 posts of set #3 were
scheduled", each post and the set linked), the "approved" of each post overtaken in it; the daily digest gathers
them the same way."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from approval import operations as ops
from approval.db import utcnow
from approval.models.notifications import MailMode, Notification, NotificationPreference
from approval.models.notifications import NotificationKind as Kind
from approval.notifications import dispatch
from approval.notifications.mailer import last_digest_time
from approval.workflow.states import Action
from tests.test_notification_mail import make, scene, send, session, smtp, world  # noqa: F401 - the fixtures

NETWORKS = ("facebook", "x", "linkedin", "facebook", "x")  # no picture required


def a_set(make, session, scene):  # noqa: ANN001, ANN201, F811
    accounts = [make.account(scene["market"], network) for network in NETWORKS]
    post_set = ops.create_post_set(session, scene["cm"], len(accounts))
    posts = []
    for account in accounts:
        post = ops.create_post(session, scene["cm"], account, "Le stade brille ce soir.", post_set=post_set)
        make.act(post, Action.submit, scene["cm"])
        posts.append(post)
    session.commit()
    return post_set.id, posts


def approve_all(make, session, scene, posts, *, schedule: bool) -> None:  # noqa: ANN001, F811
    """The set page's "Approve and schedule all": each post through the engine, in one transaction."""
    for post in posts:
        make.act(post, Action.approve, scene["pm"])
        if schedule:
            make.act(post, Action.schedule, scene["pm"], scheduled_at=utcnow() + timedelta(days=2))
    session.commit()


def test_a_set_approved_and_scheduled_in_one_go_is_one_mail_to_its_writer(world, session, make, scene, smtp):  # noqa: F811
    set_id, posts = a_set(make, session, scene)
    send(world, session)
    smtp.take()  # the review requests
    approve_all(make, session, scene, posts, schedule=True)
    send(world, session)
    mails = [m for m in smtp.take() if m.to == (scene["cm"].email,)]
    assert len(mails) == 1
    mail = mails[0]
    assert mail.subject.startswith(f"5 posts of set #{set_id} were scheduled — Le stade brille ce soir.")
    text, page = mail.part("plain"), mail.part("html")
    assert text.count("* ") == 1 and "Your post was approved" not in text and "were approved" not in text
    assert f"https://approval.helio.example/sets/{set_id}" in text and "By Pierre Durand" in text
    assert sorted(re.findall(r"/posts/(\d+)", text)) == sorted(str(p.id) for p in posts)
    for post in posts:
        assert f'href="https://approval.helio.example/posts/{post.id}"' in page
        assert f"@{post.account.handle} — Goes out on" in text
    rows = session.scalars(select(Notification).where(Notification.user_id == scene["cm"].id,
                                                      Notification.kind == Kind.approved)).all()
    assert len(rows) == 5 and {n.mail_error for n in rows} == {dispatch.OVERTAKEN}
    assert send(world, session).sent == 0 and smtp.take() == []


def test_the_digest_gathers_a_sets_notices_too(world, session, make, scene, smtp):  # noqa: F811
    session.add(NotificationPreference(user_id=scene["cm"].id, kind=Kind.approved, mode=MailMode.daily))
    session.commit()
    set_id, posts = a_set(make, session, scene)
    alone = make.post("in_review", account=scene["account"], author=scene["cm"])
    approve_all(make, session, scene, [*posts, alone], schedule=False)
    eight = last_digest_time(utcnow() + timedelta(days=1), "Europe/Paris")
    assert send(world, session, eight).digests == 1
    [mail] = [m for m in smtp.take() if m.to == (scene["cm"].email,)]
    text = mail.part("plain")
    assert mail.subject == "Your daily digest: 6 notifications"
    assert text.count("\n* ") == 2
    assert f"* 5 posts of set #{set_id} were approved" in text and "* Your post was approved" in text
    assert sorted(re.findall(r"/posts/(\d+)", text)) == sorted(str(p.id) for p in [*posts, alone])
