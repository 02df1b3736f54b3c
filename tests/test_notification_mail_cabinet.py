"""The cabinet's mail (walk "cabinet"), against a real SMTP server on 127.0.0.1: "By" names the writer and the
sender is named apart, with the executive; a quoted comment keeps its lines; the writer reads that it was the
cabinet that asked for changes; what becomes of an accepted suggestion is mailed with its time or its link, and
gathered in the digest; a suggestion left with the cabinet is chased like a review. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from approval import operations as ops
from approval.db import utcnow
from approval.models.notifications import MailMode, Notification, NotificationPreference
from approval.notifications.mailer import last_digest_time
from approval.notifications.reminders import Reminders
from approval.workflow import engine
from approval.workflow.states import Action, Role, State
from tests.said_helpers import said_in_english
from tests.test_notification_mail import make, send, session, smtp, world  # noqa: F401 - the mail tests' world


@pytest.fixture()
def office(make, session, smtp):  # noqa: F811
    smtp.take()
    market = make.market(None, timezone="Europe/Paris")
    executive = make.executive(f"Hélène Marchand {make.counter}")  # a cabinet of her own in this shared world
    office = {
        "market": market, "executive": executive,
        "account": make.account(market, "x", executive=executive),
        "sophie": make.user(Role.cabinet, executives=[executive], name="Sophie Bernard"),
        "camille": make.user(Role.community_manager, markets=[market], name="Camille Dubois"),
        "lucile": make.user(Role.project_manager, markets=[market], name="Lucile Tardieu"),
        "marc": make.user(Role.project_manager, markets=[market], name="Marc Lefèvre"),
    }
    session.commit()
    return office


PARIS = ZoneInfo("Europe/Paris")


def next_monday_nine(after_days: int = 1) -> datetime:
    """09:00 in Paris on the first Monday at least ``after_days`` from now: a week's working time ahead."""
    day = (utcnow() + timedelta(days=after_days)).astimezone(PARIS).date()
    day += timedelta(days=(7 - day.weekday()) % 7)
    return datetime.combine(day, time(9, 0), tzinfo=PARIS)


def mails_to(smtp, user):  # noqa: ANN001, ANN201, F811
    return [m for m in smtp.take() if m.to == (user.email,)]


def sent_to_the_cabinet(make, office, now: datetime | None = None):  # noqa: ANN001, ANN201, F811
    post = make.post(State.in_review, account=office["account"], author=office["camille"],
                     body="Fière d'inaugurer le vélodrome avec nos équipes.")
    make.act(post, Action.approve, office["lucile"], now=now)
    return post


def test_the_cabinets_mail_names_the_writer_the_sender_and_the_executive(world, session, make, office, smtp):  # noqa: F811
    sent_to_the_cabinet(make, office)
    send(world, session)
    [mail] = mails_to(smtp, office["sophie"])
    plain, html = mail.part("plain"), mail.part("html")
    assert mail.subject.startswith("A suggested message awaits your cabinet")
    for part in (plain, html):
        assert "By Camille Dubois" in part and "Sent by Lucile Tardieu" in part
        assert "By Lucile Tardieu" not in part
        assert office["executive"].name in part


def test_a_quoted_comment_keeps_its_lines_and_the_writer_reads_it_was_the_cabinet(  # noqa: F811
        world, session, make, office, smtp):  # noqa: F811
    post = sent_to_the_cabinet(make, office)
    session.commit()
    send(world, session)
    smtp.take()
    make.act(post, Action.request_changes, office["sophie"],
             comment="Ligne 1 : ton plus personnel.\nLigne 2 : sans hashtag.\n\nLigne 4 : merci !")
    session.commit()
    send(world, session)
    [mail] = mails_to(smtp, office["camille"])
    assert mail.subject.startswith("The cabinet asked for changes to your suggested message")
    plain, html = mail.part("plain"), mail.part("html")
    assert re.search(r"“Ligne 1 : ton plus personnel\.\n +Ligne 2 : sans hashtag\.\n *\n +Ligne 4 : merci !”", plain)
    assert "Ligne 1 : ton plus personnel. Ligne 2" not in html
    assert "white-space: pre-line" in html and "Ligne 1 : ton plus personnel.\nLigne 2 : sans hashtag." in html


def test_the_cabinet_is_mailed_the_time_the_link_and_the_change_of_what_it_accepted(  # noqa: F811
        world, session, make, office, smtp):  # noqa: F811
    post = sent_to_the_cabinet(make, office)
    make.act(post, Action.accept, office["sophie"])
    session.commit()
    send(world, session)
    smtp.take()
    slot = next_monday_nine(after_days=2)
    local = said_in_english(world, slot, "Europe/Paris")  # "Dec 14, 2026, 09:00 (Europe/Paris, UTC+01:00)"
    make.act(post, Action.schedule, office["lucile"], scheduled_at=slot)
    session.commit()
    send(world, session)
    [mail] = mails_to(smtp, office["sophie"])
    assert mail.subject.startswith("A suggested message your cabinet accepted was scheduled")
    assert f"Goes out on {local}" in mail.part("plain") and "Scheduled by Lucile Tardieu" in mail.part("plain")
    ops.edit_post(session, post, office["marc"], "Fière d'inaugurer le vélodrome. Rendez-vous au Social Hub !",
                  expected_version=post.version)
    session.commit()
    send(world, session)
    [mail] = mails_to(smtp, office["sophie"])
    plain = mail.part("plain")
    assert mail.subject.startswith("A suggested message your cabinet accepted was changed")
    assert "Changed by Marc Lefèvre" in plain and f"The edit dropped its slot of {local}" in plain
    # It quotes the text it accepted: the change reaches the cabinet once a project manager sends it again.
    assert "> Fière d'inaugurer le vélodrome avec nos équipes." in plain and "Rendez-vous au Social Hub" not in plain
    # Back through review, accepted again, published by the worker: the link is in the mail.
    make.act(post, Action.approve, office["lucile"])
    make.act(post, Action.accept, office["sophie"])
    make.act(post, Action.schedule, office["lucile"], scheduled_at=utcnow() + timedelta(hours=1))
    post.published_url, post.published_at = "https://x.com/HMarchand/status/77", utcnow()
    engine.record_step(session, post, Action.publish, now=utcnow())
    session.commit()
    smtp.take()
    session.execute(Notification.__table__.update().where(Notification.post_id == post.id,
                                                          Notification.kind != "published")
                    .values(mail_sent_at=utcnow()))
    send(world, session)
    [mail] = mails_to(smtp, office["sophie"])
    assert mail.subject.startswith("A suggested message your cabinet accepted was published")
    assert "https://x.com/HMarchand/status/77" in mail.part("plain")
    assert 'href="https://x.com/HMarchand/status/77"' in mail.part("html")


def test_the_cabinets_news_waits_for_its_digest_when_it_chose_so(world, session, make, office, smtp):  # noqa: F811
    session.add(NotificationPreference(user_id=office["sophie"].id, kind="published", mode=MailMode.daily))
    session.commit()
    post = sent_to_the_cabinet(make, office)
    session.commit()
    send(world, session)
    smtp.take()
    make.act(post, Action.accept, office["sophie"])
    make.act(post, Action.mark_published, office["lucile"], url="https://x.com/HMarchand/status/78")
    session.commit()
    send(world, session)
    assert mails_to(smtp, office["sophie"]) == []
    send(world, session, last_digest_time(utcnow() + timedelta(days=1), "Europe/Paris"))
    [digest] = mails_to(smtp, office["sophie"])
    assert digest.subject == "Your daily digest: A suggested message your cabinet accepted was published"
    assert "https://x.com/HMarchand/status/78" in digest.part("plain")


def test_a_comment_is_mailed_with_its_lines(world, session, make, office, smtp):  # noqa: F811
    post = sent_to_the_cabinet(make, office)
    session.commit()
    send(world, session)
    smtp.take()
    ops.add_comment(session, post, office["sophie"], "Pourrait-elle le publier à 9 h ?\nOu à 10 h au plus tard.")
    session.commit()
    send(world, session)
    [mail] = mails_to(smtp, office["camille"])
    plain = mail.part("plain")
    assert mail.subject.startswith("New comment in the discussion of a suggested message")
    assert "By Sophie Bernard" in plain
    assert re.search(r"“Pourrait-elle le publier à 9 h \?\n +Ou à 10 h au plus tard\.”", plain)


def test_a_suggestion_left_with_the_cabinet_reminds_it_then_tells_who_sent_it(  # noqa: F811
        world, session, make, office, smtp):  # noqa: F811
    monday_nine = next_monday_nine()
    post = sent_to_the_cabinet(make, office, now=monday_nine)
    session.commit()
    kinds = ("cabinet_reminder", "cabinet_escalation")

    def told() -> list[tuple[str, str]]:
        session.expire_all()
        return [(n.user.name, n.kind.value) for n in session.scalars(
            select(Notification).where(Notification.post_id == post.id, Notification.kind.in_(kinds))
            .order_by(Notification.id))]

    def remind(at: datetime):  # noqa: ANN202
        session.commit()
        return Reminders(world, clock=lambda: at).run_once()

    remind(monday_nine + timedelta(minutes=239))
    assert told() == []
    remind(monday_nine + timedelta(minutes=240))
    assert told() == [("Sophie Bernard", "cabinet_reminder")]
    remind(monday_nine + timedelta(minutes=300))
    assert told() == [("Sophie Bernard", "cabinet_reminder")]
    remind(monday_nine + timedelta(minutes=480))
    # The project manager who sent it, not every manager of the market, nor the group-wide ones.
    assert told() == [("Sophie Bernard", "cabinet_reminder"), ("Lucile Tardieu", "cabinet_escalation")]
    remind(monday_nine + timedelta(days=3))
    assert len(told()) == 2
    send(world, session, monday_nine + timedelta(minutes=481))
    mails = smtp.take()
    read = {user: "\n".join(m.part("plain") for m in mails if m.to == (office[user].email,))
            for user in ("sophie", "lucile")}
    reminder = read["sophie"].split("* A suggested message has waited for your cabinet longer than its market "
                                    "allows")[1]
    assert "By Camille Dubois" in reminder and "Sent by Lucile Tardieu" in reminder
    assert "* A suggested message you sent still waits for the cabinet" in read["lucile"]
    # The cabinet answers: the reminders are settled with the request.
    make.act(post, Action.accept, office["sophie"])
    session.commit()
    session.expire_all()
    assert all(n.read_at is not None for n in session.scalars(
        select(Notification).where(Notification.post_id == post.id, Notification.kind.in_(kinds))))


def test_the_cabinet_is_mailed_a_withdrawal_and_never_the_writers_drafts(world, session, make,  # noqa: F811
                                                                                           office, smtp):  # noqa: F811
    post = sent_to_the_cabinet(make, office)
    make.act(post, Action.request_changes, office["sophie"], comment="Plus personnel.")
    session.commit()
    send(world, session)
    smtp.take()
    # Back on the drafting table: a saved draft and a comment. The comment reaches the cabinet; the draft does not.
    ops.edit_post(session, post, office["camille"], "BROUILLON INTERNE : ne pas montrer au cabinet.",
                  expected_version=post.version)
    ops.add_comment(session, post, office["camille"], "Je reprends le texte avec Marc.")
    session.commit()
    send(world, session)
    [mail] = mails_to(smtp, office["sophie"])
    for part in (mail.part("plain"), mail.part("html")):
        assert "Je reprends le texte avec Marc." in part and "BROUILLON" not in part
        assert "le vélodrome avec nos équipes." in part
    assert "BROUILLON" not in mail.subject
    # Withdrawn, it stays in the cabinet's sight, which hears that it went and by whom: the text it had in hand.
    make.act(post, Action.withdraw, office["camille"])
    session.commit()
    send(world, session)
    [mail] = mails_to(smtp, office["sophie"])
    plain = mail.part("plain")
    assert mail.subject.startswith("A suggested message sent to your cabinet was withdrawn — Fière d'inaugurer")
    assert "Withdrawn by Camille Dubois" in plain and office["executive"].name in plain
    assert "BROUILLON" not in plain and f"/posts/{post.id}" in plain
