"""L4: a user sees their active logins and ends the others, where the store can."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Actions


def test_L4_ending_a_login_needs_csrf(
    app: Flask, client: FlaskClient, actions: Actions
) -> None:
    actions.register()
    laptop = app.test_client()
    Actions(laptop).log_in()

    response = client.post("/account/sessions/end", data={"others": "1"})

    assert response.status_code == 400
    assert laptop.get("/api/me").status_code == 200
