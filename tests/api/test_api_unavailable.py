"""The API when the database cannot be reached (a PostgreSQL URL on a port nobody listens on, served
over real HTTP): 503 with Retry-After and the API's one error shape, for a login, a read and a
report alike, never a 500. (A real restart and the recovery after it: tests/reliability.)"""
import threading

import pytest
import requests
from werkzeug.serving import make_server

from handlers import errors
from tests.api.httpapi import TIMEOUT, assert_error
from tests.conftest import make_app
from tests.helpers import SEWAGE, free_port


@pytest.fixture
def unreachable_url():
    app = make_app(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    app.extensions["citygrid.db"].dispose()


@pytest.mark.parametrize("method, path, body", [
    ("POST", "/api/v1/auth/token", {"username": "intake", "password": "demo"}),
    ("GET", "/api/v1/cases", None),
    ("POST", "/api/v1/cases", SEWAGE),
    ("POST", "/api/v1/intake/hotline12345", {**SEWAGE, "external_ref": "12345-1"}),
])
def test_every_call_is_503_with_retry_after(unreachable_url, method, path, body):
    response = requests.request(method, unreachable_url + path, json=body, timeout=TIMEOUT,
                                headers={"Authorization": "Bearer cg_whatever"})
    assert assert_error(response, 503) == {"error": errors.UNREACHABLE, "errors": {}}
    assert response.headers["Retry-After"] == "5"
