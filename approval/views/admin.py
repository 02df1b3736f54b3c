"""Administration, for admins only: markets and their editorial policies, accounts, executives and their cabinets,
users (campaigns, which project managers keep too, are approval.views.campaigns).

Each view loads, checks the form's shape, calls one use case of ``approval.administration`` through ``_attempt``,
flashes and redirects (303). The use case holds the rules (shared with the command line and the API) and raises
``Refused`` with field errors, a duplicate included; ``_attempt`` shows them on the form, which comes back as a 422.
No view commits: the request does, once, when its answer is a success (``approval.db``).

Buttons without input (deactivate, reactivate, remove) post only the CSRF token, which CSRFProtect checks. The form
pages show a control character on the field that holds it (``shows_characters_on_form``), as any other mistake.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_babel import ngettext, pgettext
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from approval import administration as admin
from approval import admin_log, policies, security
from approval.db import Base, db
from approval.forms.admin import (
    FIRST_PASSWORD,
    INVITE,
    AccountForm,
    CabinetMemberForm,
    ExecutiveForm,
    MarketForm,
    NewAccountForm,
    NewUserForm,
    PasswordForm,
    PolicyForm,
    UserForm,
)
from approval.forms.conflicts import EditsSeenValues, Overtaken
from approval.inputs import MAX_ID, parse_id, shows_characters_on_form
from approval.labels import connector_name, label, said_in
from approval.models import Account, AdminLogEntry, Campaign, Executive, Market, PolicyVersion, Post, User
from approval.notifications.chat import unencrypted_markets
from approval.password_links import Purpose, invitation_hours
from approval.password_mail import invitation_mail, link_for, mail_on, send_after_commit
from approval.style.network import network_name
from approval.style.findings import DEFAULT_DISCLOSURES
from approval.views import roles_required, show_refusal
from approval.views.publishing import policy_breaks_notice, recent_calls
from approval.workflow.states import Role, State

bp = Blueprint("admin", __name__, url_prefix="/admin")

T = TypeVar("T", bound=Base)
R = TypeVar("R")
F = TypeVar("F", bound=EditsSeenValues)


@bp.get("")
@roles_required(Role.admin)
def index():
    counts = {
        "markets": _count(Market),
        "accounts": _count(Account, Account.active.is_(True)),
        "inactive_accounts": _count(Account, Account.active.is_(False)),
        "executives": _count(Executive),
        "users": _count(User, User.active.is_(True)),
        "inactive_users": _count(User, User.active.is_(False)),
        "campaigns": _count(Campaign),
    }
    return render_template("admin/index.html", counts=counts)


# Markets -------------------------------------------------------------------------------------------------------


@bp.get("/markets")
@roles_required(Role.admin)
def list_markets():
    accounts = dict(db.session.execute(select(Account.market_id, func.count()).group_by(Account.market_id)).all())
    policy_numbers = dict(db.session.execute(  # the version in force
        select(Market.id, PolicyVersion.number).join(PolicyVersion, PolicyVersion.id == Market.policy_version_id)
    ).all())
    # A chat webhook saved on plain http before https was required: flagged here, where markets are looked after.
    return render_template("admin/markets.html", markets=_markets(), accounts=accounts, policy_numbers=policy_numbers,
                           staffing=admin.staffing(db.session), unencrypted=unencrypted_markets(db.session))


@bp.route("/markets/new", methods=["GET", "POST"])
@roles_required(Role.admin)
@shows_characters_on_form
def new_market():
    form = MarketForm()
    if _shaped(form, lambda: admin.market_refusals(db.session, form.code.data, form.name.data, form.timezone.data,
                                                   form.languages.data)) and (market := _attempt(
        form, admin.create_market, form.code.data, form.name.data, form.timezone.data, form.languages.data,
    )):
        flash(_("Market %(market)s created.", market=market), "success")
        return _see_other("admin.list_markets")
    _link_code_holder(form)
    return _form_page("admin/market.html", form=form, market=None, timezones=admin.place_zone_names())


@bp.route("/markets/<id:market_id>/edit", methods=["GET", "POST"])
@roles_required(Role.admin)
@shows_characters_on_form
def edit_market(market_id: int):
    market = _get(Market, market_id, for_update=request.method == "POST")
    form = _opened(MarketForm(obj=market, current=market))
    changed: list[Overtaken] = []
    asked = None
    shaped = _shaped(form, lambda: admin.market_refusals(db.session, form.code.data, form.name.data,
                                                         form.timezone.data, form.languages.data, market))
    if shaped and not (changed := form.saved_meanwhile()):
        # Read before: the local times its scheduled posts were chosen at, in the zone it leaves.
        moving = _zone_change(market, (form.timezone.data or "").strip())
        if not _confirmed(moving) and not admin.market_refusals(
            db.session, form.code.data, form.name.data, form.timezone.data, form.languages.data, market
        ):
            asked = moving
        elif _attempt(form, admin.update_market, market, form.code.data, form.name.data, form.timezone.data,
                      form.languages.data):
            flash(_("Market %(market)s saved.", market=market), "success")
            form.tell_merged()
            _flash_after(moving)
            return _see_other("admin.list_markets")
    _link_code_holder(form, market)
    return _form_page("admin/market.html", form=form, market=market, timezones=admin.place_zone_names(),
                      changed=changed, asked=asked, scheduled=_scheduled_in(market),
                      code_fixed=admin.code_is_fixed(db.session, market),
                      unencrypted=market.id in unencrypted_markets(db.session))


def _link_code_holder(form: MarketForm, market: Market | None = None) -> None:
    """When the code was refused because another market holds it, the way to that market under the refusal: the admin
    most likely meant to open it, not to make a second one. The refusal stays plain text, as the command line and the
    API say it; only the page links."""
    code = (form.code.data or "").strip().upper()
    if _("Market %(code)s exists already.", code=code) not in form.code.errors:
        return  # refused for another reason (a code that stays once the market has accounts, a character no code has)
    if (other := admin.market_holding_code(db.session, code, market)) is None:
        return
    way = Markup('<a href="{}">{}</a>').format(url_for("admin.edit_market", market_id=other.id),
                                               _("Open market %(code)s (%(name)s)", code=other.code, name=other.name))
    form.code.errors = [*form.code.errors, way]


def _scheduled_in(market: Market) -> int:
    return db.session.scalar(select(func.count(Post.id)).join(Post.account).where(
        Account.market_id == market.id, Post.state == State.scheduled)) or 0


#: The scheduled posts a change of zone lists by name, their old and new local times; beyond, it counts them.
ZONE_CHANGE_LISTED = 10


def _zone_change(market: Market, zone: str) -> Asked | None:
    """What a new zone does to the market's scheduled posts: each keeps its instant, which the new zone's clocks read
    as another local time than the one chosen (the page lists them before saving, and links them after)."""
    if zone == market.timezone or admin.place_zone(zone) is None:
        return None
    scheduled = list(db.session.scalars(
        select(Post).join(Post.account).where(Account.market_id == market.id, Post.state == State.scheduled)
        .order_by(Post.scheduled_at, Post.id).limit(ZONE_CHANGE_LISTED + 1)))
    if not scheduled:
        return None
    total = _scheduled_in(market)
    times = Markup("").join(
        Markup('<li><a href="{}">#{}</a> {} → {}</li>').format(
            url_for("posts.show_post", post_id=post.id), post.id, said_in(post.scheduled_at, market.timezone),
            said_in(post.scheduled_at, zone)) for post in scheduled[:ZONE_CHANGE_LISTED])
    more = (Markup("<li>{}</li>").format(ngettext("and %(num)d more", "and %(num)d more",
                                                   total - ZONE_CHANGE_LISTED)) if total > ZONE_CHANGE_LISTED else "")
    before = Markup('{} <ul class="times">{}{}</ul>').format(ngettext(
        "%(num)d post is scheduled in this market: it would keep its instant, and go out at another local time than "
        "the one chosen in %(before)s:",
        "%(num)d posts are scheduled in this market: they would keep their instant, and go out at other local times "
        "than the ones chosen in %(before)s:", total, before=market.timezone), times, more)
    # Scheduled posts keep their instant: in the new zone their wall-clock time is another one.
    said = ngettext("%(num)d scheduled post keeps its instant: in %(zone)s it now goes out at another local time "
                    "than the one chosen in %(before)s. Check it in the calendar.",
                    "%(num)d scheduled posts keep their instant: in %(zone)s they now go out at other local times "
                    "than the ones chosen in %(before)s. Check them in the calendar.", total, zone=zone,
                    before=market.timezone)
    after = Markup('{} <a href="{}">{}</a>').format(
        said, url_for("posts.list_posts", market=market.code, state=State.scheduled.value),
        ngettext("See it", "See them", total))
    return Asked([before], [after], f"{zone}|{total}|{scheduled[0].scheduled_at}")


@bp.route("/markets/<id:market_id>/policy", methods=["GET", "POST"])
@roles_required(Role.admin)
@shows_characters_on_form
def edit_policy(market_id: int):
    """The market's editorial policy: saving writes its next version; the history lists them all."""
    market = _get(Market, market_id)
    current = policies.current_policy(db.session, market)
    form = PolicyForm() if request.method == "POST" else PolicyForm.for_version(current)
    conflict = None
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():  # a conflict undoes only this save; the page reads on
                saved = policies.save_and_check_policy(
                    db.session, market, current_user, rules=form.rule_settings(), forbidden=form.forbidden.data,
                    sensitive=form.sensitive.data, capital_exceptions=form.capital_exceptions.data,
                    disclosures=form.disclosures.data, strict_full_stop=form.strict_full_stop.data,
                    note=form.note.data or "", based_on=form.based_on.data,
                )
        except (policies.PolicyConflict, IntegrityError):  # IntegrityError: two admins saved the same number
            current = policies.current_policy(db.session, market)
            conflict = current
            # Saving again means "over this version": the field shows its data, not what was posted.
            form.based_on.data, form.based_on.raw_data = (current.number if current else policies.DEFAULTS_NUMBER), None
        else:
            if (version := saved.version) is None:
                flash(_("No change: the policy in force stays %(version)s.",
                        version=policies.current_label(db.session, market)), "info")
            else:
                flash(_("Policy %(version)s saved: every check from now on applies it.", version=version.label),
                      "success")
                # Where the version now in force breaks posts already on their way or in review, the admin who
                # saved it learns it here, with the way to the desk that lists them (the desk's words): what the
                # save found when it told the people of those posts, not a second pass of the gate.
                if (breaks := policy_breaks_notice(market, saved.breaks)) is not None:
                    flash(breaks, "warning")
            return _see_other("admin.edit_policy", market_id=market.id)
    page = render_template("admin/policy.html", form=form, market=market, current=current, conflict=conflict,
                           history=policies.policy_history(db.session, market),
                           defaults_label=policies.current_label(db.session, market) if current is None else None,
                           default_disclosures=DEFAULT_DISCLOSURES)
    return page, 409 if conflict else 422 if request.method == "POST" else 200


# Accounts ------------------------------------------------------------------------------------------------------



@bp.get("/accounts")
@roles_required(Role.admin)
def list_accounts():
    code = (request.args.get("market") or "").upper() or None
    query = (
        select(Account).join(Account.market)
        .options(selectinload(Account.market), selectinload(Account.executive))
        .order_by(Market.code, Account.network, Account.handle)
    )
    if code:
        query = query.where(Market.code == code)
    counts = dict(db.session.execute(select(Account.market_id, func.count()).group_by(Account.market_id)).all())
    accounts = db.session.scalars(query).all()
    on_their_way = _on_their_way_by_account([account.id for account in accounts if account.active])
    # The list's "Deactivate" asks what the account's page asks: it is the same button.
    questions = {account.id: _deactivation_question(account, on_their_way.get(account.id, (0, 0)))
                 for account in accounts if account.active}
    return render_template("admin/accounts.html", accounts=accounts, markets=_markets(), counts=counts,
                           market_code=code, connector_settings=connector_settings, questions=questions)


@bp.route("/accounts/new", methods=["GET", "POST"])
@roles_required(Role.admin)
@shows_characters_on_form
def new_account():
    form = NewAccountForm()
    form.set_choices(_markets(), _executives())
    if request.method == "GET":
        if request.args.get("market_id", type=int):
            form.market_id.data = request.args.get("market_id", type=int)
        form.connector.data = _usual_connector() or ""
    if _shaped(form, lambda: admin.account_refusals(db.session, form.network.data, form.handle.data,
                                                    form.brand.data)):
        market = _get(Market, form.market_id.data)
        executive = _get(Executive, form.executive_chosen) if form.executive_chosen else None
        webhook = form.connector_chosen == "webhook"  # the address and secret are a webhook's alone
        if account := _attempt(form, admin.create_account, market, form.network.data, form.handle.data,
                               form.brand.data or "", executive, connector=form.connector_chosen,
                               url=(form.url.data or None) if webhook else None,
                               secret=(form.secret.data or None) if webhook else None):
            if account.connector:
                flash(_("Account %(account)s created: it publishes through %(connector)s.",
                        account=account.display_name, connector=connector_name(account.connector)), "success")
                return _see_other("admin.list_accounts", market=market.code)
            flash(_("Account %(account)s created.", account=account.display_name), "success")
            # Connected to nothing yet: the connector is chosen on another page, which it names.
            said = _("%(account)s is not connected to a publisher yet: none of its posts can go out until it is.",
                     account=account.display_name)
            flash(Markup('{} <a href="{}">{}</a>.').format(said, connector_settings(account),
                                                            _("Choose how it publishes")), "warning")
            return _see_other("admin.list_accounts", market=market.code)
    return _form_page("admin/account.html", form=form, account=None)


def _usual_connector() -> str | None:
    """What a new account's "Publishes through" starts on: the connector of every active account connected so far,
    when they all share one; else nothing, and the admin chooses. Never the outbox by default alone: a post
    published into an outbox that no tool reads is told "published" and never goes out."""
    used = db.session.scalars(select(Account.connector).where(Account.active.is_(True), Account.connector.is_not(None))
                              .distinct().limit(2)).all()
    return used[0] if len(used) == 1 else None


@bp.route("/accounts/<id:account_id>/edit", methods=["GET", "POST"])
@roles_required(Role.admin)
@shows_characters_on_form
def edit_account(account_id: int):
    account = _get(Account, account_id, for_update=request.method == "POST")
    form = _opened(AccountForm(obj=account, current=account))
    form.set_choices(_markets(), _executives())
    changed: list[Overtaken] = []
    asked = None
    if _shaped(form, lambda: admin.account_refusals(db.session, form.network.data, form.handle.data, form.brand.data,
                                                    account)) and not (changed := form.saved_meanwhile()):
        market = _get(Market, form.market_id.data)
        executive = _get(Executive, form.executive_chosen) if form.executive_chosen else None
        moving = _account_move(account, market)  # read before: its posts and their authors, in the market it leaves
        if not _confirmed(moving) and not admin.account_refusals(db.session, form.network.data, form.handle.data,
                                                                 form.brand.data, account):
            asked = moving
        elif _attempt(form, admin.update_account, account, market, form.network.data, form.handle.data,
                      form.brand.data or "", executive):
            flash(_("Account %(account)s saved.", account=account.display_name), "success")
            form.tell_merged()
            _flash_after(moving)
            return _see_other("admin.list_accounts", market=market.code)
    # A webhook's admin sees whether it works: its last attempts, its last success, the remedy while it fails.
    recent = recent_calls(account) if account.connector == "webhook" else None
    network_fixed = admin.network_is_fixed(db.session, account)
    if network_fixed:  # shown as it stays, beside the refusal of another one (a form made by hand)
        form.network.data = account.network.value
    return _form_page("admin/account.html", form=form, account=account, changed=changed, asked=asked,
                      deactivation=_deactivation_question(account), connector_settings=connector_settings,
                      recent=recent, network_fixed=network_fixed)


def _account_move(account: Account, market: Market) -> Asked | None:
    """What moving ``account`` to ``market`` moves with it: its posts on their way, which the people of the new
    market see from then on and its authors elsewhere no longer do; scheduled ones keep their instant, which reads
    as another local time when the market's zone is another."""
    before = account.market
    if market.id == before.id:
        return None
    posts = admin.posts_in_flight(db.session, account=account).get(before.code, {})
    if not posts:
        return None
    total, scheduled = sum(posts.values()), posts.get(State.scheduled, 0)
    between = pgettext("between a name and what follows", ": ")
    states = Markup(", ").join(
        Markup('<a href="{}">{}{}{}</a>').format(url_for("posts.list_posts", account_id=account.id, state=state.value),
                                                 label(state), between, number) for state, number in posts.items())
    authors = admin.authors_left_behind(db.session, account, market)
    names = Markup(", ").join(Markup('<a href="{}">{}</a>').format(url_for("admin.edit_user", user_id=author.id),
                                                                    author.name) for author in authors)
    said_before = [Markup(ngettext(
        "%(num)d post of this account is on its way and would move to %(market)s with it: %(states)s.",
        "%(num)d posts of this account are on their way and would move to %(market)s with it: %(states)s.", total,
        market=market.code, states=states))]
    said_after = [Markup(ngettext(
        "%(num)d post of this account on its way moved to %(market)s with it: %(states)s.",
        "%(num)d posts of this account on their way moved to %(market)s with it: %(states)s.", total,
        market=market.code, states=states))]
    if authors:
        said_before.append(Markup(_("Authors who do not work in %(market)s would no longer see them: %(names)s.",
                                    market=market.code, names=names)))
        said_after.append(Markup(_("Authors who do not work in %(market)s no longer see them: %(names)s.",
                                   market=market.code, names=names)))
    if scheduled and market.timezone != before.timezone:
        said_before.append(Markup(ngettext(
            "%(num)d scheduled post would keep its instant: in %(zone)s it would go out at another local time than "
            "the one chosen in %(before)s.",
            "%(num)d scheduled posts would keep their instant: in %(zone)s they would go out at other local times "
            "than the ones chosen in %(before)s.", scheduled, zone=market.timezone, before=before.timezone)))
        said_after.append(Markup(ngettext(
            "%(num)d scheduled post keeps its instant: in %(zone)s it now goes out at another local time than the "
            "one chosen in %(before)s. Check it in the calendar.",
            "%(num)d scheduled posts keep their instant: in %(zone)s they now go out at other local times than the "
            "ones chosen in %(before)s. Check them in the calendar.", scheduled, zone=market.timezone,
            before=before.timezone)))
    key = f"{market.id}|" + ",".join(f"{state.value}={n}" for state, n in posts.items()) + "|" + ",".join(
        str(author.id) for author in authors)
    return Asked(said_before, said_after, key)


def connector_settings(account: Account) -> str:
    """Where an account's connector is chosen: its row of the publishing settings."""
    return url_for("publishing.settings", _anchor=f"account-{account.id}")


def _on_their_way(account: Account) -> tuple[int, int]:
    """How many posts of ``account`` are scheduled, and how many approved (to be scheduled)."""
    return _on_their_way_by_account([account.id]).get(account.id, (0, 0))


def _on_their_way_by_account(account_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    counts: dict[int, tuple[int, int]] = {}
    for account_id, state, number in db.session.execute(
        select(Post.account_id, Post.state, func.count(Post.id))
        .where(Post.account_id.in_(account_ids), Post.state.in_((State.scheduled, State.approved)))
        .group_by(Post.account_id, Post.state)
    ):
        scheduled, approved = counts.get(account_id, (0, 0))
        counts[account_id] = (number, approved) if state == State.scheduled else (scheduled, number)
    return counts


def _deactivation_question(account: Account, on_their_way: tuple[int, int] | None = None) -> str:
    """What the "Deactivate" button asks, on the account's page and on the list: the worker refuses a deactivated
    account, so its posts on their way would not go out. ``on_their_way``: the counts, read for a whole list."""
    scheduled, approved = _on_their_way(account) if on_their_way is None else on_their_way
    if not scheduled + approved:
        return _("Deactivate this account? No new post can be written for it until it is reactivated.")
    return ngettext("Deactivate this account? %(num)d of its posts is scheduled or approved (%(scheduled)d "
                    "scheduled): it cannot go out until the account is reactivated.",
                    "Deactivate this account? %(num)d of its posts are scheduled or approved (%(scheduled)d "
                    "scheduled): none of them can go out until it is reactivated.",
                    scheduled + approved, scheduled=scheduled)


@bp.post("/accounts/<id:account_id>/deactivate")
@roles_required(Role.admin)
def deactivate_account(account_id: int):
    account = _get(Account, account_id)
    admin.deactivate_account(db.session, account)
    scheduled, _approved = _on_their_way(account)
    if not scheduled:
        flash(_("Account %(account)s deactivated: no new post can be written for it.", account=account.display_name),
              "success")
    else:
        # The worker refuses a deactivated account: each fails at its time, and the desk lists them meanwhile.
        said = ngettext("Account %(account)s deactivated. %(num)d scheduled post of this account will fail at its "
                        "time unless it is reactivated:",
                        "Account %(account)s deactivated. %(num)d scheduled posts of this account will fail at their "
                        "time unless it is reactivated:", scheduled, account=account.display_name)
        listed = ngettext("the publishing desk lists it", "the publishing desk lists them", scheduled)
        flash(Markup('{} <a href="{}">{}</a>.').format(said, url_for("publishing.desk", market=account.market.code),
                                                        listed), "warning")
    return _see_other("admin.list_accounts", market=account.market.code)


@bp.post("/accounts/<id:account_id>/reactivate")
@roles_required(Role.admin)
def reactivate_account(account_id: int):
    account = _get(Account, account_id)
    admin.reactivate_account(db.session, account)
    flash(_("Account %(account)s reactivated.", account=account.display_name), "success")
    return _see_other("admin.list_accounts", market=account.market.code)


# Executives and their cabinets ---------------------------------------------------------------------------------


@bp.get("/executives")
@roles_required(Role.admin)
def list_executives():
    executives = db.session.scalars(
        select(Executive).options(selectinload(Executive.accounts), selectinload(Executive.cabinet))
        .order_by(Executive.name)
    ).all()
    return render_template("admin/executives.html", executives=executives)


@bp.route("/executives/new", methods=["GET", "POST"])
@roles_required(Role.admin)
@shows_characters_on_form
def new_executive():
    form = ExecutiveForm()
    if _shaped(form, lambda: admin.executive_refusals(db.session, form.name.data, form.title.data)) and (
        executive := _attempt(form, admin.create_executive, form.name.data, form.title.data or "")
    ):
        flash(_("Executive %(name)s created: now choose their cabinet.", name=executive.name), "success")
        return _see_other("admin.edit_executive", executive_id=executive.id)
    return _form_page("admin/executive.html", form=form, executive=None)


@bp.route("/executives/<id:executive_id>/edit", methods=["GET", "POST"])
@roles_required(Role.admin)
@shows_characters_on_form
def edit_executive(executive_id: int):
    executive = _get(Executive, executive_id, for_update=request.method == "POST")
    form = _opened(ExecutiveForm(obj=executive, current=executive))
    changed: list[Overtaken] = []
    shaped = _shaped(form, lambda: admin.executive_refusals(db.session, form.name.data, form.title.data, executive))
    if shaped and not (changed := form.saved_meanwhile()) and _attempt(
        form, admin.update_executive, executive, form.name.data, form.title.data or ""
    ) is not None:
        flash(_("Executive %(name)s saved.", name=executive.name), "success")
        form.tell_merged()
        return _see_other("admin.list_executives")
    return _executive_page(executive, form=form, changed=changed)


@bp.post("/executives/<id:executive_id>/cabinet")
@roles_required(Role.admin)
def add_cabinet_member(executive_id: int):
    executive = _get(Executive, executive_id)
    form = _cabinet_form(executive, posted=True)
    if form.validate_on_submit() and (
        user := _attempt(form, admin.add_cabinet_member, executive, _get(User, form.user_id.data))
    ):
        flash(_("%(user)s now serves %(executive)s.", user=user.name, executive=executive.name), "success")
        return _see_other("admin.edit_executive", executive_id=executive.id)
    return _executive_page(executive, cabinet_form=form)


@bp.post("/executives/<id:executive_id>/cabinet/<id:user_id>/remove")
@roles_required(Role.admin)
def remove_cabinet_member(executive_id: int, user_id: int):
    executive = _get(Executive, executive_id)
    user = _get(User, user_id)
    last = user.active and admin.cabinet_left_without(executive, user)
    admin.remove_cabinet_member(db.session, executive, user)
    flash(_("%(user)s no longer serves %(executive)s.", user=user.name, executive=executive.name), "success")
    if last:
        waiting = admin.awaiting_cabinet(db.session, executive)
        flash(ngettext("Nobody active is left in this cabinet: %(num)d suggested message awaits it, and nobody can "
                       "accept or decline it. Add a member, or reactivate one.",
                       "Nobody active is left in this cabinet: %(num)d suggested messages await it, and nobody can "
                       "accept or decline them. Add a member, or reactivate one.", waiting) if waiting else
              _("Nobody active is left in this cabinet: nobody can accept or decline a suggested message. Add a "
                "member, or reactivate one."), "warning")
    return _see_other("admin.edit_executive", executive_id=executive.id)


def _removal_question(executive: Executive, user: User, waiting: int) -> str:
    """What a cabinet's "Remove" button asks: removing its last active member leaves its suggested messages with
    nobody to decide them, as deactivating that member would (``_user_deactivation_question``)."""
    question = _("Remove %(user)s from this cabinet? They will no longer see its suggested messages.", user=user.name)
    if not user.active or not admin.cabinet_left_without(executive, user):
        return question
    if not waiting:
        return question + " " + _("They are its only active member: nobody could accept or decline a suggested "
                                  "message, and none could be approved.")
    return question + " " + ngettext(
        "They are its only active member: nobody could accept or decline the %(num)d suggested message awaiting the "
        "cabinet, and none could be approved.",
        "They are its only active member: nobody could accept or decline the %(num)d suggested messages awaiting the "
        "cabinet, and none could be approved.", waiting)


def _cabinet_form(executive: Executive, *, posted: bool = False) -> CabinetMemberForm:
    # Unless it is the form posted, it must not read the request: the page's other form may have been.
    form = CabinetMemberForm(formdata=request.form if posted else None)
    members = {user.id for user in executive.cabinet}
    candidates = db.session.scalars(
        select(User).where(User.role == Role.cabinet, User.active.is_(True)).order_by(User.name)
    ).all()
    form.user_id.choices = [SelectChoice(u.id, f"{u.name} · {u.email}") for u in candidates if u.id not in members]
    return form


def _executive_page(executive: Executive, *, form: ExecutiveForm | None = None,
                    cabinet_form: CabinetMemberForm | None = None, changed: Sequence[Overtaken] = ()):
    if form is None:
        form = ExecutiveForm.filled_from(executive)
        form.show()
    if cabinet_form is None:
        cabinet_form = _cabinet_form(executive)
    waiting = admin.awaiting_cabinet(db.session, executive)
    removals = {user.id: _removal_question(executive, user, waiting) for user in executive.cabinet}
    return _form_page("admin/executive.html", form=form, executive=executive, cabinet_form=cabinet_form,
                      changed=changed, removals=removals)


# Users ---------------------------------------------------------------------------------------------------------


@bp.get("/users")
@roles_required(Role.admin)
def list_users():
    """The users, of one ``role`` and of one ``market`` (its code) when asked: what is neither is ignored, as a role
    that is none is. A market's users are those who work in it: its community and project managers, and those of
    every market (its staffing on the markets' list counts the active ones)."""
    role = request.args.get("role") if request.args.get("role") in Role.__members__ else None
    market = _market_coded(request.args.get("market"))
    query = (
        select(User).options(selectinload(User.markets), selectinload(User.executives))
        .order_by(User.active.desc(), User.name)
    )
    counted = select(User.role, func.count()).group_by(User.role)
    if market is not None:
        works_there = User.role.in_(admin.MARKET_ROLES) & (
            User.all_markets.is_(True) | User.markets.any(Market.id == market.id))
        query, counted = query.where(works_there), counted.where(works_there)
    if role:
        query = query.where(User.role == Role(role))
    counts = dict(db.session.execute(counted).all())
    return render_template("admin/users.html", users=db.session.scalars(query).all(), role=role, roles=list(Role),
                           counts=counts, market=market, markets=_markets())


def _market_coded(code: str | None) -> Market | None:
    """The market of this code (two letters, in any case), else None."""
    code = (code or "").strip().upper()
    if not (len(code) == 2 and code.isascii() and code.isalpha()):  # checked first: a NUL byte was PostgreSQL's 500
        return None
    return db.session.scalar(select(Market).where(Market.code == code))


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.admin)
@shows_characters_on_form
def new_user():
    """A new user, invited (a link to choose their password: mailed, or shown here once when e-mail is off) or given
    a first password the admin types, which they replace at their first login."""
    form = NewUserForm().offer(mail_on=mail_on())
    form.set_choices(_markets(), _executives())
    _prefill_new_user(form)
    # An invited user has no password until they choose theirs from the link.
    password = None if form.inviting else form.password.data
    if _shaped(form, lambda: admin.user_refusals(
        db.session, form.name.data, form.role.data, markets=_by_ids(Market, form.market_ids.data),
        all_markets=form.all_markets.data, executives=_by_ids(Executive, form.executive_ids.data),
        email=form.email.data, password=password, invited=form.inviting,
    )) and (user := _attempt(
        form, admin.create_user, form.email.data, form.name.data, form.role.data, password,
        markets=_by_ids(Market, form.market_ids.data), all_markets=form.all_markets.data,
        executives=_by_ids(Executive, form.executive_ids.data), must_change_password=not form.inviting,
    )):
        flash(_("User %(email)s created.", email=user.email), "success")
        _warn_cabinet_without_executive(user)
        if form.inviting:
            return _invite(user) or _see_other("admin.list_users")
        return _see_other("admin.list_users")
    return _form_page("admin/user.html", form=form, user=None, mail_on=mail_on(), invitation_hours=invitation_hours())


@bp.post("/users/<id:user_id>/invitation")
@roles_required(Role.admin)
def send_invitation(user_id: int):
    """The invitation again, to a user who has not chosen their password yet: a new link, which ends the older
    ones (they are bound to the "no password" it replaces)."""
    user = _get(User, user_id, for_update=True)
    if user.has_password:
        flash(_("%(email)s has chosen their password already: there is no invitation to send again. They can use "
                "“Forgot your password?” on the login page.", email=user.email), "error")
        return _see_other("admin.edit_user", user_id=user.id)
    if not user.active:
        flash(_("%(email)s is deactivated: reactivate them first.", email=user.email), "error")
        return _see_other("admin.edit_user", user_id=user.id)
    user.forget_password()
    db.session.flush()
    return _invite(user) or _see_other("admin.edit_user", user_id=user.id)


def _invite(user: User):  # noqa: ANN202
    """Invite ``user`` (just created, or again): the mail goes once the request has committed, and the flash says
    whether the server took it; with e-mail off, the user's page shows the link this once (the answer returned).
    Noted in the change log either way."""
    mailed = mail_on()
    admin_log.note(db.session, user, "invited", {"delivery": [None, "mail" if mailed else "link"]})
    link = link_for(user, Purpose.invitation, mailed=mailed)
    if not mailed:
        return _user_page(user, invitation_link=link, status=200)
    email = user.email

    def sent() -> None:
        flash(ngettext("The invitation is sent to %(email)s. Its link works once, for %(num)d hour.",
                       "The invitation is sent to %(email)s. Its link works once, for %(num)d hours.",
                       invitation_hours(), email=email), "success")

    def failed(error: Exception) -> None:
        flash(_("The invitation to %(email)s could not be sent (the mail server: %(error)s). Send it again from "
                "their page when the server is back.", email=email, error=f"{type(error).__name__}: {error}"),
              "error")

    send_after_commit(db.session, invitation_mail(user, link, current_user), sent=sent, failed=failed)
    return None


def _prefill_new_user(form: NewUserForm) -> None:
    """A new user's form opened with a ``role`` and a ``market_id`` (the markets' list, where a market has no project
    or community manager; a users list of one role or market): shown chosen. Only on the way in (GET): a form sent
    back shows what was sent; what is none of the choices is ignored. An invitation is offered first where e-mail
    is on; where it is off, the admin's usual way (a first password) stays first."""
    if request.method != "GET":
        return
    form.how.data = INVITE if mail_on() else FIRST_PASSWORD
    if request.args.get("role") in Role.__members__:
        form.role.data = request.args["role"]
    market_id = parse_id(request.args.get("market_id"))
    if market_id is not None and any(choice.value == market_id for choice in form.market_ids.choices or ()):
        form.market_ids.data = [market_id]


@bp.route("/users/<id:user_id>/edit", methods=["GET", "POST"])
@roles_required(Role.admin)
@shows_characters_on_form
def edit_user(user_id: int):
    user = _get(User, user_id, for_update=request.method == "POST")
    form = _user_form(user, posted=request.method == "POST")
    changed: list[Overtaken] = []
    asked = None
    if _shaped(form, lambda: admin.user_refusals(
        db.session, form.name.data, form.role.data, markets=_by_ids(Market, form.market_ids.data),
        all_markets=form.all_markets.data, executives=_by_ids(Executive, form.executive_ids.data), user=user,
        actor=current_user,
    )) and not (changed := form.saved_meanwhile()):
        markets, executives = _by_ids(Market, form.market_ids.data), _by_ids(Executive, form.executive_ids.data)
        # Read before the change: the markets they see now, the project managers there now.
        left = _asked(user, _left_by_change(user, form.role.data, markets, form.all_markets.data))
        if not _confirmed(left) and not admin.user_refusals(db.session, form.name.data, form.role.data,
                                                            markets=markets, all_markets=form.all_markets.data,
                                                            executives=executives, user=user, actor=current_user):
            asked = left
        elif _attempt(form, admin.update_user, user, current_user, form.name.data, form.role.data,
                      markets=markets, all_markets=form.all_markets.data, executives=executives):
            flash(_("User %(email)s saved.", email=user.email), "success")
            form.tell_merged()
            _flash_after(left)
            _warn_cabinet_without_executive(user)
            return _see_other("admin.list_users")
    return _user_page(user, form=form, changed=changed, asked=asked)


@bp.post("/users/<id:user_id>/password")
@roles_required(Role.admin)
@shows_characters_on_form
def set_password(user_id: int):
    user = _get(User, user_id)
    form = PasswordForm()
    # Another's password, which the admin knows: they choose their own at their next login. One's own is one's own.
    someone_else = user.id != current_user.id
    if form.validate_on_submit() and _attempt(form, admin.set_user_password, user, form.password.data,
                                              must_change_password=someone_else):
        security.end_all_access(db.session, user)  # whoever knew the old password may have made a token with it
        flash(_("New password set for %(email)s.", email=user.email), "success")
        flash(_("Their sessions are ended, and their API tokens and calendar feed link revoked."), "info")
        if someone_else:
            flash(_("They choose their own password when they next log in."), "info")
        return _see_other("admin.edit_user", user_id=user.id)
    return _user_page(user, password_form=form)


@bp.post("/users/<id:user_id>/deactivate")
@roles_required(Role.admin)
def deactivate_user(user_id: int):
    user = _get(User, user_id)
    left = admin.cabinets_left_without(user)
    behind = _asked(user, _left_by_leaving(user))  # read before: once deactivated, they manage nothing
    if _attempt(None, admin.deactivate_user, user, current_user):
        flash(_("%(email)s is deactivated: they can no longer log in.", email=user.email), "success")
        _flash_after(behind)
        if left:
            links = Markup(", ").join(
                Markup('<a href="{}">{}</a>').format(url_for("admin.edit_executive", executive_id=executive.id,
                                                             _anchor="cabinet"), executive.name)
                for executive in left)
            # The sentence is ours; the names in it are escaped in their links.
            flash(Markup(ngettext("Nobody active is left in the cabinet of %(executives)s: add a member, or "
                                  "reactivate one.",
                                  "Nobody active is left in the cabinets of %(executives)s: add a member to each, or "
                                  "reactivate one.", len(left), executives=links)), "warning")
    return _see_other("admin.edit_user", user_id=user.id)


@bp.post("/users/<id:user_id>/reactivate")
@roles_required(Role.admin)
def reactivate_user(user_id: int):
    user = _get(User, user_id)
    admin.reactivate_user(db.session, user)
    flash(_("%(email)s is active again.", email=user.email), "success")
    return _see_other("admin.edit_user", user_id=user.id)


@bp.post("/users/<id:user_id>/sessions/end")
@roles_required(Role.admin)
def end_user_sessions(user_id: int):
    user = _get(User, user_id)
    security.end_all_access(db.session, user)
    admin_log.note(db.session, user, "sessions_ended")
    flash(_("Every session of %(email)s is ended, and their API tokens and calendar feed link are revoked.",
            email=user.email), "success")
    return _see_other("admin.edit_user", user_id=user.id)


@bp.post("/users/<id:user_id>/unlock")
@roles_required(Role.admin)
def unlock_user_login(user_id: int):
    user = _get(User, user_id)
    admin_log.note(db.session, user, "login_unlocked")  # written first: an unlock that fails leaves no row
    security.unlock_login(user.email)
    flash(_("%(email)s may log in again at once: the failed attempts are forgotten.", email=user.email), "success")
    return _see_other("admin.edit_user", user_id=user.id)


def _user_form(user: User, *, posted: bool = False) -> UserForm:
    # Unless it is the form posted, it must not read the request: a posted password would uncheck every market.
    if posted:
        form = UserForm(formdata=request.form, current=user)
    else:
        form = UserForm.filled_from(user)
        form.show()
    form.set_choices(_markets(), _executives())
    return form


def _user_page(user: User, *, form: UserForm | None = None, password_form: PasswordForm | None = None,
               changed: Sequence[Overtaken] = (), asked: Asked | None = None, invitation_link: str | None = None,
               status: int | None = None):
    """The user's page; ``invitation_link``: a link to choose their password, shown in this answer only (e-mail is
    off), which is a success (``status`` 200) though it answers a form."""
    leaving = _left_by_leaving(user) if user.active else None
    page, shown_status = _form_page(
        "admin/user.html", user=user, form=_user_form(user) if form is None else form,
        password_form=PasswordForm(formdata=None) if password_form is None else password_form, changed=changed,
        deactivation=_user_deactivation_question(user, leaving), leaving=_said_before(user, leaving) if leaving else [],
        asked=asked, mail_on=mail_on(), invitation_link=invitation_link, invitation_hours=invitation_hours())
    return page, status or shown_status


def _user_deactivation_question(user: User, leaving: LeftBehind | None = None) -> str:
    """What the "Deactivate" button asks: what ends with the user's access, the executives whose suggested
    messages nobody could answer then, their posts still on their way and the markets left without a reviewer."""
    question = _("Deactivate this user? They can no longer log in: their sessions end at once, and their API tokens "
                 "and calendar feed link stop working until they are reactivated.")
    left = admin.cabinets_left_without(user)
    if left:
        question += " " + ngettext(
            "They are the only active member of the cabinet of %(executives)s: nobody could accept or decline that "
            "executive's suggested messages, and none could be approved.",
            "They are the only active member of the cabinets of %(executives)s: nobody could accept or decline these "
            "executives' suggested messages, and none could be approved.",
            len(left), executives=", ".join(executive.name for executive in left))
    if leaving:
        question = " ".join([question, *(str(Markup(line).striptags()) for line in _said_before(user, leaving))])
    return question


# What a change leaves behind, asked before it is saved ----------------------------------------------------------


class Asked(NamedTuple):
    """What a change would leave behind: ``before``, said on the page before it is saved; ``after``, flashed once it
    is; ``key``, what the page asked about, which its form sends back confirmed (``_confirmed``): a change that now
    leaves other things behind (a post submitted meanwhile, other markets ticked) is asked about again."""

    before: list[Markup]
    after: list[Markup]
    key: str


def _confirmed(asked: Asked | None) -> bool:
    """Whether the posted form says it saw what ``asked`` says (a change that leaves nothing behind needs no word,
    and one whose ``key`` is empty is only told after)."""
    return asked is None or not asked.key or request.form.get("confirmed") == asked.key


def _flash_after(asked: Asked | None) -> None:
    for said in asked.after if asked else ():
        flash(said, "warning")


# What a change of a user leaves behind -------------------------------------------------------------------------


class LeftBehind(NamedTuple):
    """What changing a user (or deactivating them) leaves behind: ``posts``, theirs still on their way in the
    markets they would no longer see (by market code, then state); ``reviewers``, the markets where they are the last
    active project manager, with the posts awaiting review there; ``leaving``: deactivated, not changed."""

    posts: dict[str, dict[State, int]]
    reviewers: dict[str, int]
    leaving: bool = False

    @property
    def key(self) -> str:
        """What it says, in a few characters (``Asked.key``)."""
        posts = ";".join(f"{code}:" + ",".join(f"{state.value}={n}" for state, n in states.items())
                         for code, states in self.posts.items())
        return f"{posts}|" + ",".join(f"{code}={n}" for code, n in self.reviewers.items())

    def __bool__(self) -> bool:
        return bool(self.posts or self.reviewers)


def _left_by_change(user: User, role: str, markets: Sequence[Market], all_markets: bool) -> LeftBehind:
    if role not in Role.__members__:
        return LeftBehind({}, {})
    lost = admin.markets_lost(db.session, user, role, markets, all_markets)
    return LeftBehind(admin.posts_in_flight(db.session, author=user, market_ids=lost) if lost else {},
                      admin.reviewers_left_without(db.session, user, role=role, markets=markets,
                                                   all_markets=all_markets))


def _left_by_leaving(user: User) -> LeftBehind:
    return LeftBehind(admin.posts_in_flight(db.session, author=user),
                      admin.reviewers_left_without(db.session, user, active=False), leaving=True)




def _posts_said(user: User, posts: dict[str, dict[State, int]]) -> Markup:
    """ "FR (draft: 2, in review: 1); KE (scheduled: 1)", each market and count a link to those posts."""
    between = pgettext("between a name and what follows", ": ")
    return Markup("; ").join(
        Markup('<a href="{}">{}</a> ({})').format(
            url_for("posts.list_posts", author_id=user.id, market=code), code,
            Markup(", ").join(Markup('<a href="{}">{}{}{}</a>').format(
                url_for("posts.list_posts", author_id=user.id, market=code, state=state.value), label(state),
                between, number) for state, number in states.items()))
        for code, states in posts.items())


def _reviews_said(reviewers: dict[str, int]) -> Markup:
    return Markup(", ").join(
        Markup('<a href="{}">{}</a>').format(url_for("posts.list_posts", market=code, state=State.in_review.value),
                                             code) for code in reviewers)


def _said_before(user: User, left: LeftBehind) -> list[Markup]:
    """What the change would leave behind, said before it is saved (on the page, and in the button's question)."""
    said: list[Markup] = []
    if left.posts:
        total = sum(sum(states.values()) for states in left.posts.values())
        if left.leaving:
            said.append(Markup(ngettext("%(num)d of their posts is still on its way: %(posts)s.",
                                        "%(num)d of their posts are still on their way: %(posts)s.", total,
                                        posts=_posts_said(user, left.posts))))
        else:
            said.append(Markup(ngettext(
                "%(num)d of their posts is on its way, and they would no longer see it: %(posts)s.",
                "%(num)d of their posts are on their way, and they would no longer see them: %(posts)s.", total,
                posts=_posts_said(user, left.posts))))
    if left.reviewers:
        waiting = sum(left.reviewers.values())
        markets = _reviews_said(left.reviewers)
        if waiting:
            said.append(Markup(ngettext(
                "They are the last active project manager of %(markets)s: %(num)d post awaits review there, and "
                "nobody else could approve, schedule or retry a post.",
                "They are the last active project manager of %(markets)s: %(num)d posts await review there, and "
                "nobody else could approve, schedule or retry a post.", waiting, markets=markets)))
        else:
            said.append(Markup(_("They are the last active project manager of %(markets)s: nobody else could "
                                 "approve, schedule or retry a post there.", markets=markets)))
    return said


def _asked(user: User, left: LeftBehind) -> Asked | None:
    """Asked first when posts are concerned (theirs, or those awaiting a review nobody else could give); a market
    merely left without a reviewer is told after."""
    if not left:
        return None
    concerned = bool(left.posts) or any(left.reviewers.values())
    return Asked(_said_before(user, left), _said_after(user, left), left.key if concerned else "")


def _said_after(user: User, left: LeftBehind) -> list[Markup]:
    """What the change saved has left behind, said after it (the sentences are ours; names and codes escaped)."""
    said: list[Markup] = []
    if left.posts:
        total = sum(sum(states.values()) for states in left.posts.values())
        if left.leaving:
            text = ngettext("%(num)d of their posts is still on its way: %(posts)s.",
                            "%(num)d of their posts are still on their way: %(posts)s.", total,
                            posts=_posts_said(user, left.posts))
        else:
            text = ngettext("%(num)d of their posts is on its way, and they no longer see it: %(posts)s.",
                            "%(num)d of their posts are on their way, and they no longer see them: %(posts)s.",
                            total, posts=_posts_said(user, left.posts))
        said.append(Markup(text))
    if left.reviewers:
        waiting = sum(left.reviewers.values())
        markets = _reviews_said(left.reviewers)
        if waiting:
            text = ngettext("No active project manager is left in %(markets)s: %(num)d post awaits review there, "
                            "and nobody can approve, schedule or retry a post until one is.",
                            "No active project manager is left in %(markets)s: %(num)d posts await review there, "
                            "and nobody can approve, schedule or retry a post until one is.", waiting,
                            markets=markets)
        else:
            text = _("No active project manager is left in %(markets)s: nobody can approve, schedule or retry a "
                     "post there until one is.", markets=markets)
        said.append(Markup(text))
    return said


def _warn_cabinet_without_executive(user: User) -> None:
    if user.role == Role.cabinet and not user.executives:
        flash(_("%(name)s serves no executive yet: they see nothing until an executive's page adds them to its "
                "cabinet.", name=user.name), "warning")


# The administration log ------------------------------------------------------------------------------------------

#: Entries per page of the log.
LOG_PAGE = 100
#: What each subject of the log is called, and the page that shows it (None: no page of its own).
LOG_SUBJECTS: dict[str, tuple[Any, str | None]] = {
    "market": (_l("Market"), "admin.edit_market"), "account": (_l("Account"), "admin.edit_account"),
    "user": (_l("User"), "admin.edit_user"), "executive": (_l("Executive"), "admin.edit_executive"),
    "campaign": (_l("Campaign"), "campaigns.edit_campaign"), "kiosk": (_l("Kiosk link"), "hub.list_kiosks"),
    "api_token": (_l("API token"), None), "wall": (_l("Wall thresholds"), "hub.list_kiosks"),
}
#: A secret's change, as the log shows it (its value is never kept).
SECRET_CHANGES = {"set": lazy_pgettext("secret", "set"), "removed": lazy_pgettext("secret", "removed"),
                  "changed": lazy_pgettext("secret", "changed")}
#: What was done, as a noun in the log's column ("Creation": French would agree a participle with each subject).
LOG_ACTIONS = {
    "created": lazy_pgettext("change log", "Creation"), "changed": lazy_pgettext("change log", "Change"),
    "deleted": lazy_pgettext("change log", "Deletion"), "deactivated": lazy_pgettext("change log", "Deactivation"),
    "reactivated": lazy_pgettext("change log", "Reactivation"), "revoked": lazy_pgettext("change log", "Revocation"),
    "password_set": lazy_pgettext("change log", "New password"),
    "sessions_ended": lazy_pgettext("change log", "Sessions ended"),
    "login_unlocked": lazy_pgettext("change log", "Login unlocked"),
    "invited": lazy_pgettext("change log", "Invitation"),
}
#: How an invitation reached its user, as the log says it.
DELIVERIES = {"mail": _l("by e-mail"), "link": _l("as a link given to the admin")}
LOG_FIELDS = {
    "code": _l("Code"), "name": _l("Name"), "timezone": _l("Time zone"), "languages": _l("Languages"),
    "grace_minutes": _l("Grace period (minutes)"), "network": _l("Network"), "handle": _l("Handle"),
    "brand": _l("Brand"), "market": _l("Market"), "executive": _l("Executive"),
    "active": _l("Active"), "connector": _l("Publishes through"), "connector_url": _l("Webhook address"),
    "connector_secret": _l("Signing secret"), "email": _l("E-mail"), "role": _l("Role"),
    "all_markets": _l("All markets"), "markets": _l("Markets"), "executives": _l("Executives served"),
    "password_hash": _l("Password"), "title": _l("Title"), "cabinet": _l("Cabinet"), "hashtag": _l("Hashtag"),
    "description": _l("Description"), "disclosure_required": _l("Partnership (disclosure required)"),
    "embargo_until": _l("Embargo until"), "revoked_at": _l("Revoked"),
    "review_amber_minutes": _l("Amber after (minutes)"), "review_red_minutes": _l("Red after (minutes)"),
    "delivery": _l("Sent"),
}


@bp.get("/log")
@roles_required(Role.admin)
def log():
    """Who changed which setting, newest first; ``subject`` and ``id`` narrow it to one object's history."""
    query = select(AdminLogEntry).order_by(AdminLogEntry.id.desc())
    filters: dict[str, str] = {}
    subject = request.args.get("subject", "").strip()
    if subject:
        if subject not in LOG_SUBJECTS:
            abort(400)
        query = query.where(AdminLogEntry.subject == subject)
        filters["subject"] = subject
    for name in ("id", "before"):
        if raw := request.args.get(name, "").strip():
            if (number := parse_id(raw)) is None:
                abort(400)
            query = query.where(AdminLogEntry.subject_id == number if name == "id" else AdminLogEntry.id < number)
            if name == "id":
                filters["id"] = str(number)
    if who := request.args.get("actor", "").strip()[:300]:
        query = query.where(func.lower(AdminLogEntry.actor_label) == who.lower())
        filters["actor"] = who
    rows = list(db.session.scalars(query.limit(LOG_PAGE + 1)))
    more = len(rows) > LOG_PAGE
    rows = rows[:LOG_PAGE]
    return render_template(
        "admin/log.html", rows=rows, filters=filters, subjects=LOG_SUBJECTS, actions=LOG_ACTIONS,
        changes=_log_changes, link=_log_link,
        next_url=url_for("admin.log", **filters, before=rows[-1].id) if more else None,
    )


def _log_link(entry: AdminLogEntry) -> str | None:
    endpoint = LOG_SUBJECTS.get(entry.subject, (None, None))[1]
    if endpoint is None:
        return None
    if endpoint.startswith("hub."):
        return url_for(endpoint)
    key = {"admin.edit_market": "market_id", "admin.edit_account": "account_id", "admin.edit_user": "user_id",
           "admin.edit_executive": "executive_id", "campaigns.edit_campaign": "campaign_id"}[endpoint]
    values: dict[str, Any] = {key: entry.subject_id}
    return url_for(endpoint, **values)


def _log_changes(entry: AdminLogEntry) -> list[tuple[str, str, str]]:
    """Each field the entry changed: its name, what it held before and after, as a reader reads them."""
    shown = []
    for field, (before, after) in (entry.changes or {}).items():
        name = str(LOG_FIELDS.get(field, field))
        if field in admin_log.SECRETS:
            shown.append((name, "", str(SECRET_CHANGES[admin_log.secret_change(before, after)])))
            continue
        # A new object's fields had nothing before: only what they were given is shown.
        shown.append((name, "" if entry.action == "created" else _log_value(field, before), _log_value(field, after)))
    return shown


def _log_value(field: str, value: Any) -> str:
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_log_value(field, item) for item in value)
    if field == "network":
        return network_name(value)
    if field == "role":
        return label(value)
    if field == "connector":
        return connector_name(value)
    if field == "delivery":
        return str(DELIVERIES.get(value, value))
    if field in ("embargo_until", "revoked_at") and isinstance(value, str):
        return value.replace("T", " ").replace("Z", " UTC")
    return str(value)


# Helpers -------------------------------------------------------------------------------------------------------


def _get(model: type[T], object_id: int, *, for_update: bool = False) -> T:
    """The object, or 404; ``for_update`` locks its row until the commit (an edit compares, then writes)."""
    found = db.session.get(model, object_id, with_for_update=for_update)
    if found is None:
        abort(404)
    return found


def _opened(form: F) -> F:
    """An edit form as a page first shows it: it keeps the values it shows, to compare them when it comes back."""
    if request.method == "GET":
        form.show()
    return form


def _by_ids(model: type[T], ids: list[int] | None) -> list[T]:
    """The objects of these ids (a choice refused, ``None`` or holding other than ids, gives what it can)."""
    id_column = model.__table__.c.id  # every administered model has an integer id
    ids = [i for i in ids or () if isinstance(i, int) and 0 < i <= MAX_ID]
    return list(db.session.scalars(select(model).where(id_column.in_(ids)))) if ids else []


def _count(model: type[Base], *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _markets() -> list[Market]:
    return list(db.session.scalars(select(Market).order_by(Market.code)))


def _executives() -> list[Executive]:
    return list(db.session.scalars(select(Executive).order_by(Executive.name)))


def _shaped(form: FlaskForm, refusals: Callable[[], admin.Errors]) -> bool:
    """Whether the form was sent with the shape its use case takes. When it was not (a field missing, a choice
    tampered with), what the use case's rules would refuse too (``refusals``: a duplicate, a zone that is no place)
    is shown on the other fields: a person fixes everything in one round, not in one round a rule."""
    if not form.is_submitted():
        return False
    if form.validate():
        return True
    for name, messages in refusals().items():
        field = getattr(form, name, None)
        # About the change as a whole, or about a value the form could not read (a choice tampered with): said
        # once the shape is right.
        if field is not None and hasattr(field, "errors") and not field.errors:
            field.errors = list(messages)
    return False


def _attempt(form: FlaskForm | None, use_case: Callable[..., R], /, *args: Any, **kwargs: Any) -> R | None:
    """Call one administration use case on the request's session; when its rules refuse, show why on the form's
    fields (or as a message, for what no field of the page holds) and give None. It wrote nothing then."""
    try:
        return use_case(db.session, *args, **kwargs)
    except admin.Refused as refused:
        show_refusal(form, refused.errors)
        return None


def _form_page(template: str, **context):  # noqa: ANN003, ANN202
    """A form page; 422 when it comes back from a refused submission, 409 when another person saved the object
    meanwhile (``changed``: what they saved)."""
    status = 409 if context.get("changed") else 422 if request.method == "POST" else 200
    return render_template(template, **context), status


def _see_other(endpoint: str, **values) -> Response:  # noqa: ANN003
    return redirect(url_for(endpoint, **values), 303)
