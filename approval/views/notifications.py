"""Notifications in the app: the bell's count on every page, the list (open, mark read, mark all read), the
user's mail preferences, and each market's reminder threshold and chat webhook (admins)."""

from __future__ import annotations


from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from approval.forms import PageForm
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from approval.access import can_see_account, can_see_post, read_by
from approval.administration import place_zone, place_zone_names
from approval.db import db, writes_on_get
from approval.inputs import parse_id, web_address
from approval.models import Market
from approval.models.notifications import (
    MailMode,
    MarketNotificationSettings,
    NotificationPreference,
    NotificationProfile,
)
from approval.notifications import grouping, inbox, texts
from approval.notifications.chat import sent_unencrypted
from approval.notifications.zones import served_markets, zone_of
from approval.publishing.addresses import refusal
from approval.publishing.holds import stop_scope
from approval.forms import AtMost, Readable
from approval.forms.conflicts import EditsSeenValues
from approval.views import roles_required
from approval.workflow.states import Role

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

MODE_LABELS = {MailMode.immediate: _l("at once"), MailMode.daily: _l("in the daily digest (08:00)"),
               MailMode.off: _l("no e-mail")}


@bp.app_context_processor
def _bell() -> dict:
    """``unread_notifications()`` for the bell in base.html: counted only on pages that draw it."""

    def unread_notifications() -> int:
        if not current_user or not current_user.is_authenticated:
            return 0
        # The notices of one act on one set count as one, as the list shows them (``grouping``).
        return inbox.unread_lines(db.session, current_user)

    # Past ``BELL_MOST`` unread notices the bell says "more than" it.
    return {"unread_notifications": unread_notifications, "bell_most": inbox.BELL_MOST}


@bp.get("")
@login_required
def list_notifications():
    before = request.args.get("before", type=int)
    # Whole lines: the notices of one act on a set's posts, one line, never cut at a page's end (a post its reader
    # no longer sees stands alone, unnamed; a cabinet reads each suggestion on its own, as its mails).
    found, next_before = inbox.lines(db.session, current_user, before=before if before and before > 0 else None)
    lines = [grouping.line(members) for members in found]
    items = [n for members in found for n in members]
    # Each post as its reader reads it: a cabinet, the text it was sent, not what the writers saved since.
    posts = list({n.post.id: n.post for n in items if n.post is not None}.values())
    read = {post.id: post for post in read_by(db.session, current_user, posts)}
    stops = inbox.stops_told(db.session, items)
    return render_template("notifications/list.html", items=items, lines=lines, said=texts.said,
                           group_title=lambda group: grouping.title(group, current_user),
                           account_line=texts.account_line, post_named=texts.post_named,
                           title=lambda notification: texts.title_for(notification, current_user),
                           text_of=lambda post: read[post.id].body,
                           stops=stops, stop_scope=stop_scope,
                           overtaken=inbox.overtaken(db.session, current_user, items, stops),
                           slot_line=texts.slot_line,
                           may_see=lambda post: can_see_post(current_user, post),
                           no_longer_awaited=inbox.no_longer_awaited,
                           next_before=next_before,
                           unread=inbox.unread_lines(db.session, current_user))


@bp.post("/read")
@login_required
def mark_read():
    PageForm().validate_on_submit() or abort(400)
    if request.form.get("all"):
        inbox.mark_read(db.session, current_user)
    else:
        # A gathered line's box carries its notices' ids, comma-separated: marked read together.
        ids = [i for value in request.form.getlist("id") for i in map(parse_id, value.split(",")[:inbox.MAX_IDS])
               if i is not None]
        if ids:
            inbox.mark_read(db.session, current_user, ids)
        else:  # the button pressed with no box ticked: the page came back as it was, and nothing said why
            flash(_("Select the notifications to mark read."), "warning")
    # Back to the page the person was reading (an older one kept its place only on the first page).
    before = parse_id(request.form.get("before") or "")
    return redirect(url_for("notifications.list_notifications", **({"before": before} if before else {})))


@bp.get("/<id:notification_id>")
@login_required
@writes_on_get
def open_notification(notification_id: int):
    """Mark it read and go to what it is about."""
    notification = inbox.find(db.session, current_user, notification_id)
    if notification is None:
        abort(404)
    inbox.mark_read(db.session, current_user, [notification.id])
    if notification.post is not None:
        if can_see_post(current_user, notification.post):
            return redirect(url_for("posts.show_post", post_id=notification.post_id))
        # The post's page would be a bare 404. A cabinet still serving its executive sees a suggestion once sent to
        # it, withdrawn too: one hidden again was recalled by its writers, not moved out of its reach.
        if current_user.role == Role.cabinet and can_see_account(current_user, notification.post.account):
            flash(_("This suggested message is back with its writers: you will see it again once a project manager "
                    "sends it to you."), "info")
        else:  # its market is no longer theirs
            flash(_("You no longer see this post: it belongs to a market that is no longer yours."), "warning")
        return redirect(url_for("notifications.list_notifications"))
    stop = inbox.stops_told(db.session, [notification]).get(notification.id)
    if current_user.role not in (Role.project_manager, Role.admin):
        # A community manager opens neither the desk nor the switches: their market's calendar marks what is held
        # (the mail leads there too). It reopened this list.
        market = notification.market.code if notification.market is not None else None
        return redirect(url_for("calendar.show_calendar", market=market) if stop is not None
                        else url_for("notifications.list_notifications"))
    if stop is not None:
        return redirect(url_for("publishing.stops", _anchor=f"stop-{stop.id}"))
    return redirect(url_for("publishing.desk"))


@bp.get("/<id:notification_id>/set")
@login_required
@writes_on_get
def open_group(notification_id: int):
    """Mark read the notices gathered with this one (one act on the posts of a set: ``grouping``) and go to the
    set."""
    notification = inbox.find(db.session, current_user, notification_id)
    if notification is None:
        abort(404)
    inbox.mark_read(db.session, current_user, [n.id for n in inbox.line_of(db.session, current_user, notification)])
    post = notification.post
    if post is None or not can_see_post(current_user, post):
        return redirect(url_for("notifications.open_notification", notification_id=notification.id))
    if post.set_id is None:
        return redirect(url_for("posts.show_post", post_id=post.id))
    return redirect(url_for("sets.show_set", set_id=post.set_id))


# Preferences -----------------------------------------------------------------------------------------------------

class PreferencesForm(PageForm):
    # No Optional(): it clears the "Not a valid choice" of a value of spaces alone; "" is the default's choice.
    # Every page's "your time" follows it too, not only the digest (approval._select_timezone).
    timezone = SelectField(_l("Your time zone: pages and the daily digest"), default="")


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    user_id = current_user.id
    saved = {p.kind: p.mode for p in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id))}
    profile = db.session.get(NotificationProfile, user_id)
    form = PreferencesForm()
    # The zones of places and UTC, as the zone database lists them (zone.tab, as a market's): not the old names it
    # keeps for compatibility (Africa/Asmera beside Africa/Asmara, US/Pacific). One saved before stays offered.
    zones = ["UTC", *place_zone_names()]
    if profile is not None and profile.timezone and profile.timezone not in zones and place_zone(profile.timezone):
        zones.append(profile.timezone)
    if current_user.markets:
        # Without a choice the pages follow the browser, the digest the first market (``filters.viewer_zone``).
        default = _("Automatic: the pages in my browser's zone, the digest in my first market's (%(zone)s)",
                    zone=zone_of(None, current_user))
    elif current_user.role == Role.cabinet and served_markets(current_user):
        # A cabinet member has no market of their own: their digest follows their executives' (``zones.zone_of``).
        default = _("Automatic: the pages in my browser's zone, the digest in my executives' market's (%(zone)s)",
                    zone=zone_of(None, current_user))
    else:  # group-wide people cover every market and have none of their own
        default = _("UTC (I cover every market)") if current_user.group_wide else _("UTC (I have no market of my own)")
    form.timezone.choices = [("", default)] + [(zone, zone) for zone in zones]
    kinds = texts.kinds_for(current_user.role)  # what this role is ever told; the others keep what was saved
    # What the page showed, sent back: another tab (or device) of the same person saved since is a conflict.
    was = " ".join(sorted(f"{kind.value}={mode.value}" for kind, mode in saved.items())) + \
        f" zone={profile.timezone if profile and profile.timezone else ''}"
    if request.method == "GET":
        form.timezone.data = profile.timezone if profile else ""
        return render_template("notifications/preferences.html", form=form, saved=saved, kinds=kinds,
                               modes=MODE_LABELS, was=was)
    if not form.validate():
        return render_template("notifications/preferences.html", form=form, saved=saved, kinds=kinds,
                               modes=MODE_LABELS, was=request.form.get("was", was)), 422
    if request.form.get("was", was) != was:
        flash(_("You saved your preferences elsewhere (another tab) while this page was open: here they are as "
                "saved. Nothing was overwritten; make your change again."), "warning")
        form.timezone.data = profile.timezone if profile else ""
        return render_template("notifications/preferences.html", form=form, saved=saved, kinds=kinds,
                               modes=MODE_LABELS, was=was), 409
    chosen = {kind: mode for kind, mode in saved.items() if kind not in kinds}
    for kind in kinds:
        value = request.form.get(f"mode-{kind.value}", MailMode.immediate.value)
        if value not in MailMode.__members__:
            abort(400)
        chosen[kind] = MailMode(value)
    db.session.execute(delete(NotificationPreference).where(NotificationPreference.user_id == user_id))
    db.session.add_all(NotificationPreference(user_id=user_id, kind=kind, mode=mode)
                       for kind, mode in chosen.items() if mode != MailMode.immediate)
    if profile is None:
        profile = NotificationProfile(user_id=user_id)
        db.session.add(profile)
    profile.timezone = form.timezone.data or None
    flash(_("Your notification preferences are saved."), "success")
    return redirect(url_for("notifications.preferences"))


# The market's settings (admins) ----------------------------------------------------------------------------------

class MarketSettingsForm(EditsSeenValues):
    reminder_minutes = IntegerField(_l("Remind the project managers after (working minutes in review)"),
                                    validators=[Readable(), InputRequired(), NumberRange(15, 10080)])
    chat_webhook_url = StringField(_l("Chat webhook (Slack-compatible), empty for none"),
                                   validators=[Optional(), AtMost(2000)])

    #: What ``chat_refusal`` found for the address sent, before the settings' row was locked.
    refused_before: tuple[str, str | None] | None = None

    def validate_chat_webhook_url(self, field: StringField) -> None:
        """An http(s) address the server may call: not one on its own network, and https unless it is this
        machine's loopback (as a publishing webhook, ``controls.check_webhook``, whose order it keeps)."""
        url = (field.data or "").strip()
        if field.errors:  # too long: said once, not also as "no address"
            return
        if url and not web_address(url):
            raise ValidationError(_("Give an http or https address."))
        if url and (refused := self._refusal(url)):
            raise ValidationError(refused)
        if url and sent_unencrypted(url):
            raise ValidationError(_(
                "Use an https:// address: each message carries excerpts of unpublished and embargoed posts and "
                "links to them, which plain http sends unencrypted (http is taken for this machine only: localhost, "
                "127.0.0.1, ::1)."))

    def _refusal(self, url: str) -> str | None:
        if self.refused_before is not None and self.refused_before[0] == url:
            return self.refused_before[1]
        return refusal(url, signed=False)


def chat_refusal(url: str | None) -> tuple[str, str | None] | None:
    """The chat webhook's address sent (stripped) and why it may not be called (``refusal``: its name looked up, up
    to SET_LOOKUP_S), looked up before the market's settings are locked: another save of them would wait for the
    name servers with them. None when there is nothing to look up."""
    url = (url or "").strip()
    return (url, refusal(url, signed=False)) if url and web_address(url) else None


@bp.get("/settings")
@roles_required(Role.admin)
def settings_index():
    markets = db.session.scalars(select(Market).order_by(Market.code)).all()
    settings = {s.market_id: s for s in db.session.scalars(select(MarketNotificationSettings))}
    return render_template("notifications/settings_index.html", markets=markets, settings=settings,
                           sent_unencrypted=sent_unencrypted)


def _defaults(market: Market) -> MarketNotificationSettings:
    """A market's settings before anyone saved them: reminded after 4 working hours, no chat."""
    return MarketNotificationSettings(market_id=market.id, reminder_minutes=240)


@bp.route("/settings/<code>", methods=["GET", "POST"])
@roles_required(Role.admin)
def market_settings(code: str):
    market = db.session.scalar(select(Market).where(Market.code == code.upper())) if len(code) == 2 else None
    if market is None:  # "FRxx" is no market's code (it was read as FR)
        abort(404)
    posted = request.method == "POST"
    refused_before = chat_refusal(request.form.get("chat_webhook_url")) if posted else None
    settings = db.session.get(MarketNotificationSettings, market.id, with_for_update=posted)
    if settings is None and posted:
        # The market's first save: its row made (with the defaults the page showed) and locked before comparing,
        # so that two first saves at once are told apart as any two saves (the second waits, then compares).
        try:
            with db.session.begin_nested():
                db.session.add(_defaults(market))
        except IntegrityError:
            pass  # the other first save made it
        settings = db.session.get(MarketNotificationSettings, market.id, with_for_update=True,
                                  populate_existing=True)
    settings = settings or _defaults(market)
    form = MarketSettingsForm(obj=settings)
    form.refused_before = refused_before
    if not posted:
        form.show()
    else:
        if not form.validate():  # every field at once: a bad webhook is told with a bad threshold
            return _settings_page(form, market, settings), 422
        if changed := form.overtaken(MarketSettingsForm(formdata=None, obj=settings)):
            return _settings_page(form, market, settings, changed=changed), 409
        url = (form.chat_webhook_url.data or "").strip()
        settings.reminder_minutes = form.reminder_minutes.data
        settings.chat_webhook_url = url or None  # the row exists and is locked (made above on a first save)
        flash(_("The notification settings of %(market)s are saved.", market=market.code), "success")
        form.tell_merged()
        return redirect(url_for("notifications.market_settings", code=market.code))
    return _settings_page(form, market, settings)


def _settings_page(form: MarketSettingsForm, market: Market, settings: MarketNotificationSettings,
                   **context: object) -> str:
    """A market's settings page; a webhook saved on plain http before https was required is flagged (it is still
    called, until an https address replaces it)."""
    return render_template("notifications/settings.html", form=form, market=market,
                           unencrypted=sent_unencrypted(settings.chat_webhook_url), **context)
