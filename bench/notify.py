"""Mails per second through the notification outbox, against a bare smtplib loop sending the same messages.

Both sides send to the same SMTP server on 127.0.0.1 (aiosmtpd, counting what it accepts) in the same run. The outbox
side is ``approval notify``'s mailer as it runs in production: it claims due notifications (token and lease, one
transaction), loads them with their user and post, writes each mail (plain text and HTML, in the user's language),
sends it and marks it sent under its claim, one commit per mail. The bare side sends the same already-written
messages over one smtplib connection: the SMTP floor. The notifications are written by the dispatcher itself
(``notify_post``: one INSERT ... SELECT per change), 100 recipients per change.

Also measured: the dispatcher's cost in a transition (notifications written vs. not), through the engine.

    .venv/bin/python bench/notify.py [--backend sqlite|postgresql|all] [--mails 10000] [--rounds 1]

Target: the outbox at 50 % of the bare loop or more. The machine is shared and noisy: compare the ratio.
"""

from __future__ import annotations

import argparse
import smtplib
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from temporary_postgres import NoServer, temporary_database  # noqa: E402

from approval import administration as admin  # noqa: E402
from approval import create_app  # noqa: E402
from approval import operations as ops  # noqa: E402
from approval.db import utcnow  # noqa: E402
from approval.migrate import upgrade  # noqa: E402
from approval.models import Post  # noqa: E402
from approval.models.notifications import Notification, NotificationKind  # noqa: E402
from approval.notifications import dispatch  # noqa: E402
from approval.notifications.mailer import Mailer  # noqa: E402
from approval.workflow.states import Action, Role  # noqa: E402

RECIPIENTS = 100
PASSWORD = "bench password 2026"


class Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.accepted = 0

    async def handle_DATA(self, _server, _session, _envelope) -> str:  # noqa: ANN001, N802 - aiosmtpd's hook
        with self.lock:
            self.accepted += 1
        return "250 OK"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def populate(app, mails: int) -> tuple[int, int]:  # noqa: ANN001
    """A market with ``RECIPIENTS`` project managers and a post; ``mails`` review notifications to them."""
    with app.app_context(), Session(app.extensions["approval.db"]["engine"]) as session:
        market = admin.create_market(session, "FR", "France", "Europe/Paris", ["fr"])
        account = admin.create_account(session, market, "x", "helio_fr", "Helio")
        author = admin.create_user(session, "camille@helio.example", "Camille", Role.community_manager, PASSWORD,
                                   markets=[market])
        for n in range(RECIPIENTS):
            admin.create_user(session, f"pm{n}@helio.example", f"Project manager {n}", Role.project_manager,
                              PASSWORD, markets=[market])
        post = ops.create_post(session, author, account, "La Tour Eiffel brille ce soir aux couleurs de l'équipe.")
        session.commit()
        start = time.perf_counter()
        for _ in range(mails // RECIPIENTS):
            dispatch.notify_post(session, NotificationKind.review_requested, (dispatch.Audience.market_pms,),
                                 post_id=post.id, actor_id=author.id, at=utcnow() - timedelta(seconds=1))
        session.commit()
        written = time.perf_counter() - start
        count = session.scalar(select(func.count()).select_from(Notification))
        return count, written


def outbox_side(app, counter: Counter) -> tuple[int, float]:  # noqa: ANN001
    mailer = Mailer(app, batch=500)
    before = counter.accepted
    start = time.perf_counter()
    with app.app_context():
        while True:
            report = mailer.run_once()
            if report.sent == 0 and report.failed == 0:
                break
    return counter.accepted - before, time.perf_counter() - start


def bare_side(app, port: int, counter: Counter) -> tuple[int, float]:  # noqa: ANN001
    """The same messages, written beforehand, sent by one smtplib connection."""
    mailer = Mailer(app)
    with app.app_context(), Session(app.extensions["approval.db"]["engine"]) as session:
        ids = session.execute(select(Notification.id, Notification.user_id).order_by(Notification.id)).all()
        session.execute(update(Notification).values(mail_claim="bench"))
        session.commit()
    messages = []
    with app.app_context(), app.test_request_context("/", base_url=mailer.base_url):
        loaded = mailer.load([notification_id for notification_id, _user in ids], "bench")
        for notification_id, _user_id in ids:
            messages.append(mailer.compose(loaded[notification_id].user, [loaded[notification_id]], digest=False))
    before = counter.accepted
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for message in messages:
            client.send_message(message)
    return counter.accepted - before, time.perf_counter() - start


def transitions(app, count: int, notify: bool) -> float:  # noqa: ANN001
    """Submit/recall cycles per second through the engine, with or without the dispatcher."""
    original = dispatch.record
    if not notify:
        dispatch.record = lambda _session, _entry: None
    try:
        with app.app_context(), Session(app.extensions["approval.db"]["engine"]) as session:
            from approval.models import User

            author = session.scalar(select(User).where(User.email == "camille@helio.example"))
            post = session.scalar(select(Post))
            start = time.perf_counter()
            for n in range(count):
                action = Action.submit if n % 2 == 0 else Action.recall
                ops.act_on_post(session, post, action, author, expected_version=post.version)
                session.commit()
            return count / (time.perf_counter() - start)
    finally:
        dispatch.record = original


def run(backend: str, url: str, args: argparse.Namespace) -> None:
    upgrade(url)
    counter = Counter()
    port = free_port()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        instance = tempfile.mkdtemp(prefix="approval-bench-")
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True,
                          "SMTP_URL": f"smtp://127.0.0.1:{port}", "PUBLIC_URL": "https://approval.example"})
        app.instance_path = instance
        count, written = populate(app, args.mails)
        print(f"{backend}: {count} notifications written by the dispatcher in {written:.2f} s "
              f"({count / written:,.0f}/s, {RECIPIENTS} recipients per INSERT ... SELECT)")
        sent, took = outbox_side(app, counter)
        outbox_rate = sent / took
        print(f"{backend}: outbox  {sent} mails in {took:.2f} s = {outbox_rate:,.0f} mails/s")
        sent_bare, took_bare = bare_side(app, port, counter)
        bare_rate = sent_bare / took_bare
        print(f"{backend}: bare    {sent_bare} mails in {took_bare:.2f} s = {bare_rate:,.0f} mails/s")
        print(f"{backend}: ratio outbox/bare = {outbox_rate / bare_rate:.0%} (target: 50 % or more)")
        with_, without = [], []
        for _ in range(args.rounds):
            without.append(transitions(app, args.transitions, notify=False))
            with_.append(transitions(app, args.transitions, notify=True))
        print(f"{backend}: transitions/s without notifications {statistics.median(without):,.0f}, with "
              f"{statistics.median(with_):,.0f} ({statistics.median(with_) / statistics.median(without):.0%}; "
              f"a submit tells {RECIPIENTS} project managers)")
    finally:
        controller.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "all"), default="all")
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--transitions", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.backend in ("sqlite", "all"):
        with tempfile.TemporaryDirectory() as folder:
            run("sqlite", f"sqlite:///{folder}/bench.db", args)
    if args.backend in ("postgresql", "all"):
        try:
            with temporary_database("approval_bench_notify") as url:
                run("postgresql", url, args)
        except NoServer as error:
            print(f"postgresql: skipped ({error})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
