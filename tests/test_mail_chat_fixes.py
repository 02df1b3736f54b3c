"""The walk "repmail"'s mail and chat findings, end to end: a real SMTP server (aiosmtpd) and a real HTTP chat
webhook on 127.0.0.1, on SQLite and PostgreSQL.

- a ``from=`` sender with a display name gives that From header and the bare address as the envelope sender; a
  ``from=`` that is no address is refused at start;
- a market's chat hears a post's text, and the reasons quoted from a server, escaped as Slack reads them: nobody is
  pinged and no link is disguised, while the app's own link stays a link;
- a mail gathering several kinds of news does not call them all by the first one's title, and leads with the urgent;
- the stop-switch mails lead somewhere, and the "off" one says what the switch held (nothing, or how many posts).
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
import sys
from datetime import timedelta
from email.utils import parseaddr

import pytest
from sqlalchemy import update

from approval.config import SettingError, Settings
from approval.db import utcnow
from approval.models import Post
from approval.models.notifications import MarketNotificationSettings, NotificationKind as Kind
from approval.notifications import dispatch
from approval.notifications.chat import ChatSender
from approval.notifications.mailer import Mailer, SmtpSettings
from approval.publishing import controls
from approval.workflow import engine
from approval.workflow.states import Action, Role, State
from tests.notification_helpers import ChatServer, Received, SmtpServer
from tests.test_notification_mail import make, session, world  # noqa: F401 - the committed world of the mail tests


class EnvelopeServer(SmtpServer):
    """The helpers' SMTP server, also keeping each message's envelope sender (``MAIL FROM``)."""

    def __init__(self) -> None:
        super().__init__()
        self.senders: list[str] = []

    async def handle_DATA(self, _server, _session, envelope) -> str:  # noqa: ANN001 - aiosmtpd's hook
        with self.lock:
            self.senders.append(envelope.mail_from)
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.received.append(Received(tuple(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def take_senders(self) -> list[str]:
        with self.lock:
            taken, self.senders = self.senders, []
            return taken


@pytest.fixture(scope="module")
def smtp():
    with EnvelopeServer() as server:
        yield server


@pytest.fixture(scope="module")
def chat():
    with ChatServer() as server:
        yield server


@pytest.fixture()
def scene(make, session, smtp, chat):  # noqa: F811
    smtp.take()
    smtp.take_senders()
    chat.take()
    market = make.market(None, timezone="Europe/Paris", languages=("fr",))
    scene = {"market": market, "account": make.account(market, network="x"),
             "cm": make.user(Role.community_manager, markets=[market], name="Camille Martin"),
             "pm": make.user(Role.project_manager, markets=[market], name="Marc Lefèvre"),
             "pm2": make.user(Role.project_manager, markets=[market], name="Lucile Bernard")}
    session.add(MarketNotificationSettings(market_id=market.id, chat_webhook_url=chat.url(f"/hook/{market.code}")))
    session.commit()
    return scene


def send(world, session, settings: SmtpSettings | None = None):  # noqa: F811, ANN001, ANN201
    session.commit()
    return Mailer(world, settings=settings).run_once()


def heard(world, session, chat, scene) -> list[str]:  # noqa: F811, ANN001
    """One pass of the chat sender: the texts the scene's market's webhook received (other tests' markets have
    webhooks too, and their messages may still be waiting)."""
    session.commit()
    ChatSender(world).run_once()
    return [b["text"] for b in chat.take() if b["path"] == f"/hook/{scene['market'].code}"]


# Finding 2: the sender ------------------------------------------------------------------------------------------


def test_a_sender_with_a_display_name_is_the_from_header_and_its_address_the_envelope(world, session, make,  # noqa: F811
                                                                                     scene, smtp):
    settings = SmtpSettings.from_url(
        f"smtp://127.0.0.1:{smtp.port}?from=Approval%20Helio%20%3Capproval@helio.example%3E")
    assert settings.sender == "approval@helio.example"
    make.post(State.in_review, account=scene["account"], author=scene["cm"])
    assert send(world, session, settings).sent == 2
    mails = smtp.take()
    assert {m.message["From"] for m in mails} == {"Approval Helio <approval@helio.example>"}
    assert smtp.take_senders() == ["approval@helio.example"] * 2
    assert all(m.message["Message-ID"].endswith("@helio.example>") for m in mails)


def test_a_sender_s_name_may_be_in_any_language(world, session, make, scene, smtp):  # noqa: F811
    settings = SmtpSettings.from_url(
        f"smtp://127.0.0.1:{smtp.port}?from=Approbation%20H%C3%A9lio%20%3Capproval@helio.example%3E")
    make.post(State.in_review, account=scene["account"], author=scene["cm"])
    send(world, session, settings)
    mails = smtp.take()
    assert {parseaddr(str(m.message["From"])) for m in mails} == {("Approbation Hélio", "approval@helio.example")}
    assert smtp.take_senders() == ["approval@helio.example"] * 2


def test_a_sender_without_a_name_is_still_called_approval(world, session, make, scene, smtp):  # noqa: F811
    make.post(State.in_review, account=scene["account"], author=scene["cm"])
    send(world, session, SmtpSettings.from_url(f"smtp://127.0.0.1:{smtp.port}?from=ops@helio.example"))
    assert {m.message["From"] for m in smtp.take()} == {"approval <ops@helio.example>"}
    assert smtp.take_senders() == ["ops@helio.example"] * 2


@pytest.mark.parametrize("sender", [
    "Approval",                                      # a name, no address (it went out as MAIL FROM:<Approval>)
    "Approval Helio approval@helio.example",         # the angle brackets forgotten
    "approval@helio.example, ops@helio.example",     # two senders
    "Approval <approval@helio.example> ops",
    "<>", "approval@", "@helio.example", "a b@helio.example",
    "Approval%0ABcc: x@evil.example <approval@helio.example>",  # a line break in the name
])
def test_a_sender_that_is_no_address_is_refused_at_start(sender):
    url = f"smtp://mail.helio.example?from={sender.replace(' ', '%20')}"
    with pytest.raises(ValueError, match="from="):
        SmtpSettings.from_url(url)
    with pytest.raises(SettingError, match="APPROVAL_SMTP_URL: from= is one e-mail address"):  # the rule, said
        Settings.from_env({"APPROVAL_SMTP_URL": url})


def test_a_plain_or_literal_sender_is_accepted():
    for value, name, address in (("ops@helio.example", None, "ops@helio.example"),
                                 ("approval@[127.0.0.1]", None, "approval@[127.0.0.1]"),
                                 ("%22Helio%2C%20Inc%22%20%3Cops@helio.example%3E", "Helio, Inc", "ops@helio.example")):
        settings = SmtpSettings.from_url(f"smtp://mail.helio.example?from={value}")
        assert (settings.sender_name, settings.sender) == (name, address)


def test_the_command_line_refuses_a_sender_that_is_no_address_in_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "approval.cli", "account", "list"], capture_output=True,
                            text=True, timeout=120,
                            env={**os.environ, "APPROVAL_SMTP_URL": "smtp://mail.helio.example?from=Approval",
                                 "APPROVAL_INSTANCE_PATH": str(tmp_path / "instance")})
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("Error: APPROVAL_SMTP_URL"), result.stderr


# Finding 3: the chat ---------------------------------------------------------------------------------------------

HOSTILE = "Alerte <!channel> et <https://evil.example|voir le programme officiel> & plus. #EURO2028"


def test_a_post_s_text_in_the_chat_pings_nobody_and_disguises_no_link(world, session, make, scene, chat):  # noqa: F811
    post = make.post(State.in_review, account=scene["account"], author=scene["cm"], body=HOSTILE)
    [text] = heard(world, session, chat, scene)
    assert ("Alerte &lt;!channel&gt; et &lt;https://evil.example|voir le programme officiel&gt; &amp; plus."
            in text), text
    assert "<!" not in text and "<https://evil" not in text
    # Every "<" left opens the app's own link, which stays a link.
    assert re.findall(r"<([^>]*)>", text) == [f"https://approval.helio.example/posts/{post.id}"]


def test_a_reason_quoted_from_a_server_is_escaped_in_the_chat(world, session, make, scene, chat):  # noqa: F811
    post = make.post(State.approved, account=scene["account"], author=scene["cm"], reviewer=scene["pm"])
    make.act(post, Action.schedule, scene["pm"], scheduled_at=utcnow() + timedelta(hours=1))
    heard(world, session, chat, scene)
    engine.record_step(session, post, Action.fail, now=utcnow(),
                       comment='HTTP 400 {"error": "<!here> see <https://evil.example|the docs> & retry"}')
    texts = heard(world, session, chat, scene)
    assert len(texts) == 1, texts
    assert "&lt;!here&gt; see &lt;https://evil.example|the docs&gt; &amp; retry" in texts[0], texts
    assert "<!here>" not in texts[0] and "<https://evil" not in texts[0]


def test_a_broadcast_word_in_a_post_mentions_nobody_either(world, session, make, scene, chat):  # noqa: F811
    """Slack-compatible receivers (Mattermost, Rocket.Chat) read ``@channel`` or ``@here`` typed as such."""
    make.post(State.in_review, account=scene["account"], author=scene["cm"],
              body="Tout le monde @channel @here @everyone @all, rendez-vous au stade.")
    [text] = heard(world, session, chat, scene)
    assert not re.search(r"@(channel|here|everyone|all)\b", text), text
    assert "channel" in text and "rendez-vous au stade" in text


# Finding 6: the subject of a mail with several items ------------------------------------------------------------


def _tell(session, kinds_posts):  # noqa: F811, ANN001, ANN202
    at = utcnow() - timedelta(minutes=1)
    for kind, post in kinds_posts:
        dispatch.notify_post(session, kind, (dispatch.Audience.author,), post_id=post.id, actor_id=None, at=at)
    session.commit()


def test_news_of_different_kinds_gets_a_neutral_subject(world, session, make, scene, smtp):  # noqa: F811
    posts = [make.post(State.draft, account=scene["account"], author=scene["cm"]) for _ in range(3)]
    session.commit()
    _tell(session, [(Kind.rejected, posts[0]), (Kind.approved, posts[1]), (Kind.approved, posts[2])])
    send(world, session)
    [mail] = [m for m in smtp.take() if m.to == (scene["cm"].email,)]
    assert mail.subject == "3 new notifications"
    assert "Your post was rejected" in mail.part("plain") and "Your post was approved" in mail.part("plain")


def test_an_urgent_item_leads_the_subject_and_the_mail(world, session, make, scene, smtp):  # noqa: F811
    scheduled, missed = (make.post(State.draft, account=scene["account"], author=scene["cm"]) for _ in range(2))
    session.commit()
    _tell(session, [(Kind.scheduled, scheduled), (Kind.missed, missed)])
    send(world, session)
    [mail] = [m for m in smtp.take() if m.to == (scene["cm"].email,)]
    assert mail.subject == "A post missed its slot, and 1 other notification"
    for part in ("plain", "html"):
        text = mail.part(part)
        assert text.index("A post missed its slot") < text.index("Your post was scheduled"), part


def test_several_urgent_items_lead_and_are_counted_apart_from_the_others(world, session, make, scene, smtp):  # noqa: F811
    posts = [make.post(State.draft, account=scene["account"], author=scene["cm"]) for _ in range(3)]
    session.commit()
    _tell(session, [(Kind.approved, posts[0]), (Kind.failed, posts[1]), (Kind.unconfirmed, posts[2])])
    send(world, session)
    [mail] = [m for m in smtp.take() if m.to == (scene["cm"].email,)]
    assert mail.subject == "A post failed to publish, and 2 other notifications"


def test_news_of_one_kind_keeps_its_title_and_count(world, session, make, scene, smtp):  # noqa: F811
    posts = [make.post(State.draft, account=scene["account"], author=scene["cm"]) for _ in range(3)]
    session.commit()
    _tell(session, [(Kind.approved, post) for post in posts])
    send(world, session)
    [mail] = [m for m in smtp.take() if m.to == (scene["cm"].email,)]
    assert mail.subject == "Your post was approved, and 2 more"


# Finding 7: the stop switches ----------------------------------------------------------------------------------


def _mails(smtp) -> dict[str, Received]:  # noqa: ANN001
    return {m.to[0]: m for m in smtp.take()}


def test_a_stop_switch_mail_leads_to_the_stop_switches(world, session, make, scene, smtp):  # noqa: F811
    stop = controls.turn_on(session, scene["pm"], "market", market_code=scene["market"].code,
                            reason="Match perdu: on se tait.")
    send(world, session)
    mails = _mails(smtp)
    manager, writer = mails[scene["pm2"].email], mails[scene["cm"].email]
    stops = f"https://approval.helio.example/publishing/stops#stop-{stop.id}"
    assert stops in manager.part("plain") and f'href="{stops}"' in manager.part("html")
    assert "Open the stop switches" in manager.part("html")
    # A community manager opens no stop switch page: the calendar shows them what is held.
    calendar = f"https://approval.helio.example/calendar?market={scene['market'].code}"
    assert calendar in writer.part("plain") and f'href="{calendar}"' in writer.part("html")
    assert "/publishing" not in writer.part("plain")
    assert "Open the post" not in manager.part("html") + writer.part("html")


def test_a_stop_switch_off_that_held_nothing_says_so(world, session, make, scene, smtp):  # noqa: F811
    stop = controls.turn_on(session, scene["pm"], "market", market_code=scene["market"].code, reason="Match perdu.")
    send(world, session)
    smtp.take()
    controls.turn_off(session, scene["pm"], stop.id)
    send(world, session)
    mails = _mails(smtp)
    for mail, nothing in ((mails[scene["pm2"].email], "No post of your markets stays held."),
                          (mails[scene["cm"].email], "None of your posts was held.")):
        assert mail.subject.startswith("A stop switch was turned off")
        for part in ("plain", "html"):
            assert "stay held" not in mail.part(part)
            assert nothing in mail.part(part)
    assert f"/publishing/stops#stop-{stop.id}" in mails[scene["pm2"].email].part("plain")


def test_a_stop_switch_off_says_how_many_posts_wait_and_leads_to_the_desk(world, session, make, scene, smtp):  # noqa: F811
    posts = [make.post(State.scheduled, account=scene["account"], author=scene["cm"], reviewer=scene["pm"])
             for _ in range(2)]
    stop = controls.turn_on(session, scene["pm"], "market", market_code=scene["market"].code, reason="Match perdu.")
    session.flush()
    session.execute(update(Post).where(Post.id.in_([p.id for p in posts]))
                    .values(held_at=utcnow(), held_by_stop_id=stop.id))
    send(world, session)
    smtp.take()
    controls.turn_off(session, scene["pm"], stop.id)
    send(world, session)
    mails = _mails(smtp)
    manager = mails[scene["pm2"].email]
    for part in ("plain", "html"):
        assert "2 posts of your markets stay held: release them on the Publishing desk." in manager.part(part)
    assert "https://approval.helio.example/publishing\n" in manager.part("plain")
    assert 'href="https://approval.helio.example/publishing"' in manager.part("html")
    assert "Open the publishing desk" in manager.part("html")


def test_a_global_stop_off_counts_for_each_reader_only_the_posts_of_their_markets(world, session, make, scene,  # noqa: F811
                                                                                  smtp):
    """A switch for everything held posts in two markets: a community manager of one is told of that market's posts
    only (the other market's are none of theirs, not even as a number); a group-wide manager of both."""
    other = make.market(None, timezone="Europe/Berlin", languages=("de",))
    other_account = make.account(other, network="x")
    other_cm = make.user(Role.community_manager, markets=[other])
    ours = [make.post(State.scheduled, account=scene["account"], author=scene["cm"], reviewer=scene["pm"])]
    theirs = [make.post(State.scheduled, account=other_account, author=other_cm) for _ in range(2)]
    group = make.user(Role.project_manager, all_markets=True)
    stop = controls.turn_on(session, group, "all", reason="Crise.")
    session.flush()
    session.execute(update(Post).where(Post.id.in_([p.id for p in ours + theirs]))
                    .values(held_at=utcnow(), held_by_stop_id=stop.id))
    send(world, session)
    smtp.take()
    controls.turn_off(session, make.user(Role.admin), stop.id)  # the author of a change is not told of it
    send(world, session)
    mails = _mails(smtp)
    assert "1 of your posts stays held until a project manager" in mails[scene["cm"].email].part("plain")
    assert "2 of your posts stay held until a project manager" in mails[other_cm.email].part("plain")
    assert "3 posts of your markets stay held" in mails[group.email].part("plain")
    assert "Every market" in mails[scene["cm"].email].part("plain")  # what it stopped: it names no market
