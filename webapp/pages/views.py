"""The pages that show who is logged in, and where that login lives."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask_login import current_user, login_required

from stores.base import InspectedCookie

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> str:
    """Show who you are, the active store and the instance that answered."""
    return render_template("pages/home.html")


@bp.get("/profile")
@login_required
def profile() -> str:
    """Show the logged-in user's account."""
    return render_template("pages/profile.html")


@bp.get("/session")
def inspector() -> str:
    """Show every cookie the browser sent, decoded, and the store's answers."""
    store = current_app.extensions["store"]
    cookies = []
    for name, value in request.cookies.items(multi=True):
        cookies.append(
            store.inspect_cookie(name, value)
            or InspectedCookie.of(name, value, "not this store's")
        )
    return render_template("pages/session.html", cookies=cookies)


@bp.get("/api/me")
def me() -> tuple[Response, int]:
    """Answer who is logged in, as JSON for scripts and the demo."""
    store = current_app.extensions["store"]
    if not current_user.is_authenticated:
        return jsonify(error="not logged in", store=store.name), 401
    return jsonify(
        username=current_user.username,
        store=store.name,
        instance=current_app.extensions["instance"]["id"],
    ), 200


@bp.get("/healthz")
def healthz() -> tuple[str, int, dict[str, str]]:
    """Answer 200 without touching the session or setting a cookie."""
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
