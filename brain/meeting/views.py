"""The Meeting Point's pages: the filtered list, the overview, posting and managing offers,
requests and experiences, expressing interest, and the panel the topic page shows for them."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from brain import fragments, permissions, search
from brain.extensions import db
from brain.feedlinks import offer_feed
from brain.forms import ConfirmForm
from brain.forum.lookup import readable_board, readable_topic
from brain.i18n import default_content_language
from brain.meeting import bp, charts, counts, filters, matching, queries, version
from brain.meeting.forms import CooperationForm, DetailsForm, InterestForm, StatusForm
from brain.meeting.preview import DraftCooperation
from brain.models import Board, Cooperation, Topic
from brain.ops import cooperation as ops
from brain.ops import posts as post_ops
from brain.ops.cooperation import Details
from brain.ops.errors import OperationError
from brain.vocabulary import meeting as catalog
from brain.vocabulary.meeting import Status
from brain.web import (
    commit_once,
    created,
    earlier_submission,
    fail,
    limit_from,
    page_number,
    posting_key,
)

_SIMILAR = version.Kept(size=2000)  # opening post id → similar posts' text scores
MAX_PAGE = 10_000


def _board() -> Board:
    return readable_board(current_app.config["MEETING_POINT_BOARD"])


def _cooperation(topic_id: int) -> Cooperation:
    topic = readable_topic(topic_id)
    if topic.cooperation is None:
        fail(404, _("This topic is not an offer, a request or an experience."))
    return topic.cooperation


def _managed(topic_id: int) -> Cooperation:
    cooperation = _cooperation(topic_id)
    if not permissions.manages_cooperation(current_user, cooperation.topic):
        fail(403, _("Only the author of this post and the moderators can do this."))
    return cooperation


def _topic_url(cooperation: Cooperation) -> str:
    topic = cooperation.topic
    return url_for("forum.topic", topic_id=topic.id, slug=topic.slug)


def _selection() -> tuple[queries.Selection, str]:
    """The facets chosen in the query string, and the text (whose matches are looked up)."""
    selection = queries.Selection(chosen=filters.chosen_in(request.args))
    text = request.args.get("q", "").strip()[:500]
    if text:
        try:
            selection.topic_ids = search.cooperation_topics(text)
        except search.SearchUnavailable as problem:  # logged by the search module
            selection.topic_ids = set()
            flash(str(problem), "error")
            fragments.distrust()  # the page says "nothing matched": keep none of it
    return selection, text


@bp.route("/")
def home():
    board = _board()
    page = page_number(MAX_PAGE)
    selection, text = _selection()
    offer_feed(meeting_point=selection.chosen)
    facet_counts = counts.facet_counts(selection)
    cooperations, total = queries.listing(selection, page, facet_counts)
    suggestions = []
    if current_user.is_authenticated and not any(selection.chosen.values()) and not text:
        suggestions = matching.suggestions_for_member(current_user)
    chosen_args = {facet: sorted(values) for facet, values in selection.chosen.items() if values}
    if text:
        chosen_args["q"] = text
    return render_template(
        "meeting/home.html",
        board=board,
        cooperations=cooperations,
        total=total,
        page=page,
        pages=max(1, -(-total // queries.PAGE)),
        # The filters are kept as a fragment by what they show: the selection, and the counts
        # (which follow the Meeting Point's counter); they are labelled only when not kept.
        selection_key=(
            version.current(),
            text,
            *((facet, *values) for facet, values in sorted(chosen_args.items()) if facet != "q"),
        ),
        facet_groups=lambda: filters.facet_groups(facet_counts, selection),
        chosen_args=chosen_args,
        active_filters=sum(len(values) for values in selection.chosen.values()) + bool(text),
        text=text,
        suggestions=suggestions,
        catalog=catalog,
        can_post=permissions.can_start_topic(current_user, board),
    )


@bp.route("/overview")
def overview():
    _board()
    figures = counts.overview()
    return render_template("meeting/overview.html", figures=figures, charts=charts, catalog=catalog)


@bp.route("/new", methods=["GET", "POST"])
@login_required
@limit_from("RATELIMIT_POSTING", key_func=posting_key, deduct_when=created)
def new():
    board = _board()
    if not permissions.can_start_topic(current_user, board):
        fail(403, _("You cannot post on the Meeting Point."))
    form = CooperationForm()
    if request.method == "GET":
        form.language.data = default_content_language()
        form.kind.data = request.args.get("kind", "request")
        form.languages.data = [form.language.data]
    preview = None
    if form.is_submitted():
        # Every field is checked in the same round, so a person sees all that is missing at
        # once (the details used to wait until the title and the message passed).
        text_ok = form.validate()
        details = form.check_details()
        if form.preview.data:
            preview = _preview_of(form, details)
        elif text_ok and details is not None:
            if earlier := earlier_submission(form):
                return earlier
            try:
                topic = ops.post_cooperation(
                    board,
                    current_user,
                    form.title.data,
                    form.body.data,
                    form.language.data,
                    details,
                )
            except OperationError as problem:
                db.session.rollback()
                field = getattr(form, problem.field or "body")
                field.errors = [*field.errors, str(problem)]
            else:
                first_post_id = topic.first_post_id
                shown = commit_once(form, first_post_id)
                if shown != first_post_id:
                    return redirect(url_for("forum.permalink", post_id=shown))
                flash(_("Your post is on the Meeting Point."), "success")
                return redirect(url_for("forum.topic", topic_id=topic.id, slug=topic.slug))
    return render_template(
        "meeting/new.html", form=form, board=board, catalog=catalog, preview=preview
    )


def _preview_of(form: CooperationForm, details: Details | None) -> dict | None:
    """The post as it will look (its details as far as they are valid, and the rendered
    message), or None when there is nothing to show yet; nothing is saved."""
    body_html = None
    # A message the form refused (too long, forbidden characters) is not rendered.
    if (form.body.data or "").strip() and not form.body.errors:
        try:
            body_html = post_ops.render_body(form.body.data)
        except OperationError as problem:
            form.body.errors = [*form.body.errors, str(problem)]
    if body_html is None and details is None:
        return None
    return {
        "title": (form.title.data or "").strip(),
        "language": form.language.data,
        "cooperation": DraftCooperation(details) if details is not None else None,
        "body_html": body_html,
    }


@bp.route("/<id:topic_id>/details", methods=["GET", "POST"])
@login_required
def edit_details(topic_id: int):
    cooperation = _managed(topic_id)
    form = DetailsForm()
    if request.method == "GET":
        form.fill(cooperation)
    if form.is_submitted():
        csrf_ok = form.validate()
        details = form.check_details()
        if csrf_ok and details is not None:
            ops.edit_cooperation(cooperation, details)
            db.session.commit()
            flash(_("The details are saved."), "success")
            return redirect(_topic_url(cooperation))
    return render_template(
        "meeting/edit_details.html", form=form, cooperation=cooperation, catalog=catalog
    )


@bp.route("/<id:topic_id>/status", methods=["POST"])
@login_required
def change_status(topic_id: int):
    cooperation = _managed(topic_id)
    form = StatusForm()
    if not form.validate_on_submit():
        fail(400, _("The form was incomplete. Please try again."))
    try:
        ops.change_status(cooperation, current_user, form.status.data or "", form.note.data or "")
    except OperationError as problem:
        db.session.rollback()
        flash(str(problem), "error")
        return redirect(_topic_url(cooperation)), 303
    db.session.commit()
    flash(
        _(
            "The post is now “%(status)s”.",
            status=catalog.STATUS_LABELS[Status(cooperation.status)],
        ),
        "success",
    )
    return redirect(_topic_url(cooperation))


@bp.route("/<id:topic_id>/interest", methods=["POST"])
@login_required
def express_interest(topic_id: int):
    cooperation = _cooperation(topic_id)
    if not permissions.can_express_interest(current_user, cooperation.topic):
        fail(403, _("You cannot express interest in this post."))
    form = InterestForm()
    if not form.validate_on_submit():
        fail(400, _("The form was incomplete. Please try again."))
    try:
        ops.express_interest(cooperation, current_user, form.message.data or "")
    except OperationError as problem:
        db.session.rollback()
        flash(str(problem), "error")
        return redirect(_topic_url(cooperation))
    db.session.commit()
    flash(_("Your interest was sent to the author."), "success")
    return redirect(_topic_url(cooperation))


@bp.route("/<id:topic_id>/interest/<id:interest_id>/accept", methods=["POST"])
@login_required
def accept_interest(topic_id: int, interest_id: int):
    cooperation = _managed(topic_id)
    interest = queries.interest_in(topic_id, interest_id)
    if interest is None:
        fail(404, _("There is no such expression of interest."))
    if not ConfirmForm().validate_on_submit():
        fail(400, _("The form was incomplete. Please try again."))
    ops.accept_interest(cooperation, interest)
    db.session.commit()
    flash(
        _("%(name)s is now a partner of this post.", name=interest.member.display_name),
        "success",
    )
    return redirect(_topic_url(cooperation))


@fragments.filler("panel")
def _panel_html(topic_id: int) -> str:
    """The cooperation panel of a topic page, for this reader (the forum's topic template
    asks for it as a personal part, so the forum never imports the Meeting Point)."""
    topic = db.session.get(Topic, topic_id)
    found = panel(topic) if topic is not None else None
    if found is None:
        return ""
    return render_template("meeting/_panel.html", panel=found, topic=topic)


def panel(topic) -> dict | None:
    """What the topic page shows of a cooperation post (None for an ordinary topic)."""
    cooperation = topic.cooperation
    if cooperation is None:
        return None
    manages = permissions.manages_cooperation(current_user, topic)
    status = Status(cooperation.status)
    status_form = None
    if manages:
        status_form = StatusForm(formdata=None)
        status_form.status.choices = [
            (target.value, str(catalog.STATUS_LABELS[target]))
            for target in Status
            if target in catalog.TRANSITIONS[status]
        ]
    mine = None
    if current_user.is_authenticated:
        mine = next((i for i in cooperation.interests if i.member_id == current_user.id), None)
    interest_form = None
    if (
        mine is None
        and cooperation.kind != catalog.Kind.EXPERIENCE
        and status in catalog.LOOKING
        and permissions.can_express_interest(current_user, topic)
    ):
        interest_form = InterestForm(formdata=None)
    text_scores = {}
    if topic.first_post_id:
        # Kept while the Meeting Point's details are unchanged (a reworded post weighs in
        # with the next change). The scores come from the search index, which follows the
        # commits a moment later: they are kept only when nothing waits to be indexed, that
        # is when every change the counter counts is in the index.
        try:
            text_scores = _SIMILAR.get(
                topic.first_post_id,
                lambda: search.similar_cooperations(topic.first_post_id),
                keep_if=lambda: search.backend().pending() == 0,
            )
        except search.SearchUnavailable:  # logged by the search module; nothing is kept
            text_scores = {}  # the suggestions then rest on the details alone
    return {
        "cooperation": cooperation,
        "manages": manages,
        "status_form": status_form,
        "interest_form": interest_form,
        "mine": mine,
        "suggestions": matching.suggestions_for(cooperation, text_scores),
        "catalog": catalog,
    }
