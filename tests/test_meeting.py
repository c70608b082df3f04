"""The Meeting Point: validation, status transitions and who may change them, interest and
partners, facet counts (property-style over random data), match ranking, text search, pages."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from brain.extensions import db
from brain.meeting import queries
from brain.meeting.counts import counted_in_sql, facet_counts
from brain.meeting.matching import suggestions_for
from brain.models import (
    Board,
    ContentVersion,
    Cooperation,
    Counter,
    Interest,
    Role,
    Topic,
    User,
)
from brain.ops import cooperation as ops
from brain.ops.accounts import update_profile
from brain.ops.errors import OperationError
from brain.vocabulary.meeting import REGION_OF, SDGS, THEMES, Kind, Status
from tests.factories import database, fetch, log_in, make_user, submit

BOARD = "meeting-point"
# The tests that search words run once per search backend (tests/conftest.py).
each_backend = pytest.mark.usefixtures("search_backend")


@pytest.fixture
def board(app):
    with database() as session:
        board = Board(slug=BOARD, name="Meeting Point", description="SSTC", position=1)
        session.add(board)
        session.commit()
        return board.id


def details(**overrides) -> ops.Details:
    values = {
        "kind": "request",
        "modality": "training",
        "themes": ["social-finance"],
        "countries": ["MX"],
        "sdgs": [8],
        "languages": ["es"],
    }
    values.update(overrides)
    return ops.Details(**values)


def post(author: User, board_id: int, title: str = "Rotating funds", **fields) -> int:
    """A cooperation post; returns its topic id."""
    body = fields.pop("body", "We look for training on rotating funds for cooperatives.")
    language = fields.pop("language", "en")
    status = fields.pop("status", None)
    with database() as session:
        topic = ops.post_cooperation(
            session.get(Board, board_id),
            session.get(User, author.id),
            title,
            body,
            language,
            details(**fields),
        )
        if status:
            topic.cooperation.status = status
        session.commit()
        return topic.id


def cooperation(topic_id: int) -> Cooperation:
    with database() as session:
        found = session.get(Cooperation, topic_id)
        _ = found.tags, found.interests, found.history
        session.expunge_all()
        return found


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, field, words",
    [
        ({"kind": "gift"}, "kind", "offer, a request or an experience"),
        ({"modality": "telepathy"}, "modality", "form of cooperation"),
        ({"themes": []}, "themes", "at least one theme"),
        ({"themes": ["astrology"]}, "themes", "from the list"),
        ({"themes": list(THEMES)[:6]}, "themes", "at most 5"),
        ({"countries": []}, "countries", "at least one country"),
        ({"countries": ["XX"]}, "countries", "not a known country code"),
        ({"countries": ["mx"]}, "countries", "not a known country code"),
        ({"sdgs": [18]}, "sdgs", "numbered 1 to 17"),
        ({"sdgs": [0]}, "sdgs", "numbered 1 to 17"),
        ({"languages": []}, "languages", "at least one working language"),
        ({"languages": ["tlh"]}, "languages", "from the list"),
        ({"starts_on": date(2026, 5, 1), "ends_on": date(2026, 4, 1)}, "ends_on", "before"),
        ({"ongoing": True, "ends_on": date(2027, 1, 1)}, "ends_on", "no end date"),
        ({"starts_on": date(1850, 1, 1)}, "starts_on", "between 2000 and 2100"),
    ],
)
def test_every_field_is_validated(app, overrides, field, words):
    with app.test_request_context():
        problems = details(**overrides).problems()
        assert field in problems
        assert words in str(problems[field])


def test_valid_details_have_no_problems_and_derive_regions(app):
    with app.test_request_context():
        good = details(countries=["MX", "SN", "BR"], starts_on=date(2026, 1, 1), ongoing=True)
        assert good.problems() == {}
        assert {value for facet, value in good.tags() if facet == "region"} == {"419", "202"}


def test_the_form_shows_each_problem_and_creates_nothing(client, board):
    log_in(client, make_user())
    response = submit(
        client,
        "/meeting-point/new",
        {
            "kind": "request",
            "modality": "training",
            "countries": ["ZZ"],
            "sdgs": ["18"],
            "languages": ["es"],
            "starts_on": "2026-05-01",
            "ends_on": "2026-04-01",
            "title": "Formación",
            "language": "es",
            "body": "Texto",
        },
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for words in ("at least one theme", "not a known country", "1 to 17", "before the start"):
        assert words in html
    with database() as session:
        assert session.scalar(select(Cooperation)) is None


def test_garbage_in_the_form_is_a_message_not_an_error(client, board):
    log_in(client, make_user())
    response = submit(
        client,
        "/meeting-point/new",
        {"kind": "x" * 5000, "sdgs": ["NaN", "99999999999"], "starts_on": "31/31/2026"},
    )
    assert response.status_code == 200
    assert 'class="errors"' in response.get_data(as_text=True)


# --- status and interest ---------------------------------------------------------------


ALLOWED = [
    ("open", "in_discussion"),
    ("open", "closed"),
    ("open", "withdrawn"),
    ("in_discussion", "open"),
    ("matched", "completed"),
    ("completed", "open"),
    ("closed", "open"),
    ("withdrawn", "open"),
]
REFUSED = [
    ("open", "completed"),
    ("in_discussion", "completed"),
    ("completed", "matched"),
    ("withdrawn", "completed"),
    ("closed", "matched"),
    ("open", "open"),
    ("open", "pending"),
]


@pytest.mark.parametrize("old, new", ALLOWED)
def test_allowed_status_changes_are_kept_in_the_history(board, old, new):
    author = make_user()
    topic_id = post(author, board, status=old)
    with database() as session:
        found = session.get(Cooperation, topic_id)
        ops.change_status(found, session.get(User, author.id), new, "note")
        session.commit()
    after = cooperation(topic_id)
    assert after.status == new
    assert [(c.old_status, c.new_status) for c in after.history][-1] == (old, new)


@pytest.mark.parametrize("old, new", REFUSED)
def test_other_status_changes_are_refused(board, old, new):
    author = make_user()
    topic_id = post(author, board, status=old)
    with database() as session, pytest.raises(OperationError):
        ops.change_status(session.get(Cooperation, topic_id), session.get(User, author.id), new)


def test_matched_needs_an_accepted_partner(board):
    author, partner = make_user(), make_user(username="lucia")
    topic_id = post(author, board)
    with database() as session:
        found = session.get(Cooperation, topic_id)
        with pytest.raises(OperationError, match="at least one partner"):
            ops.change_status(found, session.get(User, author.id), "matched")
        interest = ops.express_interest(found, session.get(User, partner.id), "We can help")
        ops.accept_interest(found, interest)
        ops.change_status(found, session.get(User, author.id), "matched")
        session.commit()
    assert cooperation(topic_id).status == "matched"


def test_who_may_change_the_status(client, board, session_app):
    author = make_user()
    moderator = make_user(username="hélène", role=Role.MODERATOR)
    with database() as session:
        session.get(User, moderator.id).moderated_boards = [session.get(Board, board)]
        session.commit()
    topic_id = post(author, board)
    url = f"/meeting-point/{topic_id}/status"
    guest = submit(client, url, {"status": "closed"})
    assert guest.status_code == 302 and "/login" in guest.location
    other = session_app.test_client()
    log_in(other, make_user(username="lucia"))
    assert submit(other, url, {"status": "closed"}).status_code == 403
    log_in(client, moderator)
    assert submit(client, url, {"status": "in_discussion"}).status_code == 302
    mine = session_app.test_client()
    log_in(mine, author)
    assert submit(mine, url, {"status": "closed"}).status_code == 302
    assert cooperation(topic_id).status == "closed"
    # A refused transition is a message, and nothing changes.
    response = submit(mine, url, {"status": "completed"}, follow_redirects=True)
    assert "cannot become" in response.get_data(as_text=True)
    assert cooperation(topic_id).status == "closed"
    # Without the CSRF token: refused.
    assert mine.post(url, data={"status": "open"}).status_code == 400


def test_interest_and_acceptance(client, board, session_app):
    author, lucia, kofi = make_user(), make_user(username="lucia"), make_user(username="kofi")
    topic_id = post(author, board)
    url = f"/meeting-point/{topic_id}/interest"
    log_in(client, lucia)
    assert submit(client, url, {"message": "We run such trainings"}).status_code == 302
    again = submit(client, url, {"message": "Me again"}, follow_redirects=True)
    assert "already expressed interest" in again.get_data(as_text=True)
    mine = session_app.test_client()
    log_in(mine, author)
    own = submit(mine, url, {"message": "Me"})
    assert own.status_code == 403
    interest_id = cooperation(topic_id).interests[0].id
    accept = f"/meeting-point/{topic_id}/interest/{interest_id}/accept"
    # Only the author (or a moderator) accepts.
    other = session_app.test_client()
    log_in(other, kofi)
    assert submit(other, accept, {}).status_code == 403
    assert submit(mine, f"/meeting-point/{topic_id}/interest/999/accept", {}).status_code == 404
    assert submit(mine, accept, {}).status_code == 302
    status = f"/meeting-point/{topic_id}/status"
    assert submit(mine, status, {"status": "matched"}).status_code == 302
    page = client.get(f"/t/{topic_id}", follow_redirects=True).get_data(as_text=True)
    assert "status-matched" in page and "you are a partner" in page
    # A matched post no longer takes interest.
    late = submit(other, url, {"message": "Late"}, follow_redirects=True)
    assert "no longer looking" in late.get_data(as_text=True)


def test_experiences_take_no_interest_and_the_author_only_sees_messages(client, board):
    author = make_user()
    topic_id = post(author, board, kind="experience")
    log_in(client, make_user(username="lucia"))
    response = submit(
        client, f"/meeting-point/{topic_id}/interest", {"message": "Hi"}, follow_redirects=True
    )
    assert "offers and requests" in response.get_data(as_text=True)
    with database() as session:
        assert session.scalar(select(Interest)) is None


# --- facets -------------------------------------------------------------------------------


def random_posts(board_id: int, seed: int, count: int = 40) -> None:
    rng = random.Random(seed)
    authors = [make_user(username=f"member{seed}x{i}") for i in range(4)]
    countries = ["MX", "BR", "SN", "MA", "IN", "ZA", "FR"]
    for index in range(count):
        post(
            rng.choice(authors),
            board_id,
            title=f"Post {index}",
            kind=rng.choice(list(Kind)).value,
            modality=rng.choice(["training", "study-visit", "peer-exchange"]),
            themes=rng.sample(
                ["cooperatives", "social-finance", "care", "housing"], rng.randint(1, 2)
            ),
            countries=rng.sample(countries, rng.randint(1, 3)),
            sdgs=rng.sample(range(1, 18), rng.randint(0, 2)),
            languages=rng.sample(["en", "fr", "es", "pt", "ar"], rng.randint(1, 2)),
            status=rng.choice([s.value for s in Status]),
        )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_facet_count_is_the_number_of_results_when_applied(board, app, seed):
    random_posts(board, seed)
    rng = random.Random(seed * 101)
    with app.test_request_context():
        for _round in range(6):
            selection = queries.Selection()
            # Some facets already chosen, at random.
            for facet in rng.sample(queries.FACETS, rng.randint(0, 2)):
                all_counts = facet_counts(queries.Selection())[facet]
                if all_counts:
                    selection.chosen[facet] = {rng.choice(sorted(all_counts))}
            counts = facet_counts(selection)
            for facet in queries.FACETS:
                if selection.chosen.get(facet):
                    continue
                for value, count in counts[facet].items():
                    applied = queries.Selection(chosen={**selection.chosen, facet: {value}})
                    _rows, total = queries.listing_in_sql(applied, 1)  # counted in SQL
                    assert total == count, (facet, value, selection.chosen)
            _rows, total = queries.listing_in_sql(selection, 1)
            if not selection.chosen.get("kind"):  # each post has one kind: counts add up
                assert sum(counts["kind"].values()) == total
            # The page reads its total from the counts instead of counting again.
            assert queries.listing(selection, 1, counts)[1] == total


def test_words_that_match_most_posts_count_by_leaving_out_the_others(board, app, monkeypatch):
    # Words that match most posts become "all but these few" (a short NOT IN, and counts by
    # subtraction); the counts, totals and rows must be what listing the matches gives.
    random_posts(board, seed=4, count=30)
    with app.test_request_context():
        with database() as session:
            ids = sorted(session.scalars(select(Cooperation.topic_id)))
            hidden = session.get(Topic, ids[0])
            hidden.hidden_at = hidden.created_at
            session.commit()
        matched = set(ids[:-3])  # the words miss the three newest posts (and one is hidden)

        def page(chosen, matched=matched):
            selection = queries.Selection(chosen=chosen, topic_ids=set(matched))
            counts = facet_counts(selection)
            rows, total = queries.listing(selection, 1, counts)
            return counts, total, [c.topic_id for c in rows], selection.unmatched()

        for chosen in ({}, {"kind": {"offer"}}, {"theme": {"care"}}):
            monkeypatch.setattr(queries, "LISTED_IDS", 1000)
            listed = page(chosen)
            monkeypatch.setattr(queries, "LISTED_IDS", 5)
            left_out = page(chosen)
            assert listed[3] is None and left_out[3] == set(ids) - matched
            assert left_out[:3] == listed[:3]
        assert listed[1] < len(ids) - 3

        # Words that match half the posts: too many to list and too many to leave out, so
        # the ids are bound as one parameter (json_each on SQLite, unnest on PostgreSQL).
        half = set(ids[::2])
        for chosen in ({}, {"theme": {"care"}}):
            monkeypatch.setattr(queries, "LISTED_IDS", 1000)
            listed = page(chosen, half)
            monkeypatch.setattr(queries, "LISTED_IDS", 5)
            bound = page(chosen, half)
            assert bound[3] is None and bound[:3] == listed[:3]
        assert 0 < listed[1] <= len(half)


def expected_page(selection: queries.Selection) -> tuple[dict, list[int]]:
    """A selection's facet counts and its posts in the listing's order, worked out in Python
    from every post's rows."""
    with database() as session:
        found = session.scalars(select(Cooperation).join(Topic)).unique().all()
        posts = []
        for cooperation in found:
            if cooperation.topic.hidden_at is not None:
                continue
            values = {facet: {getattr(cooperation, facet)} for facet in queries.COLUMN_FACETS}
            values |= {facet: set(cooperation.values(facet)) for facet in queries.TAG_FACETS}
            topic = cooperation.topic
            posts.append((topic.id, (topic.last_activity_at, topic.id), values))
    if selection.topic_ids is not None:
        posts = [p for p in posts if p[0] in selection.topic_ids]

    def allowed(values, skip=None) -> bool:
        return all(
            not chosen or values[facet] & chosen
            for facet, chosen in selection.chosen.items()
            if facet != skip
        )

    counts: dict[str, dict[str, int]] = {facet: {} for facet in queries.FACETS}
    for facet in queries.FACETS:
        for _id, _order, values in posts:
            if allowed(values, skip=facet):
                for value in values[facet]:
                    counts[facet][value] = counts[facet].get(value, 0) + 1
    listed = sorted((p for p in posts if allowed(p[2])), key=lambda p: p[1], reverse=True)
    return counts, [p[0] for p in listed]


@pytest.mark.parametrize("seed", [6, 7])
def test_a_selection_is_counted_and_listed_as_every_posts_rows_say(board, app, monkeypatch, seed):
    # The facet table's counts and pages (a few ids bound in SQL, or many walked in order of
    # activity) against a count and a sort in Python, page after page, hidden posts left out.
    random_posts(board, seed, count=30)
    rng = random.Random(seed)
    with database() as session:
        ids = sorted(session.scalars(select(Cooperation.topic_id)))
        for topic_id in ids:  # activity in another order than the ids, with ties
            topic = session.get(Topic, topic_id)
            topic.last_activity_at = topic.created_at + timedelta(hours=rng.randint(0, 8))
        for topic_id in rng.sample(ids, 3):
            session.get(Topic, topic_id).hidden_at = session.get(Topic, topic_id).created_at
        session.commit()
    monkeypatch.setattr(queries, "PAGE", 4)
    monkeypatch.setattr(queries, "WALKED", 3)  # walks read several stretches
    with app.test_request_context():
        for _round in range(8):
            chosen = {}
            for facet in rng.sample(queries.FACETS, rng.randint(0, 2)):
                values = sorted(facet_counts(queries.Selection())[facet])
                chosen[facet] = set(rng.sample(values, min(len(values), rng.randint(1, 2))))
            words = None if _round % 3 == 0 else set(rng.sample(ids, rng.randint(0, 25))) | {0}
            counts, order = expected_page(queries.Selection(chosen=chosen, topic_ids=words))
            if not chosen and words is None:
                continue  # (the page over every post is read in SQL)
            reference = counted_in_sql(queries.Selection(chosen=chosen, topic_ids=words))
            assert reference == counts, (chosen, words)
            for listed_ids in (1000, 1):  # the ids bound in SQL, then walked
                monkeypatch.setattr(queries, "LISTED_IDS", listed_ids)
                selection = queries.Selection(chosen=chosen, topic_ids=words)
                assert facet_counts(selection) == counts, (chosen, words)
                pages = []
                for page in range(1, len(order) // 4 + 3):
                    rows, total = queries.listing(selection, page, counts)
                    assert total == len(order)
                    pages.extend(c.topic_id for c in rows)
                assert pages == order, (chosen, words, listed_ids)


@each_backend
def test_text_pages_follow_changes_another_process_made(client, board, app):
    # Another process's commits reach this one only through the database and the counters it
    # moves (the Meeting Point's and the content's): the counts, the facet table and the
    # kept fragments of a member's ?q= page must follow them, and nothing else moves them.
    author = make_user(username="lucia")
    ids = [
        post(author, board, title=f"Tontines {n}", body="Tontines rurales.", kind="offer")
        for n in range(3)
    ]
    log_in(client, make_user(username="reader"))

    def page() -> tuple[str, list[str], str]:
        html = client.get("/meeting-point/", query_string={"q": "tontines"}).get_data(as_text=True)
        heading = re.search(r'id="list-heading">([^<]+)<', html).group(1)
        titles = sorted(re.findall(r'class="topic-title"[^>]*>([^<]+)<', html))
        statuses = html.split("<legend>Status</legend>")[1].split("</fieldset>")[0]
        return heading, titles, " ".join(re.findall(r"<span>([^<]+)</span> <span", statuses))

    assert page() == ("3 posts", ["Tontines 0", "Tontines 1", "Tontines 2"], "Open")

    def elsewhere(*counters: Counter) -> None:
        with app.app_context(), db.engine.begin() as connection:
            hidden = update(Topic).where(Topic.id == ids[0]).values(hidden_at=Topic.created_at)
            connection.execute(hidden)
            closed = update(Cooperation).where(Cooperation.topic_id == ids[1])
            connection.execute(closed.values(status="closed"))
            if counters:
                connection.execute(
                    update(ContentVersion)
                    .where(ContentVersion.id.in_(counters))
                    .values(value=ContentVersion.value + 1)
                )

    elsewhere()  # rows changed, counters not moved: what is kept still serves
    assert page()[0] == "3 posts"
    elsewhere(Counter.MEETING_POINT, Counter.CONTENT)
    assert page() == ("2 posts", ["Tontines 1", "Tontines 2"], "Closed Open")


def test_long_facet_lists_show_their_first_values_and_the_rest_behind_more(client, board):
    random_posts(board, seed=5, count=30)

    def sdg_facet(**args) -> tuple[str, str]:
        html = client.get("/meeting-point/", query_string=args).get_data(as_text=True)
        facet = html.split("<legend>SDG</legend>")[1].split("</fieldset>")[0]
        shown, _, more = facet.partition("<details>")
        return shown, more

    shown, more = sdg_facet()
    assert shown.count('name="sdg"') == 6 and re.search(r"<summary>\d+ more</summary>", more)
    value = re.findall(r'name="sdg" value="(\d+)"', more)[-1]
    # A value chosen from the rest is listed with the first ones, ticked.
    shown, more = sdg_facet(sdg=value)
    assert f'value="{value}" checked' in shown and f'value="{value}"' not in more


def test_filters_are_labelled_in_the_readers_language(client, board):
    post(make_user(), board, kind="offer", themes=["social-finance"], sdgs=[8])

    def facet_labels() -> list[str]:
        html = client.get("/meeting-point/").get_data(as_text=True)
        form = html.split('class="facets"')[1].split("</form>")[0]
        return re.findall(r"<span>([^<]+)</span> <span class=\"count\">", form)

    assert {"Offer", "Social finance and microfinance"} <= set(facet_labels())
    client.set_cookie("lang", "fr")
    french = set(facet_labels())
    assert {"Offre", "Finance solidaire et microfinance"} <= french
    assert "ODD 8\N{NO-BREAK SPACE}: Travail décent et croissance économique" in french


def test_counts_over_every_post_are_kept_until_the_meeting_point_changes(board, app, count_queries):
    from brain.meeting import version
    from tests.factories import make_board, make_topic

    author = make_user()
    topic_id = post(author, board, kind="offer", status="open")

    def counts():
        with app.test_request_context(), count_queries() as statements:
            return facet_counts(queries.Selection()), len(statements)

    first, _ = counts()
    again, statements = counts()
    assert again == first and statements == 1  # only the counter is read
    with app.app_context():
        before = version.current()
    # A topic elsewhere in the forum moves the pages' counter, not the Meeting Point's.
    make_topic(board=make_board(), author=author)
    assert counts() == (first, 1)
    # A change of status does, and so does hiding the post: the counts follow at once.
    with database() as session:
        ops.change_status(
            session.get(Cooperation, topic_id), session.get(User, author.id), "closed"
        )
        session.commit()
    changed, statements = counts()
    assert changed["status"] == {"closed": 1} and statements > 1
    with database() as session:
        session.get(Topic, topic_id).hidden_at = session.get(Topic, topic_id).created_at
        session.commit()
    assert counts()[0]["kind"] == {}
    with app.app_context():
        assert version.current() == before + 2


@each_backend
def test_kept_suggestions_follow_a_new_post_and_a_closed_one(client, board):
    asker = make_user(username="asker")
    request_id = post(asker, board, title="Buscamos formación", language="es")
    first = post(make_user(username="lucia"), board, title="Formación A", kind="offer")

    def suggested() -> list[str]:
        html = client.get(f"/t/{request_id}", follow_redirects=True).get_data(as_text=True)
        section = html.split('class="suggestions"')[1].split("</ul>")[0]
        return re.findall(r'dir="auto">([^<]+)</a>', section)

    assert suggested() == ["Formación A"] and suggested() == ["Formación A"]
    post(make_user(username="joao"), board, title="Formación B", kind="offer")
    assert sorted(suggested()) == ["Formación A", "Formación B"]
    with database() as session:
        ops.change_status(
            session.get(Cooperation, first), session.get(User, first_author(first)), "closed"
        )
        session.commit()
    assert suggested() == ["Formación B"]


def first_author(topic_id: int) -> int:
    return fetch(Topic, topic_id).author_id


def test_hidden_topics_are_neither_listed_nor_counted_nor_suggested(board, app):
    author = make_user()
    hidden = post(author, board, kind="offer")
    request = post(make_user(username="lucia"), board, kind="request")
    with database() as session:
        session.get(Topic, hidden).hidden_at = session.get(Topic, hidden).created_at
        session.commit()
    with app.test_request_context():
        rows, total = queries.listing(queries.Selection(), 1)
        assert [c.topic_id for c in rows] == [request] and total == 1
        assert sum(facet_counts(queries.Selection())["kind"].values()) == 1
        with database() as session:
            assert suggestions_for(session.get(Cooperation, request)) == []


# --- matching -----------------------------------------------------------------------------

# (the request, the candidates by name, the name that must come first)
MATCH_CASES = [
    (
        {"themes": ["social-finance"], "countries": ["MX"], "languages": ["es"]},
        {
            "same theme and language": {"themes": ["social-finance"], "languages": ["es"]},
            "other theme": {"themes": ["housing"], "languages": ["es"]},
        },
        "same theme and language",
    ),
    (
        {"themes": ["care"], "countries": ["SN"], "languages": ["fr"]},
        {
            "same country": {"themes": ["care"], "countries": ["SN"], "languages": ["en"]},
            "same region only": {"themes": ["care"], "countries": ["ML"], "languages": ["en"]},
            "other continent": {"themes": ["care"], "countries": ["IN"], "languages": ["en"]},
        },
        "same country",
    ),
    (
        {"themes": ["cooperatives", "housing"], "modality": "study-visit", "countries": ["BR"]},
        {
            "two themes": {"themes": ["cooperatives", "housing"], "modality": "training"},
            "one theme, same form": {"themes": ["cooperatives"], "modality": "study-visit"},
            "nothing shared": {"themes": ["energy"], "countries": ["JP"], "languages": ["ar"]},
        },
        "two themes",
    ),
]


@pytest.mark.parametrize("wanted, candidates, best", MATCH_CASES)
def test_the_best_match_comes_first(board, app, wanted, candidates, best):
    asker = make_user(username="asker")
    request_id = post(asker, board, title="The request", kind="request", **wanted)
    names = {}
    for index, (name, fields) in enumerate(candidates.items()):
        author = make_user(username=f"offerer{index}")
        names[post(author, board, title=name, kind="offer", **fields)] = name
    # Offers that are closed, or written by the asker, are never suggested.
    post(asker, board, title="mine", kind="offer", **wanted)
    post(
        make_user(username="closer"), board, title="closed", kind="offer", status="closed", **wanted
    )
    with app.test_request_context(), database() as session:
        found = suggestions_for(session.get(Cooperation, request_id))
        titles = [s.cooperation.topic.title for s in found]
        reasons = found[0].reasons if found else []
    assert titles and titles[0] == best, titles
    assert "mine" not in titles and "closed" not in titles
    assert "nothing shared" not in titles
    assert reasons


@each_backend
def test_the_request_page_shows_suggestions_with_reasons(client, board):
    asker = make_user(username="asker")
    request_id = post(asker, board, title="Buscamos formación", language="es")
    post(
        make_user(username="lucia"), board, title="Ofrecemos formación", kind="offer", language="es"
    )
    html = client.get(f"/t/{request_id}", follow_redirects=True).get_data(as_text=True)
    assert "Ofrecemos formación" in html
    reasons = re.findall(r'class="reasons">(.*?)</p>', html)
    assert reasons and "same theme" in reasons[0] and "Social finance" in reasons[0]


def test_members_see_suggestions_from_their_profile(client, board):
    post(make_user(username="lucia"), board, title="Ofrecemos microcrédito", kind="offer",
         themes=["social-finance"], countries=["SN"], languages=["fr"])  # fmt: skip
    post(make_user(username="joao"), board, title="Habitação", kind="offer",
         themes=["housing"], countries=["BR"], languages=["pt"])  # fmt: skip
    member = make_user(username="amina")
    with database() as session:
        update_profile(
            session.get(User, member.id),
            display_name="Amina",
            country="SN",
            organisation="",
            spoken_languages=["fr"],
            editions=[],
            expertise="microfinance, community savings",
            bio="",
        )
        session.commit()
    log_in(client, member)
    html = client.get("/meeting-point/").get_data(as_text=True)
    section = html.split('id="for-you-heading"')[1].split("</section>")[0]
    assert "Ofrecemos microcrédito" in section and "Habitação" not in section
    assert "same country" in section


# --- pages and search ---------------------------------------------------------------------


@each_backend
def test_text_query_combines_with_facets(client, board):
    author = make_user()
    post(author, board, title="Tontines digitales", body="Una plataforma para tontines.",
         language="es", themes=["digital"])  # fmt: skip
    post(author, board, title="Tontines rurales", body="Tontines en el campo.", language="es",
         themes=["rural-development"])  # fmt: skip
    post(author, board, title="Vivienda", body="Cooperativas de vivienda.", language="es",
         themes=["housing"])  # fmt: skip

    def titles(**args):
        html = client.get("/meeting-point/", query_string=args).get_data(as_text=True)
        return sorted(re.findall(r'class="topic-title"[^>]*>([^<]+)<', html))

    assert titles(q="tontines") == ["Tontines digitales", "Tontines rurales"]
    assert titles(q="tontines", theme="digital") == ["Tontines digitales"]
    assert titles(q="NOT NOT (((") == []  # hostile text: no result, no error
    assert titles(theme="nonsense", sdg="99", country="../x") == [
        "Tontines digitales",
        "Tontines rurales",
        "Vivienda",
    ]


def test_status_changes_reach_the_search_index(client, board, app):
    author = make_user()
    topic_id = post(author, board, title="Microcrédito", kind="offer")
    with database() as session:
        found = session.get(Cooperation, topic_id)
        ops.change_status(found, session.get(User, author.id), "closed")
        session.commit()
        first_post = session.get(Topic, topic_id).first_post_id
    with app.app_context():
        searcher = app.extensions["brain_search"].indexer.searcher()
        fields = searcher.document(post_id=str(first_post))
        from whoosh import query as q

        hits = searcher.search(q.Term("coop", "status:closed"))
        assert [hit["post_id"] for hit in hits] == [str(first_post)]
        assert fields is not None


def test_overview_draws_charts_with_the_numbers_in_a_table(client, board):
    author = make_user()
    post(author, board, themes=["care"], countries=["SN"])
    post(author, board, themes=["care", "housing"], countries=["BR"], kind="offer")
    client.set_cookie("lang", "fr")
    html = client.get("/meeting-point/overview").get_data(as_text=True)
    assert html.count("<svg") == 4 and 'aria-hidden="true"' in html
    assert "Afrique subsaharienne" in html and "Amérique latine" in html
    assert re.search(r"<th scope=\"row\">[^<]+</th><td>2</td>", html)  # care: 2 posts


def test_the_meeting_point_is_in_the_navigation_and_lists_posts(client, board):
    post(make_user(), board, title="Formation aux mutuelles", language="fr")
    html = client.get("/").get_data(as_text=True)
    assert 'href="/meeting-point/"' in html
    page = client.get("/meeting-point/").get_data(as_text=True)
    assert "Formation aux mutuelles" in page and "(1)" in page


def test_every_region_country_is_a_country_babel_names(app):
    from babel import Locale

    names = Locale("en").territories
    assert all(code in names for code in REGION_OF)
    assert len(SDGS) == 17


def test_a_suspended_author_cannot_change_the_status(client, board):
    author = make_user()
    topic_id = post(author, board)
    log_in(client, author)
    with database() as session:
        from datetime import timedelta

        from brain.models import utcnow

        session.get(User, author.id).suspended_until = utcnow() + timedelta(days=1)
        session.commit()
    url = f"/meeting-point/{topic_id}/status"
    assert submit(client, url, {"status": "closed"}).status_code == 403
    assert fetch(Cooperation, topic_id).status == "open"


@each_backend
def test_similar_wording_breaks_a_tie_between_equal_details(client, board, app):
    asker = make_user(username="asker")
    request_id = post(
        asker,
        board,
        title="Rotating savings software",
        body="We need software for rotating savings and credit associations, tontines.",
    )
    post(make_user(username="one"), board, title="Bakery training", kind="offer",
         body="We train bakers and pastry cooks in cooperative bakeries.")  # fmt: skip
    post(make_user(username="two"), board, title="Tontine tools", kind="offer",
         body="Our software keeps the books of tontines and rotating savings groups.")  # fmt: skip
    with app.test_request_context(), database() as session:
        from brain import search

        found = session.get(Cooperation, request_id)
        scores = search.similar_cooperations(found.topic.first_post_id)
        ranked = suggestions_for(found, scores)
        assert ranked and ranked[0].cooperation.topic.title == "Tontine tools"
        assert "similar words" in ranked[0].reasons


@each_backend
def test_similar_wording_is_kept_only_once_the_index_has_caught_up(client, board, app):
    """The wording scores come from the search index, which follows the commits a moment
    later (on several servers, whichever drains first): kept while a post still waits to be
    indexed, the suggestions would miss its words until the Meeting Point next changed."""
    asker = make_user(username="asker")
    body = "We need software for rotating savings and credit associations."
    request_id = post(asker, board, title="Rotating savings software", body=body)
    backend = app.extensions["brain_search"]
    mode = backend.mode
    backend.mode = "off"  # the post below waits in the outbox
    try:
        body = "Our software keeps the books of rotating savings and credit associations."
        post(make_user(username="two"), board, title="Tontine tools", kind="offer", body=body)

        def reasons() -> str:
            html = client.get(f"/t/{request_id}", follow_redirects=True).get_data(as_text=True)
            return re.search(r'Tontine tools.*?class="reasons">(.*?)</p>', html, re.S).group(1)

        assert "similar words" not in reasons()
        with app.app_context():
            assert backend.drain(blocking=True) == 1
    finally:
        backend.mode = mode
    assert "similar words" in reasons()


@each_backend
def test_words_match_the_opening_posts_of_the_meeting_point_only(client, board, app):
    author = make_user()
    topic_id = post(author, board, title="Huertos urbanos", body="Huertos en la ciudad.",
                    language="es", themes=["rural-development"])  # fmt: skip
    other = post(author, board, title="Vivienda", body="Cooperativas de vivienda.", language="es")
    # A reply that mentions the word does not make its post a match, nor does a topic on an
    # ordinary board.
    from tests.factories import make_board, make_reply, make_topic, opening_post

    make_reply(parent=opening_post(fetch(Topic, other)), author=author, body="¿Y los huertos?",
               language="es")  # fmt: skip
    make_topic(board=make_board(), author=author, title="Huertos", body="Huertos.", language="es")
    with app.test_request_context():
        from brain import search

        assert search.cooperation_topics("huertos") == {topic_id}
        assert search.cooperation_topics("   ") is None


def test_an_index_from_before_the_meeting_fields_indexes_the_cooperation_posts_again(
    app, board, tmp_path
):
    # An index written before the Meeting Point had fields of its own holds the opening post
    # in its content field only: opening it adds the fields and queues the cooperation posts,
    # and once the queue is applied the Meeting Point's words find them.
    from whoosh import index as whoosh_index
    from whoosh.fields import Schema

    from brain import search
    from brain.extensions import db
    from brain.search.index import WRITER_ARGS
    from brain.search.schema import MEETING_FIELDS, build_schema
    from brain.search.whoosh_backend import WhooshBackend

    topic_id = post(make_user(), board, title="Huertos urbanos", body="Huertos.", language="es")
    first_post = fetch(Topic, topic_id).first_post_id
    old_schema = Schema(
        **{
            name: field
            for name, field in build_schema().items()
            if name != "topic" and name not in MEETING_FIELDS
        }
    )
    folder = tmp_path / "old-index"
    folder.mkdir()
    writer = whoosh_index.create_in(str(folder), old_schema).writer(**WRITER_ARGS)
    writer.add_document(post_id=str(first_post), topic_id=str(topic_id), board_id=str(board),
                        opening=True, language="es", content_es="huertos urbanos")  # fmt: skip
    writer.commit()
    own = app.extensions["brain_search"]
    with app.test_request_context():
        app.extensions["brain_search"] = WhooshBackend(str(folder), db.engine, mode="sync")
        try:
            assert search.cooperation_topics("huertos") == set()
            assert search.backend().pending() == 1
            assert search.backend().drain(blocking=True) == 1
            assert search.cooperation_topics("huertos") == {topic_id}
        finally:
            search.backend().indexer._forget_searcher()
            app.extensions["brain_search"] = own


# --- when the search index cannot be read ------------------------------------------------


def break_index_reads(monkeypatch, method: str) -> None:
    """Make Whoosh fail to read the index (a disk error, say) wherever *method* is called."""
    from whoosh.searching import Searcher

    def broken(*args, **kwargs):
        raise OSError("Input/output error")

    monkeypatch.setattr(Searcher, method, broken)


def test_similar_posts_that_cannot_be_read_leave_the_suggestions_to_the_details(
    client, board, monkeypatch, caplog
):
    asker = make_user(username="asker")
    request_id = post(asker, board, title="Rotating savings software",
                      body="Software for rotating savings and tontines.")  # fmt: skip
    post(make_user(username="two"), board, title="Tontine tools", kind="offer",
         body="Our software keeps the books of tontines and rotating savings.")  # fmt: skip

    def reasons() -> list[str]:
        response = client.get(f"/t/{request_id}", follow_redirects=True)
        assert response.status_code == 200
        return re.findall(r'class="reasons">(.*?)</p>', response.get_data(as_text=True))

    break_index_reads(monkeypatch, "document_number")
    degraded = reasons()
    assert degraded and "similar words" not in degraded[0]  # suggested from its details
    assert "Reading the search index failed" in caplog.text
    monkeypatch.undo()
    assert "similar words" in reasons()[0]  # the failure was not kept


def test_words_that_cannot_be_searched_say_so_on_the_meeting_point(client, board, monkeypatch):
    post(make_user(), board, title="Tontines digitales", body="Tontines.", language="es")
    break_index_reads(monkeypatch, "leaf_searchers")
    response = client.get("/meeting-point/", query_string={"q": "tontines"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Searching is not possible at the moment" in html
    assert 'class="topic-title"' not in html
