"""Error pages: HTML for browsers, JSON for API clients, never a traceback."""

from __future__ import annotations

from typing import Any

from flask import (
    Flask,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from stores.base import StoreUnavailable

#: Forms whose expired CSRF token earns a fresh form rather than an error,
#: and the page that holds a fresh copy (None: the form's own page).
FRESH_FORMS: dict[str, str | None] = {
    "auth.login": None,
    "auth.register": None,
    "auth.logout": "pages.home",
}
#: Flask-WTF's reason that means a genuine form has grown too old. Any other
#: reason (a missing session above all: a cross-site POST carries no SameSite
#: cookie) gets a 400 that sets no cookie, or another site could log a user
#: out by making the fresh form's session overwrite theirs.
EXPIRED_REASONS = ("The CSRF token has expired.",)


def wants_json() -> bool:
    """Say whether the client is a script rather than a browser."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(status: int, title: str, message: str) -> tuple[Any, int]:
    """Answer with a page or a JSON body, as the client prefers."""
    if wants_json():
        return jsonify(error=message), status
    return render_template(
        "error.html", status=status, title=title, message=message
    ), status


def fresh_form_url(error: CSRFError) -> str | None:
    """Return where a browser gets a fresh copy of the refused form, if anywhere."""
    endpoint = request.endpoint or ""
    if wants_json() or endpoint not in FRESH_FORMS:
        return None
    if error.description not in EXPIRED_REASONS:
        return None
    page = FRESH_FORMS[endpoint]
    return request.full_path.rstrip("?") if page is None else url_for(page)


def register_error_handlers(app: Flask, login_manager: LoginManager) -> None:
    """Install the handlers for every error a visitor can meet."""
    store = app.extensions["store"]
    outages = (StoreUnavailable, *store.outage_errors)

    @login_manager.unauthorized_handler
    def unauthorized() -> Any:
        if wants_json():
            return jsonify(error="not logged in"), 401
        next_path = request.full_path.rstrip("?")
        return redirect(url_for("auth.login", next=next_path))

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> Any:
        fresh_form = fresh_form_url(error)
        if fresh_form is None:
            return error_response(
                400,
                "Form expired",
                "This form had expired or did not come from this site;"
                " reload the page and try again.",
            )
        flash("The form had expired, so nothing was sent. Please try again.", "error")
        return redirect(fresh_form)

    def store_unavailable(error: Exception) -> Any:
        app.logger.warning(
            "The session store is unavailable: %s", error.__cause__ or error
        )
        return error_response(
            503,
            "Service unavailable",
            "The server that keeps logins cannot be reached right now;"
            " try again in a moment.",
        )

    for outage in outages:
        app.register_error_handler(outage, store_unavailable)

    flask_log_exception = app.log_exception

    def log_exception(exc_info: Any) -> None:
        # An outage is logged as one warning by its handler, not as a traceback.
        if not isinstance(exc_info[1], outages):
            flask_log_exception(exc_info)

    app.log_exception = log_exception  # type: ignore[method-assign]

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError) -> Any:
        if isinstance(error.original_exception, outages):
            return store_unavailable(error.original_exception)
        return error_response(
            500, "Something went wrong", "The server could not answer this request."
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if isinstance(error, InternalServerError):
            return internal_error(error)
        if error.code == 429:
            attempts = "login" if request.endpoint == "auth.login" else "registration"
            return error_response(
                429,
                "Too many attempts",
                f"Too many {attempts} attempts from here or for this account;"
                " wait a minute and try again.",
            )
        return error_response(error.code or 500, error.name, error.description or "")
