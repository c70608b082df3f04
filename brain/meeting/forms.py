from __future__ import annotations

import unicodedata
from dataclasses import dataclass

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


def collation_key(name: str) -> str:
    """Names in alphabetical order the way a reader of most of our languages expects it:
    case and accents ignored, so "Égypte" comes between "Algérie" and "Libye", and Arabic
    letters with a hamza sort with their bare letter (Unicode orders the Arabic letters
    alphabetically). Close enough to each locale's CLDR collation for lists of names,
    without a dependency on ICU."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@dataclass
class CountryChoice:
    code: str
    name: str
    checked: bool


@dataclass
class CountryGroup:
    region: str
    name: str
    countries: list[CountryChoice]

    @property
    def checked(self) -> int:
        return sum(country.checked for country in self.countries)


class CountriesField(SelectMultipleField):
    """Countries as checkboxes grouped by region (the template draws them: a list of 250
    names in one Ctrl-click box is more than a person can use)."""

    def groups(self) -> list[CountryGroup]:
        """Each region with its countries, both in the reader's language and alphabetical
        order; the ticked ones are marked."""
        chosen = set(self.data or [])
        by_region: dict[str, list[CountryChoice]] = {region: [] for region in catalog.REGIONS}
        names = catalog.countries()
        for code, name in sorted(names.items(), key=lambda item: collation_key(item[1])):
            by_region[catalog.REGION_OF[code]].append(CountryChoice(code, name, code in chosen))
        groups = [
            CountryGroup(region, catalog.region_name(region), countries)
            for region, countries in by_region.items()
        ]
        return sorted(groups, key=lambda group: collation_key(group.name))

    def chosen(self) -> list[CountryChoice]:
        """The ticked countries that exist, alphabetically (what the summary shows)."""
        ticked = [
            country for group in self.groups() for country in group.countries if country.checked
        ]
        return sorted(ticked, key=lambda country: collation_key(country.name))


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
    countries = CountriesField(
        _l("Countries"),
        choices=country_choices,
        validate_choice=False,
        description=_l("Where it happens or is needed: open a region and tick its countries."),
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
    preview = SubmitField(_l("Preview"))


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
