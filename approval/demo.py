"""A realistic demo: France, Kenya and Poland, accounts on every network, the CEO and her cabinet, one user of every
role, and posts in every state, each brought there through the workflow engine so its history is true; before them,
eight weeks of the team's work (``PAST``), each step dated in the past, for the reports and the calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from approval import administration as admin
from approval import operations as ops
from approval.db import utcnow
from approval.media import samples  # issue 11: the Instagram, YouTube and Snapchat posts carry media
from approval.models import (
    Account,
    Campaign,
    OutboxMessage,
    Outcome,
    Post,
    PublicationAttempt,
    User,
)
from approval.models.notifications import MailMode, Notification, NotificationProfile
from approval.notifications import inbox
from approval.publishing import reasons
from approval.publishing.connectors import OutboxConnector, Result
from approval.publishing.reasons import own_words
from approval.publishing.controls import connect_account
from approval.publishing.worker import publication_of, publishing_key
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
        # Everyone knows the demo's password: nobody is sent to choose their own before trying the product.
        users[email.split("@")[0]] = admin.create_user(session, email, name, role, PASSWORD,
                                                       must_change_password=False, **scope)
    camille, wanjiru, piotr = users["camille"], users["wanjiru"], users["piotr"]
    lucile, marc, sophie = users["lucile"], users["marc"], users["cabinet"]
    session.add(NotificationProfile(user_id=lucile.id, timezone="Europe/Paris"))  # her calendar and digest: Paris

    euro = Campaign(name="Euro football tournament", market_id=None, hashtag="#EURO2028",
                    description="Official partner: fans choose the colours of the Eiffel Tower each match day.")
    report = Campaign(name="Integrated annual report", market_id=None, hashtag="#HelioReport",
                      description="Amplify the annual report on every network.")
    session.add_all([euro, report])
    session.flush()

    # Eight weeks of the team's work before this one (the reports, the calendar), then today's posts.
    past = Past(session, accounts, {"FR": camille, "KE": wanjiru, "PL": piotr}, (marc, lucile), sophie,
                {"euro": euro, "report": report})
    past.tell(PAST)

    def post(account: str, author: User, text: str, campaign: Campaign | None = None):  # noqa: ANN202
        return ops.create_post(session, author, accounts[account], text, campaign)

    def act(p, action: Action, actor: User, **kw) -> None:  # noqa: ANN001
        ops.act_on_post(session, p, action, actor, expected_version=p.version, **kw)

    def sent_by_the_worker(p: Post, result: Result, seconds: int) -> None:
        """What the publishing worker records when it sends ``p`` at its slot through the webhook and the answer is
        ``result`` after ``seconds`` (``approval.publishing.worker``): its claim, the attempt, the outcome."""
        outcome, message = result.outcome, result.message
        at, revision = p.scheduled_at, p.current_revision
        assert at is not None and revision is not None
        answered = at + timedelta(seconds=seconds)
        p.publish_key = publishing_key(p)
        p.claim_token, p.claimed_until = "demo", at + timedelta(minutes=2)
        engine.record_step(session, p, Action.claim, now=at, payload={"worker": "demo", "sha256": revision.sha256})
        attempt = PublicationAttempt(post_id=p.id, revision_id=p.current_revision_id, account_id=p.account_id,
                                     sha256=revision.sha256, idempotency_key=p.publish_key, connector="webhook",
                                     outcome=outcome, message=message, why=result.why, started_at=at,
                                     finished_at=answered)
        session.add(attempt)
        session.flush()
        p.claim_token = p.claimed_until = None
        step = Action.lose if outcome == Outcome.unknown else Action.fail
        payload: dict[str, Any] = {"attempt": attempt.id, "outcome": outcome.value, "message": message}
        if result.why is not None:
            payload["why"] = [result.why]
        engine.record_step(session, p, step, now=answered, comment=message, payload=payload)

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
    for text, picture, result, seconds in (
        ("Our fan zone in Nairobi opens its doors on Saturday at 2 p.m.", "Fan zone",
         Result(Outcome.needs_reconnect, message="HTTP 401 The access token has expired: reconnect the account."), 1),
        ("Thank you for 50,000 followers in Kenya.", "50,000",
         Result(Outcome.unknown, **own_words(reasons.NO_ANSWER_IN_TIME, seconds=15.0)), 15),
    ):
        p = post("ke_ig", wanjiru, text)
        samples.attach_bytes(session, p, wanjiru, samples.draw_picture((1080, 1350), picture), "photo.jpg",
                             f"{picture} on an orange background")
        act(p, Action.submit, wanjiru)
        act(p, Action.approve, marc)
        act(p, Action.schedule, marc, scheduled_at=utcnow() + timedelta(seconds=2))
        sent_by_the_worker(p, result, seconds)
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

    # What people were told of all this happened before anyone could be mailed: nothing of it goes out by mail when
    # the demo runs with a mail server set (the bell still lists it). What happens from here on is mailed as any.
    session.execute(update(Notification).values(mail=MailMode.off))
    return [(email, role.value, PASSWORD) for email, _name, role, _scope in people]


# The demo's past -------------------------------------------------------------------------------------------------
#
# Eight weeks of a team's work before this one, so that the reports and the calendar show a living team: in each
# market a few posts a week, written on working days, reviewed within minutes or a day (some sent back for changes,
# some rejected), put online by the publishing worker at the network's usual hours; a few published by hand, a slot
# that no worker served and two posts the worker could not send, each put right since. Every story ends within its
# week, so all of it lies before the Monday of the current week, whatever the day the demo is loaded; and each of its
# steps goes through the engine at its own time, with its audit row.

End = Literal["published", "revised", "rejected", "by_hand", "failed", "missed", "withdrawn", "declined"]
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Story:
    """A post of the demo's past: written ``weeks_ago`` weeks before this one, at ``when`` ("Tue 10:40", its
    market's time), on ``account``; and how it ended:

    - ``published``: approved, scheduled at one of the network's hours and put online by the worker (an executive's
      suggestion is accepted by her cabinet first);
    - ``revised``: sent back with ``comment``, rewritten as ``fixed``, then as ``published``;
    - ``rejected``, or ``declined`` by the cabinet, with ``comment``;
    - ``withdrawn``: sent back with ``comment``, then withdrawn by its author;
    - ``by_hand``: approved, then marked as published (by the cabinet for an executive);
    - ``failed``: refused by the worker at its slot (the account was not connected), retried, put online;
    - ``missed``: no worker ran at its slot; scheduled again the next morning, put online.
    """

    weeks_ago: int
    when: str
    account: str
    text: str
    end: End = "published"
    campaign: str | None = None
    comment: str | None = None
    fixed: str | None = None


PAST: tuple[Story, ...] = (
    # France: the football tournament, the annual report, the network, the shops, the jobs.
    Story(8, "Mon 09:10", "fr_li", "Notre rapport annuel intégré paraît cette semaine. Il réunit nos résultats "
          "financiers et notre empreinte carbone dans un seul document. #HelioReport", campaign="report"),
    Story(8, "Tue 10:40", "fr_x", "Le tirage au sort est fait. Suivez tous les matchs du tournoi avec Helio.",
          "revised", "euro", "Rappelez que les fans choisissent les couleurs de la Tour Eiffel, et ajoutez le hashtag "
          "du partenariat.", "Le tirage au sort est fait. Chaque jour de match, vous choisissez les couleurs de la "
          "Tour Eiffel. #EURO2028"),
    Story(8, "Thu 15:20", "fr_fb", "Nos conseillers répondent désormais sur Messenger du lundi au samedi, de 8 h à "
          "20 h."),
    Story(7, "Mon 11:05", "fr_x", "La fibre arrive à Clermont-Ferrand. Testez votre éligibilité sur "
          "helio.example/fibre."),
    Story(7, "Tue 09:30", "fr_li", "Nous sommes fiers d'être le meilleur opérateur de France.", "rejected",
          comment="Superlatif invérifiable sans étude citée, le service juridique le refuse."),
    Story(7, "Wed 14:00", "fr_fb", "Votez avant jeudi minuit pour les couleurs de la Tour Eiffel du match "
          "d'ouverture. #EURO2028", campaign="euro"),
    Story(6, "Mon 10:15", "fr_fb", "Nos boutiques de Lyon proposent un atelier gratuit pour sécuriser son smartphone, "
          "samedi à 10 h.", "failed"),
    Story(6, "Tue 16:45", "fr_li", "En direct de notre assemblée générale, le rapport annuel intégré est présenté aux "
          "actionnaires. #HelioReport", "by_hand", "report"),
    Story(6, "Thu 09:50", "fr_x", "Le bleu l'emporte avec 61 % des votes. La Tour Eiffel portera vos couleurs ce "
          "soir. #EURO2028", campaign="euro"),
    Story(5, "Mon 09:40", "fr_fb", "Nouveau forfait Helio 5G à 19,99 euros par mois,  sans engagement.", "revised",
          comment="Ajoutez les conditions de l'offre et le lien, sinon le juridique bloquera.",
          fixed="Nouveau forfait Helio 5G à 19,99 euros par mois, sans engagement. Conditions sur "
          "helio.example/5g."),
    Story(5, "Tue 12:10", "fr_x", "Quart de finale ce soir. Les fans ont choisi le vert, la Tour Eiffel s'illumine à "
          "21 h. #EURO2028", campaign="euro"),
    Story(5, "Wed 10:00", "fr_li", "Helio recrute 300 alternants dans les métiers du réseau et de la cybersécurité. "
          "Candidatures sur helio.example/carrieres."),
    Story(4, "Mon 14:20", "fr_x", "Le match d'hier était arbitré n'importe comment. #EURO2028", "rejected", "euro",
          "Partenaire officiel, nous ne commentons jamais l'arbitrage."),
    Story(4, "Tue 10:30", "fr_fb", "Vos anciens téléphones ont de la valeur. Déposez-les dans nos 600 boutiques, nous "
          "les reconditionnons.", "missed"),
    Story(4, "Thu 09:15", "fr_li", "Notre rapport annuel intégré détaille nos objectifs climat, moins 30 % "
          "d'émissions d'ici 2030, vérifiés par un tiers indépendant. #HelioReport", campaign="report"),
    Story(3, "Mon 10:00", "fr_x", "Finale dimanche. Dernier vote pour les couleurs de la Tour Eiffel jusqu'à samedi "
          "midi. #EURO2028", campaign="euro"),
    Story(3, "Tue 11:30", "fr_fb", "Écran géant place de l'Hôtel de Ville pour la finale. Venez nombreux. #EURO2028",
          "withdrawn", "euro", "La mairie n'a pas confirmé le lieu, attendons sa réponse avant de l'annoncer."),
    Story(3, "Wed 15:00", "fr_li", "Helio investit dans la 5G industrielle avec trois usines pilotes.", "revised",
          comment="Nommez les sites et ajoutez le lien vers le communiqué de presse.",
          fixed="Helio investit dans la 5G industrielle avec trois usines pilotes à Toulouse, Nantes et Lille. Le "
          "communiqué est sur helio.example/presse."),
    Story(2, "Mon 09:20", "fr_x", "Merci aux deux millions de fans qui ont voté pendant le tournoi. La Tour Eiffel a "
          "brillé de vos couleurs. #EURO2028", "by_hand", "euro"),
    Story(2, "Tue 10:50", "fr_fb", "Vacances d'été en vue. Pensez à activer l'option Europe de votre forfait avant de "
          "partir."),
    Story(2, "Thu 11:40", "fr_li", "Helio rejoint le programme national pour l'inclusion numérique. Cinq cents "
          "salariés formeront des seniors aux outils en ligne."),
    Story(1, "Mon 10:25", "fr_x", "Maintenance programmée dans la nuit de mardi à mercredi à Bordeaux. Les appels "
          "restent possibles."),
    Story(1, "Tue 14:10", "fr_fb", "GRAND JEU CONCOURS. Gagnez un smartphone en partageant cette publication.",
          "revised", comment="Pas de capitales, et un jeu concours demande un règlement et la date du tirage au sort, "
          "voyez avec le juridique.",
          fixed="Grand jeu concours. Gagnez un smartphone en partageant cette publication. Règlement et date du "
          "tirage sur helio.example/jeu."),
    Story(1, "Wed 09:05", "fr_li", "Le rapport annuel intégré est désormais disponible en anglais. #HelioReport",
          campaign="report"),
    # The messages suggested to the CEO, which her cabinet answers.
    Story(7, "Wed 10:00", "ceo_li", "Fière de présenter notre premier rapport annuel intégré. Merci aux équipes qui "
          "l'ont rendu possible. #HelioReport", campaign="report"),
    Story(5, "Thu 09:30", "ceo_x", "Quelle belle soirée au Parc des Princes avec nos clients.", "declined",
          comment="Mme Marchand préfère ne pas publier de photos d'événements clients."),
    Story(3, "Tue 11:00", "ceo_li", "Bravo aux 300 alternants qui nous rejoignent cette année. Bienvenue chez Helio.",
          "by_hand"),
    Story(2, "Wed 14:00", "ceo_x", "Deux millions de votes pour colorer la Tour Eiffel. Le sport rassemble, merci à "
          "tous. #EURO2028", campaign="euro"),
    # Kenya: the network, mobile money, the fan zone in Nairobi.
    Story(8, "Mon 09:30", "ke_x", "Helio 4G now reaches 40 more towns in Western Kenya. Check your coverage at "
          "helio.example/ke."),
    Story(8, "Wed 11:00", "ke_fb", "Top up with M-Pesa this weekend and get bonus data!!!", "revised",
          comment="Please give the dates and the size of the bonus, and say it is for prepaid lines only.",
          fixed="Top up with M-Pesa this Saturday and Sunday and get 10 percent bonus data. Offer for prepaid lines "
          "only."),
    Story(7, "Tue 10:20", "ke_fb", "The Nairobi fan zone opens for the tournament. Big screens, free entry and music "
          "every match day. #EURO2028", campaign="euro"),
    Story(7, "Thu 14:30", "ke_x", "Our network never goes down, unlike some others.", "rejected",
          comment="No comparisons with competitors, and the claim is not true."),
    Story(6, "Mon 10:10", "ke_x", "Scheduled maintenance in Kisumu tonight from 1 to 3 a.m. Calls and M-Pesa stay "
          "available."),
    Story(6, "Wed 11:40", "ke_fb", "Win two tickets for the final at the Nairobi fan zone. Answer our quiz on Friday "
          "at noon. #EURO2028", "failed", "euro"),
    Story(5, "Tue 09:45", "ke_x", "Karibu Helio Nakuru. Duka letu jipya limefunguliwa leo katika barabara ya "
          "Kenyatta."),
    Story(5, "Thu 11:15", "ke_fb", "Students get 5 GB of free data every month with the Helio campus plan. Register "
          "with your student card in any shop."),
    Story(4, "Mon 13:00", "ke_fb", "Thank you to the 3,000 fans who watched the semi-final with us at the Nairobi fan "
          "zone. #EURO2028", "by_hand", "euro"),
    Story(4, "Wed 10:30", "ke_x", "New Helio shop opening in Eldoret.", "revised",
          comment="Add the address and the opening hours, people will ask.",
          fixed="Our new Helio shop opens in Eldoret on Oloo Street. Open Monday to Saturday from 8 a.m. to 7 p.m."),
    Story(3, "Mon 11:20", "ke_x", "Helio Money transfers to Uganda and Tanzania are free until the end of the "
          "month."),
    Story(3, "Wed 09:50", "ke_fb", "Join our coding bootcamp for girls in Mombasa next Saturday.", "withdrawn",
          comment="The partner school has not confirmed the venue yet, please wait before announcing it."),
    Story(2, "Tue 10:05", "ke_fb", "Our integrated annual report is out. Helio Kenya connected 1.2 million new "
          "customers last year. #HelioReport", campaign="report"),
    Story(2, "Thu 15:10", "ke_x", "Solar power now runs 60 percent of our sites in Northern Kenya."),
    Story(1, "Mon 09:15", "ke_x", "Network upgrade complete in Nyeri. Enjoy faster 4G speeds from today."),
    Story(1, "Wed 13:40", "ke_fb", "Politicians should stop blocking our new masts in Kiambu.", "rejected",
          comment="Nothing political on brand accounts, please. Public affairs will handle this."),
    # Poland: fibre, the app, the tournament, small businesses.
    Story(8, "Tue 10:00", "pl_fb", "Światłowód Helio dociera do kolejnych 50 tysięcy domów w Poznaniu. Sprawdź "
          "dostępność na helio.example/pl."),
    Story(7, "Mon 11:30", "pl_fb", "Kibicuj z Helio w strefie kibica. Do zobaczenia na meczu.", "revised", "euro",
          "Podajmy miejsce i godzinę otwarcia strefy, i dodajmy hashtag turnieju.",
          "Kibicuj z Helio w strefie kibica na placu Defilad. Otwieramy w sobotę o 18.00. #EURO2028"),
    Story(7, "Thu 09:40", "pl_fb", "Nowa aplikacja Mój Helio jest już dostępna. Faktury, doładowania i pomoc w "
          "jednym miejscu."),
    Story(6, "Tue 14:00", "pl_fb", "Polska gra dziś wieczorem. Trzymamy kciuki razem z wami. #EURO2028",
          campaign="euro"),
    Story(5, "Mon 10:10", "pl_fb", "Nasza sieć jest dwa razy szybsza niż sieć konkurencji.", "rejected",
          comment="Bez porównań z konkurencją, dział prawny tego nie zaakceptuje."),
    Story(5, "Wed 12:20", "pl_fb", "Bezpłatne warsztaty dla seniorów w naszych salonach w każdą środę. Zapisy na "
          "helio.example/pl/seniorzy."),
    Story(4, "Tue 09:30", "pl_fb", "Nasz zintegrowany raport roczny jest już dostępny. Przeczytaj go na "
          "helio.example/pl/raport. #HelioReport", campaign="report"),
    Story(3, "Mon 13:15", "pl_fb", "Przerwa techniczna w nocy z czwartku na piątek w Krakowie. Połączenia głosowe "
          "będą działać bez zmian."),
    Story(3, "Thu 10:45", "pl_fb", "Dziękujemy wszystkim, którzy odwiedzili nasze stoisko na targach w Katowicach.",
          "by_hand"),
    Story(2, "Tue 11:00", "pl_fb", "Nowy pakiet dla firm od 49 zł.", "revised",
          comment="Dopisz, że cena jest netto, i podaj link do oferty.",
          fixed="Nowy pakiet dla małych firm od 49 zł netto miesięcznie. Szczegóły na helio.example/pl/firmy."),
    Story(1, "Mon 10:30", "pl_fb", "Wakacje za granicą bez niespodzianek. Roaming w Unii Europejskiej w cenie "
          "abonamentu."),
    Story(1, "Wed 15:00", "pl_fb", "Rekrutujemy techników sieci w Gdańsku i we Wrocławiu. Aplikuj na "
          "helio.example/pl/kariera."),
)

#: The hours each network's posts go out at, local time: a post takes the first that leaves an hour after it was
#: scheduled (every other post looks from the later one first).
SLOTS = {"x": (time(12, 30), time(18, 15)), "facebook": (time(12, 0), time(19, 0)),
         "linkedin": (time(8, 30), time(11, 0))}
#: The working hours a post waits for its review, post after post: under an hour for many, most of a day for some.
REVIEW_HOURS = (0.5, 2.2, 1.1, 5.5, 0.8, 3.4, 7.5, 1.6, 0.3, 4.2, 2.8, 9.5)
WORK_START, WORK_END = time(9, 0), time(18, 0)


@dataclass(frozen=True)
class Step:
    """One step of a story: the action, when (its market's time) and, to schedule, the slot."""

    action: Action
    at: datetime
    slot: datetime | None = None


def story_steps(story: Story, number: int, monday: date, network: str, executive: bool) -> list[Step]:
    """The steps of ``story`` (the ``number``-th), in its market's time, in the week that starts on ``monday``."""
    day, clock = story.when.split()
    written = datetime.combine(monday + timedelta(days=WEEKDAYS.index(day)), time.fromisoformat(clock))
    steps = [Step(Action.create, written)]

    def then(action: Action, at: datetime, slot: datetime | None = None) -> datetime:
        steps.append(Step(action, at, slot))
        return at

    decided = _after_work(then(Action.submit, _after_work(written, (12 + 7 * number % 23) / 60)),
                          REVIEW_HOURS[number % len(REVIEW_HOURS)])
    if story.end == "rejected":
        then(Action.reject, decided)
    elif story.end == "withdrawn":
        then(Action.withdraw, _after_work(then(Action.request_changes, decided), 1 + number % 2))
    if story.end in ("rejected", "withdrawn"):
        return _within_week(story, steps, monday)
    if story.end == "revised":
        edited = _after_work(then(Action.request_changes, decided), 0.4 + number % 3 * 0.7)
        resubmitted = then(Action.submit, _after_work(then(Action.edit, edited), 0.05))
        decided = _after_work(resubmitted, REVIEW_HOURS[(number + 5) % len(REVIEW_HOURS)] / 2)
    approved = then(Action.approve, decided)
    if executive:
        answer = Action.decline if story.end == "declined" else Action.accept
        approved = then(answer, _after_work(approved, 1.5 + number % 3))
    if story.end == "declined":
        return _within_week(story, steps, monday)
    if story.end == "by_hand":
        then(Action.mark_published, _after_work(approved, 0.5 + number % 2))
        return _within_week(story, steps, monday)
    scheduled = _after_work(approved, (4 + number % 9) / 60)
    slot = _slot(scheduled + timedelta(hours=1), network, number)
    then(Action.schedule, scheduled, slot)
    if story.end == "failed":  # the worker refuses it at its slot; a project manager retries once it is connected
        slot = then(Action.retry, _after_work(then(Action.fail, slot + timedelta(seconds=1)), 0.75))
    elif story.end == "missed":  # no worker ran that evening: the first one the next morning finds the slot passed
        noticed = then(Action.miss, datetime.combine(slot.date() + timedelta(days=1), time(7, 58)))
        scheduled = _after_work(noticed, 0.3)
        slot = _slot(scheduled + timedelta(hours=1), network, number)
        then(Action.schedule, scheduled, slot)
    then(Action.publish, slot + timedelta(seconds=2 + number % 3))
    return _within_week(story, steps, monday)


def _within_week(story: Story, steps: list[Step], monday: date) -> list[Step]:
    """The steps, once sure that they end before the next Monday: the demo's past never reaches the present."""
    if steps[-1].at >= datetime.combine(monday + timedelta(days=7), time()):
        raise ValueError(f"the story of {story.account} on {story.when} ends after its week")
    return steps


def _after_work(at: datetime, hours: float) -> datetime:
    """``hours`` of working time (Monday to Friday, 09:00 to 18:00) after ``at``."""
    left = timedelta(hours=hours)
    while True:
        if at.weekday() >= 5 or at.time() >= WORK_END:
            at = datetime.combine(at.date() + timedelta(days=1), WORK_START)
            continue
        at = max(at, datetime.combine(at.date(), WORK_START))
        closing = datetime.combine(at.date(), WORK_END)
        if at + left <= closing:
            return at + left
        left -= closing - at
        at = closing


def _slot(earliest: datetime, network: str, number: int) -> datetime:
    """The first of the network's hours at ``earliest`` or after (every other post looks at the later hour first)."""
    hours = SLOTS[network] if number % 2 else SLOTS[network][::-1]
    day = earliest.date()
    while True:
        for hour in hours:
            if (slot := datetime.combine(day, hour)) >= earliest:
                return slot
        day += timedelta(days=1)


class Past:
    """Writes the stories, each step through the engine at its time (``engine.apply(..., now=...)``) with its audit
    row, and the worker's steps as the worker records them (``engine.record_step``).

    ``operations.create_post``, ``edit_post`` and ``act_on_post`` take no time: they stamp the revision, the post and
    the decision's comment with the clock. What they write besides the engine's step is written here, the same way,
    at the story's time."""

    def __init__(self, session: Session, accounts: dict[str, Account], authors: dict[str, User],
                 reviewers: tuple[User, User], cabinet: User, campaigns: dict[str, Campaign]) -> None:
        self.session, self.accounts, self.authors = session, accounts, authors
        self.reviewers, self.cabinet, self.campaigns = reviewers, cabinet, campaigns
        self.outbox = OutboxConnector(Path(current_app.instance_path))

    def tell(self, stories: tuple[Story, ...]) -> list[Post]:
        """Each story, in the order they began (the posts' numbers follow their dates)."""
        planned = sorted((self.plan(story, number) for number, story in enumerate(stories)),
                         key=lambda plan: plan[2][0][1])
        posts = [self.tell_one(story, number, steps) for story, number, steps in planned]
        # What people were told of it, they read at the time.
        for user in {*self.authors.values(), *self.reviewers, self.cabinet}:
            told = self.session.scalars(select(Notification.id).where(
                Notification.user_id == user.id, Notification.post_id.in_([post.id for post in posts]))).all()
            for start in range(0, len(told), inbox.MAX_IDS):
                inbox.mark_read(self.session, user, told[start:start + inbox.MAX_IDS])
        return posts

    def plan(self, story: Story, number: int) -> tuple[Story, int, list[tuple[Step, datetime]]]:
        """The story's steps, each with its instant (its market's time, in the week ``weeks_ago`` weeks before)."""
        account = self.accounts[story.account]
        zone = ZoneInfo(account.market.timezone)
        today = utcnow().astimezone(zone).date()
        monday = today - timedelta(days=today.weekday(), weeks=story.weeks_ago)
        steps = story_steps(story, number, monday, account.network.value, account.is_executive)
        return story, number, [(step, ops.local_to_utc(step.at, zone)) for step in steps]

    def tell_one(self, story: Story, number: int, steps: list[tuple[Step, datetime]]) -> Post:
        account = self.accounts[story.account]
        author, reviewer = self.authors[account.market.code], self.reviewers[number % 2]
        post: Post | None = None
        for step, at in steps:
            if post is None:
                post = self.write(author, account, story.text, self.campaigns.get(story.campaign or ""), at)
            elif step.action in (Action.submit, Action.withdraw):
                self.act(post, step.action, author, at)
            elif step.action == Action.edit:
                self.edit(post, author, story.fixed or story.text, at)
            elif step.action in (Action.request_changes, Action.reject, Action.decline):
                self.act(post, step.action, self.cabinet if step.action == Action.decline else reviewer, at,
                         comment=story.comment)
            elif step.action == Action.accept:
                self.act(post, Action.accept, self.cabinet, at, comment="Mme Marchand valide.")
            elif step.action == Action.mark_published:
                self.act(post, Action.mark_published, self.cabinet if account.is_executive else reviewer, at,
                         url=_address(account, post))
            elif step.action == Action.schedule:
                assert step.slot is not None
                self.act(post, Action.schedule, reviewer, at,
                         scheduled_at=ops.local_to_utc(step.slot, account.market.timezone))
            elif step.action == Action.publish:
                self.published_by_the_worker(post, at)
            elif step.action == Action.fail:
                self.refused_by_the_worker(post, at)
            elif step.action == Action.miss:
                self.missed(post, at)
            else:  # approve, retry
                self.act(post, step.action, reviewer, at)
        assert post is not None
        return post

    # People's work, through ``operations`` at the story's time ------------------------------------------------------

    def write(self, author: User, account: Account, text: str, campaign: Campaign | None, at: datetime) -> Post:
        return ops.create_post(self.session, author, account, text, campaign, now=at)

    def edit(self, post: Post, author: User, text: str, at: datetime) -> None:
        ops.edit_post(self.session, post, author, text, expected_version=post.version, now=at)

    def act(self, post: Post, action: Action, actor: User, at: datetime, *, comment: str | None = None,
            **params: Any) -> None:
        ops.act_on_post(self.session, post, action, actor, expected_version=post.version, comment=comment, now=at,
                        **params)

    # What the publishing worker records (approval.publishing.worker) -----------------------------------------------

    def published_by_the_worker(self, post: Post, at: datetime) -> None:
        """The outbox's publication at ``at``, its attempt and the step, as ``Worker._publish_in_place`` writes them
        (the publication goes to the table, the record; not to the feed of the tool that took it back then)."""
        revision, key = post.current_revision, publishing_key(post)
        assert revision is not None and post.scheduled_at is not None
        account = post.account
        publication = publication_of(current_app, post, key)
        self.session.add(OutboxMessage(idempotency_key=key, post_id=post.id, account_id=account.id,
                                       body=publication.as_json(), created_at=at))
        self.session.flush()
        result = self.outbox.lookup(key, session=self.session)
        assert result is not None
        attempt = PublicationAttempt(post_id=post.id, revision_id=revision.id, account_id=account.id,
                                     sha256=revision.sha256, idempotency_key=key, connector=self.outbox.name,
                                     outcome=result.outcome, remote_id=result.remote_id, url=result.url,
                                     started_at=at, finished_at=at)
        self.session.add(attempt)
        self.session.flush()
        post.publish_key, post.published_url, post.published_at = key, result.url, at
        engine.record_step(self.session, post, Action.publish, now=at, payload={
            "attempt": attempt.id, "outcome": result.outcome.value, "url": result.url, "id": result.remote_id,
            "worker": "demo", "sha256": revision.sha256})

    def refused_by_the_worker(self, post: Post, at: datetime) -> None:
        """The worker's checks before sending refuse the post: its account was connected to nothing then."""
        why = [reasons.reason(reasons.NOT_CONNECTED)]
        english = [reasons.text([one]) for one in why]
        engine.record_step(self.session, post, Action.fail, now=at, payload={"reasons": english, "why": why},
                           comment=" ".join(english))

    def missed(self, post: Post, at: datetime) -> None:
        """The first worker after the slot's grace period finds it passed, no worker having run (``Worker._miss``)."""
        slot, why = post.scheduled_at, [reasons.reason(reasons.MISSED_UNSENT)]
        assert slot is not None
        post.missed_at, post.scheduled_at, post.next_attempt_at = slot, None, None
        post.clear_hold()
        engine.record_step(self.session, post, Action.miss, now=at, payload={"slot": slot.isoformat(), "why": why},
                           comment=reasons.text(why))


#: Where a post marked as published by hand went online, on each network.
_ADDRESSES = {"x": "https://x.com/{handle}/status/18{number:017d}",
              "facebook": "https://www.facebook.com/{handle}/posts/10{number:015d}",
              "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:72{number:017d}"}


def _address(account: Account, post: Post) -> str:
    return _ADDRESSES[account.network.value].format(handle=account.handle, number=post.id * 7919)
