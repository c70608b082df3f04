"""The fixed vocabularies of the Meeting Point: kinds, statuses, themes, modalities, SDGs,
regions. Codes are stored; labels are translated; region names come from CLDR (UN M49)."""

from __future__ import annotations

import enum
from functools import lru_cache

from flask_babel import force_locale, get_locale, lazy_pgettext
from flask_babel import lazy_gettext as _l

from brain.vocabulary.members import country_names, territory_name


class Kind(enum.StrEnum):
    OFFER = "offer"
    REQUEST = "request"
    EXPERIENCE = "experience"


class Status(enum.StrEnum):
    OPEN = "open"
    IN_DISCUSSION = "in_discussion"
    MATCHED = "matched"
    COMPLETED = "completed"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


KIND_LABELS = {
    Kind.OFFER: lazy_pgettext("cooperation kind", "Offer"),
    Kind.REQUEST: lazy_pgettext("cooperation kind", "Request"),
    Kind.EXPERIENCE: lazy_pgettext("cooperation kind", "Experience"),
}

STATUS_LABELS = {
    Status.OPEN: lazy_pgettext("cooperation status", "Open"),
    Status.IN_DISCUSSION: lazy_pgettext("cooperation status", "In discussion"),
    Status.MATCHED: lazy_pgettext("cooperation status", "Matched"),
    Status.COMPLETED: lazy_pgettext("cooperation status", "Completed"),
    Status.CLOSED: lazy_pgettext("cooperation status", "Closed"),
    Status.WITHDRAWN: lazy_pgettext("cooperation status", "Withdrawn"),
}

# Which status may follow which. Closing and withdrawing are possible until the end; a
# completed, closed or withdrawn post may be reopened.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.OPEN: frozenset({Status.IN_DISCUSSION, Status.MATCHED, Status.CLOSED, Status.WITHDRAWN}),
    Status.IN_DISCUSSION: frozenset({Status.OPEN, Status.MATCHED, Status.CLOSED, Status.WITHDRAWN}),
    Status.MATCHED: frozenset({Status.IN_DISCUSSION, Status.COMPLETED, Status.CLOSED}),
    Status.COMPLETED: frozenset({Status.OPEN}),
    Status.CLOSED: frozenset({Status.OPEN}),
    Status.WITHDRAWN: frozenset({Status.OPEN}),
}
# Statuses in which a post still looks for partners (suggestions only show these).
LOOKING = frozenset({Status.OPEN, Status.IN_DISCUSSION})

THEMES = {
    "cooperatives": _l("Cooperatives"),
    "social-finance": _l("Social finance and microfinance"),
    "public-policy": _l("Public policy and legal frameworks"),
    "informal-economy": _l("Transition from the informal economy"),
    "rural-development": _l("Rural and agricultural development"),
    "care": _l("Care and social services"),
    "fair-trade": _l("Fair trade and value chains"),
    "social-enterprise": _l("Social enterprises"),
    "local-development": _l("Local economic development"),
    "environment": _l("Waste, recycling and environment"),
    "energy": _l("Renewable energy"),
    "housing": _l("Housing"),
    "culture": _l("Culture and creative industries"),
    "digital": _l("Digital and technology"),
    "gender": _l("Women's economic empowerment"),
    "youth": _l("Youth employment"),
    "migration": _l("Migrants and refugees"),
    "measurement": _l("Statistics and impact measurement"),
}

MODALITIES = {
    "peer-exchange": _l("Peer exchange"),
    "study-visit": _l("Study visit"),
    "training": _l("Training"),
    "expert-deployment": _l("Expert deployment"),
    "technology-transfer": _l("Technology transfer"),
    "partnership": _l("Partnership or network"),
    "resource-mobilisation": _l("Resource mobilisation"),
}

SDGS = {
    1: _l("No poverty"),
    2: _l("Zero hunger"),
    3: _l("Good health and well-being"),
    4: _l("Quality education"),
    5: _l("Gender equality"),
    6: _l("Clean water and sanitation"),
    7: _l("Affordable and clean energy"),
    8: _l("Decent work and economic growth"),
    9: _l("Industry, innovation and infrastructure"),
    10: _l("Reduced inequalities"),
    11: _l("Sustainable cities and communities"),
    12: _l("Responsible consumption and production"),
    13: _l("Climate action"),
    14: _l("Life below water"),
    15: _l("Life on land"),
    16: _l("Peace, justice and strong institutions"),
    17: _l("Partnerships for the goals"),
}

# UN M49 regions (codes CLDR names in every language) and the countries in each.
REGION_COUNTRIES: dict[str, str] = {
    "015": "DZ EG EH LY MA SD TN",
    "202": (
        "AO BF BI BJ BW CD CF CG CI CM CV DJ ER ET GA GH GM GN GQ GW IO KE KM LR LS MG ML MR MU "
        "MW MZ NA NE NG RE RW SC SH SL SN SO SS ST SZ TD TF TG TZ UG YT ZA ZM ZW"
    ),
    "419": (
        "AG AI AR AW BB BL BO BQ BR BS BV BZ CL CO CR CU CW DM DO EC FK GD GF GP GS GT GY HN "
        "HT JM KN KY LC MF MQ MS MX NI PA PE PR PY SR SV SX TC TT UY VC VE VG VI"
    ),
    "021": "BM CA GL PM US",
    "142": (
        "AE AF AM AZ BD BH BN BT CN CY GE HK ID IL IN IQ IR JO JP KG KH KP KR KW KZ LA LB LK MM "
        "MN MO MV MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TR TW UZ VN YE"
    ),
    "150": (
        "AD AL AT AX BA BE BG BY CH CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE LI "
        "LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK"
    ),
    "009": (
        "AS AU CC CK CX FJ FM GU HM KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF WS"
    ),
}
REGION_OF: dict[str, str] = {
    country: region for region, codes in REGION_COUNTRIES.items() for country in codes.split()
}
REGIONS = tuple(REGION_COUNTRIES)


def region_name(code: str) -> str:
    return territory_name(code)


def country_name(code: str) -> str:
    return territory_name(code)


def countries() -> dict[str, str]:
    """Every country the Meeting Point knows, code → name in the reader's language, by name."""
    return {code: name for code, name in country_names().items() if code in REGION_OF}


def regions_of(country_codes: list[str]) -> list[str]:
    return sorted({REGION_OF[code] for code in country_codes if code in REGION_OF})


def sdg_label(number: int | str) -> str:
    label = SDGS.get(int(number))
    return str(_l("SDG %(number)d: %(name)s", number=int(number), name=label)) if label else ""


# The labels of the code-defined vocabularies, by facet (SDGs are numbered: sdg_label).
VOCABULARIES = {
    "kind": KIND_LABELS,
    "status": STATUS_LABELS,
    "theme": THEMES,
    "modality": MODALITIES,
    "sdg": SDGS,
}


def labels(facet: str) -> dict[str, str]:
    """Code → label in the reader's language for one of VOCABULARIES (see labels_in)."""
    return labels_in(str(get_locale() or "en"), facet)


@lru_cache(maxsize=64)
def labels_in(locale: str, facet: str) -> dict[str, str]:
    """Code → label in *locale*. The catalogs do not change while the process runs, so each
    language's labels are worked out once (a listing with 300 filter values would otherwise
    translate each one at every request)."""
    with force_locale(locale):
        if facet == "sdg":
            return {str(number): sdg_label(number) for number in SDGS}
        return {str(code): str(label) for code, label in VOCABULARIES[facet].items()}
