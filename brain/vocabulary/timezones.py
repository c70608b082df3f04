"""The time zones a member chooses from, named in the reader's language.

The list is the time-zone database's own list for people, zone.tab: every country's current
zones (one for most countries, one per region for the large ones), under their current names.
The aliases the database keeps only so that old software still works (US/Eastern, Asia/Calcutta,
Europe/Kiev, GB, the fixed offsets Etc/GMT+3...) are not offered; a member who chose one
before sees the zone it stands for (``offered``). zone1970.tab, the database's list of
distinct clocks, was not used: it merges countries (Amsterdam is "Brussels"), so a member
could not find their own.

Each zone is named from CLDR through Babel: the country, and the city when the country has
several zones, with the offset from UTC now, grouped by continent or ocean. The value stored
stays the IANA identifier.
"""

from __future__ import annotations

import importlib.resources
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import get_timezone_location
from flask_babel import force_locale, pgettext
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from brain.vocabulary.members import sort_key

DEFAULT = "UTC"
_UTC_ALIASES = frozenset({"Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "UCT", "Zulu"})
# The regions zone.tab's identifiers start with, named by CLDR (a UN M49 region or Antarctica)
# where it has a name, by us for the oceans' islands.
_REGIONS = {
    "Africa": "002",
    "America": "019",
    "Antarctica": "AQ",
    "Arctic": "150",  # Svalbard: Europe
    "Asia": "142",
    "Atlantic": None,
    "Australia": "009",
    "Europe": "150",
    "Indian": None,
    "Pacific": "009",
}
# Invisible marks that keep "+03:00" one left-to-right unit inside right-to-left text (an
# <option> cannot hold a <bdi>).
_ISOLATE_LTR, _POP_ISOLATE = "\u2066", "\u2069"


@dataclass(frozen=True)
class Zone:
    name: str  # the IANA identifier
    country: str  # ISO 3166 code
    area: str  # the identifier's first part: Africa, America, ...


def _data_file(name: str) -> str | None:
    """A file of the time-zone database, from where zoneinfo reads it (the system's, else
    the tzdata package's); None when neither has it."""
    for folder in zoneinfo.TZPATH:
        path = Path(folder) / name
        if path.is_file():
            return path.read_text(encoding="utf-8")
    try:
        return importlib.resources.files("tzdata").joinpath("zoneinfo", name).read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return None


@lru_cache(maxsize=1)
def zones() -> tuple[Zone, ...]:
    """zone.tab's zones that this machine can load."""
    table = _data_file("zone.tab") or ""
    found = []
    for line in table.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        country, _coordinates, name = line.split("\t")[:3]
        area = name.split("/", 1)[0]
        if area in _REGIONS and _loads(name):
            found.append(Zone(name, country, area))
    return tuple(found)


def _loads(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


@lru_cache(maxsize=1)
def _offered_names() -> frozenset[str]:
    return frozenset([DEFAULT, *(zone.name for zone in zones())])


@lru_cache(maxsize=1)
def _links() -> dict[str, str]:
    """Alias → the zone it links to, from the database's source (tzdata.zi: "L target alias")."""
    links = {}
    for line in (_data_file("tzdata.zi") or "").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "L":
            links[parts[2]] = parts[1]
    return links


def offered(name: str | None) -> str:
    """The choice that stands for a member's stored zone *name*: itself when the list offers
    it, else the zone it is an alias of (US/Eastern → America/New_York, Asia/Calcutta →
    Asia/Kolkata, Etc/UTC → UTC), else itself (``choices`` then keeps it as an extra choice)."""
    if not name:
        return DEFAULT
    offered_names = _offered_names()
    target = name
    for _step in range(4):  # links point at zones, but stay safe from a cycle
        if target in offered_names:
            return target
        if target in _UTC_ALIASES:
            return DEFAULT
        target = _links().get(target)
        if target is None:
            break
    return name


def choices(locale: str, keep: str | None = None) -> list[SelectChoice]:
    """The time zones to choose from, named in *locale*: UTC first, then by region in the
    reader's alphabetical order. *keep*, a zone the list does not offer (a fixed offset chosen
    long ago), is added at the top so that saving other settings does not change it."""
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    listed = list(_choices(locale, hour))
    if keep and keep not in _offered_names() and _loads(keep):
        with force_locale(locale):
            pattern = _label_pattern()
        offset = _offset(zoneinfo.ZoneInfo(keep), hour, Locale.parse(locale))
        listed.insert(1, SelectChoice(keep, pattern % {"place": keep, "offset": offset}))
    return listed


# One list per language and hour: offsets change with summer time, on the hour (or the half
# hour, in a few places: a label may then be half an hour late).
@lru_cache(maxsize=16)
def _choices(locale: str, hour: datetime) -> tuple[SelectChoice, ...]:
    cldr = Locale.parse(locale)
    with force_locale(locale):
        pattern = _label_pattern()
    return (
        SelectChoice(DEFAULT, pattern % {"place": "UTC", "offset": _offset(UTC, hour, cldr)}),
        *(
            SelectChoice(
                name,
                pattern % {"place": place, "offset": _offset(zoneinfo.ZoneInfo(name), hour, cldr)},
                optgroup=region,
            )
            for region, place, name in _places(locale)
        ),
    )


@lru_cache(maxsize=8)
def _places(locale: str) -> tuple[tuple[str, str, str], ...]:
    """(region, place, zone) for every zone, in the reader's alphabetical order: the place is
    the country, with the city when the country has several zones ("Canada (Toronto)")."""
    cldr = Locale.parse(locale)
    zones_per_country: dict[str, int] = {}
    for zone in zones():
        zones_per_country[zone.country] = zones_per_country.get(zone.country, 0) + 1
    with force_locale(locale):
        regions = {area: _region_name(cldr, code, area) for area, code in _REGIONS.items()}
    rows = []
    for zone in zones():
        country = cldr.territories.get(zone.country, zone.country)
        city = ""
        place = country
        if zones_per_country[zone.country] > 1:
            city = get_timezone_location(zone.name, locale=cldr, return_city=True)
            place = cldr.zone_formats["fallback"] % {"0": city, "1": country}
        region = regions[zone.area]
        keys = sort_key(region), sort_key(country), sort_key(city)
        rows.append((keys, region, place, zone.name))
    rows.sort()
    return tuple((region, place, name) for _keys, region, place, name in rows)


def _region_name(cldr: Locale, code: str | None, area: str) -> str:
    if code is not None:
        return cldr.territories.get(code, area)
    if area == "Atlantic":
        return pgettext("time zone region", "Atlantic Ocean")
    return pgettext("time zone region", "Indian Ocean")


def _offset(zone, hour: datetime, cldr: Locale) -> str:
    """The offset from UTC at *hour* in the locale's words: "GMT+05:30", "UTC-03:00"..."""
    minutes = int(hour.astimezone(zone).utcoffset().total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    digits = f"{sign}{hours:02d}:{minutes:02d}"
    if cldr.character_order == "right-to-left":
        digits = f"{_ISOLATE_LTR}{digits}{_POP_ISOLATE}"
    return cldr.zone_formats["gmt"] % digits


def _label_pattern() -> str:
    # TRANSLATORS: a time zone in the settings' list: "Canada (Toronto) — GMT-05:00".
    return _("%(place)s — %(offset)s")
