"""A member's own state on the page they read, asked in one statement.

Every page a member reads shows the bell's count; a topic page also looks up how far they had
read it and whether a notification about one of its posts is unread (to mark both), and shows
their watching choice for it. Asked one by one, that is four round trips to the database on
every page. Each module that owns such a fact offers it as a ``Question`` (its own statement,
a scalar subquery with named parameters, registered once with ``kind``); a view that knows
what its page will ask ``take``\\ s them in one statement, and the module's own function then
finds the answer here (``answer``) instead of asking again.

Answers are kept for the rest of the request only after a ``take``, and a module that changes
a fact forgets its answer (``forget``), so nothing is served stale: a function that was not
prepared for simply asks, as before.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from flask import g, has_request_context
from sqlalchemy import ColumnElement, select

from brain.extensions import db

_KINDS: dict[str, ColumnElement] = {}


def kind(name: str, column: ColumnElement) -> str:
    """Register the statement of one kind of question: a scalar subquery whose bound
    parameters have names of their own (they share one statement with other kinds)."""
    _KINDS[name] = column
    return name


@dataclass(frozen=True)
class Question:
    kind: str
    key: tuple  # what the answer is about, e.g. ("read", user_id, topic_id)
    params: dict[str, Any] = field(hash=False)


def take(*questions: Question) -> None:
    """Ask every question not answered yet in one statement and keep the answers for this
    request."""
    by_kind: dict[str, Question] = {}
    kept = g.get("glance", {}) if has_request_context() else {}
    for question in questions:
        if question.key in kept:  # answered already (``keep``)
            continue
        if by_kind.setdefault(question.kind, question) is not question:
            answer(question)  # a statement names each kind once: the second is asked alone
    questions = tuple(by_kind.values())
    if not questions:
        _taken()
        return
    params: dict[str, Any] = {}
    for question in questions:
        params.update(question.params)
    row = db.session.connection().execute(_statement(tuple(q.kind for q in questions)), params)
    row = row.one()
    if has_request_context():
        answers = g.setdefault("glance", {})
        for question, value in zip(questions, row, strict=True):
            answers[question.key] = value
    _taken()


def _taken() -> None:
    """From now on in this request, answers asked one by one are kept too (each module
    forgets what it changes); before a take, they are asked again each time."""
    if has_request_context():
        g.glance_taken = True


def answer(question: Question):
    """The answer taken earlier in this request, else asked now."""
    answers = g.get("glance") if has_request_context() else None
    if answers is not None and question.key in answers:
        return answers[question.key]
    kept = has_request_context() and g.get("glance_taken", False)
    row = db.session.connection().execute(_statement((question.kind,)), question.params).one()
    if kept:
        g.setdefault("glance", {})[question.key] = row[0]
    return row[0]


def keep(question: Question, value) -> None:
    """*question* was answered with another statement of this request (the member's own
    query, say): keep the answer as ``take`` would (only this one: the others asked alone
    are kept only after a take)."""
    if has_request_context():
        g.setdefault("glance", {})[question.key] = value


def forget(key: tuple) -> None:
    """The fact *key* is about just changed: ask again next time."""
    if has_request_context() and "glance" in g:
        g.glance.pop(key, None)


@functools.cache
def _statement(kinds: tuple[str, ...]):
    return select(*(_KINDS[name].label(name) for name in kinds))
