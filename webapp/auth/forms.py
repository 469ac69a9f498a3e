"""The register and login forms, with Flask-WTF's CSRF token."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Regexp

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{3,32}")
PASSWORD_MIN = 8
PASSWORD_MAX = 256


def folded(name: str | None) -> str | None:
    """Fold a username to lower case, so ``Alice`` and ``alice`` are one account."""
    return name.strip().lower() if name else name


class LoginForm(FlaskForm):
    """Username, password and an optional "remember me"."""

    username = StringField(
        "Username", filters=[folded], validators=[DataRequired(), Length(max=32)]
    )
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=PASSWORD_MAX)]
    )
    remember = BooleanField("Keep me logged in after the browser closes")


class RegisterForm(FlaskForm):
    """A new account's name and password."""

    username = StringField(
        "Username",
        filters=[folded],
        validators=[
            DataRequired(),
            Regexp(
                f"^{USERNAME_PATTERN.pattern}$",
                message="Use 3 to 32 letters, digits, '.', '_' or '-'.",
            ),
        ],
    )
    password = PasswordField(
        "Password",
        validators=[
            DataRequired(),
            Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                message=f"Use {PASSWORD_MIN} to {PASSWORD_MAX} characters.",
            ),
        ],
    )
