"""Forms of the administration area.

They check the input's shape, and that a unique value (a market code, an e-mail, a handle, an executive's name) is
still free, so that a duplicate is a message on its field rather than a refused INSERT. The database's unique
constraints stay the last word: the views turn an IntegrityError into the same message. Rules that depend on who acts
or on other rows' state live in ``approval.administration``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from approval.administration import MIN_PASSWORD_LENGTH
from approval.db import db
from approval.models import Account, AccountKind, Executive, Market, Network, User
from approval.workflow.states import Role

#: Codes CLDR knows but that name no language a post is written in.
_NOT_LANGUAGES = frozenset({"mul", "und", "zxx", "mis"})


@cache
def timezone_names() -> list[str]:
    """The IANA time zones this system knows, sorted; read once."""
    return sorted(available_timezones())


@cache
def _language_codes() -> frozenset[str]:
    return frozenset(
        code for code in Locale("en").languages if re.fullmatch(r"[a-z]{2,3}", code) and code not in _NOT_LANGUAGES
    )


def _optional_int(value: Any) -> int | None:
    return int(value) if value not in (None, "", "None") else None


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class CodeListField(StringField):
    """Codes typed as one line, separated by commas or spaces: ``"fr, en"`` <-> ``["fr", "en"]``."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist:
            codes = re.split(r"[\s,;]+", valuelist[0].strip().lower())
            self.data = list(dict.fromkeys(code for code in codes if code))

    def _value(self) -> str:
        return ", ".join(self.data or [])


class CheckboxListField(SelectMultipleField):
    """A multiple choice shown as checkboxes: a select with several values is too easy to empty by one click."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class _ObjectForm(FlaskForm):
    """A form that creates an object (``current`` None) or edits ``current``; the unique checks skip ``current``."""

    def __init__(self, *args: Any, current: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current = current

    def _taken(self, other: Any) -> bool:
        return other is not None and other is not self.current


# Markets -------------------------------------------------------------------------------------------------------


class MarketForm(_ObjectForm):
    code = StringField(
        _l("Code"),
        filters=[lambda v: v.strip().upper() if isinstance(v, str) else v],
        validators=[DataRequired(), Regexp(r"^[A-Z]{2}$", message=_l("Two letters (ISO 3166-1 alpha-2), e.g. FR."))],
    )
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    timezone = StringField(_l("Time zone"), filters=[_strip], validators=[DataRequired(), Length(max=64)])
    languages = CodeListField(_l("Languages"))

    def validate_code(self, field: Field) -> None:
        if self._taken(db.session.scalar(select(Market).where(Market.code == field.data))):
            raise ValidationError(_l("Market %(code)s exists already.", code=field.data))

    def validate_timezone(self, field: Field) -> None:
        try:
            known = field.data in timezone_names() and ZoneInfo(field.data) is not None
        except (ZoneInfoNotFoundError, ValueError):
            known = False
        if not known:
            raise ValidationError(_l("Not an IANA time zone: choose one of the list, e.g. Europe/Paris."))

    def validate_languages(self, field: Field) -> None:
        if not field.data:
            raise ValidationError(_l("Give at least one language code, e.g. fr."))
        unknown = [code for code in field.data if code not in _language_codes()]
        if unknown:
            raise ValidationError(_l("Unknown language code(s): %(codes)s.", codes=", ".join(unknown)))


# Accounts ------------------------------------------------------------------------------------------------------


class AccountForm(_ObjectForm):
    market_id = SelectField(_l("Market"), coerce=int, validators=[InputRequired()])
    network = SelectField(_l("Network"), choices=[SelectChoice(n.value, n.value) for n in Network], validators=[InputRequired()])
    handle = StringField(
        _l("Handle"),
        filters=[lambda v: v.strip().lstrip("@") if isinstance(v, str) else v],
        validators=[DataRequired(), Length(max=120),
                    Regexp(r"^[\w.\-]+$", message=_l("Letters, digits, dots, dashes and underscores only."))],
    )
    brand = StringField(_l("Brand"), filters=[_strip], validators=[Optional(), Length(max=120)])
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(AccountKind.brand.value, _l("Brand account")),
                 SelectChoice(AccountKind.executive.value, _l("Executive account"))],
        default=AccountKind.brand.value,
        validators=[InputRequired()],
    )
    # No Optional(): it would stop the chain before validate_executive_id; the empty choice is a valid one.
    executive_id = SelectField(_l("Executive"), coerce=_optional_int)

    def set_choices(self, markets: list[Market], executives: list[Executive]) -> None:
        self.market_id.choices = [SelectChoice(m.id, f"{m.code} · {m.name}") for m in markets]
        self.executive_id.choices = [SelectChoice("", "—")] + [SelectChoice(e.id, e.name) for e in executives]

    def validate_handle(self, field: Field) -> None:
        if self.network.data not in Network.__members__:
            return
        other = db.session.scalar(
            select(Account).where(Account.network == Network(self.network.data),
                                  func.lower(Account.handle) == field.data.lower())
        )
        if self._taken(other):
            raise ValidationError(_l("%(network)s already has the account @%(handle)s.", network=self.network.data,
                                     handle=other.handle))

    def validate_executive_id(self, field: Field) -> None:
        if self.kind.data == AccountKind.executive and field.data is None:
            raise ValidationError(_l("Choose the executive whose account this is."))

    @property
    def executive_chosen(self) -> int | None:
        """The executive's id when the account is an executive's; a brand account has none, whatever was selected."""
        return self.executive_id.data if self.kind.data == AccountKind.executive else None


# Executives ----------------------------------------------------------------------------------------------------


class ExecutiveForm(_ObjectForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    title = StringField(_l("Title"), filters=[_strip], validators=[Optional(), Length(max=200)])

    def validate_name(self, field: Field) -> None:
        if self._taken(db.session.scalar(select(Executive).where(Executive.name == field.data))):
            raise ValidationError(_l("An executive named %(name)s exists already.", name=field.data))


class CabinetMemberForm(FlaskForm):
    user_id = SelectField(_l("Cabinet member"), coerce=int, validators=[InputRequired()])


# Users ---------------------------------------------------------------------------------------------------------


class UserForm(_ObjectForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=[SelectChoice(r.value, r.value.replace("_", " ")) for r in Role],
                       validators=[InputRequired()])
    all_markets = BooleanField(_l("All markets (group-wide)"))
    market_ids = CheckboxListField(_l("Markets"), coerce=int)
    executive_ids = CheckboxListField(_l("Executives served (cabinet members only)"), coerce=int)

    def set_choices(self, markets: list[Market], executives: list[Executive]) -> None:
        self.market_ids.choices = [SelectChoice(m.id, f"{m.code} · {m.name}") for m in markets]
        self.executive_ids.choices = [SelectChoice(e.id, e.name) for e in executives]

    def validate_market_ids(self, field: Field) -> None:
        writer = self.role.data in (Role.community_manager, Role.project_manager)
        if writer and not field.data and not self.all_markets.data:
            raise ValidationError(_l("Choose at least one market, or all markets."))

    def validate_executive_ids(self, field: Field) -> None:
        if field.data and self.role.data != Role.cabinet:
            raise ValidationError(_l("Only a cabinet member serves executives."))


class NewUserForm(UserForm):
    email = EmailField(_l("E-mail"), filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
                       validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Initial password"),
                             validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024)])

    def validate_email(self, field: Field) -> None:
        if self._taken(db.session.scalar(select(User).where(User.email == field.data))):
            raise ValidationError(_l("A user with this e-mail exists already."))


class PasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024)])


# Campaigns -----------------------------------------------------------------------------------------------------


class CampaignForm(_ObjectForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=200)])
    market_id = SelectField(_l("Market"), coerce=_optional_int)
    hashtag = StringField(
        _l("Hashtag"),
        filters=[lambda v: ("#" + v.strip().lstrip("#")) if isinstance(v, str) and v.strip() else ""],
        validators=[Length(max=100), Regexp(r"^(#\w+)?$", message=_l("One hashtag, e.g. #EURO2028."))],
    )
    description = TextAreaField(_l("Description"), filters=[_strip], validators=[Optional(), Length(max=5000)])

    def set_choices(self, markets: list[Market]) -> None:
        self.market_id.choices = [SelectChoice("", _l("Group-wide (all markets)"))] + [
            SelectChoice(m.id, f"{m.code} · {m.name}") for m in markets
        ]
