"""Register, log in and log out, through the active store's two functions."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from webapp.accounts.models import add_user, authenticate, username_taken
from webapp.auth.forms import LoginForm, RegisterForm
from webapp.auth.redirects import safe_next
from webapp.extensions import db, limiter

bp = Blueprint("auth", __name__)


def login_rate_limit() -> str:
    """Return the configured limit on login attempts."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def attempted_account() -> str:
    """Key login attempts by the account they try, whatever the client."""
    return "account:" + request.form.get("username", "").strip().lower()[:64]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def register() -> ResponseReturnValue:
    """Create an account and log it in."""
    form = RegisterForm()
    next_path = safe_next(request.args.get("next"))

    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("auth/register.html", form=form), status
    user = None
    if not username_taken(form.username.data):
        user = add_user(form.username.data, form.password.data)
    if user is None:
        form.username.errors.append("That name is taken; choose another.")
        return render_template("auth/register.html", form=form), 409

    response = redirect(next_path or url_for("pages.home"))
    current_app.extensions["store"].log_in(user, remember=False, response=response)
    db.session.commit()
    return response


def failed(response: Response) -> bool:
    """Say whether a login attempt failed; only failures count against a limit."""
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"], deduct_when=failed)
@limiter.limit(
    login_rate_limit, key_func=attempted_account, methods=["POST"], deduct_when=failed
)
def login() -> ResponseReturnValue:
    """Check a username and password and start a new login."""
    form = LoginForm()
    next_path = safe_next(request.args.get("next"))

    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("auth/login.html", form=form), status
    user = authenticate(form.username.data, form.password.data)
    if user is None:
        error = "Wrong username or password."
        return render_template("auth/login.html", form=form, error=error), 401

    response = redirect(next_path or url_for("pages.home"))
    current_app.extensions["store"].log_in(
        user, remember=form.remember.data, response=response
    )
    return response


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the login; the CSRF token has already been checked."""
    response = redirect(url_for("auth.logged_out"))
    current_app.extensions["store"].log_out(response)
    return response


@bp.get("/logged-out")
def logged_out() -> str:
    """Confirm the logout without writing anything to the session."""
    return render_template("auth/logged_out.html")
