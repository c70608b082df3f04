"""How the Meeting Point's pages look and behave for a person, short of a browser (that part is
tests/browser/test_meeting_phone.py): the form reports every problem at once and previews a
post without saving it, countries are ticked by region in the reader's language and order,
the filters sit behind a button that counts them, the charts are labelled and mirrored in
Arabic with class names of their own, and every page brings the Meeting Point's stylesheet."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from lxml import html as lxml_html
from sqlalchemy import func, select

from brain import resources
from brain.meeting import charts
from brain.meeting.forms import collation_key
from brain.models import Board, Cooperation, Topic, User
from brain.ops import cooperation as ops
from brain.vocabulary.meeting import REGION_COUNTRIES, REGION_OF
from tests.factories import database, log_in, make_user, submit

LANGUAGES = ["en", "fr", "es", "pt", "ar"]
STATIC = Path(__file__).resolve().parents[1] / "static"


@pytest.fixture
def board(app):
    with database() as session:
        board = Board(slug="meeting-point", name="Meeting Point", description="SSTC", position=1)
        session.add(board)
        session.commit()
        return board.id


def post(author: User, board_id: int, title: str = "Rotating funds", **fields) -> int:
    values = {
        "kind": "request",
        "modality": "training",
        "themes": ["social-finance"],
        "countries": ["MX"],
        "sdgs": [8],
        "languages": ["es"],
    }
    values.update(fields)
    with database() as session:
        topic = ops.post_cooperation(
            session.get(Board, board_id),
            session.get(User, author.id),
            title,
            "We look for training on rotating funds.",
            "en",
            ops.Details(**values),
        )
        session.commit()
        return topic.id


def page(response) -> lxml_html.HtmlElement:
    assert response.status_code == 200, response.status_code
    return lxml_html.fromstring(response.get_data(as_text=True))


def cls(name: str) -> str:
    """An XPath test for an element with the class *name*."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def texts(elements) -> list[str]:
    return [" ".join(element.text_content().split()) for element in elements]


GOOD = {
    "kind": "offer",
    "modality": "training",
    "themes": ["social-finance", "care"],
    "countries": ["SN", "MX"],
    "languages": ["fr"],
    "title": "Formation aux fonds rotatifs",
    "language": "fr",
    "body": "Nous formons des **groupes d'épargne** au Sénégal.",
}


def count_cooperations() -> int:
    with database() as session:
        return session.scalar(select(func.count()).select_from(Cooperation))


# --- the form: every problem in one round, and a preview ---------------------------------


def test_the_form_reports_every_problem_in_one_round(client, board):
    log_in(client, make_user())
    # Neither a title nor a message, and no details: before, only the first two were named,
    # and the details' problems came after the person had fixed those.
    document = page(submit(client, "/meeting-point/new", {"kind": "request"}))
    errors = " ".join(texts(document.xpath(f"//main//*[{cls('errors')}]")))
    for words in (
        "This field is required.",  # title and message
        "Choose a form of cooperation",
        "Choose at least one theme",
        "Choose at least one country",
        "Choose at least one working language",
    ):
        assert words in errors
    assert len(document.xpath(f"//main//*[{cls('errors')}]")) >= 6
    assert count_cooperations() == 0


def test_the_details_are_checked_even_when_the_title_is_missing(client, board):
    log_in(client, make_user())
    document = page(
        submit(client, "/meeting-point/new", {**GOOD, "title": "", "countries": ["ZZ"]})
    )
    errors = " ".join(texts(document.xpath(f"//main//*[{cls('errors')}]")))
    assert "This field is required." in errors
    assert "not a known country code" in errors
    assert count_cooperations() == 0


def test_the_preview_shows_the_post_as_it_will_look_and_saves_nothing(client, board):
    log_in(client, make_user())
    document = page(submit(client, "/meeting-point/new", {**GOOD, "preview": "1"}))
    (preview,) = document.xpath(f"//section[{cls('mp-preview')}]")
    assert texts(preview.xpath(f".//*[{cls('mp-preview-title')}]")) == [GOOD["title"]]
    assert texts(preview.xpath(f".//*[{cls('post-body')}]//strong")) == ["groupes d'épargne"]
    assert texts(preview.xpath(f".//*[{cls('kind')}]")) == ["Offer"]
    facts = " ".join(texts(preview.xpath(f".//*[{cls('coop-facts')}]")))
    assert "Training" in facts and "Senegal" in facts and "Mexico" in facts
    assert "Care and social services" in facts
    assert not document.xpath(f"//main//*[{cls('errors')}]")
    assert count_cooperations() == 0


def test_the_preview_keeps_everything_that_was_typed(client, board):
    log_in(client, make_user())
    document = page(submit(client, "/meeting-point/new", {**GOOD, "preview": "1"}))
    (form,) = document.xpath("//main//form[@method='post']")
    assert form.xpath(".//input[@name='title']")[0].get("value") == GOOD["title"]
    assert form.xpath(".//textarea[@name='body']")[0].text_content().strip() == GOOD["body"]
    assert form.xpath(".//input[@name='kind'][@value='offer']")[0].get("checked") is not None
    ticked = {box.get("value") for box in form.xpath(".//input[@type='checkbox'][@checked]")}
    assert {"SN", "MX", "social-finance", "care", "fr"} <= ticked
    chosen = form.xpath(".//select[@name='modality']/option[@selected]")
    assert [option.get("value") for option in chosen] == ["training"]
    # The regions of the ticked countries are open, so they are seen ticked.
    open_regions = form.xpath(f".//details[{cls('country-region')}][@open]/summary")
    assert len(open_regions) == 2


def test_the_preview_of_an_incomplete_post_names_its_problems(client, board):
    log_in(client, make_user())
    document = page(submit(client, "/meeting-point/new", {**GOOD, "themes": [], "preview": "1"}))
    assert "Choose at least one theme" in " ".join(
        texts(document.xpath(f"//main//*[{cls('errors')}]"))
    )
    # The message is still shown as it will look.
    assert texts(document.xpath(f"//*[{cls('mp-preview')}]//*[{cls('post-body')}]//strong")) == [
        "groupes d'épargne"
    ]
    assert count_cooperations() == 0


def test_publishing_after_a_preview_posts_once(client, board):
    log_in(client, make_user())
    document = page(submit(client, "/meeting-point/new", {**GOOD, "preview": "1"}))
    token = document.xpath("//input[@name='submission']")[0].get("value")
    response = submit(client, "/meeting-point/new", {**GOOD, "submission": token, "submit": "1"})
    assert response.status_code == 302
    again = submit(client, "/meeting-point/new", {**GOOD, "submission": token, "submit": "1"})
    assert again.status_code == 302
    assert count_cooperations() == 1
    with database() as session:
        assert session.scalar(select(Topic.title)) == GOOD["title"]


# --- countries: ticked by region, in the reader's language and order ---------------------

MEXICO = {"en": "Mexico", "fr": "Mexique", "es": "México", "pt": "México", "ar": "المكسيك"}
LATIN_AMERICA = {
    "en": "Latin America",
    "fr": "Amérique latine",
    "es": "Latinoamérica",
    "pt": "América Latina",
    "ar": "أمريكا اللاتينية",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_countries_are_checkboxes_grouped_by_region_in_the_readers_language(
    client, board, language
):
    log_in(client, make_user())
    client.set_cookie("lang", language)
    document = page(client.get("/meeting-point/new"))
    assert not document.xpath("//select[@name='countries']")
    (picker,) = document.xpath(f"//fieldset[{cls('country-picker')}]")
    boxes = picker.xpath(".//input[@type='checkbox'][@name='countries']")
    assert {box.get("value") for box in boxes} == set(REGION_OF)
    # Each checkbox is inside its label, so the name beside it ticks it.
    assert all(box.getparent().tag == "label" for box in boxes)
    regions = picker.xpath(f".//details[{cls('country-region')}]")
    assert len(regions) == len(REGION_COUNTRIES)
    mexico = picker.xpath(".//input[@value='MX']")[0]
    assert mexico.getparent().text_content().strip() == MEXICO[language]
    region = next(r for r in regions if r.xpath(".//input[@value='MX']"))
    assert region.xpath("./summary")[0].text_content().strip() == LATIN_AMERICA[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_regions_and_countries_are_in_the_alphabetical_order_of_the_interface(
    client, board, language
):
    log_in(client, make_user())
    client.set_cookie("lang", language)
    document = page(client.get("/meeting-point/new"))
    regions = document.xpath(f"//details[{cls('country-region')}]")
    names = texts(region.xpath("./summary")[0] for region in regions)
    assert names == sorted(names, key=collation_key)
    for region in regions:
        countries = texts(region.xpath(".//label"))
        assert countries == sorted(countries, key=collation_key)


def test_accents_do_not_send_a_country_to_the_end_of_its_region(client, board):
    log_in(client, make_user())
    client.set_cookie("lang", "fr")
    document = page(client.get("/meeting-point/new"))
    region = next(
        r
        for r in document.xpath(f"//details[{cls('country-region')}]")
        if r.xpath(".//input[@value='EG']")
    )
    countries = texts(region.xpath(".//label"))
    # A code-point sort puts "Égypte" after "Tunisie".
    assert countries.index("Algérie") < countries.index("Égypte") < countries.index("Libye")


def test_arabic_country_names_follow_the_arabic_alphabet(client, board):
    log_in(client, make_user())
    client.set_cookie("lang", "ar")
    document = page(client.get("/meeting-point/new"))
    region = next(
        r
        for r in document.xpath(f"//details[{cls('country-region')}]")
        if r.xpath(".//input[@value='EG']")
    )
    countries = texts(region.xpath(".//label"))
    # Letter by letter as written, the article included: Algeria (الجزائر) and Morocco
    # (المغرب) under alif, then Tunisia (تونس) under ta, Egypt (مصر) under mim.
    assert (
        countries.index("الجزائر")
        < countries.index("المغرب")
        < countries.index("تونس")
        < countries.index("مصر")
    )


def test_the_ticked_countries_are_named_above_the_regions(client, board):
    log_in(client, make_user())
    document = page(submit(client, "/meeting-point/new", {**GOOD, "title": ""}))
    chosen = texts(document.xpath(f"//*[{cls('country-chosen')}]/*[{cls('tag')}]"))
    assert chosen == ["Mexico", "Senegal"]


def test_the_details_form_ticks_the_saved_countries(client, board):
    author = make_user()
    topic_id = post(author, board, countries=["BR", "SN"])
    log_in(client, author)
    document = page(client.get(f"/meeting-point/{topic_id}/details"))
    ticked = {box.get("value") for box in document.xpath("//input[@name='countries'][@checked]")}
    assert ticked == {"BR", "SN"}
    assert len(document.xpath(f"//details[{cls('country-region')}][@open]")) == 2


# --- checkboxes and radios beside their labels ------------------------------------------


def test_every_choice_on_the_form_is_followed_or_wrapped_by_its_label(client, board):
    log_in(client, make_user())
    document = page(client.get("/meeting-point/new"))
    (form,) = document.xpath("//main//form[@method='post']")
    choices = form.xpath(".//input[@type='checkbox' or @type='radio']")
    assert len(choices) > len(REGION_OF)
    for choice in choices:
        wrapped = choice.getparent().tag == "label"
        following = choice.getnext()
        labelled = following is not None and following.tag == "label"
        assert wrapped or (labelled and following.get("for") == choice.get("id")), (
            lxml_html.tostring(choice.getparent())
        )


# --- the list: filters behind a button ---------------------------------------------------


def test_the_filters_are_behind_a_button_that_counts_the_active_ones(client, board):
    post(make_user(), board, kind="offer", themes=["care"])
    document = page(client.get("/meeting-point/"))
    (box,) = document.xpath("//details[@id='filters']")
    assert box.get("open") is None  # closed until there is room (static/js/meeting.js)
    assert box.xpath(f"./form[{cls('facets')}]")
    assert " ".join(texts(box.xpath("./summary"))) == "Filters"
    document = page(client.get("/meeting-point/?kind=offer&theme=care&q=funds"))
    summary = document.xpath("//details[@id='filters']/summary")[0]
    assert " ".join(summary.text_content().split()) == "Filters 3 active"
    # A value that is not a filter is not counted.
    document = page(client.get("/meeting-point/?kind=gift"))
    assert texts(document.xpath("//details[@id='filters']/summary")) == ["Filters"]


# --- charts -------------------------------------------------------------------------------


def stylesheet_classes(path: Path) -> set[str]:
    css = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
    selectors = " ".join(re.findall(r"([^{}]+)\{", css))
    return set(re.findall(r"\.(-?[_a-zA-Z][\w-]*)", selectors))


def overview(client, board, language="en") -> lxml_html.HtmlElement:
    author = make_user()
    post(author, board, themes=["care"], countries=["SN"])
    post(author, board, themes=["care", "housing"], countries=["BR"], kind="offer")
    post(author, board, themes=["housing"], countries=["IN"], kind="offer")
    client.set_cookie("lang", language)
    return page(client.get("/meeting-point/overview"))


def test_chart_classes_are_not_styled_by_the_site_stylesheet(client, board):
    # The bars were drawn black: their class "bar" was the site header's, and no rule of the
    # charts applied. The charts' classes are their own, and meeting.css colours them.
    document = overview(client, board)
    used = set()
    for element in document.xpath(f"//svg[{cls('chart')}]//*"):
        used |= set((element.get("class") or "").split())
    assert {"chart-bar", "chart-label", "chart-value"} <= used
    assert not (used & stylesheet_classes(STATIC / "css" / "brain.css"))
    meeting = (STATIC / "css" / "meeting.css").read_text(encoding="utf-8")
    assert re.search(r"\.chart-bar\s*\{\s*fill:", meeting)
    assert "prefers-color-scheme: dark" in meeting


def test_each_bar_is_labelled_and_numbered(client, board):
    document = overview(client, board)
    (figure,) = [f for f in document.xpath("//figure") if "theme" in f.get("aria-labelledby")]
    labels = texts(figure.xpath(f".//svg//*[{cls('chart-label')}]"))
    values = texts(figure.xpath(f".//svg//*[{cls('chart-value')}]"))
    rows = [tuple(texts(row.xpath("./th|./td"))) for row in figure.xpath(".//tbody/tr")]
    assert list(zip(labels, values, strict=True)) == rows
    assert ("Housing", "2") in rows


def bar_geometry(svg) -> list[tuple[float, float, float]]:
    """(bar start, bar end, number's x) for every row of a chart."""
    rows = []
    for group in svg.xpath(".//g"):
        bar = group.xpath(f"./*[{cls('chart-bar')}]")[0]
        start = float(bar.get("x"))
        rows.append((start, start + float(bar.get("width")), float(group[2].get("x"))))
    return rows


def test_bars_grow_from_the_start_edge_with_the_number_past_their_end(client, board):
    document = overview(client, board, "en")
    for svg in document.xpath(f"//svg[{cls('chart')}]"):
        assert svg.get("direction") == "ltr"
        for start, end, number in bar_geometry(svg):
            assert start == 0 and number > end


def test_in_arabic_the_bars_grow_from_the_right_and_the_numbers_stay_clear_of_them(client, board):
    document = overview(client, board, "ar")
    assert document.get("dir") == "rtl"
    for svg in document.xpath(f"//svg[{cls('chart')}]"):
        # With the SVG's direction right-to-left, text starts at its x and runs leftwards:
        # the number sits left of the bar instead of over it.
        assert svg.get("direction") == "rtl"
        width = float(svg.get("width"))
        for start, end, number in bar_geometry(svg):
            assert end == width and number < start
        for label in svg.xpath(f".//*[{cls('chart-label')}]"):
            assert float(label.get("x")) == width


def test_the_numbers_of_a_chart_are_written_in_the_readers_locale(app):
    with app.test_request_context("/"):
        from flask_babel import force_locale

        with force_locale("fr"):
            svg = charts.bars([("Soins", 12345)])
    assert "12\N{NARROW NO-BREAK SPACE}345" in svg or "12\N{NO-BREAK SPACE}345" in svg


# --- every Meeting Point page brings its own stylesheet -----------------------------------


def test_every_meeting_point_page_links_its_stylesheet_and_script(client, board):
    author = make_user()
    topic_id = post(author, board)
    log_in(client, author)
    with database() as session:
        slug = session.get(Topic, topic_id).slug
    for url in (
        "/meeting-point/",
        "/meeting-point/overview",
        "/meeting-point/new",
        f"/meeting-point/{topic_id}/details",
        f"/t/{topic_id}-{slug}",  # the forum's topic page, with the details panel
    ):
        document = page(client.get(url))
        sheets = [link.get("href") for link in document.xpath("//link[@rel='stylesheet']")]
        assert any(href.startswith("/static/css/meeting.css") for href in sheets), url
        assert not document.xpath("//*[@style]"), url
    document = page(client.get("/meeting-point/new"))
    (script,) = [s for s in document.xpath("//script") if "meeting.js" in (s.get("src") or "")]
    assert script.get("defer") is not None and not (script.text or "").strip()


def test_the_stylesheet_and_script_are_package_files():
    required = {path.name for path in resources.required()}
    assert {"meeting.css", "meeting.js"} <= required
    assert not [path for path in resources.required() if not path.is_file()]


# --- the new markup is valid HTML ---------------------------------------------------------


def test_the_preview_the_errors_and_the_arabic_pages_are_valid_html(client, board, tmp_path):
    from tests.test_html import VNU, validate

    if not VNU.exists() or shutil.which("java") is None:
        pytest.skip("HTML checker missing: needs Java and `npm install` (vnu-jar)")
    author = make_user()
    topic_id = post(author, board, countries=["MX", "SN"], sdgs=[1, 8, 17])
    log_in(client, author)
    pages = {
        "preview": submit(client, "/meeting-point/new", {**GOOD, "preview": "1"}),
        "errors": submit(client, "/meeting-point/new", {"kind": "request"}),
    }
    client.set_cookie("lang", "ar")
    for url in ("/meeting-point/new", "/meeting-point/overview", "/meeting-point/?kind=request"):
        pages[f"ar{url}"] = client.get(url)
    pages["ar details"] = client.get(f"/meeting-point/{topic_id}/details")
    texts_of = {name: response.get_data(as_text=True) for name, response in pages.items()}
    assert all(response.status_code == 200 for response in pages.values())
    problems = validate(texts_of, tmp_path)
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
