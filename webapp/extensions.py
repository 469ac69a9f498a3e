"""The Flask extensions the site uses, created unbound and set up by create_app."""

from typing import Any

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base for the site's tables."""


db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


class StoreLoginManager(LoginManager):
    """Flask-Login, minus its remember-me cookie, which logout cannot revoke.

    Remember-me here is the store's own cookie outliving the browser, so the
    site never sets Flask-Login's ``remember_token``. One a client sends
    anyway is not parsed (a malformed one crashed the parser) and does not
    hide the store's own login, as it otherwise would.
    """

    def _load_user_from_remember_cookie(self, cookie: str) -> Any:
        return self._load_user_from_request(request)
