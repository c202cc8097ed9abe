"""API test fixtures: `api` is the live server of `live_city` (SQLite and PostgreSQL) with callers."""
import pytest

from tests.api.httpapi import Api


@pytest.fixture
def api(live_city, tmp_path):
    # Photos go to the test's own folder, not to instance/uploads (the API reads the setting per request).
    live_city.app.config["CITYGRID_UPLOAD_DIR"] = str(tmp_path / "uploads")
    client = Api(live_city)
    yield client
    client.close()
