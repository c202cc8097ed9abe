"""The web UI when the database cannot be reached (a PostgreSQL URL on a port nobody listens on: the
driver's connection is refused, as while the server restarts): every page is the 503 page with
Retry-After, which reads nothing from the database; a page being read reloads itself, a form being
submitted says nothing was saved. (The real restart, and the recovery: tests/reliability.)"""
import pytest

from handlers import errors
from tests.conftest import make_app
from tests.helpers import free_port


@pytest.fixture
def unreachable():
    app = make_app(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing")
    yield app.test_client()
    app.extensions["citygrid.db"].dispose()


@pytest.mark.parametrize("method, url", [("GET", "/tasks"), ("GET", "/cases/2026030200001"), ("GET", "/login"),
                                         ("POST", "/report"), ("POST", "/login")])
def test_every_page_is_the_503_page_with_retry_after(unreachable, method, url, caplog):
    response = unreachable.open(url, method=method, data={"username": "intake", "password": "demo"})
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.mimetype == "text/html" and "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert errors.UNREACHABLE in page and "<script" not in page
    if method == "GET":
        assert '<meta http-equiv="refresh" content="5">' in page and "自动刷新" in page
    else:
        assert "refresh" not in page and "没有保存" in page
    assert any(m.startswith("database unreachable (answered 503, Retry-After 5 s): connection failed")
               for m in caplog.messages)
