"""The mail telling a manager that a new policy refuses a scheduled post says when the post is scheduled in the
reader's language ("Scheduled for Dec 8, 2027, 09:00 (...)", "8 déc. 2027, 09:00 (...)"), through the real sender
and a real SMTP server; never "2027-12-08 09:00"."""

from __future__ import annotations

from approval import policies
from approval.notifications.mailer import Mailer
from approval.workflow.states import Role
from test_dates_in_sentences import PARIS, _day, _offset
from test_notify_policy_mail import REPORT, chat, mails, make, scene, session, smtp, world  # noqa: F401 - fixtures


def test_each_manager_reads_when_the_refused_post_is_scheduled_in_their_language(world, session, make,  # noqa: F811
                                                                                  smtp):  # noqa: F811
    market, french, english, post = scene(make, "FR")
    admin = make.user(Role.admin, name="Ada Admin")
    session.commit()
    Mailer(world).run_once()
    smtp.take()  # what the scene itself told (the approval, the scheduling)

    policies.save_policy(session, market, admin, forbidden=[REPORT])
    got = mails(world, session, smtp)

    local = post.scheduled_at.astimezone(PARIS)
    for reader, language in ((french, "fr"), (english, "en")):
        text = got[reader.email].part("plain").replace("\u202f", " ").replace("\u00a0", " ")
        assert f"{_day(local.date(), language)}, {local:%H:%M} (Europe/Paris, {_offset(local)})" in text, text
        assert f"{local:%Y-%m-%d %H:%M}" not in text
