"""The rough edges of issue 13 that a new member meets: time zones named in their language,
boards and moderation words translated, lists joined the reader's way, right-to-left terms that
keep their place, a report queue that does not hide by default, search forms with names."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import lxml.html
import pytest
from markupsafe import Markup
from sqlalchemy import select

from brain.i18n import list_of
from brain.models import Board, BoardModerator, BoardTranslation, Post, Report, Role, User
from brain.ops import admin as admin_ops
from brain.ops import moderation as moderation_ops
from brain.vocabulary import timezones
from tests.factories import (
    database,
    fetch,
    log_in,
    make_board,
    make_reply,
    make_topic,
    make_user,
    opening_post,
    submit,
)


def _page(client, url: str) -> lxml.html.HtmlElement:
    response = client.get(url)
    assert response.status_code == 200, url
    return lxml.html.fromstring(response.get_data(as_text=True))


def _text(element) -> str:
    return " ".join(element.text_content().split())


def _set_time_zone(user: User, zone: str) -> None:
    with database() as session:
        session.get(User, user.id).timezone = zone
        session.commit()


# --- 1. time zones ------------------------------------------------------------------------


def _zone_options(client, lang: str = "en") -> dict[str, lxml.html.HtmlElement]:
    page = _page(client, f"/settings?lang={lang}")
    return {
        option.get("value"): option for option in page.xpath("//select[@id='timezone']//option")
    }


def _group(option) -> str | None:
    parent = option.getparent()
    return parent.get("label") if parent.tag == "optgroup" else None


def test_time_zones_are_named_in_french_grouped_by_region_with_their_offset(client):
    log_in(client, make_user())
    options = _zone_options(client, "fr")
    new_york = options["America/New_York"]
    assert _text(new_york).startswith("États-Unis (New York) — UTC-0")
    assert _group(new_york) == "Amériques"
    amsterdam = options["Europe/Amsterdam"]
    assert _text(amsterdam).startswith("Pays-Bas — UTC+0") and _group(amsterdam) == "Europe"
    assert _text(options["Asia/Kolkata"]) == "Inde — UTC+05:30"  # no summer time there


def test_time_zones_are_named_in_arabic_with_the_offset_kept_left_to_right(client):
    log_in(client, make_user())
    riyadh = _text(_zone_options(client, "ar")["Asia/Riyadh"])
    assert riyadh == "المملكة العربية السعودية — غرينتش\u2066+03:00\u2069"


def test_within_a_region_zones_follow_the_readers_alphabet(client):
    """Accented names sort with their letter (É with E), not after Z."""
    log_in(client, make_user())
    options = _zone_options(client, "fr")
    americas = [_text(o) for o in options.values() if _group(o) == "Amériques"]
    places = [label.split(" — ")[0] for label in americas]
    salvador, ecuador = places.index("Salvador"), places.index("Équateur (Guayaquil)")
    assert places.index("Dominique") < ecuador < places.index("États-Unis (New York)")
    assert ecuador < places.index("Grenade") < salvador


def test_only_current_zones_are_offered_never_the_old_aliases(client):
    log_in(client, make_user())
    options = _zone_options(client)
    for alias in ("US/Eastern", "Etc/GMT+3", "Asia/Calcutta", "Europe/Kiev", "GB", "Etc/UTC"):
        assert alias not in options
    assert {"UTC", "Europe/Kyiv", "Asia/Kolkata", "America/Toronto"} <= set(options)
    raw = [value for value, option in options.items() if _text(option) == value]
    assert raw == []  # every zone is named, none shown as its identifier


@pytest.mark.parametrize(
    ("stored", "shown"),
    [("US/Eastern", "America/New_York"), ("Asia/Calcutta", "Asia/Kolkata"), ("Etc/UTC", "UTC")],
)
def test_a_member_whose_zone_is_an_old_alias_sees_its_zone_selected(client, stored, shown):
    user = make_user()
    _set_time_zone(user, stored)
    log_in(client, user)
    selected = [value for value, option in _zone_options(client).items() if option.get("selected")]
    assert selected == [shown]


def test_saving_the_settings_stores_the_zone_identifier(client):
    user = make_user()
    _set_time_zone(user, "US/Eastern")
    log_in(client, user)
    response = submit(client, "/settings", {"locale": "en", "timezone": "America/New_York"})
    assert response.status_code == 302
    assert fetch(User, user.id).timezone == "America/New_York"


def test_a_fixed_offset_chosen_long_ago_is_kept_but_offered_to_no_one_else(client, app):
    keeper = make_user(username="keeper")
    _set_time_zone(keeper, "Etc/GMT+3")
    log_in(client, keeper)
    options = _zone_options(client)
    assert options["Etc/GMT+3"].get("selected") is not None
    assert _text(options["Etc/GMT+3"]) == "Etc/GMT+3 — GMT-03:00"
    response = submit(client, "/settings", {"locale": "en", "timezone": "Etc/GMT+3"})
    assert response.status_code == 302 and fetch(User, keeper.id).timezone == "Etc/GMT+3"

    other = app.test_client()
    log_in(other, make_user(username="other"))
    assert "Etc/GMT+3" not in _zone_options(other)
    refused = submit(other, "/settings", {"locale": "en", "timezone": "Etc/GMT+3"})
    assert "Not a valid choice" in refused.get_data(as_text=True)


def test_the_zone_list_is_made_once_per_language_and_hour(app):
    with app.test_request_context("/"):
        timezones.choices("pt")  # made here (unless an earlier test did)
        started = time.perf_counter()
        for _ in range(50):
            listed = timezones.choices("pt")
        elapsed = time.perf_counter() - started
    assert len(listed) > 300
    assert elapsed < 0.25, f"50 lists took {elapsed:.3f} s: they are made anew each time"


# --- 2. the move form ---------------------------------------------------------------------


@pytest.fixture
def boards():
    """Two boards with French and Arabic names, a moderator of both, a topic, a reply."""
    coops = make_board(slug="coops", name="Cooperatives")
    finance = make_board(slug="finance", name="Finance")
    moderator = make_user(username="mod", role=Role.MODERATOR, display_name="Mariam Sow")
    author = make_user(username="author")
    with database() as session:
        for board in (coops, finance):
            session.add(BoardModerator(board_id=board.id, user_id=moderator.id))
        session.add_all(
            [
                BoardTranslation(board_id=coops.id, locale="fr", name="Coopératives"),
                BoardTranslation(board_id=finance.id, locale="fr", name="Finances solidaires"),
                BoardTranslation(board_id=coops.id, locale="ar", name="التعاونيات"),
                BoardTranslation(board_id=finance.id, locale="ar", name="التمويل التضامني"),
            ]
        )
        session.commit()
    topic = make_topic(board=coops, author=author, title="Savings groups", body="tontines")
    reply = make_reply(parent=opening_post(topic), author=author, body="Rude words")
    return {"coops": coops, "finance": finance, "moderator": moderator, "author": author,
            "topic": topic, "reply": reply}  # fmt: skip


@pytest.mark.parametrize(
    ("lang", "name"), [("fr", "Finances solidaires"), ("ar", "التمويل التضامني")]
)
def test_the_move_form_names_boards_in_the_interface_language(client, boards, lang, name):
    log_in(client, boards["moderator"])
    page = _page(client, f"/t/{boards['topic'].id}/move?lang={lang}")
    options = {o.get("value"): _text(o) for o in page.xpath("//select[@id='board']//option")}
    assert options == {"finance": name}


# --- 3. the moderation log ----------------------------------------------------------------


def _log_row(client, lang: str = "en") -> str:
    rows = _page(client, f"/mod/log?lang={lang}").xpath("//table[contains(@class, 'log')]/tbody/tr")
    return _text(rows[0])


def test_the_log_says_how_reports_were_resolved_in_words(client, boards):
    with database() as session:
        moderation_ops.report_post(
            session.get(Post, boards["reply"].id), session.get(User, boards["author"].id),
            "rude", threshold=0,
        )  # fmt: skip
        session.commit()
    log_in(client, boards["moderator"])
    submit(client, f"/mod/reports/{boards['reply'].id}", {"resolution": "hide", "reason": "no"})
    row = _log_row(client)
    assert "resolved reports" in row and "post hidden · 1 report" in row
    assert "hide (1)" not in row
    assert "Mariam Sow" in row  # the moderator by their name, not their username
    assert "1 signalement" in _log_row(client, "fr")


def test_the_log_names_boards_in_the_interface_language_not_by_slug(client, boards):
    log_in(client, boards["moderator"])
    submit(client, f"/t/{boards['topic'].id}/move", {"board": "finance", "reason": ""})
    row = _log_row(client, "fr")
    assert "Coopératives" in row and "Finances solidaires" in row
    assert "coops" not in row and "→" not in row
    assert "from Cooperatives to Finance" in _log_row(client, "en")


def test_every_kind_of_detail_in_the_log_reads_as_words(client, boards):
    admin = make_user(username="admin", role=Role.ADMIN)
    with database() as session:
        actor, coops = session.get(User, admin.id), session.get(Board, boards["coops"].id)
        reply = session.get(Post, boards["reply"].id)
        new_topic = moderation_ops.split_topic(reply, actor, "A thread of its own")
        moderation_ops.suspend_member(
            session.get(User, boards["author"].id),
            actor,
            datetime(2027, 3, 5, 12, 0, tzinfo=UTC),
            "calm",
        )
        admin_ops.update_board(coops, actor, description="New", read_only=True)
        admin_ops.translate_board(coops, actor, {"es": ("Cooperativas", "")})
        admin_ops.move_board(coops, actor, 1)
        session.commit()
        new_topic_id = new_topic.id
    log_in(client, admin)
    page = _page(client, "/mod/log")
    what = [
        _text(row.xpath("td")[2]) for row in page.xpath("//table[contains(@class, 'log')]/tbody/tr")
    ]
    assert what == [
        "reordered the boards · moved down",
        "translated a board · Spanish",
        "changed a board · Description and Read-only: only moderators can start topics and reply",
        "suspended · author · until Mar 5, 2027, 12:00:00 PM",  # in the reader's time zone
        "split · into a new topic",
    ]
    assert page.xpath(f"//a[@href='/t/{new_topic_id}'][normalize-space()='into a new topic']")


def test_a_role_change_in_a_members_history_names_the_role_and_the_boards(client, boards):
    admin = make_user(username="admin", role=Role.ADMIN)
    member = make_user(username="member")
    with database() as session:
        chosen = list(session.scalars(select(Board).order_by(Board.slug)))
        admin_ops.change_role(
            session.get(User, member.id), session.get(User, admin.id), Role.MODERATOR, chosen
        )
        session.commit()
    log_in(client, admin)
    page = _page(client, f"/admin/members/{member.id}?lang=fr")
    history = _text(page.xpath("//*[@id='history']//tbody/tr")[0])
    assert "Coopératives et Finances solidaires" in history
    assert "moderator: coops, finance" not in history


# --- 4. lists in the reader's language ----------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "a, b, and c"), ("fr", "a, b et c"), ("es", "a, b y c"), ("ar", "a، b وc")],
)
def test_lists_are_joined_the_readers_way(app, lang, expected):
    with app.test_request_context(f"/?lang={lang}"):
        assert list_of(["a", "b", "c"]) == expected


def test_a_list_escapes_its_items_but_keeps_markup(app):
    with app.test_request_context("/"):
        joined = list_of(["<script>", Markup("<bdi>x</bdi>")])
    assert joined == "&lt;script&gt; and <bdi>x</bdi>"


def test_a_profile_lists_languages_with_arabic_conjunctions(client):
    member = make_user()
    with database() as session:
        session.get(User, member.id).spoken_languages = ["fr", "es", "en"]
        session.commit()
    page = _page(client, f"/u/{member.username}?lang=ar")
    spoken = page.xpath(
        "//dl[@class='facts']/dt[normalize-space()='اللغات التي يتحدثها']/following-sibling::dd[1]"
    )
    assert _text(spoken[0]) == "الفرنسية، الإسبانية والإنجليزية"


def test_the_moderated_boards_of_a_member_are_listed_the_readers_way(client, boards):
    admin = make_user(username="admin", role=Role.ADMIN)
    log_in(client, admin)
    page = _page(client, f"/admin/members/{boards['moderator'].id}?lang=ar")
    role = page.xpath("//dt[normalize-space()='الدور']/following-sibling::dd[1]")[0]
    assert "التعاونيات والتمويل التضامني" in _text(role) and "," not in _text(role)


# --- 5. search equivalents, right to left -------------------------------------------------


def test_search_equivalents_are_isolated_in_their_language_and_joined_in_arabic(client):
    board = make_board()
    make_topic(board=board, author=make_user(), title="Notes", body="Fair trade coffee.")
    page = _page(client, "/search?q=fair+trade&lang=ar")
    expansion = page.xpath("//p[@class='expansion']")[0]
    terms = expansion.xpath(".//bdi[@class='equivalent']")
    assert terms, "no equivalents listed"
    by_text = {_text(term): term for term in terms}
    french, arabic = by_text["commerce équitable"], by_text["التجارة العادلة"]
    assert (french.get("lang"), french.get("dir")) == ("fr", "ltr")
    assert (arabic.get("lang"), arabic.get("dir")) == ("ar", "rtl")
    between = [(term.tail or "").strip() for term in terms[:-1]]
    assert between == ["،"] * (len(terms) - 2) + ["و"]  # Arabic commas, then "and"


# --- 6. the report queue ------------------------------------------------------------------


def test_the_report_queue_chooses_no_decision_beforehand(client, boards):
    with database() as session:
        moderation_ops.report_post(
            session.get(Post, boards["reply"].id), session.get(User, boards["author"].id),
            "rude", threshold=0,
        )  # fmt: skip
        session.commit()
    log_in(client, boards["moderator"])
    page = _page(client, "/mod/reports")
    decision = page.xpath(f"//select[@id='resolution-{boards['reply'].id}']")[0]
    assert decision.get("required") is not None
    assert decision.value == ""  # the browser sends nothing until the moderator chooses
    response = submit(client, f"/mod/reports/{boards['reply'].id}", {"reason": "hurry"})
    assert response.status_code == 400
    assert "Choose how to resolve the report." in response.get_data(as_text=True)
    assert fetch(Post, boards["reply"].id).hidden_at is None
    with database() as session:
        assert session.scalar(select(Report.resolved_at)) is None


# --- 7. search forms with names -----------------------------------------------------------


def _search_landmark_names(page) -> list[str]:
    names = []
    for form in page.xpath("//*[@role='search'] | //search"):
        label = form.get("aria-label")
        if label is None and form.get("aria-labelledby"):
            label = " ".join(
                _text(page.get_element_by_id(i)) for i in form.get("aria-labelledby").split()
            )
        names.append(label or "")
    return names


@pytest.mark.parametrize("url", ["/search", "/admin/members"])
def test_every_search_form_has_a_name_of_its_own(client, url):
    log_in(client, make_user(username="admin", role=Role.ADMIN))
    names = _search_landmark_names(_page(client, url))
    assert len(names) >= 2  # the header's and the page's
    assert all(names), f"an unnamed search form: {names}"
    assert len(set(names)) == len(names), f"two search forms share a name: {names}"
