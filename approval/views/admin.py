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
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_babel import ngettext
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
    AccountForm,
    CabinetMemberForm,
    ExecutiveForm,
    MarketForm,
    NewUserForm,
    PasswordForm,
    PolicyForm,
    UserForm,
    timezone_names,
)
from approval.forms.conflicts import EditsSeenValues, Overtaken
from approval.inputs import parse_id, shows_characters_on_form
from approval.labels import label
from approval.models import Account, AdminLogEntry, Campaign, Executive, Market, PolicyVersion, Post, User
from approval.style.network import network_name
from approval.style.findings import DEFAULT_DISCLOSURES
from approval.views import roles_required, show_refusal
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
    return render_template("admin/markets.html", markets=_markets(), accounts=accounts, policy_numbers=policy_numbers)


@bp.route("/markets/new", methods=["GET", "POST"])
@roles_required(Role.admin)
@shows_characters_on_form
def new_market():
    form = MarketForm()
    if form.validate_on_submit() and (market := _attempt(
        form, admin.create_market, form.code.data, form.name.data, form.timezone.data, form.languages.data,
    )):
        flash(_("Market %(market)s created.", market=market), "success")
        return _see_other("admin.list_markets")
    return _form_page("admin/market.html", form=form, market=None, timezones=timezone_names())


@bp.route("/markets/<id:market_id>/edit", methods=["GET", "POST"])
@roles_required(Role.admin)
@shows_characters_on_form
def edit_market(market_id: int):
    market = _get(Market, market_id, for_update=request.method == "POST")
    form = _opened(MarketForm(obj=market, current=market))
    zone_before = market.timezone
    changed: list[Overtaken] = []
    if form.validate_on_submit() and not (changed := form.saved_meanwhile()) and _attempt(
        form, admin.update_market, market, form.code.data, form.name.data, form.timezone.data, form.languages.data,
    ):
        flash(_("Market %(market)s saved.", market=market), "success")
        form.tell_merged()
        if market.timezone != zone_before and (moved := _scheduled_in(market)):
            # Scheduled posts keep their instant: in the new zone their wall-clock time is another one.
            flash(ngettext("%(num)d scheduled post keeps its instant: in %(zone)s it now goes out at another local "
                           "time than the one chosen in %(before)s. Check it in the calendar.",
                           "%(num)d scheduled posts keep their instant: in %(zone)s they now go out at other local "
                           "times than the ones chosen in %(before)s. Check them in the calendar.", moved,
                           zone=market.timezone, before=zone_before), "warning")
        return _see_other("admin.list_markets")
    return _form_page("admin/market.html", form=form, market=market, timezones=timezone_names(), changed=changed)


def _scheduled_in(market: Market) -> int:
    return db.session.scalar(select(func.count(Post.id)).join(Post.account).where(
        Account.market_id == market.id, Post.state == State.scheduled)) or 0


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
                version = policies.save_policy(
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
            if version is None:
                flash(_("No change: the policy in force stays %(version)s.",
                        version=policies.current_label(db.session, market)), "info")
            else:
                flash(_("Policy %(version)s saved: every check from now on applies it.", version=version.label),
                      "success")
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
    return render_template("admin/accounts.html", accounts=db.session.scalars(query).all(), markets=_markets(),
                           counts=counts, market_code=code, connector_settings=connector_settings)


@bp.route("/accounts/new", methods=["GET", "POST"])
@roles_required(Role.admin)
@shows_characters_on_form
def new_account():
    form = AccountForm()
    form.set_choices(_markets(), _executives())
    if request.method == "GET" and request.args.get("market_id", type=int):
        form.market_id.data = request.args.get("market_id", type=int)
    if form.validate_on_submit():
        market = _get(Market, form.market_id.data)
        executive = _get(Executive, form.executive_chosen) if form.executive_chosen else None
        if account := _attempt(form, admin.create_account, market, form.network.data, form.handle.data,
                               form.brand.data or "", executive):
            flash(_("Account %(account)s created.", account=account.display_name), "success")
            # A new account publishes through nothing: the connector is chosen on another page, which it names.
            said = _("%(account)s is not connected to a publisher yet: none of its posts can go out until it is.",
                     account=account.display_name)
            flash(Markup('{} <a href="{}">{}</a>.').format(said, connector_settings(account),
                                                            _("Choose how it publishes")), "warning")
            return _see_other("admin.list_accounts", market=market.code)
    return _form_page("admin/account.html", form=form, account=None)


@bp.route("/accounts/<id:account_id>/edit", methods=["GET", "POST"])
@roles_required(Role.admin)
@shows_characters_on_form
def edit_account(account_id: int):
    account = _get(Account, account_id, for_update=request.method == "POST")
    form = _opened(AccountForm(obj=account, current=account))
    form.set_choices(_markets(), _executives())
    changed: list[Overtaken] = []
    if form.validate_on_submit() and not (changed := form.saved_meanwhile()):
        market = _get(Market, form.market_id.data)
        executive = _get(Executive, form.executive_chosen) if form.executive_chosen else None
        if _attempt(form, admin.update_account, account, market, form.network.data, form.handle.data,
                    form.brand.data or "", executive):
            flash(_("Account %(account)s saved.", account=account.display_name), "success")
            form.tell_merged()
            return _see_other("admin.list_accounts", market=market.code)
    return _form_page("admin/account.html", form=form, account=account, changed=changed,
                      deactivation=_deactivation_question(account), connector_settings=connector_settings)


def connector_settings(account: Account) -> str:
    """Where an account's connector is chosen: its row of the publishing settings."""
    return url_for("publishing.settings", _anchor=f"account-{account.id}")


def _on_their_way(account: Account) -> tuple[int, int]:
    """How many posts of ``account`` are scheduled, and how many approved (to be scheduled)."""
    counts = dict(db.session.execute(
        select(Post.state, func.count(Post.id)).where(Post.account_id == account.id,
                                                      Post.state.in_((State.scheduled, State.approved)))
        .group_by(Post.state)).all())
    return counts.get(State.scheduled, 0), counts.get(State.approved, 0)


def _deactivation_question(account: Account) -> str:
    """What the "Deactivate" button asks: the worker refuses a deactivated account, so its posts on their way
    would not go out."""
    scheduled, approved = _on_their_way(account)
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
    if form.validate_on_submit() and (
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
    if form.validate_on_submit() and not (changed := form.saved_meanwhile()) and _attempt(
        form, admin.update_executive, executive, form.name.data, form.title.data or ""
    ):
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
    admin.remove_cabinet_member(db.session, executive, user)
    flash(_("%(user)s no longer serves %(executive)s.", user=user.name, executive=executive.name), "success")
    return _see_other("admin.edit_executive", executive_id=executive.id)


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
    return _form_page("admin/executive.html", form=form, executive=executive, cabinet_form=cabinet_form,
                      changed=changed)


# Users ---------------------------------------------------------------------------------------------------------


@bp.get("/users")
@roles_required(Role.admin)
def list_users():
    role = request.args.get("role") if request.args.get("role") in Role.__members__ else None
    query = (
        select(User).options(selectinload(User.markets), selectinload(User.executives))
        .order_by(User.active.desc(), User.name)
    )
    if role:
        query = query.where(User.role == Role(role))
    counts = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    return render_template("admin/users.html", users=db.session.scalars(query).all(), role=role, roles=list(Role),
                           counts=counts)


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.admin)
@shows_characters_on_form
def new_user():
    form = NewUserForm()
    form.set_choices(_markets(), _executives())
    if form.validate_on_submit() and (user := _attempt(
        form, admin.create_user, form.email.data, form.name.data, form.role.data, form.password.data,
        markets=_by_ids(Market, form.market_ids.data), all_markets=form.all_markets.data,
        executives=_by_ids(Executive, form.executive_ids.data),
    )):
        flash(_("User %(email)s created.", email=user.email), "success")
        return _see_other("admin.list_users")
    return _form_page("admin/user.html", form=form, user=None)


@bp.route("/users/<id:user_id>/edit", methods=["GET", "POST"])
@roles_required(Role.admin)
@shows_characters_on_form
def edit_user(user_id: int):
    user = _get(User, user_id, for_update=request.method == "POST")
    form = _user_form(user, posted=request.method == "POST")
    changed: list[Overtaken] = []
    if form.validate_on_submit() and not (changed := form.saved_meanwhile()) and _attempt(
        form, admin.update_user, user, current_user, form.name.data, form.role.data,
        markets=_by_ids(Market, form.market_ids.data), all_markets=form.all_markets.data,
        executives=_by_ids(Executive, form.executive_ids.data),
    ):
        flash(_("User %(email)s saved.", email=user.email), "success")
        form.tell_merged()
        return _see_other("admin.list_users")
    return _user_page(user, form=form, changed=changed)


@bp.post("/users/<id:user_id>/password")
@roles_required(Role.admin)
@shows_characters_on_form
def set_password(user_id: int):
    user = _get(User, user_id)
    form = PasswordForm()
    if form.validate_on_submit() and _attempt(form, admin.set_user_password, user, form.password.data):
        security.end_all_access(db.session, user)  # whoever knew the old password may have made a token with it
        flash(_("New password set for %(email)s.", email=user.email), "success")
        flash(_("Their sessions are ended, and their API tokens and calendar feed link revoked."), "info")
        return _see_other("admin.edit_user", user_id=user.id)
    return _user_page(user, password_form=form)


@bp.post("/users/<id:user_id>/deactivate")
@roles_required(Role.admin)
def deactivate_user(user_id: int):
    user = _get(User, user_id)
    left = admin.cabinets_left_without(user)
    if _attempt(None, admin.deactivate_user, user, current_user):
        flash(_("%(email)s is deactivated: they can no longer log in.", email=user.email), "success")
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
               changed: Sequence[Overtaken] = ()):
    return _form_page("admin/user.html", user=user, form=_user_form(user) if form is None else form,
                      password_form=PasswordForm(formdata=None) if password_form is None else password_form,
                      changed=changed, deactivation=_user_deactivation_question(user))


def _user_deactivation_question(user: User) -> str:
    """What the "Deactivate" button asks: what ends with the user's access, and the executives whose suggested
    messages nobody could answer then."""
    question = _("Deactivate this user? They can no longer log in: their sessions end at once, and their API tokens "
                 "and calendar feed link stop working until they are reactivated.")
    left = admin.cabinets_left_without(user)
    if not left:
        return question
    return question + " " + ngettext(
        "They are the only active member of the cabinet of %(executives)s: nobody could accept or decline that "
        "executive's suggested messages, and none could be approved.",
        "They are the only active member of the cabinets of %(executives)s: nobody could accept or decline these "
        "executives' suggested messages, and none could be approved.",
        len(left), executives=", ".join(executive.name for executive in left))


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
}
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


def _by_ids(model: type[T], ids: list[int]) -> list[T]:
    id_column = model.__table__.c.id  # every administered model has an integer id
    return list(db.session.scalars(select(model).where(id_column.in_(ids)))) if ids else []


def _count(model: type[Base], *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _markets() -> list[Market]:
    return list(db.session.scalars(select(Market).order_by(Market.code)))


def _executives() -> list[Executive]:
    return list(db.session.scalars(select(Executive).order_by(Executive.name)))


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
