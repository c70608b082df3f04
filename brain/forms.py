"""Form pieces shared by several blueprints."""

from __future__ import annotations

import wtforms
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from brain import i18n, markup
from brain.models.forum import TITLE_MAX, TITLE_MIN
from brain.ops.submissions import new_token
from brain.ops.text import clean_text, has_forbidden_characters


def _normalised(value):
    """Text as it will be stored (NFC, plain line ends): lengths and rules are checked on it,
    never on what was typed (one character may become three under normalisation)."""
    return clean_text(value) if isinstance(value, str) else value


class _TextRules:
    """Text fields are normalised before any validator runs, and a one-line field (a name, a
    title, a setting) refuses line breaks: such values end up in page titles and mail
    headers, where a line break does harm."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            if issubclass(unbound_field.field_class, StringField) and not issubclass(
                unbound_field.field_class, PasswordField
            ):
                options = {
                    **options,
                    "filters": (_normalised, *unbound_field.kwargs.get("filters", ())),
                }
            return super().bind_field(form, unbound_field, options)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if _is_one_line(field) and ("\n" in field.data or "\r" in field.data):
                field.errors = [*field.errors, str(_l("Write this on a single line."))]
                valid = False
        return valid


def _is_one_line(field) -> bool:
    return (
        isinstance(field, StringField)
        and not isinstance(field, PasswordField | TextAreaField | HiddenField)
        and isinstance(field.data, str)
    )


class Form(_TextRules, FlaskForm):
    """Every form of the site (with its CSRF token)."""


class SubForm(_TextRules, wtforms.Form):
    """A group of fields inside a Form (a FormField), under the same text rules."""


def no_forbidden_characters(form, field) -> None:
    if field.data and has_forbidden_characters(field.data):
        raise ValidationError(_l("This field contains characters that are not allowed."))


def not_blank(form, field) -> None:
    if not (field.data or "").strip():
        raise ValidationError(_l("This field is required."))


def language_choices() -> list[SelectChoice]:
    """The content languages a writer can pick, each named in itself."""
    choices = [
        SelectChoice(lang.code, lang.name, render_kw={"lang": lang.code})
        for lang in i18n.INTERFACE_LANGUAGES
    ]
    return [*choices, SelectChoice(i18n.OTHER_LANGUAGE, str(_l("Other language")))]


def body_field() -> TextAreaField:
    return TextAreaField(
        _l("Message"),
        validators=[
            not_blank,
            Length(
                max=markup.MAX_BODY_LENGTH,
                message=_l("At most %(max)d characters.", max=markup.MAX_BODY_LENGTH),
            ),
            no_forbidden_characters,
        ],
        description=_l("Markdown: **bold**, _italic_, [link](https://…), > quote, @name."),
    )


def title_field() -> StringField:
    return StringField(
        _l("Title"),
        validators=[
            DataRequired(_l("This field is required.")),
            not_blank,
            Length(
                min=TITLE_MIN,
                max=TITLE_MAX,
                message=_l("Between %(min)d and %(max)d characters.", min=TITLE_MIN, max=TITLE_MAX),
            ),
            no_forbidden_characters,
        ],
    )


def language_field() -> SelectField:
    return SelectField(_l("Language of your text"), choices=language_choices)


class CheckboxesField(SelectMultipleField):
    """Several choices shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def submission_field() -> HiddenField:
    """The one-time token of a form that creates content (brain.ops.submissions)."""
    return HiddenField(default=new_token)


class ConfirmForm(Form):
    """A form with nothing but its CSRF token, for buttons that change something."""
