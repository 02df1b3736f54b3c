"""Forms of the administration area.

They check the input's shape (present, short enough, one of the choices). The rules (a market's languages, a
handle without markup, who needs a market, a password's length, a duplicate) live in ``approval.administration``,
once for the forms, the command line and the API: its use cases raise ``Refused`` with the field errors, which the
views show on the fields.

A message that quotes what a person typed is translated when the form is read (``gettext``), never lazily: a lazy
string passes for markup in a template (it has ``__html__``), and "<img src=x>" in it would be an element.
"""

from __future__ import annotations

import re
from typing import Any, Self

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from approval.forms import PageForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from approval.administration import MAX_PASSWORD_LENGTH
from approval.filters import campaign_zone
from approval.forms import AtMost, LocalTimeField
from approval.forms.characters import ShowsControlCharacters
from approval.forms.conflicts import EditsSeenValues, Overtaken
from approval.labels import LABELS
from approval.models import AccountKind, Executive, Market, Network, PolicyVersion
from approval.style.network import NAMES
from approval.style.rules import RULES, Rule
from approval.style.text import fold
from approval.workflow.states import Role

def _optional_int(value: Any) -> int | None:
    return int(value) if value not in (None, "", "None") else None


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _lines(value: str | None) -> str | None:
    """A text area's line breaks as one character each, as its ``maxlength`` counts them: a browser sends each as
    CRLF, and 4,999 characters typed with nine line breaks were refused as 5,008."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class CodeListField(StringField):
    """Codes typed as one line, separated by commas or spaces: ``"fr, en"`` <-> ``["fr", "en"]``."""

    def process_formdata(self, valuelist: list[str]) -> None:
        # No field in the form at all is no code, as an empty one is: a list, never None, for the rules to read.
        codes = re.split(r"[\s,;]+", valuelist[0].strip().lower()) if valuelist else []
        self.data = list(dict.fromkeys(code for code in codes if code))

    def _value(self) -> str:
        return ", ".join(self.data or [])


def _not_a_choice() -> str:
    return _("Not a valid choice.")


class _SaysNotAChoice(Field):
    """A choice field whose value, when it is none of its choices (a tampered form), says "Not a valid choice.",
    however it is wrong (WTForms says "could not coerce" of one that is no number, or quotes it back), in this
    application's words. Mixed in before the WTForms field it words."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_not_a_choice()) from None

    def pre_validate(self, form: Any) -> None:
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(_not_a_choice()) from None


class ChoiceField(_SaysNotAChoice, SelectField):
    """A select that says "Not a valid choice." of a value none of its choices."""


class RadioChoiceField(_SaysNotAChoice, RadioField):
    """Radio buttons that say "Not a valid choice." of a value none of their choices."""


class CheckboxListField(_SaysNotAChoice, SelectMultipleField):
    """A multiple choice shown as checkboxes: a select with several values is too easy to empty by one click."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class _ObjectForm(EditsSeenValues):
    """A form that creates an object (``current`` None) or edits ``current``; an edit is compared with what was
    saved meanwhile (``approval.forms.conflicts``), and one that does not say what it showed with nothing."""

    unseen_is_conflict = True

    def __init__(self, *args: Any, current: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current = current

    @classmethod
    def filled_from(cls, current: Any) -> Self:
        """The form showing ``current`` as saved."""
        return cls(formdata=None, obj=current, current=current)

    def saved_meanwhile(self) -> list[Overtaken]:
        """The fields another person saved since this form was opened that this one changed too, to other values
        (nothing for a new object); those only they changed now hold their values (``merged``)."""
        return self.overtaken(self.filled_from(self.current)) if self.current is not None else []


# Markets -------------------------------------------------------------------------------------------------------


class MarketForm(_ObjectForm):
    code = StringField(
        _l("Code"),
        filters=[lambda v: v.strip().upper() if isinstance(v, str) else v],
        validators=[DataRequired()],
    )
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), AtMost(120)])
    timezone = StringField(_l("Time zone"), filters=[_strip], validators=[DataRequired(), AtMost(64)])
    languages = CodeListField(_l("Languages"))


# Accounts ------------------------------------------------------------------------------------------------------


class AccountForm(_ObjectForm):
    market_id = ChoiceField(_l("Market"), coerce=int, validators=[InputRequired()])
    network = ChoiceField(_l("Network"), choices=[SelectChoice(n.value, NAMES[n.value]) for n in Network],
                          validators=[InputRequired()])
    handle = StringField(
        _l("Handle"),
        filters=[lambda v: v.strip().lstrip("@") if isinstance(v, str) else v],
        validators=[DataRequired(), AtMost(120)],
    )
    brand = StringField(_l("Brand"), filters=[_strip], validators=[Optional(), AtMost(120)])
    kind = ChoiceField(
        _l("Kind"),
        choices=[SelectChoice(AccountKind.brand.value, _l("Brand account")),
                 SelectChoice(AccountKind.executive.value, _l("Executive account"))],
        default=AccountKind.brand.value,
        validators=[InputRequired()],
    )
    # No Optional(): it would stop the chain before validate_executive_id; the empty choice is a valid one.
    executive_id = ChoiceField(_l("Executive"), coerce=_optional_int)

    def set_choices(self, markets: list[Market], executives: list[Executive]) -> None:
        self.market_id.choices = [SelectChoice(m.id, f"{m.code} · {m.name}") for m in markets]
        self.executive_id.choices = [SelectChoice("", "—")] + [SelectChoice(e.id, e.name) for e in executives]

    def validate_executive_id(self, field: Field) -> None:
        if self.kind.data == AccountKind.executive and field.data is None:
            raise ValidationError(_l("Choose the executive whose account this is."))

    @property
    def executive_chosen(self) -> int | None:
        """The executive's id when the account is an executive's; a brand account has none, whatever was selected."""
        return self.executive_id.data if self.kind.data == AccountKind.executive else None


#: The "Publishes through" choice of a new account that connects it to nothing (the publishing settings do later).
NOT_CONNECTED = "none"


class NewAccountForm(AccountForm):
    """A new account, and how it publishes from the start: the outbox, a webhook (its address and signing secret,
    checked as the publishing settings check them: ``approval.publishing.controls.connect_account``), or nothing
    yet. The choice starts empty unless the accounts connected so far all agree (``approval.views.admin``): a person
    chooses, as a default could mark posts published into an outbox nobody reads. A form sent without the field at
    all (the form before it had one) creates the account connected to nothing, as it did."""

    connector = ChoiceField(_l("Publishes through"), choices=[
        SelectChoice("", _l("Choose…")),
        SelectChoice("outbox", _l("the outbox (another tool publishes)")),
        SelectChoice("webhook", _l("a webhook")),
        SelectChoice(NOT_CONNECTED, _l("not connected yet")),
    ], default="")
    url = StringField(_l("Webhook address"), filters=[_strip], validators=[Optional(), AtMost(2000)])
    secret = PasswordField(_l("Signing secret"), validators=[Optional(), AtMost(200)])

    def validate_connector(self, field: Field) -> None:
        if field.raw_data and not field.data:
            raise ValidationError(_l("Choose how it publishes: the outbox, a webhook, or not connected yet."))

    @property
    def connector_chosen(self) -> str | None:
        """``outbox``, ``webhook``, or None: connected to nothing yet."""
        return self.connector.data if self.connector.data in ("outbox", "webhook") else None


# Executives ----------------------------------------------------------------------------------------------------


class ExecutiveForm(_ObjectForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), AtMost(120)])
    title = StringField(_l("Title"), filters=[_strip], validators=[Optional(), AtMost(200)])


class CabinetMemberForm(PageForm):
    user_id = ChoiceField(_l("Cabinet member"), coerce=int, validators=[InputRequired()])


# Users ---------------------------------------------------------------------------------------------------------


class UserForm(_ObjectForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), AtMost(120)])
    role = ChoiceField(_l("Role"), choices=[SelectChoice(r.value, LABELS[r]) for r in Role],
                       validators=[InputRequired()])
    all_markets = BooleanField(_l("All markets (group-wide)"))
    market_ids = CheckboxListField(_l("Markets"), coerce=int)
    executive_ids = CheckboxListField(_l("Executives served (cabinet members only)"), coerce=int)

    @classmethod
    def filled_from(cls, current: Any) -> Self:
        return cls(formdata=None, current=current, data={
            "name": current.name, "role": current.role.value, "all_markets": current.all_markets,
            "market_ids": [m.id for m in current.markets], "executive_ids": [e.id for e in current.executives],
        })

    def set_choices(self, markets: list[Market], executives: list[Executive]) -> None:
        self.market_ids.choices = [SelectChoice(m.id, f"{m.code} · {m.name}") for m in markets]
        self.executive_ids.choices = [SelectChoice(e.id, e.name) for e in executives]


#: How a new user gets in: an invitation (a link to choose their password, mailed, or given to the admin when e-mail
#: is off), or a first password the admin types.
INVITE, FIRST_PASSWORD = "invite", "password"


class NewUserForm(UserForm):
    email = EmailField(_l("E-mail"), filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
                       validators=[DataRequired(), AtMost(254)])
    # A form sent without it (a script written before invitations) chose a first password, as it always did.
    how = RadioChoiceField(_l("How they get in"), default=FIRST_PASSWORD)
    password = PasswordField(_l("Initial password"), validators=[AtMost(MAX_PASSWORD_LENGTH)])

    def offer(self, *, mail_on: bool) -> NewUserForm:
        """The choices of ``how``, said as they happen here: mailed, or a link to pass on when e-mail is off."""
        self.how.choices = [
            SelectChoice(INVITE, _l("Send an invitation by e-mail") if mail_on else
                         _l("Create an invitation link to pass on (e-mail is not set up here)")),
            SelectChoice(FIRST_PASSWORD, _l("Choose a first password")),
        ]
        return self

    @property
    def inviting(self) -> bool:
        return self.how.data == INVITE

    def validate_password(self, field: Field) -> None:
        """Required when the admin chooses it; an invitation has none (what was typed is ignored)."""
        if self.inviting:
            field.errors[:] = []
            raise StopValidation()
        if not field.data:
            raise StopValidation(field.gettext("This field is required."))


class PasswordForm(ShowsControlCharacters):
    password = PasswordField(_l("New password"), validators=[DataRequired(), AtMost(MAX_PASSWORD_LENGTH)])


# Campaigns -----------------------------------------------------------------------------------------------------


class CampaignForm(_ObjectForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), AtMost(200)])
    market_id = ChoiceField(_l("Market"), coerce=_optional_int)
    hashtag = StringField(
        _l("Hashtag"),
        filters=[lambda v: ("#" + v.strip().lstrip("#")) if isinstance(v, str) and v.strip() else ""],
        validators=[AtMost(100)],
    )
    description = TextAreaField(_l("Description"), filters=[_strip, _lines], validators=[Optional(), AtMost(5000)])
    disclosure_required = BooleanField(_l("Partnership: its posts must carry a disclosure (#ad, #partenariat…)"))
    #: In the campaign's zone (``approval.filters.campaign_zone``); empty: no embargo.
    embargo_until = LocalTimeField(_l("Embargo until"), validators=[Optional()])

    @classmethod
    def filled_from(cls, current: Any) -> Self:
        form = cls(formdata=None, obj=current, current=current)
        until = current.embargo_until
        form.embargo_until.data = until.astimezone(campaign_zone(current)).replace(tzinfo=None) if until else None
        return form

    def set_choices(self, markets: list[Market], *, group_wide: bool = True) -> None:
        """``markets``: those the campaign may belong to; ``group_wide``: whether it may belong to every market."""
        self.market_id.choices = ([SelectChoice("", _l("Group-wide (all markets)"))] if group_wide else []) + [
            SelectChoice(m.id, f"{m.code} · {m.name}") for m in markets
        ]


# Editorial policy ----------------------------------------------------------------------------------------------

#: The longest term, reason or replacement an editorial list takes.
MAX_TERM = 200
MAX_REASON = 500
#: How many entries one list may hold: the gate compiles a list into one expression.
MAX_TERMS = 1000


#: Each part of an editorial list's line, as its errors name it to the reader ("phrase | reason | instead").
COLUMN_NAMES = {
    "phrase": lazy_pgettext("a part of an editorial list's line", "phrase"),
    "reason": lazy_pgettext("a part of an editorial list's line", "reason"),
    "instead": lazy_pgettext("a part of an editorial list's line", "instead"),
}


def _term_key(phrase: str) -> str:
    """Two phrases the gate cannot tell apart (case, accents, spacing) are the same entry."""
    return " ".join(fold(phrase).split())


#: A term and its reason separated by another mark than "|": a colon, a dash, a semicolon, an equals sign or a tab.
_OTHER_MARK = re.compile(r"(?P<term>[^:;=\t]*?\w[^:;=\t]*?)\s*(?::|;|=|\t|\s[-–—]\s)\s*(?P<reason>\S.*)")


class TermListField(TextAreaField):
    """Terms typed one per line, their parts separated by "|": ``phrase | reason`` or ``phrase | reason | instead``.

    ``data`` is the list of dicts ``approval.policies.save_policy`` takes. A line it cannot read is an error naming
    the line; what was typed stays in the textarea."""

    def __init__(self, label: Any = None, validators: Any = None, *, columns: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.columns = columns
        self.line_errors: list[str] = []
        self.typed: str | None = None

    @property
    def line_format(self) -> str:
        """The parts of a line in the reader's language; ``columns`` are the keys of the terms' dicts."""
        return " | ".join(str(COLUMN_NAMES.get(column, column)) for column in self.columns)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data, self.line_errors = [], []
        if not valuelist:
            return
        self.typed = valuelist[0]
        lines = [(n, line) for n, line in enumerate(self.typed.splitlines(), 1) if line.strip()]
        if len(lines) > MAX_TERMS:
            self.line_errors.append(_("At most %(n)s terms.", n=format_decimal(MAX_TERMS)))
            return
        seen: dict[str, int] = {}
        for number, line in lines:
            term, error = self._read(number, line)
            if error is not None:
                self.line_errors.append(error)
                continue
            key = _term_key(term["phrase"])
            if key in seen:
                self.line_errors.append(_("Line %(n)s: “%(phrase)s” is listed already, on line %(first)s.",
                                          n=number, phrase=term["phrase"], first=seen[key]))
                continue
            seen[key] = number
            self.data.append(term)

    def _read(self, number: int, line: str) -> tuple[dict[str, str], str | None]:
        parts = [part.strip() for part in line.split("|")]
        if len(parts) > len(self.columns):
            return {}, _("Line %(n)s: at most %(k)s parts separated by “|” (%(format)s).", n=number,
                         k=len(self.columns), format=self.line_format)
        phrase, reason = parts[0], parts[1] if len(parts) > 1 else ""
        if not phrase:
            return {}, _("Line %(n)s: the term is missing before the “|”.", n=number)
        if not reason:
            # "grève: A labour dispute…": the reason was typed after another mark; say where it goes, with the line
            # as it should read.
            if len(parts) == 1 and (typed := _OTHER_MARK.fullmatch(phrase)):
                return {}, _("Line %(n)s: write the reason after a “|”, e.g. %(example)s", n=number,
                             example=f"{typed['term']} | {typed['reason']}")
            return {}, _("Line %(n)s: give the reason after a “|” (%(format)s).", n=number, format=self.line_format)
        if len(phrase) > MAX_TERM or len(reason) > MAX_REASON or any(len(p) > MAX_TERM for p in parts[2:]):
            return {}, _("Line %(n)s: a term and its replacement take at most %(term)s characters, a reason "
                         "%(reason)s.", n=number, term=format_decimal(MAX_TERM), reason=format_decimal(MAX_REASON))
        if any("*" in word.rstrip("*") or word == "*" for word in phrase.split()):
            return {}, _("Line %(n)s: “*” goes only at the end of a word (concurren*).", n=number)
        if not re.search(r"\w", phrase):
            return {}, _("Line %(n)s: the term has no letters.", n=number)
        term = dict(zip(self.columns, parts, strict=False))
        return {key: value for key, value in term.items() if value}, None

    def pre_validate(self, form: Any) -> None:
        self.errors.extend(error for error in dict.fromkeys(self.line_errors) if error not in self.errors)

    def _value(self) -> str:
        if self.typed is not None:
            return self.typed
        return "\n".join(" | ".join(term.get(c, "") for c in self.columns).rstrip(" |") for term in self.data or [])

    @property
    def keys(self) -> set[str]:
        return {_term_key(term["phrase"]) for term in self.data or []}


class WordListField(TextAreaField):
    """Entries typed one per line or separated by commas (and spaces, with ``spaces=True``); ``data`` is the list,
    without repeats."""

    def __init__(self, label: Any = None, validators: Any = None, *, spaces: bool = False, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.separators = re.compile(r"[\s,;]+" if spaces else r"[\n,;]+")

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = []
        if valuelist:
            words = (" ".join(w.split()) for w in self.separators.split(valuelist[0]))
            self.data = list(dict.fromkeys(w for w in words if w))

    def _value(self) -> str:
        return "\n".join(self.data or [])


def rule_field_name(rule_id: str) -> str:
    return "rule_" + re.sub(r"\W", "_", rule_id)


#: The choice that keeps a rule's default severity (nothing stored).
DEFAULT_SETTING = "default"


class PolicyForm(ShowsControlCharacters):
    """A market's editorial policy: each rule's setting and the lists of ``approval.models.PolicyVersion``.

    A select per rule of ``approval.style.rules.RULES`` is added below the class."""

    #: The version the admin started from (0: the defaults): saving over a newer one is a conflict.
    based_on = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
    forbidden = TermListField(_l("Forbidden terms"), columns=("phrase", "reason", "instead"))
    sensitive = TermListField(_l("Sensitive terms"), columns=("phrase", "reason"))
    capital_exceptions = WordListField(_l("Names that start with a small letter"))
    disclosures = WordListField(_l("Disclosure tags of partnership posts"), spaces=True)
    strict_full_stop = BooleanField(_l("Strict full stop: a sentence ends with “.”, never “!”, “?” or “…”"))
    note = StringField(_l("What changed"), filters=[_strip], validators=[Optional(), AtMost(500)])

    @classmethod
    def for_version(cls, version: PolicyVersion | None) -> PolicyForm:
        """The form filled with ``version`` (None: the defaults), ready to be edited."""
        data: dict[str, Any] = {"based_on": version.number if version else 0}
        if version is not None:
            data.update(forbidden=version.forbidden, sensitive=version.sensitive,
                        capital_exceptions=version.capital_exceptions, disclosures=version.disclosures,
                        strict_full_stop=version.strict_full_stop)
            for rule_id, setting in (version.rules or {}).items():
                data[rule_field_name(rule_id)] = setting
        return cls(formdata=None, data=data)

    def rule_fields(self) -> list[tuple[Rule, SelectField]]:
        return [(rule, self[rule_field_name(rule.id)]) for rule in RULES]

    def rule_settings(self) -> dict[str, str]:
        return {rule.id: field.data for rule, field in self.rule_fields() if field.data != DEFAULT_SETTING}

    def validate_sensitive(self, field: Field) -> None:
        both = sorted(field.keys & self.forbidden.keys)
        if both:
            raise ValidationError(_("Listed as forbidden too: %(terms)s. A term is either forbidden or sensitive.",
                                    terms=", ".join(both)))

    def validate_capital_exceptions(self, field: Field) -> None:
        if len(field.data) > MAX_TERMS or any(len(w) > 60 for w in field.data):
            raise ValidationError(_("At most %(n)s names of at most 60 characters.", n=format_decimal(MAX_TERMS)))
        # The gate compares the first word of a sentence with the list: a name of several words would never match.
        several = [w for w in field.data if len(w.split()) > 1]
        if several:
            raise ValidationError(_("One word a name (the gate compares a sentence's first word): %(names)s.",
                                    names=", ".join(several)))
        capital = [w for w in field.data if not w[:1].islower()]
        if capital:
            raise ValidationError(_("These already start with a capital letter: %(words)s.",
                                    words=", ".join(capital)))

    def validate_disclosures(self, field: Field) -> None:
        if len(field.data) > MAX_TERMS:
            raise ValidationError(_("At most %(n)s tags.", n=format_decimal(MAX_TERMS)))
        bad = [tag for tag in field.data if not re.fullmatch(r"#\w{1,60}", tag)]
        if bad:
            raise ValidationError(_("Hashtags only, e.g. #ad #partenariat: %(tags)s.", tags=" ".join(bad)))


def _rule_choices(rule: Rule) -> list[SelectChoice]:
    # Built once, at import: the severity's word stays lazy, read in the language of each page that shows it.
    return [SelectChoice(DEFAULT_SETTING, _l("default (%(severity)s)", severity=LABELS[rule.severity])),
            SelectChoice("off", _l("off")), SelectChoice("warning", _l("warning")), SelectChoice("error", _l("error"))]


for _rule in RULES:
    setattr(PolicyForm, rule_field_name(_rule.id),
            ChoiceField(_rule.id, choices=_rule_choices(_rule), default=DEFAULT_SETTING))
