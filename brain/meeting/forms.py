from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from brain import i18n
from brain.forms import (
    CheckboxesField,
    Form,
    body_field,
    language_field,
    no_forbidden_characters,
    submission_field,
    title_field,
)
from brain.ops.cooperation import MAX_INTEREST, Details
from brain.ops.text import parse_count
from brain.vocabulary import meeting as catalog


def kind_choices() -> list[SelectChoice]:
    return [SelectChoice(kind.value, str(label)) for kind, label in catalog.KIND_LABELS.items()]


def modality_choices() -> list[SelectChoice]:
    return [
        SelectChoice("", str(_l("Choose…"))),
        *(SelectChoice(code, str(label)) for code, label in catalog.MODALITIES.items()),
    ]


def theme_choices() -> list[SelectChoice]:
    return [SelectChoice(code, str(label)) for code, label in catalog.THEMES.items()]


def country_choices() -> list[SelectChoice]:
    return [SelectChoice(code, name) for code, name in catalog.countries().items()]


def sdg_choices() -> list[SelectChoice]:
    return [SelectChoice(str(number), catalog.sdg_label(number)) for number in catalog.SDGS]


def working_language_choices() -> list[SelectChoice]:
    return [
        SelectChoice(lang.code, lang.name, render_kw={"lang": lang.code})
        for lang in i18n.INTERFACE_LANGUAGES
    ]


class DetailsForm(Form):
    """The structured part; the values are checked by brain.ops.cooperation.Details."""

    kind = RadioField(_l("What are you posting?"), choices=kind_choices, validate_choice=False)
    modality = SelectField(
        _l("Form of cooperation"), choices=modality_choices, validate_choice=False
    )
    themes = CheckboxesField(
        _l("Themes"), choices=theme_choices, validate_choice=False,
        description=_l("One to five."),
    )  # fmt: skip
    countries = SelectMultipleField(
        _l("Countries"),
        choices=country_choices,
        validate_choice=False,
        description=_l("Where it happens or is needed. Hold Ctrl (or ⌘) to choose several."),
    )
    sdgs = CheckboxesField(
        _l("Sustainable Development Goals"), choices=sdg_choices, validate_choice=False
    )
    languages = CheckboxesField(
        _l("Working languages"), choices=working_language_choices, validate_choice=False
    )
    starts_on = DateField(_l("From"), validators=[Optional()])
    ends_on = DateField(_l("Until"), validators=[Optional()])
    ongoing = BooleanField(_l("Ongoing, no end date"))

    def details(self) -> Details:
        # Anything but a plain number becomes -1, which Details reports as an unknown goal.
        sdgs = [parse_count(raw, maximum=999) for raw in self.sdgs.data or []]
        sdgs = [-1 if number is None else number for number in sdgs]
        return Details(
            kind=self.kind.data or "",
            modality=self.modality.data or "",
            themes=list(dict.fromkeys(self.themes.data or [])),
            countries=list(dict.fromkeys(self.countries.data or [])),
            sdgs=sorted(set(sdgs)),
            languages=list(dict.fromkeys(self.languages.data or [])),
            starts_on=self.starts_on.data,
            ends_on=self.ends_on.data,
            ongoing=bool(self.ongoing.data),
        )

    def fill(self, cooperation) -> None:
        self.kind.data = cooperation.kind
        self.modality.data = cooperation.modality
        self.themes.data = cooperation.values("theme")
        self.countries.data = cooperation.values("country")
        self.sdgs.data = cooperation.values("sdg")
        self.languages.data = cooperation.values("language")
        self.starts_on.data = cooperation.starts_on
        self.ends_on.data = cooperation.ends_on
        self.ongoing.data = cooperation.ongoing

    def check_details(self) -> Details | None:
        """The details, or None after putting each problem on its field."""
        details = self.details()
        problems = details.problems()
        for name, message in problems.items():
            field = getattr(self, name)
            field.errors = [*field.errors, str(message)]
        return None if problems else details


class CooperationForm(DetailsForm):
    submission = submission_field()
    title = title_field()
    language = language_field()
    body = body_field()
    submit = SubmitField(_l("Publish"))


class StatusForm(Form):
    status = SelectField(_l("New status"), validate_choice=False)
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), no_forbidden_characters])


class InterestForm(Form):
    message = TextAreaField(
        _l("Your message to the author"),
        validators=[no_forbidden_characters],
        description=_l(
            "Who you are, what you can bring or need, and how to continue. At most %(max)d "
            "characters.",
            max=MAX_INTEREST,
        ),
    )
