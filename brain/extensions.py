"""Unbound extension objects, imported by models and blueprints to avoid import cycles."""

import logging

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints, so Alembic can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Database(SQLAlchemy):
    def _teardown_session(self, exc: BaseException | None) -> None:
        """Remove the request's session, even when its connection has died.

        Closing a session rolls back its transaction; on a connection the database has
        dropped (a restart, ``pg_terminate_backend``) that raises, and an exception here —
        after the response was made, often for a write that was committed — would replace
        the page with the server's bare error. The connection is already invalidated by
        then, and the pool's pre-ping replaces it on the next checkout."""
        try:
            self.session.remove()
        except Exception:
            logging.getLogger("brain").warning(
                "Could not close the request's database session", exc_info=True
            )
            self.session.registry.clear()


db = Database(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Limits are declared on the views (see brain.web.limit_*); storage and switches come from
# the RATELIMIT_* settings: by default a file every worker on this machine shares
# (brain.ratelimit_store), a Redis URL for several servers.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
