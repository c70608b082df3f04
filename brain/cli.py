"""The ``brain`` command: everything an operator scripts."""

from __future__ import annotations

import errno
import getpass
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select

from brain import gunicorn_conf
from brain.catalogs import compile_catalogs
from brain.extensions import db
from brain.i18n import TRANSLATIONS_DIR

DEMO_ACCOUNTS_FILE = "demo-accounts.json"


def main() -> None:
    from brain import create_app

    cli = FlaskGroup(create_app=lambda: create_app(), help="Collective Brain operations.")
    cli.main(prog_name="brain")


def compile_translations(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Compile every messages.po under *directory* into messages.mo; returns the .mo files."""
    return compile_catalogs(directory)


def _demo_accounts_path() -> Path:
    return Path(current_app.instance_path) / DEMO_ACCOUNTS_FILE


def _print_demo_accounts() -> None:
    path = _demo_accounts_path()
    if not path.exists():
        return
    accounts = json.loads(path.read_text())
    click.echo("Demo accounts (username / password), kept in " + str(path) + ":")
    for account in accounts:
        click.echo(f"  {account['role']:<10} {account['username']:<16} {account['password']}")


@click.command("setup")
@click.option("--demo/--no-demo", default=True, help="Load demo content into an empty database.")
@with_appcontext
def setup_command(demo: bool) -> None:
    """Migrate the database, load demo content the first time, compile translations."""
    from brain.models import Board

    upgrade()
    compiled = compile_translations()
    click.echo(f"Database is up to date; {len(compiled)} translation catalogs compiled.")
    from brain.ops.posts import rerender_posts

    with current_app.test_request_context("/"):  # mention links need url_for
        rerendered = rerender_posts()  # posts written by an older renderer (brain.markup)
        db.session.commit()
    if rerendered:
        click.echo(f"{rerendered} posts rendered again with the current renderer.")
    if demo and db.session.scalar(select(Board.id).limit(1)) is None:
        _load_demo()
    from brain.search import backend

    backend().drain(blocking=True)


def _load_demo() -> None:
    from brain.demo import load_demo

    with current_app.test_request_context("/"):
        accounts = load_demo()
        db.session.commit()
    path = _demo_accounts_path()
    path.write_text(json.dumps(accounts, indent=2, ensure_ascii=False))
    path.chmod(0o600)
    click.echo(f"Demo content loaded: {len(accounts)} members.")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo community (only into a database without boards)."""
    from brain.models import Board

    if db.session.scalar(select(Board.id).limit(1)) is not None:
        raise click.ClickException("The database already has boards; demo content not loaded.")
    _load_demo()
    _print_demo_accounts()


@click.command("create-admin")
@click.argument("username")
@click.argument("email")
@click.option("--password", envvar="BRAIN_ADMIN_PASSWORD", help="Asked for when not given.")
@with_appcontext
def create_admin_command(username: str, email: str, password: str | None) -> None:
    """Create an administrator account."""
    from brain.models import Role
    from brain.ops.accounts import MIN_PASSWORD, register_member
    from brain.ops.errors import OperationError

    if not password:
        password = getpass.getpass("Password: ")
    if len(password) < MIN_PASSWORD:
        raise click.ClickException(f"The password needs at least {MIN_PASSWORD} characters.")
    try:
        user = register_member(username, email, password, role=Role.ADMIN)
    except OperationError as problem:
        raise click.ClickException(str(problem)) from problem
    db.session.commit()
    click.echo(f"Administrator {user.username} created.")


@click.group("members")
def members_group() -> None:
    """Members: roles and approval."""


def _member(username: str):
    from brain.models import User
    from brain.ops.accounts import username_key

    user = db.session.scalar(select(User).where(User.username_key == username_key(username)))
    if user is None:
        raise click.ClickException(f"There is no member called {username!r}.")
    return user


@members_group.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice(["member", "moderator", "admin"]))
@click.option(
    "--board", "boards", multiple=True, help="Slug of a board to moderate (repeat for several)."
)
@with_appcontext
def member_role_command(username: str, role: str, boards: tuple[str, ...]) -> None:
    """Make a member a plain member, a moderator of boards, or an administrator."""
    from brain.models import Board, Role
    from brain.ops.accounts import set_role

    user = _member(username)
    chosen = list(db.session.scalars(select(Board).where(Board.slug.in_(boards))))
    missing = set(boards) - {board.slug for board in chosen}
    if missing:
        raise click.ClickException(f"No board with the slug: {', '.join(sorted(missing))}.")
    if role == "moderator" and not chosen:
        raise click.ClickException("A moderator needs at least one --board.")
    set_role(user, Role(role), chosen)
    db.session.commit()
    where = f" of {', '.join(b.slug for b in chosen)}" if chosen else ""
    click.echo(f"{user.username} is now {role}{where}.")


@members_group.command("approve")
@click.argument("usernames", nargs=-1)
@click.option("--all-pending", is_flag=True, help="Approve every account waiting for approval.")
@with_appcontext
def member_approve_command(usernames: tuple[str, ...], all_pending: bool) -> None:
    """Approve accounts waiting for approval (registration mode "approval")."""
    from brain.models import User
    from brain.ops import notifications
    from brain.ops.accounts import approve_member

    if all_pending:
        users = list(db.session.scalars(select(User).where(User.approved_at.is_(None))))
    else:
        users = [_member(name) for name in usernames]
    if not users:
        click.echo("Nobody to approve.")
        return
    for user in users:
        if approve_member(user):
            notifications.account_approved(user)  # as approval on the admin page does
            click.echo(f"{user.username} approved.")
        else:
            click.echo(f"{user.username} was already approved.")
    db.session.commit()


@members_group.command("pending")
@with_appcontext
def member_pending_command() -> None:
    """List the accounts waiting for approval."""
    from brain.models import User

    users = db.session.scalars(
        select(User).where(User.approved_at.is_(None)).order_by(User.created_at)
    ).all()
    for user in users:
        click.echo(f"{user.username}\t{user.email}\t{user.created_at:%Y-%m-%d %H:%M}")
    click.echo(f"{len(users)} waiting for approval.")


@click.command("rerender")
@click.option("--all", "everything", is_flag=True, help="Every post, not only outdated ones.")
@with_appcontext
def rerender_command(everything: bool) -> None:
    """Render posts again with the current Markdown renderer."""
    from brain.ops.posts import rerender_posts

    with current_app.test_request_context("/"):
        changed = rerender_posts(everything=everything)
        db.session.commit()
    click.echo(f"{changed} posts re-rendered.")


@click.group("search")
def search_group() -> None:
    """The search index."""


@search_group.command("rebuild")
@click.option("--procs", default=1, show_default=True, help="Indexing processes.")
@with_appcontext
def search_rebuild(procs: int) -> None:
    """Index every post again, from scratch."""
    import time

    from brain.models import Post
    from brain.search import backend

    total = db.session.scalar(select(func.count(Post.id)))
    started = time.perf_counter()
    with click.progressbar(length=total, label="Indexing posts") as bar:
        count = backend().rebuild(progress=bar.update, procs=procs)
    seconds = time.perf_counter() - started
    click.echo(
        f"{count} posts indexed in {seconds:.1f} s ({count / max(seconds, 1e-9):.0f} posts/s)."
    )


@search_group.command("check")
@with_appcontext
def search_check() -> None:
    """Report drift between the database and the index (exit 1 when there is some)."""
    from brain.search import backend

    drift = backend().check()
    click.echo(
        f"missing from the index: {len(drift['missing'])}; "
        f"in the index but gone: {len(drift['stale'])}; waiting in the outbox: "
        f"{len(drift['pending'])}"
    )
    for kind in ("missing", "stale"):
        if drift[kind]:
            click.echo(f"  {kind} post ids: {drift[kind][:50]}")
    if drift["missing"] or drift["stale"]:
        raise SystemExit(1)


@search_group.command("drain")
@with_appcontext
def search_drain() -> None:
    """Apply the outbox to the index now."""
    from brain.search import backend

    click.echo(f"{backend().drain(blocking=True)} posts brought up to date.")


@search_group.command("optimize")
@with_appcontext
def search_optimize() -> None:
    """Compact the index (Whoosh: its segments merged into one; PostgreSQL: the GIN index's
    pending entries merged and statistics refreshed). Run when the site is quiet."""
    from brain.search import backend

    backend().optimize()
    click.echo("Index optimised.")


@search_group.command("glossary-check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def search_glossary_check(path: Path | None) -> None:
    """Validate the glossary (the shipped one unless PATH is given); exit 1 on any problem."""
    from brain import resources
    from brain.search.glossary_check import check

    path = path or resources.glossary()
    problems = check(path)
    for problem in problems:
        click.echo(f"{path.name}: {problem}")
    if problems:
        click.echo(f"{len(problems)} problems in {path}.")
        raise SystemExit(1)
    click.echo(f"{path}: no problems.")


@click.group("uploads")
def uploads_group() -> None:
    """Files attached to posts, and avatars."""


@uploads_group.command("prune")
@with_appcontext
def uploads_prune() -> None:
    """Remove files a day old that no post or member holds (the worker does it hourly)."""
    from brain.ops.uploads import prune

    pruned = prune()
    click.echo(f"{pruned.waiting} files never posted and {pruned.strays} stray files removed.")


@click.group("translations")
def translations_group() -> None:
    """Interface translations."""


@translations_group.command("compile")
def translations_compile() -> None:
    """Compile the catalogs under translations/."""
    compiled = compile_translations()
    click.echo(f"{len(compiled)} catalogs compiled.")


def _check_port_free(host: str, port: int) -> None:
    """Exit with a clear message when gunicorn could not bind *host*:*port* (it would only
    print a traceback after the banner)."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as probe:
            # As gunicorn binds: a port whose old connections linger in TIME_WAIT is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as problem:
        if problem.errno == errno.EADDRINUSE:
            raise click.ClickException(
                f"Port {port} is taken: another program is listening on it (is the forum "
                "already running?). Stop that program, or choose another port: "
                "make run PORT=5001 (or brain serve --port 5001)."
            ) from problem
        raise click.ClickException(
            f"Cannot listen on {host}:{port}: {problem.strerror or problem}. Choose another "
            "address: make run HOST=127.0.0.1 PORT=5001 (or brain serve --host … --port …)."
        ) from problem


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--workers", default=gunicorn_conf.workers, show_default=True)
@click.option(
    "--threads", default=gunicorn_conf.threads, show_default=True, help="Threads per worker."
)
@click.option(
    "--queue/--no-queue",
    default=True,
    show_default=True,
    help="Start the task queue's consumer (brain worker) beside gunicorn.",
)
@with_appcontext
def serve_command(host: str, port: int, workers: int, threads: int, queue: bool) -> None:
    """Serve with gunicorn and brain/gunicorn_conf.py, as in production."""
    _check_port_free(host, port)
    click.echo(f"Collective Brain on http://{host}:{port}/")
    _print_demo_accounts()
    sys.stdout.flush()
    if queue and not current_app.extensions["brain_queue"].immediate:
        # It outlives the exec below as gunicorn's child, and stops when gunicorn does.
        brain = Path(sys.executable).with_name("brain")
        subprocess.Popen([str(brain), "worker", "--parent", str(os.getpid())])  # noqa: S603
    gunicorn = Path(sys.executable).with_name("gunicorn")
    args = [
        str(gunicorn),
        "--config", "python:brain.gunicorn_conf",
        "--workers", str(workers),
        "--threads", str(threads),
        "--bind", f"{host}:{port}",
    ]  # fmt: skip
    os.execv(args[0], args)  # noqa: S606 - replaces this process with gunicorn


@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="Threads taking tasks.")
@click.option("--parent", type=int, hidden=True, help="Stop when this process ends.")
@with_appcontext
def worker_command(workers: int, parent: int | None) -> None:
    """Run the task queue's consumer: mail, digests, notifications (brain/queue.py)."""
    from brain import queue

    if queue.huey.immediate:
        raise click.ClickException("BRAIN_QUEUE_URL=immediate runs tasks at once: no worker.")
    queue.run_worker(workers, parent)


def init_app(app: Flask) -> None:
    from brain.maintenance import backup_command, doctor_command, restore_command

    for command in (
        setup_command,
        demo_command,
        create_admin_command,
        rerender_command,
        members_group,
        translations_group,
        search_group,
        uploads_group,
        serve_command,
        worker_command,
        backup_command,
        restore_command,
        doctor_command,
    ):
        app.cli.add_command(command)
