"""The Meeting Point in Chromium, on a 390 px phone and a 1280 px screen, in the five
languages: no page is wider than the screen, the posts come before the filters on a phone,
the charts are coloured, labelled, readable in dark mode and mirrored in Arabic, countries are
found by name (or ticked by region without JavaScript), checkboxes sit beside their labels, and
the form reports every problem at once and previews a post before it is published."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from brain.models import Board, User
from brain.ops import cooperation as ops
from tests.browser.actions import log_in
from tests.factories import database, make_user

LANGUAGES = ["en", "fr", "es", "pt", "ar"]
PHONE = {"width": 390, "height": 844}
SCREEN = {"width": 1280, "height": 800}
REQUEST_TITLE = "Request: training on rotating savings funds for women's cooperatives"


@pytest.fixture
def meeting_point(app) -> dict:
    """The Meeting Point with a request whose details are as long as they get (five themes,
    many countries, SDGs with long names), an offer and an experience."""
    lucia = make_user(username="lucia", display_name="Lucía Pérez")
    kwame = make_user(username="kwame", display_name="Kwame Mensah")
    with database() as session:
        board = Board(slug="meeting-point", name="Meeting Point", description="", position=1)
        session.add(board)
        posts = [
            (
                lucia,
                REQUEST_TITLE,
                ops.Details(
                    kind="request",
                    modality="resource-mobilisation",
                    themes=["social-finance", "informal-economy", "care", "cooperatives", "youth"],
                    countries=["MX", "GT", "HN", "SV", "NI", "CR", "PA", "CO", "BO"],
                    sdgs=[1, 5, 8, 10, 12, 16, 17],
                    languages=["es", "en", "pt"],
                ),
            ),
            (
                kwame,
                "Offer: peer exchange with savings groups in Ghana",
                ops.Details(
                    kind="offer",
                    modality="peer-exchange",
                    themes=["social-finance"],
                    countries=["GH", "SN"],
                    sdgs=[8],
                    languages=["en", "fr"],
                ),
            ),
            (
                kwame,
                "Experience: a rotating fund run by market women",
                ops.Details(
                    kind="experience",
                    modality="training",
                    themes=["social-finance", "gender"],
                    countries=["GH"],
                    languages=["en"],
                ),
            ),
        ]
        topics = []
        for author, title, details in posts:
            topic = ops.post_cooperation(
                board,
                session.get(User, author.id),
                title,
                "We would like to learn how to run a rotating fund. " * 3,
                "en",
                details,
            )
            topics.append(f"/t/{topic.id}-{topic.slug}")
        session.commit()
        request_id = int(topics[0].split("/t/")[1].split("-")[0])
    return {"request": topics[0], "offer": topics[1], "request_id": request_id}


def new_page(
    browser: Browser,
    base: str,
    viewport: dict,
    language: str = "en",
    member: str | None = None,
    **options,
) -> tuple[BrowserContext, Page]:
    """A browser of its own at the size given, in *language*, logged in as *member*."""
    context = browser.new_context(viewport=viewport, **options)
    page = context.new_page()
    if member:
        log_in(page, base, member)  # through the English form
    context.add_cookies([{"name": "lang", "value": language, "url": base}])
    return context, page


def overflow(page: Page) -> tuple[int, int, list[str]]:
    """The page's width, the screen's, and the elements that stick out of it."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const out = [];
          for (const element of document.querySelectorAll('body *')) {
            const box = element.getBoundingClientRect();
            if (box.width && (box.right > width + 1 || box.left < -1)) {
              out.push(`${element.tagName}.${element.className} ${box.left}..${box.right}`);
            }
          }
          return [document.documentElement.scrollWidth, width, out.slice(0, 8)];
        }"""
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_meeting_point_page_is_wider_than_a_phone(
    browser: Browser, live_server, meeting_point, language, axe_check, screenshots
):
    context, page = new_page(browser, live_server, PHONE, language, member="lucia")
    try:
        pages = {
            "list": "/meeting-point/",
            "filtered": "/meeting-point/?theme=social-finance&country=MX&q=fund",
            "overview": "/meeting-point/overview",
            "new": "/meeting-point/new",
            "details": f"/meeting-point/{meeting_point['request_id']}/details",
            "request": meeting_point["request"],
            "offer": meeting_point["offer"],
        }
        for name, path in pages.items():
            page.goto(live_server + path)
            expect(page.locator("html")).to_have_attribute("lang", language)
            if name == "filtered":
                page.get_by_role("main").locator("summary").first.click()
            width, screen, sticking_out = overflow(page)
            assert width <= screen, f"{name} in {language}: {width} px wide: {sticking_out}"
            if language in ("en", "ar"):
                axe_check(page)
            if name in ("request", "list"):
                page.screenshot(path=screenshots / f"meeting-{name}-{language}-390.png")
    finally:
        context.close()


def test_on_a_phone_the_posts_come_first_and_the_filters_open_from_a_button(
    browser: Browser, live_server, meeting_point
):
    context, page = new_page(browser, live_server, PHONE)
    try:
        page.goto(f"{live_server}/meeting-point/?kind=request&kind=offer")
        first = page.locator(".coop-list .topic-row").first
        expect(first).to_be_visible()
        assert first.bounding_box()["y"] < PHONE["height"]  # was 2.6 screens down
        apply = page.get_by_role("button", name="Apply the filters")
        expect(apply).to_be_hidden()
        toggle = page.locator("#filters > summary")
        expect(toggle).to_have_text(re.compile(r"^\s*Filters\s+2 active\s*$"))
        toggle.click()
        expect(apply).to_be_visible()
        expect(page.get_by_role("group", name="Kind").get_by_label("Offer")).to_be_checked()
    finally:
        context.close()


def test_on_a_wide_screen_the_filters_are_open_beside_the_list(
    browser: Browser, live_server, meeting_point
):
    context, page = new_page(browser, live_server, SCREEN)
    try:
        page.goto(f"{live_server}/meeting-point/")
        expect(page.get_by_role("button", name="Apply the filters")).to_be_visible()
        filters = page.locator("#filters").bounding_box()
        posts = page.locator(".coop-list").bounding_box()
        assert filters["x"] + filters["width"] <= posts["x"]  # side by side
    finally:
        context.close()


# --- charts -------------------------------------------------------------------------------

LUMINANCE = """(color) => {
  const [r, g, b] = color.match(/[\\d.]+/g).slice(0, 3).map(Number).map(v => {
    v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}"""

CHART_COLOURS = (
    """() => {
  const luminance = """
    + LUMINANCE
    + """;
  const background = (element) => {
    for (let e = element; e; e = e.parentElement) {
      const colour = getComputedStyle(e).backgroundColor;
      if (colour !== 'rgba(0, 0, 0, 0)' && colour !== 'transparent') return colour;
    }
    return 'rgb(255, 255, 255)';
  };
  const contrast = (a, b) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const svg = document.querySelector('svg.chart');
  const page = background(svg);
  const fills = [...document.querySelectorAll('.chart-bar')].map(b => getComputedStyle(b).fill);
  const text = getComputedStyle(document.querySelector('.chart-label')).fill;
  const value = getComputedStyle(document.querySelector('.chart-value')).fill;
  return {
    fills,
    bar: Math.min(...fills.map(f => contrast(f, page))),
    label: contrast(text, page),
    value: contrast(value, page),
  };
}"""
)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_chart_bars_are_coloured_and_readable(
    browser: Browser, live_server, meeting_point, scheme, screenshots
):
    context, page = new_page(browser, live_server, SCREEN, color_scheme=scheme)
    try:
        page.goto(f"{live_server}/meeting-point/overview")
        colours = page.evaluate(CHART_COLOURS)
        assert "rgb(0, 0, 0)" not in colours["fills"]  # the bars were drawn black
        assert len(set(colours["fills"])) >= 3
        assert colours["bar"] >= 3, colours  # a graphic against its background
        assert colours["label"] >= 4.5 and colours["value"] >= 4.5, colours
        page.screenshot(path=screenshots / f"meeting-overview-{scheme}.png", full_page=True)
    finally:
        context.close()


def boxes_of_rows(page: Page) -> list[dict]:
    return page.evaluate(
        """() => [...document.querySelectorAll('svg.chart g')].map(g => {
          const box = (e) => { const r = e.getBoundingClientRect();
            return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
          return {label: box(g.querySelector('.chart-label')),
                  bar: box(g.querySelector('.chart-bar')),
                  value: box(g.querySelector('.chart-value')),
                  svg: box(g.ownerSVGElement)};
        })"""
    )


def overlap(a: dict, b: dict) -> bool:
    return (
        a["left"] < b["right"] - 0.5
        and b["left"] < a["right"] - 0.5
        and a["top"] < b["bottom"] - 0.5
        and b["top"] < a["bottom"] - 0.5
    )


@pytest.mark.parametrize("language, viewport", [("ar", PHONE), ("ar", SCREEN), ("en", PHONE)])
def test_chart_numbers_and_labels_stay_clear_of_the_bars(
    browser: Browser, live_server, meeting_point, language, viewport
):
    context, page = new_page(browser, live_server, viewport, language)
    try:
        page.goto(f"{live_server}/meeting-point/overview")
        rows = boxes_of_rows(page)
        assert rows
        for row in rows:
            assert not overlap(row["value"], row["bar"]), row
            assert not overlap(row["label"], row["bar"]), row
            for part in ("label", "bar", "value"):
                assert row["svg"]["left"] - 1 <= row[part]["left"], row
                assert row[part]["right"] <= row["svg"]["right"] + 1, row
            if language == "ar":  # mirrored: bars grow from the right, the number on their left
                assert abs(row["bar"]["right"] - row["svg"]["right"]) < 1
                assert row["value"]["right"] <= row["bar"]["left"]
            else:
                assert abs(row["bar"]["left"] - row["svg"]["left"]) < 1
                assert row["value"]["left"] >= row["bar"]["right"]
    finally:
        context.close()


# --- the form -----------------------------------------------------------------------------


def test_a_country_is_found_by_typing_its_name(browser: Browser, live_server, meeting_point):
    context, page = new_page(browser, live_server, PHONE, member="lucia")
    try:
        page.goto(f"{live_server}/meeting-point/new")
        countries = page.get_by_role("group", name="Countries")
        find = countries.get_by_label("Find a country")
        find.fill("sene")
        visible = countries.locator("input[type=checkbox]:visible")
        expect(visible).to_have_count(1)
        countries.get_by_label("Senegal").check()
        find.fill("côte")  # accents and case do not matter
        countries.get_by_label("Côte d’Ivoire").check()
        expect(countries.locator(".country-chosen")).to_have_text(
            re.compile(r"Chosen:\s*Côte d’Ivoire\s*Senegal")
        )
        find.fill("zzz")
        expect(countries.get_by_text("No country has this name.")).to_be_visible()
        find.fill("")
        # Back to the regions, the one with the ticked countries open.
        expect(countries.locator("details.country-region[open]")).to_have_count(1)
        expect(countries.get_by_label("Senegal")).to_be_checked()
    finally:
        context.close()


def test_without_javascript_countries_are_ticked_in_their_region(
    browser: Browser, live_server, meeting_point
):
    context, page = new_page(
        browser, live_server, PHONE, "fr", java_script_enabled=False, member="lucia"
    )
    try:
        page.goto(f"{live_server}/meeting-point/new")
        countries = page.get_by_role("group", name="Pays")
        expect(countries.get_by_role("searchbox")).to_be_hidden()
        countries.get_by_text("Afrique subsaharienne", exact=True).click()
        countries.get_by_label("Sénégal", exact=True).check()
        expect(countries.get_by_label("Sénégal", exact=True)).to_be_checked()
    finally:
        context.close()


CHOICES_BESIDE_LABELS = """() => {
  // Each visible checkbox or radio button: at its natural size (not stretched), with the words
  // of its label beside it on the same line, after it in the reading direction.
  const rtl = document.documentElement.dir === 'rtl';
  const problems = [];
  const inputs = document.querySelectorAll(
    'main form input[type=checkbox], main form input[type=radio]');
  for (const input of inputs) {
    const box = input.getBoundingClientRect();
    if (!box.width) continue;  // in a closed region
    const wrapping = input.closest('label');
    const words = (wrapping ? wrapping.querySelector('span')
                            : document.querySelector(`label[for="${input.id}"]`))
      .getBoundingClientRect();
    const middle = (box.top + box.bottom) / 2;
    const after = rtl ? words.right <= box.left + 1 : words.left >= box.right - 1;
    const gap = rtl ? box.left - words.right : words.left - box.right;
    if (box.width > 28 || box.height > 28 || box.width < 12 || !after || gap > 24
        || middle < words.top || middle > words.bottom) {
      problems.push(`${input.name}=${input.value}: box ${box.left}..${box.right} `
        + `(${box.width}x${box.height}), label ${words.left}..${words.right}`);
    }
  }
  return problems;
}"""


@pytest.mark.parametrize("language, viewport", [("en", PHONE), ("ar", PHONE), ("fr", SCREEN)])
def test_checkboxes_and_radios_sit_beside_their_labels(
    browser: Browser, live_server, meeting_point, language, viewport
):
    context, page = new_page(browser, live_server, viewport, language, member="lucia")
    try:
        page.goto(f"{live_server}/meeting-point/new")
        page.locator("details.country-region summary").first.click()
        page.locator("main form details:not(.country-region) > summary").first.click()
        assert page.evaluate(CHOICES_BESIDE_LABELS) == []
    finally:
        context.close()


def test_the_form_names_every_problem_at_once_then_previews_and_publishes(
    browser: Browser, live_server, meeting_point, axe_check, screenshots
):
    context, page = new_page(browser, live_server, PHONE, member="lucia")
    try:
        page.goto(f"{live_server}/meeting-point/new")
        form = page.get_by_role("main").locator("form")
        form.get_by_role("button", name="Publish").click()
        errors = page.locator("main .errors")
        # Title, message, form of cooperation, themes, countries: all in the first round.
        expect(errors).to_have_count(5)
        expect(page.get_by_role("main")).to_contain_text("Choose at least one country.")

        form.get_by_label("Offer", exact=True).check()
        form.get_by_label("Form of cooperation").select_option(label="Study visit")
        form.get_by_role("group", name="Themes").get_by_label("Cooperatives").check()
        countries = form.get_by_role("group", name="Countries")
        countries.get_by_label("Find a country").fill("brazil")
        countries.get_by_label("Brazil").check()
        form.get_by_label("Title", exact=True).fill("Offer: study visit to recycling cooperatives")
        form.get_by_label("Message", exact=True).fill("We host **three** visits a year.")
        form.get_by_role("button", name="Preview").click()

        preview = page.get_by_role("region", name="Preview")
        expect(preview).to_contain_text("Offer: study visit to recycling cooperatives")
        expect(preview.locator("strong")).to_have_text("three")
        expect(preview).to_contain_text("Brazil")
        expect(preview).to_contain_text("Study visit")
        expect(errors).to_have_count(0)
        # Everything typed is kept.
        expect(form.get_by_label("Title", exact=True)).to_have_value(
            "Offer: study visit to recycling cooperatives"
        )
        expect(form.get_by_role("group", name="Countries").get_by_label("Brazil")).to_be_checked()
        width, screen, sticking_out = overflow(page)
        assert width <= screen, sticking_out
        axe_check(page)
        page.screenshot(path=screenshots / "meeting-preview-390.png", full_page=True)

        form.get_by_role("button", name="Publish").click()
        expect(page.get_by_role("status")).to_contain_text("Your post is on the Meeting Point.")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Offer: study visit to recycling cooperatives"
        )
    finally:
        context.close()
