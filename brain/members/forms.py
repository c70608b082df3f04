from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from brain import i18n
from brain.auth.forms import confirm_field, new_password_field
from brain.forms import CheckboxesField, Form, language_choices, no_forbidden_characters
from brain.ops.accounts import BIO_MAX, EXPERTISE_MAX, MAX_PASSWORD
from brain.vocabulary import mail as mail_words
from brain.vocabulary import members as catalog
from brain.vocabulary import timezones


def timezone_choices() -> list[SelectChoice]:
    """Current zones named in the reader's language (brain.vocabulary.timezones); a zone the
    member chose before that the list no longer offers stays a choice for them."""
    keep = current_user.timezone if current_user.is_authenticated else None
    return timezones.choices(str(get_locale() or "en"), keep=keep)


class SettingsForm(Form):
    locale = SelectField(
        _l("Interface language"),
        choices=[
            SelectChoice(lang.code, lang.name, render_kw={"lang": lang.code})
            for lang in i18n.INTERFACE_LANGUAGES
        ],
    )
    timezone = SelectField(
        _l("Time zone"),
        choices=timezone_choices,
        description=_l("Dates and times are shown in this time zone."),
    )
    read_languages = CheckboxesField(
        _l("Languages you read"),
        choices=language_choices,
        description=_l(
            "Topic lists show only these languages. Leave all unticked to see every language."
        ),
    )


def frequency_choices() -> list[SelectChoice]:
    return [SelectChoice(f.value, str(label)) for f, label in mail_words.FREQUENCY_LABELS.items()]


class MailSettingsForm(Form):
    """For each kind of notification: mail it immediately, in a daily or weekly digest, or
    never. One select per kind, named by the kind (brain.vocabulary.mail lists them)."""

    @staticmethod
    def kinds() -> list:
        return list(mail_words.KIND_LABELS)

    def by_kind(self) -> list:
        return [self[kind.value] for kind in self.kinds()]


for _kind, _label in mail_words.KIND_LABELS.items():
    setattr(MailSettingsForm, _kind.value, SelectField(_label, choices=frequency_choices))


def country_choices() -> list[SelectChoice]:
    return [
        SelectChoice("", str(_l("Not given"))),
        *(SelectChoice(code, name) for code, name in catalog.country_names().items()),
    ]


def spoken_language_choices() -> list[SelectChoice]:
    return [SelectChoice(code, name) for code, name in catalog.language_names().items()]


def edition_choices() -> list[SelectChoice]:
    return [SelectChoice(edition.code, str(edition.label)) for edition in catalog.EDITIONS]


class ProfileForm(Form):
    display_name = StringField(
        _l("Display name"),
        validators=[
            DataRequired(_l("This field is required.")),
            Length(max=64),
            no_forbidden_characters,
        ],
    )
    country = SelectField(_l("Country"), choices=country_choices, validate_choice=True)
    organisation = StringField(
        _l("Organisation"), validators=[Optional(), Length(max=120), no_forbidden_characters]
    )
    spoken_languages = CheckboxesField(_l("Languages you speak"), choices=spoken_language_choices)
    editions = CheckboxesField(_l("Academy editions you attended"), choices=edition_choices)
    expertise = StringField(
        _l("Areas of expertise"),
        validators=[Optional(), Length(max=EXPERTISE_MAX), no_forbidden_characters],
        description=_l("Separated by commas, for example: social finance, housing cooperatives"),
    )
    bio = TextAreaField(
        _l("About you"),
        validators=[
            Optional(),
            Length(max=BIO_MAX, message=_l("At most %(max)d characters.", max=BIO_MAX)),
            no_forbidden_characters,
        ],
        description=_l(
            "A few lines in Markdown: your work, what you can share, what you look for."
        ),
    )


class PasswordForm(Form):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("This field is required.")), Length(max=MAX_PASSWORD)],
    )
    password = new_password_field(_l("New password"))
    confirm = confirm_field()


class DeleteAccountForm(Form):
    password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("This field is required.")), Length(max=MAX_PASSWORD)],
    )
    confirm = BooleanField(
        _l("I understand that my account will be deleted, and that this cannot be undone."),
        validators=[InputRequired(_l("Tick the box to confirm."))],
    )
