"""The account's list of active logins, and ending the ones you do not want."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("/sessions")
@login_required
def sessions() -> str:
    """List this account's active logins, where the store can tell."""
    store = current_app.extensions["store"]
    logins = store.active_logins(current_user)
    return render_template("accounts/sessions.html", logins=logins)


@bp.post("/sessions/end")
@login_required
def end_sessions() -> ResponseReturnValue:
    """End one login, or every login but this one."""
    store = current_app.extensions["store"]
    if request.form.get("others"):
        logins = store.active_logins(current_user) or []
        targets = [login.login_id for login in logins if not login.current]
    else:
        targets = [request.form.get("login_id", "")]

    ended = sum(store.end_login(current_user, login_id) for login_id in targets)

    flash(f"Ended {ended} login{'s' if ended != 1 else ''}.", "info")
    return redirect(url_for("account.sessions"))
