"""Request plumbing shared by every blueprint: URL converters, input guards, security headers,
error pages and template helpers."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache, wraps
from urllib.parse import urlsplit

from babel import Locale
from babel import dates as babel_dates
from babel import support as babel_support
from flask import (
    Flask,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, format_timedelta, get_locale, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from markupsafe import Markup, escape
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter, ValidationError
from wtforms.i18n import messages_path as wtforms_messages_path

from brain import avatars, commits, fragments, i18n, permissions, settings
from brain.database import InvalidText
from brain.extensions import db, limiter
from brain.ops import submissions
from brain.ops.errors import NotAllowed, OperationError
from brain.ops.text import parse_count
from brain.ops.uploads import size_text
from brain.vocabulary.moderation import action_name

MAX_ID = 2**31 - 1
# Characters no form field or query may carry: C0 controls but tab and newlines, DEL, and
# surrogates (they cannot be stored in PostgreSQL text or encoded as UTF-8).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class IdConverter(BaseConverter):
    """A database id: ASCII digits that fit a 32-bit integer, otherwise the route does not match."""

    regex = r"[0-9]{1,10}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number <= MAX_ID:
            raise ValidationError()
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))


ERROR_TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("Changed in the meantime"),
    413: _l("Too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
}
ERROR_MESSAGES = {
    400: _l("The request could not be understood. Please check what you sent and try again."),
    403: _l("You do not have permission to do this."),
    404: _l("There is nothing at this address. It may have been moved or deleted."),
    405: _l("This address does not accept that kind of request."),
    409: _l(
        "Someone changed the same thing at the same moment, so your request was not applied. "
        "Reload the page and try again."
    ),
    413: _l("What you sent is too large. Please shorten it and try again."),
    429: _l("You are doing that too often. Please wait a moment and try again."),
    500: _l("An unexpected error happened on our side. It has been logged; please try again."),
}

SAVED_BUT_NOT_SHOWN = _l(
    "Your changes were saved, but the next page could not be shown. Please reload the page."
)


class UserFacingError(HTTPException):
    """An HTTP error whose message is written for the person who made the request."""

    def __init__(self, code: int, message: str):
        super().__init__(description=str(message))
        self.code = code


def fail(code: int, message: str) -> None:
    raise UserFacingError(code, message)


def render_error(error: HTTPException, **extra):
    code = error.code or 500
    if code not in ERROR_TITLES:
        code = 400 if 400 <= code < 500 else 500
    headers = {}
    if code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    try:
        message = error.description if isinstance(error, UserFacingError) else ERROR_MESSAGES[code]
        if isinstance(error, CSRFError):
            message = _(
                "The form has expired or was sent from elsewhere. Reload the page and try again."
            )
        response = render_template(
            "error.html", code=code, title=ERROR_TITLES[code], message=message, **extra
        )
    except Exception:
        # The full page needs the database (the member, the site's name); when that is what
        # failed, the plain page still says what happened, in the visitor's language.
        current_app.logger.exception("The error page could not be rendered in full")
        response = plain_error_page(
            code, error.description if isinstance(error, UserFacingError) else None
        )
    return response, code, headers


def _language_without_database() -> str:
    """The visitor's language from what the request itself says (never the member's
    profile: loading the member may be what failed)."""
    return (
        g.get("locale")
        or i18n.supported(request.args.get("lang"))
        or i18n.supported(request.cookies.get(i18n.LANG_COOKIE))
        or request.accept_languages.best_match([lang.code for lang in i18n.INTERFACE_LANGUAGES])
        or "en"
    )


def plain_error_page(code: int, message=None) -> str:
    """An error page rendered from the request alone: no database, no member, no context
    processors. *message* (a lazy string is translated here) defaults to the code's."""
    language = i18n.BY_CODE.get(_language_without_database(), i18n.BY_CODE["en"])
    with force_locale(language.code):
        return current_app.jinja_env.get_template("error_plain.html").render(
            code=code,
            title=str(ERROR_TITLES[code]),
            message=str(message or ERROR_MESSAGES[code]),
            page_lang=language.code,
            page_dir=language.direction,
            stylesheet=url_for("static", filename="css/brain.css"),
            site_name=current_app.config["SITE_NAME"],
            home=url_for("site.home"),
        )


def retry_wait_message() -> str | None:
    """How long to wait after a 429, in words, from the limit that was hit."""
    limit = limiter.current_limit
    if limit is None:
        return None
    seconds = max(1, int(limit.reset_at - time.time()))
    return _(
        "Please wait %(wait)s before trying again.",
        wait=format_timedelta(timedelta(seconds=seconds), threshold=1.0),
    )


def render_too_large(error: HTTPException):
    """A form larger than the site accepts (413), refused before it was read: for a form
    with files, say the limits, so the person knows what to send instead."""
    if request.mimetype != "multipart/form-data":
        return render_error(error)
    message = _(
        "What you sent is larger than the %(total)s this form accepts. Go back, attach "
        "fewer or smaller files (at most %(size)s each), and send it again.",
        total=size_text(request.max_content_length or 0),
        size=size_text(current_app.config["UPLOAD_MAX_BYTES"]),
    )
    return render_error(UserFacingError(413, message))


def render_rate_limited(error: HTTPException):
    return render_error(error, wait=retry_wait_message())


def posting_key() -> str:
    """Posting limits count per member (a whole office may share one address)."""
    if current_user.is_authenticated:
        return f"member:{current_user.id}"
    return get_remote_address()


def created(response) -> bool:
    """Count a submission against a limit only when it went through (it redirects):
    previews and forms sent back with errors are free."""
    return response.status_code in (301, 302, 303)


def limit_from(setting: str, methods=("POST",), **options):
    """A rate limit read from the configuration when the request comes, counted together on
    every view that uses the same setting (starting topics and replying share the posting
    limit); *options* go to Flask-Limiter (key_func, deduct_when, exempt_when)."""
    shared = limiter.shared_limit(
        lambda: current_app.config[setting],
        scope=setting.lower(),
        methods=list(methods),
        **options,
    )

    def decorate(view):
        limited = shared(view)
        limited.limited_methods = getattr(view, "limited_methods", frozenset()) | set(methods)
        return limited

    return decorate


@limiter.request_filter
def _not_limited() -> bool:
    """A request no limit counts (most pages: a GET of a view whose limits are for POST) skips
    Flask-Limiter's checks, which cost about a tenth of a millisecond on every page."""
    view = current_app.view_functions.get(request.endpoint or "")
    return request.method not in getattr(view, "limited_methods", ())


def _check_limits_when_counted(app: Flask) -> None:
    """Flask-Limiter's check before each request, asked only of requests a limit counts: the
    request filter above is read after the check has gathered the view's limits and its own
    state, ~30 µs, a fifteenth of a request that reads one row."""
    hooks = app.before_request_funcs.setdefault(None, [])
    check = limiter._check_request_limit  # the hook Limiter.init_app registered, if enabled
    if check not in hooks:  # RATELIMIT_ENABLED off: nothing is checked at all
        return
    position = hooks.index(check)

    @wraps(check)
    def check_if_counted() -> None:
        if not _not_limited():
            check()

    hooks[position] = check_if_counted


def page_number(limit: int = 100_000) -> int:
    """The ?page= of a listing: 1 when absent; a page that cannot exist is a 404."""
    raw = request.args.get("page")
    if raw in (None, ""):
        return 1
    page = parse_count(raw)
    if page is None or not 1 <= page <= limit:
        fail(404, _("There is no such page."))
    return page


def form_field(form, problem, default: str = "body"):
    """The field an operation's refusal belongs to (the message shows under it): the one
    it names, else *default* (the form's main text)."""
    named = getattr(form, problem.field or default, None)
    if named is not None and hasattr(named, "errors"):
        if not isinstance(named.errors, list):
            named.errors = list(named.errors)
        return named
    main = getattr(form, "body", None) or getattr(form, "reason", None) or next(iter(form))
    if not isinstance(main.errors, list):
        main.errors = list(main.errors)
    return main


class Attempt:
    """What became of the operation run under ``refusals_on``: ``done`` once it went through,
    else ``refusal``, the error shown on the form."""

    done = False
    refusal: OperationError | None = None


@contextmanager
def refusals_on(form, default: str | None = "body") -> Iterator[Attempt]:
    """Run a form's operation (and its commit) in the ``with`` block; if it is refused
    (OperationError, NotAllowed with its reason), roll back and show why on the form, under
    the field the refusal names, else under *default* (None: as a message at the top of the
    page)::

        with refusals_on(form) as attempt:
            ops.move_topic(topic, current_user, target, form.reason.data)
            db.session.commit()
        if attempt.done:
            return redirect(...)
    """
    attempt = Attempt()
    try:
        yield attempt
    except OperationError as problem:
        db.session.rollback()
        attempt.refusal = problem
        if default is None and not hasattr(getattr(form, problem.field or "", None), "errors"):
            flash(str(problem), "error")
        else:
            form_field(form, problem, default or "body").errors.append(str(problem))
    else:
        attempt.done = True


def earlier_submission(form):
    """A redirect to the post this composer *form* already created (the same form sent
    again: a second press of "Post", a browser's retry), else None (brain.ops.submissions)."""
    earlier = submissions.earlier_post(form.submission.data, current_user)
    return None if earlier is None else redirect(url_for("forum.permalink", post_id=earlier))


def commit_once(form, post_id: int) -> int:
    """Commit the post *post_id* that a composer *form* created, recorded under the form's
    one-time token. If the same form won the race a moment before, nothing of this copy is
    kept: the id returned is the first post's, to show instead."""
    submissions.record(form.submission.data, current_user, post_id)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        earlier = submissions.earlier_post(form.submission.data, current_user)
        if earlier is None:
            raise
        return earlier
    return post_id


def _forget_failed_transaction() -> None:
    """After an error the session may hold a failed transaction (or a dead connection):
    drop it, so the error page can still read what it needs."""
    try:
        db.session.rollback()
    except Exception:
        db.session.registry.clear()


def render_internal_error(error: Exception):
    _forget_failed_transaction()
    # When the app knows the write went through, saying "failed" would make people repeat it.
    message = SAVED_BUT_NOT_SHOWN if g.get("saved_changes") else ERROR_MESSAGES[500]
    try:
        return render_error(UserFacingError(500, message))
    except Exception:
        # Even the message's language may need the database (the member's profile).
        return plain_error_page(500, message), 500


def render_not_allowed(error: NotAllowed):
    """A refusal no form shows: a 403 page with its reason — or, when the reason is that the
    visitor is not logged in, the login page."""
    _forget_failed_transaction()
    if error.why == permissions.Why.LOG_IN and not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return render_error(UserFacingError(403, str(error)))


def render_conflict(error: Exception):
    """A unique-constraint or version race that no view expected: a clear 409, nothing
    half-saved (the transaction is rolled back)."""
    _forget_failed_transaction()
    current_app.logger.info("Concurrent change refused: %s", error)
    return render_error(UserFacingError(409, ERROR_MESSAGES[409]))


def _mark_saved() -> None:
    if has_request_context():
        g.saved_changes = True


def guard_input() -> None:
    """Refuse control characters anywhere in the address, the query, the form or the
    cookies before any view sees them: no route has to remember (PostgreSQL cannot store
    NUL, and a path segment is looked up in the database like any field)."""
    values = [request.path]
    # ?lang= is exempt: any value there falls back to a supported language (i18n.supported).
    for key, value in request.args.items(multi=True):
        values += [key] if key == "lang" else [key, value]
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        for key, value in request.form.items(multi=True):
            values += [key, value]
    values += request.cookies.values()
    for value in values:
        if _CONTROL.search(value):
            fail(400, _("The request contains characters that are not allowed (such as NUL)."))


def render_invalid_text(error: InvalidText):
    """Text that passed the forms but the database cannot hold (brain.database)."""
    _forget_failed_transaction()
    current_app.logger.warning("Refused at the database: %s", error)
    return render_error(
        UserFacingError(
            400,
            _(
                "Something you sent is too long or contains characters that are not "
                "allowed. Please shorten or correct it and try again."
            ),
        )
    )


def security_headers(response):
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def safe_next(target: str | None, default: str = "/") -> str:
    """*target* if it is a path on this site, else *default*: no open redirects."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(c in target for c in "\r\n\\"):
        return default
    return target


def not_a_page(view):
    """Mark a view whose answer is a file, a feed or a status, not a page: what every page
    shows (the bell) is not read for it. Put it right under the route."""
    view.not_a_page = True
    return view


def serving_a_page() -> bool:
    """Whether this request reads a page (a GET or HEAD of a view not marked ``not_a_page``)."""
    if request.method not in ("GET", "HEAD"):
        return False
    view = current_app.view_functions.get(request.endpoint)
    return view is not None and not getattr(view, "not_a_page", False)


def when(moment: datetime | None) -> Markup:
    """A <time> element: relative wording, exact date and time on hover."""
    if moment is None:
        return Markup("")
    return time_element(moment, str(get_locale() or "en"), get_timezone(), datetime.now(UTC))


def time_element(moment: datetime, locale: str, zone, now: datetime) -> Markup:
    """``when`` for a reader's language and time zone, and the moment it is now: a list of
    twenty dates reads those once."""
    seconds = (moment - now).total_seconds()
    relative = escape(_relative(*_rounded(seconds), seconds >= 0, locale))
    exact = escape(_exact_time(moment, locale, zone))
    iso = moment.isoformat(timespec="seconds")  # digits, "-", ":", "+" and "T"
    # Escaped above (Markup.format escapes field by field, at twice the cost of the rest).
    return Markup(f'<time datetime="{iso}" title="{exact}">{relative}</time>')  # noqa: S704


def _rounded(seconds: float) -> tuple[str, int]:
    """The unit and number Babel's format_timedelta words *seconds* with (its default
    threshold, to the minute): a page's twenty dates are then a few kept wordings."""
    for unit, per_unit in babel_dates.TIMEDELTA_UNITS:
        value = abs(seconds) / per_unit
        if value >= RELATIVE_THRESHOLD or unit == "minute":
            if unit == "minute" and value > 0:
                value = max(1.0, value)
            return unit, round(value)
    raise AssertionError("minute is among the units")  # pragma: no cover


RELATIVE_THRESHOLD = 0.85  # Babel's


@lru_cache(maxsize=4096)
def _relative(unit: str, value: int, future: bool, locale: str) -> str:
    """Babel's wording of *value* *units* ("3 minutes ago", "in 2 days"), kept: it costs ~0.1
    ms, and a page of posts or topics would word twenty of them."""
    per_unit = dict(babel_dates.TIMEDELTA_UNITS)[unit]
    return babel_dates.format_timedelta(
        value * per_unit if future else -value * per_unit,
        add_direction=True,
        granularity=unit,
        threshold=float("inf"),  # *unit* itself, not a larger one
        locale=locale,
    )


def _exact_time(moment: datetime, locale: str, zone) -> str:
    """A moment in full (the long form names the time zone), as Babel's
    ``format_datetime(moment, "long", tzinfo=zone, locale=locale)`` gives it, at a third of
    its ~20 µs. Most of its cost is the date, the zone's name and the half of the day, which
    are kept (a day's date serves every post of that day, a zone's name every moment at that
    offset); the hour, minutes and seconds are only numbers. Not kept per moment: a search
    shows twenty posts nobody was shown lately."""
    local = moment.astimezone(zone)
    joined, parsed = _long_patterns(locale)
    key = (locale, str(zone), local.utcoffset(), local.dst(), local.year, local.hour < 12)
    clock = _clocks.get(key)
    if clock is None:
        clock = _clock(local, parsed, key)
    if not clock:  # a field that is not a number nor kept: as Babel writes it
        return babel_dates.format_datetime(moment, "long", tzinfo=zone, locale=locale)
    text, numbers = clock
    # Each number zero-padded to its field's width, as Babel writes it.
    time_of_day = text % {name: f"{_NUMBERS[name[0]](local):0{len(name)}d}" for name in numbers}
    return joined.replace("{0}", time_of_day).replace("{1}", _long_date(local.date(), locale))


@lru_cache(maxsize=64)
def _long_patterns(locale: str) -> tuple[str, Locale]:
    """How *locale* joins a long date and time, and the locale."""
    parsed = Locale.parse(locale)
    return babel_dates.get_datetime_format("long", locale=parsed).replace("'", ""), parsed


@lru_cache(maxsize=4096)
def _long_date(day: date, locale: str) -> str:
    return babel_dates.format_date(day, "long", locale=locale)


# The fields of a time of day that are numbers.
_NUMBERS = {
    "h": lambda moment: moment.hour % 12 or 12,
    "H": lambda moment: moment.hour,
    "K": lambda moment: moment.hour % 12,
    "k": lambda moment: moment.hour or 24,
    "m": lambda moment: moment.minute,
    "s": lambda moment: moment.second,
}
# The fields the same at every moment of a half day at one offset: the period and the zone.
_SAME_HALF_DAY = frozenset("azZvVOXx")
# (locale, zone, offset, summer time, year, morning) → the long time of day with its numbers
# left as %(name)s fields, and their names; or () when the pattern has other fields.
_clocks: dict[tuple, tuple] = {}


def _clock(local: datetime, locale: Locale, key: tuple) -> tuple:
    fields = _ClockFields(local, locale)
    try:
        clock = (babel_dates.parse_pattern(babel_dates.get_time_format("long", locale)) % fields,)
    except KeyError:
        clock = ()
    if len(_clocks) > 4096:
        _clocks.clear()
    _clocks[key] = clock = (*clock, tuple(fields.numbers)) if clock else ()
    return clock


class _ClockFields(babel_dates.DateTimeFormat):
    """Babel's fields of a time of day (named for its date, as Babel's format_datetime
    does), with the numbers left as fields to fill."""

    def __init__(self, local: datetime, locale: Locale):
        super().__init__(local.timetz(), locale, reference_date=local.date())
        self.numbers: list[str] = []

    def __getitem__(self, name: str) -> str:
        if name[0] in _NUMBERS:
            self.numbers.append(name)
            return f"%({name})s"
        if name[0] in _SAME_HALF_DAY:
            return super().__getitem__(name).replace("%", "%%")
        raise KeyError(name)


def language_name(code: str) -> str:
    language = i18n.BY_CODE.get(code)
    return language.name if language else _("Other language")


def language_badge(code: str, locale: str | None = None) -> Markup:
    """A post's or topic's language as a short badge, its name on hover (in *locale*, the
    reader's language, read from the request if not given)."""
    return _badge(code, locale or str(get_locale() or "en"))


@lru_cache(maxsize=256)
def _badge(code: str, locale: str) -> Markup:
    """Kept per language and reader's language: a list of twenty topics or hits shows a few."""
    if code == "und":
        return Markup('<span class="lang-badge" title="{}" lang="">…</span>').format(
            language_name(code)
        )
    return Markup('<span class="lang-badge" title="{}" lang="{}">{}</span>').format(
        language_name(code), code, code.upper()
    )


def member_name(user) -> str:
    """The name shown for a member: a deleted account reads "Former member", in the
    reader's language (its stored name is a neutral English one)."""
    if user.deleted_at is not None:
        return _("Former member")
    return user.display_name


def member_link(user, **attributes) -> Markup:
    """A link to a member's profile; the name is isolated so any script reads right. A
    deleted account's name is shown without a link. *attributes* (``class_`` for class)
    go on the element."""
    extra = Markup("").join(
        Markup(' {}="{}"').format(name.rstrip("_"), value) for name, value in attributes.items()
    )
    if user.deleted_at is not None:
        return Markup('<span class="former-member"{extra}>{name}</span>').format(
            extra=extra, name=member_name(user)
        )
    return Markup('<a href="{url}"{extra}><bdi>{name}</bdi></a>').format(
        url=url_for("members.profile", username=user.username),
        extra=extra,
        name=user.display_name,
    )


def board_link(board) -> Markup:
    locale = str(get_locale() or "en")
    return Markup('<a href="{url}">{name}</a>').format(
        url=url_for("forum.board", slug=board.slug), name=board.name_in(locale)
    )


@lru_cache(maxsize=16)
def _form_catalog(locale: str) -> babel_support.Translations:
    return babel_support.Translations.load(wtforms_messages_path(), [locale], domain="wtforms")


class _FormTranslations:
    """WTForms' own messages in the request's language, read from disk once per process
    (Flask-WTF reads the catalog again for every request that builds a form)."""

    def ugettext(self, string: str) -> str:
        return _form_catalog(str(get_locale() or "en")).ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return _form_catalog(str(get_locale() or "en")).ungettext(singular, plural, n)


_FORM_TRANSLATIONS = _FormTranslations()


def share_form_translations() -> None:
    request.wtforms_translations = _FORM_TRANSLATIONS  # what flask_wtf.i18n looks for


def template_globals() -> dict:
    locale = str(get_locale() or "en")
    language = i18n.BY_CODE.get(locale, i18n.BY_CODE["en"])
    return {
        "page_lang": language.code,
        "page_dir": language.direction,
        "site_name": _site_name(language.code),
    }


def _site_name(code: str) -> str:
    """The site's name. The settings are kept while the content is unchanged (saving one is a
    change of content), so a page (its feed links too) reads them without a query."""
    if "site_settings" not in g:
        g.site_settings = dict(fragments.kept("site-settings", make=settings._stored))
    return settings.site_name(code)


# The parts of every page that are the reader's own (brain.fragments.personal).


@fragments.filler("csrf")
def _csrf_field_value(_number: int) -> str:
    return csrf_value()


def csrf_value() -> str:
    """The reader's CSRF token, escaped for an attribute. A page has several forms: the token
    is the request's (Flask-WTF keeps it in g), but asking for it reads the configuration
    again each time."""
    if "csrf_field_value" not in g:
        config = current_app.config
        raw = session.get(config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
        if raw is None or config["WTF_CSRF_TIME_LIMIT"] is not None:
            g.csrf_field_value = escape(generate_csrf())
        else:
            g.csrf_field_value = _signed_csrf(current_app.secret_key, raw)
    return g.csrf_field_value


@lru_cache(maxsize=10_000)
def _signed_csrf(_secret_key: str, _session_token: str) -> str:
    """The reader's CSRF token, signed, kept per session token: signing costs ~20 µs on every
    member page, and without a time limit (WTF_CSRF_TIME_LIMIT) a token signed earlier is as
    good as a new one. Called when the request's session holds *_session_token*."""
    return escape(generate_csrf())


# The address of the page, in its header (base.html), kept for every page of a section.


@fragments.filler("here")
def _this_page(_number: int) -> str:
    """Where to come back to (a form's "next"): this page's path and query."""
    return escape(request.full_path)


@fragments.filler("herepath")
def _this_path(_number: int) -> str:
    return escape(request.path)


@fragments.filler("hereargs")
def _these_arguments(_number: int) -> Markup:
    """This page's query as hidden fields, but the language: a guest's language switch keeps
    the rest of the address."""
    return Markup("").join(
        Markup('<input type="hidden" name="{}" value="{}">\n').format(name, value)
        for name, value in request.args.items(multi=True)
        if name != "lang"
    )


@fragments.filler("loginlink")
def _log_in_address(_number: int) -> str:
    """Logging in comes back to this page (not to the login or registration form itself)."""
    if request.endpoint in ("auth.login", "auth.register"):
        return escape(url_for("auth.login"))
    return escape(url_for("auth.login", next=request.full_path))


@fragments.filler("flashes")
def _flashed_messages(_number: int) -> str:
    if "_flashes" not in session:  # what get_flashed_messages reads
        return ""
    return render_template("_flashes.html")


def init_app(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    _check_limits_when_counted(app)
    app.before_request(guard_input)
    app.before_request(share_form_translations)
    app.after_request(security_headers)
    app.after_request(i18n.remember_locale)
    for code in ERROR_TITLES:
        if code not in (413, 429, 500):
            app.register_error_handler(code, render_error)
    app.register_error_handler(413, render_too_large)
    app.register_error_handler(429, render_rate_limited)
    app.register_error_handler(UserFacingError, render_error)
    app.register_error_handler(NotAllowed, render_not_allowed)
    app.register_error_handler(CSRFError, render_error)
    app.register_error_handler(500, render_internal_error)
    app.register_error_handler(IntegrityError, render_conflict)
    app.register_error_handler(InvalidText, render_invalid_text)
    app.register_error_handler(StaleDataError, render_conflict)
    commits.after_commits_that(
        "saved_changes",
        lambda session: bool(session.new or session.dirty or session.deleted),
        _mark_saved,
    )
    app.context_processor(template_globals)
    app.jinja_env.filters["when"] = when
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(
        interface_languages=i18n.INTERFACE_LANGUAGES,
        direction_of=i18n.direction_of,
        language_name=language_name,
        language_badge=language_badge,
        member_link=member_link,
        member_name=member_name,
        avatar_initials=avatars.initials,
        avatar_colour=avatars.colour_index,
        board_link=board_link,
        content_languages=i18n.content_language_codes(),
        action_name=action_name,
        is_administrator=permissions.is_administrator,
        is_staff=permissions.is_staff,
        # The permission rules templates ask to decide which links to show (brain.permissions).
        moderates=permissions.moderates,
        can_edit=permissions.can_edit,
        can_delete=permissions.can_delete,
        can_report=permissions.can_report,
        can_see_revisions=permissions.can_see_revisions,
        can_see_post_body=permissions.can_see_post_body,
    )
    app.jinja_env.filters["language_name"] = language_name
    app.jinja_env.filters["list_of"] = i18n.list_of  # "A, B and C" in the reader's language
