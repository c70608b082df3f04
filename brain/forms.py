"""Form pieces shared by several blueprints."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from brain import i18n, markup
from brain.ops.text import has_forbidden_characters

TITLE_MIN, TITLE_MAX = 3, 200


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


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change something."""
