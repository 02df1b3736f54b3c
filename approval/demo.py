"""A realistic demo: France, Kenya and Poland, accounts on every network, the CEO and his cabinet, one user of every
role, and posts in every state, each brought there through the workflow engine so its history is true."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from approval import administration as admin
from approval import operations as ops
from approval.db import utcnow
from approval.media import samples  # issue 11: the Instagram, YouTube and Snapchat posts carry media
from approval.models import Campaign, Outcome, Post, PublicationAttempt, User
from approval.models.notifications import NotificationProfile
from approval.publishing.controls import connect_account
from approval.publishing.worker import publishing_key
from approval.workflow import engine
from approval.workflow.states import Action, Role

PASSWORD = "approval-demo"
#: Where Kenya's Instagram account sends its posts: a publishing tool the demo does not have (a reserved name).
WEBHOOK = "https://publisher.helio.example/hooks/instagram"


def load_demo(session: Session) -> list[tuple[str, str, str]]:
    """Fill an empty database; returns (email, role, password) for each demo login."""
    fr = admin.create_market(session, "FR", "France", "Europe/Paris", ["fr"])
    ke = admin.create_market(session, "KE", "Kenya", "Africa/Nairobi", ["en", "sw"])
    pl = admin.create_market(session, "PL", "Poland", "Europe/Warsaw", ["pl"])
    ceo = admin.get_or_create_executive(session, "Hélène Marchand", "Chief Executive Officer")

    accounts = {
        "fr_x": admin.create_account(session, fr, "x", "helio_fr", "Helio"),
        "fr_fb": admin.create_account(session, fr, "facebook", "HelioFrance", "Helio"),
        "fr_ig": admin.create_account(session, fr, "instagram", "helio.france", "Helio"),
        "fr_yt": admin.create_account(session, fr, "youtube", "HelioFranceTV", "Helio"),
        "fr_li": admin.create_account(session, fr, "linkedin", "helio-group", "Helio"),
        "fr_snap": admin.create_account(session, fr, "snapchat", "sosh_fr", "Sosh"),
        "ke_x": admin.create_account(session, ke, "x", "HelioKenya", "Helio"),
        "ke_fb": admin.create_account(session, ke, "facebook", "HelioKenyaOfficial", "Helio"),
        "pl_fb": admin.create_account(session, pl, "facebook", "HelioPolska", "Helio"),
        "pl_ig": admin.create_account(session, pl, "instagram", "helio.polska", "Helio"),
        "ke_ig": admin.create_account(session, ke, "instagram", "helio.kenya", "Helio"),
        "ceo_x": admin.create_account(session, fr, "x", "HMarchand", "Helio", executive=ceo),
        "ceo_li": admin.create_account(session, fr, "linkedin", "helene-marchand", "Helio", executive=ceo),
    }
    # The demo publishes through the outbox: approved posts land in the instance folder's outbox.jsonl.
    # But Kenya's Instagram: the team's own publishing tool takes its posts through a webhook (an address the demo
    # does not have), and the publishing desk shows what came of them.
    for name, account in accounts.items():
        if name == "ke_ig":
            connect_account(session, account, "webhook", url=WEBHOOK, secret="demo-webhook-secret-0123456789")
        else:
            connect_account(session, account, "outbox")

    people: list[tuple[str, str, Role, dict[str, Any]]] = [
        ("camille@helio.example", "Camille Dubois", Role.community_manager, {"markets": [fr]}),
        ("wanjiru@helio.example", "Wanjiru Kamau", Role.community_manager, {"markets": [ke]}),
        ("piotr@helio.example", "Piotr Nowak", Role.community_manager, {"markets": [pl]}),
        ("lucile@helio.example", "Lucile Tardieu", Role.project_manager, {"all_markets": True}),
        ("marc@helio.example", "Marc Lefèvre", Role.project_manager, {"markets": [fr, ke, pl]}),
        ("cabinet@helio.example", "Sophie Bernard", Role.cabinet, {"executives": [ceo]}),
        ("admin@helio.example", "Admin Helio", Role.admin, {"all_markets": True}),
    ]
    users: dict[str, User] = {}
    for email, name, role, scope in people:
        users[email.split("@")[0]] = admin.create_user(session, email, name, role, PASSWORD, **scope)
    camille, wanjiru, piotr = users["camille"], users["wanjiru"], users["piotr"]
    lucile, marc, sophie = users["lucile"], users["marc"], users["cabinet"]
    session.add(NotificationProfile(user_id=lucile.id, timezone="Europe/Paris"))  # her calendar and digest: Paris

    euro = Campaign(name="Euro football tournament", market_id=None, hashtag="#EURO2028",
                    description="Official partner: fans choose the colours of the Eiffel Tower each match day.")
    report = Campaign(name="Integrated annual report", market_id=None, hashtag="#HelioReport",
                      description="Amplify the annual report on every network.")
    session.add_all([euro, report])
    session.flush()

    def post(account: str, author: User, text: str, campaign: Campaign | None = None):  # noqa: ANN202
        return ops.create_post(session, author, accounts[account], text, campaign)

    def act(p, action: Action, actor: User, **kw) -> None:  # noqa: ANN001
        ops.act_on_post(session, p, action, actor, expected_version=p.version, **kw)

    def sent_by_the_worker(p: Post, outcome: Outcome, message: str, seconds: int) -> None:
        """What the publishing worker records when it sends ``p`` at its slot through the webhook and the answer is
        ``outcome`` after ``seconds`` (``approval.publishing.worker``): its claim, the attempt, the outcome."""
        at, revision = p.scheduled_at, p.current_revision
        assert at is not None and revision is not None
        answered = at + timedelta(seconds=seconds)
        p.publish_key = publishing_key(p)
        p.claim_token, p.claimed_until = "demo", at + timedelta(minutes=2)
        engine.record_step(session, p, Action.claim, now=at, payload={"worker": "demo", "sha256": revision.sha256})
        attempt = PublicationAttempt(post_id=p.id, revision_id=p.current_revision_id, account_id=p.account_id,
                                     sha256=revision.sha256, idempotency_key=p.publish_key, connector="webhook",
                                     outcome=outcome, message=message, started_at=at, finished_at=answered)
        session.add(attempt)
        session.flush()
        p.claim_token = p.claimed_until = None
        step = Action.lose if outcome == Outcome.unknown else Action.fail
        engine.record_step(session, p, step, now=answered, comment=message,
                           payload={"attempt": attempt.id, "outcome": outcome.value, "message": message})

    def tomorrow_at(hour: int, zone: str, days: int = 1) -> datetime:
        local = (utcnow() + timedelta(days=days)).astimezone(ZoneInfo(zone))
        return ops.local_to_utc(local.replace(hour=hour, minute=0, second=0, microsecond=0, tzinfo=None), zone)

    # draft
    post("fr_ig", camille, "Les coulisses du Social Hub en photos, demain sur notre compte.")
    post("pl_fb", piotr, "Serce i Rozum wracają w nowej odsłonie.")
    # in_review, waiting for different lengths of time
    p = post("fr_x", camille, "La Tour Eiffel brille ce soir aux couleurs de l'équipe la plus soutenue ! #EURO2028",
             euro)
    act(p, Action.submit, camille)
    p = post("ke_x", wanjiru, "Connectivity for every village: 120 new sites are live across Kenya this month.")
    act(p, Action.submit, wanjiru)
    p = post("pl_ig", piotr, "Dziękujemy za wasze głosy. Wyniki już w piątek.")
    samples.attach_bytes(session, p, piotr, samples.draw_picture((1080, 1080), "Dziękujemy"), "glosy.jpg",
                         "Podziękowanie dla głosujących na pomarańczowym tle")
    act(p, Action.submit, piotr)
    # fixed after a request for changes and back in review: the reviewer sees what changed
    p = post("fr_x", camille, "Le Social Hub ouvre ses portes aux etudiants ce samedi", euro)
    ops.edit_post(session, p, camille, "Le Social Hub ouvre ses portes aux étudiants ce samedi.",
                  expected_version=p.version)
    act(p, Action.submit, camille)
    act(p, Action.request_changes, marc, comment="Précisez l'heure et le lien d'inscription, merci.")
    ops.edit_post(session, p, camille, "Le Social Hub ouvre ses portes aux étudiants ce samedi à 10 h. "
                  "Inscription sur helio.example/hub. #EURO2028", expected_version=p.version)
    act(p, Action.submit, camille)
    # changes_requested, with the project manager's comment
    p = post("fr_fb", camille, "Notre rapport annuel integre est en ligne: decouvrez nos engagements.", report)
    act(p, Action.submit, camille)
    act(p, Action.request_changes, lucile,
        comment="Accents manquants (intégré, découvrez) et ajoutez le lien vers le rapport, merci.")
    # approved, waiting to be scheduled
    p = post("ke_fb", wanjiru, "Join us at the Nairobi fan zone on Saturday for the final. Entry is free.")
    act(p, Action.submit, wanjiru)
    act(p, Action.approve, lucile, comment="Parfait.")
    # scheduled at a good local time
    p = post("fr_li", camille, "Nous publions aujourd'hui notre rapport annuel intégré. #HelioReport", report)
    act(p, Action.submit, camille)
    act(p, Action.approve, marc)
    act(p, Action.schedule, lucile, scheduled_at=tomorrow_at(9, "Europe/Paris"))
    p = post("pl_fb", piotr, "Finał już w niedzielę. Kibicujcie razem z nami!", euro)
    act(p, Action.submit, piotr)
    act(p, Action.approve, marc)
    act(p, Action.schedule, marc, scheduled_at=tomorrow_at(18, "Europe/Warsaw", days=2))
    # published by hand
    p = post("fr_yt", camille, "Revivez l'illumination de la Tour Eiffel en vidéo.", euro)
    samples.attach_bytes(session, p, camille, samples.draw_video(), "illumination.mp4")
    act(p, Action.submit, camille)
    act(p, Action.approve, lucile)
    act(p, Action.mark_published, lucile, url="https://www.youtube.com/watch?v=helio-demo")
    # put through the webhook at once: the network refused one (its token had expired), the other got no answer
    # and is unconfirmed (it may be online: a project manager looks, then confirms it or retries)
    for text, picture, outcome, message, seconds in (
        ("Our fan zone in Nairobi opens its doors on Saturday at 2 p.m.", "Fan zone", Outcome.needs_reconnect,
         "HTTP 401 The access token has expired: reconnect the account.", 1),
        ("Thank you for 50,000 followers in Kenya.", "50,000", Outcome.unknown, "no complete answer within 15 s", 15),
    ):
        p = post("ke_ig", wanjiru, text)
        samples.attach_bytes(session, p, wanjiru, samples.draw_picture((1080, 1350), picture), "photo.jpg",
                             f"{picture} on an orange background")
        act(p, Action.submit, wanjiru)
        act(p, Action.approve, marc)
        act(p, Action.schedule, marc, scheduled_at=utcnow() + timedelta(seconds=2))
        sent_by_the_worker(p, outcome, message, seconds)
    # rejected
    p = post("fr_snap", camille, "Gros bug chez un concurrent aujourd'hui, chez nous tout va bien.")
    samples.attach_bytes(session, p, camille, samples.draw_picture((540, 960), "Sosh"), "story.jpg")
    act(p, Action.submit, camille)
    act(p, Action.reject, lucile, comment="Nous ne parlons jamais des concurrents.")
    # withdrawn
    p = post("ke_x", wanjiru, "Maintenance tonight between 1 and 3 a.m. in Mombasa.")
    act(p, Action.withdraw, wanjiru)
    # suggested messages for the CEO: one awaiting the cabinet, one accepted, one declined, one under review
    p = post("ceo_x", camille, "Fière d'inaugurer aujourd'hui le vélodrome avec les équipes de Marseille.")
    act(p, Action.submit, camille)
    act(p, Action.approve, lucile)
    p = post("ceo_li", camille, "Merci aux 150 000 collaborateurs qui rendent notre rapport annuel possible.", report)
    act(p, Action.submit, camille)
    act(p, Action.approve, lucile)
    act(p, Action.accept, sophie, comment="Mme Marchand valide.")
    p = post("ceo_x", camille, "Le football rassemble, et nous sommes fiers d'y contribuer. #EURO2028", euro)
    act(p, Action.submit, camille)
    act(p, Action.approve, marc)
    act(p, Action.decline, sophie, comment="Mme Marchand ne souhaite pas s'exprimer sur le tournoi.")
    p = post("ceo_li", camille, "Le numérique pour tous commence par l'école. Bravo aux Super Codeurs.")
    act(p, Action.submit, camille)

    return [(email, role.value, PASSWORD) for email, _name, role, _scope in people]
