"""Interface language selection, locale formatting, content languages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from brain.models import User
from tests.factories import (
    database,
    fetch,
    log_in,
    make_board,
    make_topic,
    make_user,
    submit,
)

HTML_TAG = re.compile(r'<html lang="([^"]+)" dir="([^"]+)">')


def page_language(response) -> tuple[str, str]:
    return HTML_TAG.search(response.get_data(as_text=True)).groups()


def test_english_by_default(client):
    assert page_language(client.get("/")) == ("en", "ltr")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("de;q=1.0, es;q=0.9, en;q=0.1", "es"),
        ("en;q=0.2, pt-BR;q=0.8", "pt"),
        ("ar-MA", "ar"),
        ("de, ja", "en"),
        ("*", "en"),
        (";;;q=abc,,", "en"),
        ("x" * 5000, "en"),
    ],
)
def test_accept_language_with_q_values(client, header, expected):
    assert page_language(client.get("/", headers={"Accept-Language": header}))[0] == expected


def test_arabic_pages_are_right_to_left(client):
    assert page_language(client.get("/?lang=ar")) == ("ar", "rtl")


def test_lang_parameter_switches_and_is_remembered_in_a_cookie(client):
    assert page_language(client.get("/?lang=es"))[0] == "es"
    assert page_language(client.get("/login"))[0] == "es"
    # An explicit choice wins over the browser's preference.
    assert page_language(client.get("/", headers={"Accept-Language": "fr"}))[0] == "es"


@pytest.mark.parametrize("value", ["zz", "../x", "%00", "", "fr%00", "e" * 300, "ar-<script>", "١"])
def test_garbage_language_values_fall_back_silently(client, value):
    response = client.get(f"/?lang={value}")
    assert response.status_code == 200
    assert page_language(response)[0] == "en"


def test_garbage_language_cookie_falls_back(client):
    client.set_cookie("lang", "../../etc/passwd")
    assert page_language(client.get("/"))[0] == "en"


def test_language_switcher_posts_and_returns_to_the_page(client):
    make_board()
    response = submit(client, "/language", {"lang": "pt", "next": "/b/cooperatives"})
    assert response.status_code == 302 and response.headers["Location"] == "/b/cooperatives"
    assert page_language(client.get("/b/cooperatives"))[0] == "pt"


def test_language_switcher_refuses_to_redirect_elsewhere(client):
    response = submit(client, "/language", {"lang": "pt", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_a_members_choice_is_kept_in_the_profile(client):
    user = make_user()
    log_in(client, user)
    submit(client, "/language", {"lang": "ar", "next": "/"})
    assert fetch(User, user.id).locale == "ar"
    other_browser = client.application.test_client()
    log_in(other_browser, user)
    assert page_language(other_browser.get("/"))[0] == "ar"


def test_settings_save_locale_time_zone_and_reading_languages(client):
    user = make_user()
    log_in(client, user)
    response = submit(
        client,
        "/settings",
        {
            "locale": "fr",
            "timezone": "Africa/Dakar",
            "read_languages": ["fr", "ar"],
        },
    )
    assert response.status_code == 302
    saved = fetch(User, user.id)
    assert (saved.locale, saved.timezone) == ("fr", "Africa/Dakar")
    assert saved.read_languages == ["fr", "ar"]


def test_settings_refuse_unknown_values(client):
    log_in(client, make_user())
    response = submit(
        client,
        "/settings",
        {
            "locale": "xx",
            "timezone": "Mars/Olympus",
            "read_languages": ["tlh"],
        },
    )
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("Not a valid choice") >= 2


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "March 5, 2026"),
        ("fr", "5 mars 2026"),
        ("es", "5 de marzo de 2026"),
        ("pt", "5 de março de 2026"),
        ("ar", "5 مارس 2026"),
    ],
)
def test_dates_are_formatted_for_the_locale(client, locale, expected):
    board = make_board()
    make_topic(board=board, author=make_user(), when=datetime(2026, 3, 5, 14, 30, tzinfo=UTC))
    html = client.get(f"/b/cooperatives?lang={locale}").get_data(as_text=True)
    titles = re.findall(r'<time datetime="2026-03-05T14:30:00\+00:00" title="([^"]+)"', html)
    assert titles and expected in titles[0], titles


@pytest.mark.parametrize("locale", ["en", "fr", "es", "pt", "ar"])
def test_relative_times_are_worded_as_babel_words_them(locale):
    """brain.web.when keeps each wording ("3 minutes ago") instead of asking Babel per date:
    the same words as Babel's format_timedelta, around every unit's edges included."""
    import random
    from datetime import timedelta

    from babel import dates

    from brain.web import _relative, _rounded

    rng = random.Random(14)
    moments = [rng.uniform(-4e8, 4e8) for _ in range(3000)]
    moments += [rng.uniform(-4e5, 4e5) for _ in range(3000)]
    for _unit, per_unit in dates.TIMEDELTA_UNITS:
        for quarter in range(40):
            for shift in (-31, -30, -29, 0, 29, 30, 31):
                moments += [sign * (quarter * per_unit / 4 + shift) for sign in (1, -1)]
    for seconds in [0.0, *moments]:
        expected = dates.format_timedelta(
            timedelta(seconds=seconds), add_direction=True, granularity="minute", locale=locale
        )
        assert _relative(*_rounded(seconds), seconds >= 0, locale) == expected, seconds


@pytest.mark.parametrize("locale", ["en", "fr", "es", "pt", "ar"])
def test_exact_times_are_written_as_babel_writes_them(locale):
    """brain.web keeps the date, the zone's name and the half of the day instead of asking
    Babel for each moment: the same text as Babel's format_datetime(…, "long"), in zones
    with summer time (and one whose summer time changes name, not offset), on the hours
    where a half day or a summer time begins or ends."""
    import random
    from datetime import timedelta

    import pytz
    from babel import dates

    from brain.web import _exact_time

    zones = [
        pytz.utc,
        pytz.timezone("America/Montreal"),
        pytz.timezone("Europe/Paris"),
        pytz.timezone("America/Sao_Paulo"),
        pytz.timezone("Africa/Casablanca"),
        pytz.timezone("Asia/Kathmandu"),
    ]
    rng = random.Random(14)
    start = datetime(2015, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(seconds=rng.randrange(15 * 365 * 86400)) for _ in range(1500)]
    # Around midnight, noon and the summer-time changes of 2026 in Paris and Montreal.
    for edge in ("2026-03-08T06:00", "2026-03-29T00:00", "2026-10-25T00:00", "2026-11-01T05:00"):
        moment = datetime.fromisoformat(edge).replace(tzinfo=UTC)
        moments += [moment + timedelta(minutes=m) for m in range(-90, 91, 15)]
    moments += [datetime(2026, 6, 1, 12, tzinfo=UTC) + timedelta(hours=h) for h in range(25)]
    for moment in moments:
        for zone in zones:
            expected = dates.format_datetime(moment, "long", tzinfo=zone, locale=locale)
            assert _exact_time(moment, locale, zone) == expected, (moment, zone)


def test_guests_see_utc_and_members_their_time_zone(client):
    board = make_board()
    user = make_user()
    make_topic(board=board, author=user, when=datetime(2026, 3, 5, 14, 30, tzinfo=UTC))
    html = client.get("/b/cooperatives").get_data(as_text=True)
    assert re.search(r'title="March 5, 2026, 2:30:00\s?PM UTC"', html)
    with database() as session:
        session.get(User, user.id).timezone = "America/Montreal"
        session.commit()
    log_in(client, user)
    html = client.get("/b/cooperatives").get_data(as_text=True)
    assert re.search(r'title="March 5, 2026, 9:30:00\s?AM EST"', html)


@pytest.fixture
def multilingual_board():
    board = make_board()
    author = make_user(username="author")
    for language, title in [
        ("fr", "Les coopératives de soins"),
        ("es", "Economía social en Puebla"),
        ("ar", "الاقتصاد الاجتماعي والتضامني"),
        ("en", "Public procurement"),
    ]:
        make_topic(board=board, author=author, title=title, language=language)
    return board


def test_lists_can_be_filtered_to_some_languages(client, multilingual_board):
    html = client.get("/b/cooperatives?only=fr&only=es").get_data(as_text=True)
    assert "Les coopératives de soins" in html and "Economía social en Puebla" in html
    assert "Public procurement" not in html and "الاقتصاد" not in html
    home = client.get("/?only=ar").get_data(as_text=True)
    assert "الاقتصاد الاجتماعي والتضامني" in home and "Public procurement" not in home


def test_members_see_their_reading_languages_unless_they_ask_for_all(client, multilingual_board):
    reader = make_user(username="reader")
    with database() as session:
        session.get(User, reader.id).read_languages = ["ar"]
        session.commit()
    log_in(client, reader)
    html = client.get("/b/cooperatives").get_data(as_text=True)
    assert "الاقتصاد الاجتماعي والتضامني" in html and "Public procurement" not in html
    everything = client.get("/b/cooperatives?only=all").get_data(as_text=True)
    assert "Public procurement" in everything


def test_unknown_filter_values_are_ignored(client, multilingual_board):
    html = client.get("/b/cooperatives?only=xx&only=%3Cscript%3E").get_data(as_text=True)
    assert "Public procurement" in html and "Les coopératives de soins" in html


def test_each_topic_and_post_carries_its_language_and_direction(client):
    board = make_board()
    topic = make_topic(
        board=board, author=make_user(), title="Una pregunta", body="Hola", language="es"
    )
    html = client.get(f"/t/{topic.id}-{topic.slug}?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert '<div class="post-body" lang="es" dir="ltr">' in html
    assert '<span class="lang-badge" title="Español" lang="es">ES</span>' in html


def test_an_arabic_post_reads_right_to_left_on_an_english_page(client):
    board = make_board()
    topic = make_topic(board=board, author=make_user(), title="سؤال", body="مرحبا", language="ar")
    html = client.get(f"/t/{topic.id}-{topic.slug}").get_data(as_text=True)
    assert '<div class="post-body" lang="ar" dir="rtl">' in html


def test_the_composer_defaults_to_the_interface_language(client):
    make_board()
    log_in(client, make_user())
    html = client.get("/b/cooperatives/new?lang=pt").get_data(as_text=True)
    assert '<option lang="pt" selected value="pt">Português</option>' in html
    assert 'value="und"' in html


def test_board_names_are_shown_in_the_interface_language(client):
    from brain.models import Board, BoardTranslation

    board = make_board(slug="social-finance", name="Social finance")
    with database() as session:
        session.add(
            BoardTranslation(
                board_id=board.id, locale="fr", name="Finance solidaire", description=""
            )
        )
        session.commit()
    assert "Finance solidaire" in client.get("/?lang=fr").get_data(as_text=True)
    # No Spanish translation: the board's own name.
    assert "Social finance" in client.get("/?lang=es").get_data(as_text=True)
    assert isinstance(Board, type)
