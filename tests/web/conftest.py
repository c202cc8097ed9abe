"""Web UI tests with Flask's test client on the `city` fixture (SQLite and PostgreSQL)."""
import re

import pytest

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """Flask's test client with a login and the CSRF token of the last page, like a browser's form."""

    def __init__(self, app):
        self.client = app.test_client()
        self.token = None

    def get(self, url, **kwargs):
        response = self.client.get(url, **kwargs)
        if response.mimetype == "text/html":
            found = TOKEN.search(response.get_data(as_text=True))
            if found:
                self.token = found[1]
        return response

    def post(self, url, data=None, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf:
            if self.token is None:
                self.get("/login")
            data.setdefault("csrf_token", self.token)
        return self.client.post(url, data=data, **kwargs)

    def login(self, username, password="demo"):
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        self.get("/", follow_redirects=True)      # the landing page: a fresh token for the new session
        return self


@pytest.fixture
def browse(city, tmp_path):
    """browse(username) -> a logged-in Browser on the city app (uploads under tmp_path)."""
    city.app.config["CITYGRID_UPLOAD_DIR"] = str(tmp_path / "uploads")

    def open_as(username=None):
        browser = Browser(city.app)
        return browser.login(username) if username else browser
    return open_as


def text(response):
    return response.get_data(as_text=True)


def field_error(response, field):
    """The error text shown next to a form field (the element id f-<field>-error), or None."""
    found = re.search(rf'id="f-{field}-error"[^>]*>([^<]*)<', text(response))
    return found[1] if found else None
