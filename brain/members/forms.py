from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from brain import i18n
from brain.forms import language_choices, no_forbidden_characters


@lru_cache(maxsize=1)
def timezone_choices() -> list[SelectChoice]:
    zones = sorted(zone for zone in available_timezones() if "/" in zone or zone == "UTC")
    return [SelectChoice(zone, zone.replace("_", " ")) for zone in zones]


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SettingsForm(FlaskForm):
    display_name = StringField(
        _l("Display name"),
        validators=[
            DataRequired(_l("This field is required.")),
            Length(max=64),
            no_forbidden_characters,
        ],
    )
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
