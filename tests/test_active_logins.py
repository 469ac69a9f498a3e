"""L4: a user sees their active logins and ends the others, where the store can."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Actions
from webapp.demo.client import hidden_fields


def test_L4_list_and_end_other_logins(
    app: Flask, client: FlaskClient, actions: Actions, store_name: str
) -> None:
    actions.register()
    laptop = app.test_client()
    Actions(laptop).log_in()
    assert laptop.get("/api/me").status_code == 200

    page = client.get("/account/sessions")
    assert page.status_code == 200
    html = page.get_data(as_text=True)

    if store_name == "cookie":
        assert "cannot list or end logins" in html
        assert app.extensions["store"].active_logins(None) is None
        return

    assert html.count("<tr>") == 3  # a header row and the two logins
    assert "this browser" in html
    fields = hidden_fields(html, "/account/sessions/end")
    response = client.post("/account/sessions/end", data={**fields, "others": "1"})
    assert response.status_code == 302

    assert laptop.get("/api/me").status_code == 401
    assert client.get("/api/me").status_code == 200
    html = client.get("/account/sessions").get_data(as_text=True)
    assert html.count("<tr>") == 2


def test_L4_ending_a_login_needs_csrf(
    app: Flask, client: FlaskClient, actions: Actions
) -> None:
    actions.register()
    laptop = app.test_client()
    Actions(laptop).log_in()

    response = client.post("/account/sessions/end", data={"others": "1"})

    assert response.status_code == 400
    assert laptop.get("/api/me").status_code == 200
