from __future__ import annotations

from babel import Locale
from flask_babel import lazy_gettext as _l
from approval.forms import AtMost, PageForm
from wtforms import HiddenField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, NumberRange

from approval.inputs import MAX_ID


class TokenForm(PageForm):
    name = StringField(_l("Name"), filters=[lambda v: v.strip() if isinstance(v, str) else v],
                       validators=[DataRequired(), AtMost(100)])


class RevokeTokenForm(PageForm):
    token_id = IntegerField(widget=HiddenField.widget, validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])


class PasswordChangeForm(PageForm):
    """A new password, chosen by its owner: the current one proves it is them (a session left open is not enough)."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), AtMost(1024)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), AtMost(1024)])
    confirm_password = PasswordField(
        _l("New password, again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two new passwords differ."))],
    )


class LanguageForm(PageForm):
    """The language of the user's pages and mails: theirs once chosen; "" (automatic) leaves the pages to their
    browser and the mails to their market's language (``approval.notifications.mailer.mail_locale``)."""

    language = SelectField(_l("Language of the pages and your e-mails"), default="")

    def offer(self, languages: list[str]) -> LanguageForm:
        """The choices: automatic, then each of the app's ``languages`` named in itself ("Français"), marked as
        written in it (a screen reader says it in its own accent)."""
        self.language.choices = [("", _l("Browser’s language (automatic)"), {})] + [
            (code, language_name(code), {"lang": code}) for code in languages]
        return self


def language_name(code: str) -> str:
    """A language's name in itself, as a language menu writes it: "English", "Français"."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]
