"""Collective Brain: a threaded, multilingual discussion forum."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from brain import config, ratelimit_store, resources

# A checkout keeps its instance folder beside the package (``make run``); an installed
# package uses BRAIN_INSTANCE_PATH, or else Flask's default, ``<prefix>/var/brain-instance``.
CHECKOUT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, CLI."""
    resources.check()
    app = Flask(
        __name__,
        instance_path=instance_path
        or os.environ.get("BRAIN_INSTANCE_PATH")
        or _checkout_instance(),
        instance_relative_config=True,
        static_folder=str(resources.static()),
    )
    app.config.from_object(config.Defaults)
    app.config.from_pyfile("brain.cfg", silent=True)
    app.config.update(config.from_environment(os.environ))
    app.config.update(overrides or {})
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config.instance_secret_key(app.instance_path)
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"] or (
        f"sqlite:///{Path(app.instance_path) / 'brain.db'}"
    )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file has no server that could have dropped the connection: no ping (one
        # statement more on every request) before each use.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["pool_pre_ping"] = False
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not app.config["RATELIMIT_STORAGE_URI"]:
        app.config["RATELIMIT_STORAGE_URI"] = ratelimit_store.uri_for(app.instance_path)
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    if app.config["PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from brain import (
        admin,
        auth,
        cli,
        cookies,
        database,
        feeds,
        forum,
        mail,
        mailing,
        meeting,
        members,
        moderation,
        notifications,
        pagecache,
        queue,
        search,
        site,
        uploads,
        web,
    )
    from brain.extensions import babel, csrf, db, limiter, migrate
    from brain.i18n import TRANSLATIONS_DIR, select_locale, select_timezone
    from brain.meeting import version as meeting_version
    from brain.notifications import tasks as notification_tasks
    from brain.search import views as search_views

    app.session_interface = cookies.CheckedOnce()
    database.init_app(app)
    queue.init_app(app)
    search.init_app(app)
    migrate.init_app(app, db, directory=str(resources.migrations()), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(TRANSLATIONS_DIR),
    )
    auth.init_app(app)
    web.init_app(app)
    app.register_blueprint(site.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(forum.bp)
    app.register_blueprint(members.bp)
    app.register_blueprint(moderation.bp)
    app.register_blueprint(search_views.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(meeting.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(mailing.bp)
    app.register_blueprint(uploads.bp)
    cli.init_app(app)
    app.url_defaults(_static_version)
    meeting_version.listen()
    notification_tasks.listen()
    mail.listen()  # outgoing mail goes to the task queue after each commit
    pagecache.init_app(app)  # outermost: a cached page skips everything above
    return app


def _checkout_instance() -> str | None:
    """``instance/`` at the top of a checkout; None (Flask's default) for an installation."""
    if (CHECKOUT / "setup.cfg").is_file() and (CHECKOUT / "brain").is_dir():
        return str(CHECKOUT / "instance")
    return None


def _static_version(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values:
        version = resources.static_version(values["filename"])
        if version:
            values.setdefault("v", version)
