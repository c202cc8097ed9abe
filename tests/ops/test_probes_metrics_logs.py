"""The service's own endpoints and logs: /healthz, /readyz (database, migrations, the sweep keeping
up), /metrics (who may read it, request latency by route, the gauges counted from the tables at
scrape time) and the JSON line of every request with its X-Request-Id; on SQLite and PostgreSQL."""
import json
from datetime import datetime, timedelta, timezone

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from engine import schema
from tests.conftest import make_app
from tests.web.conftest import Browser


def metrics(client, **kwargs):
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def filed_case(city):
    """A case filed at 16:05 on a working day with urgency A: due one working day later."""
    city.set_clock("2026-03-02 16:05")
    case_no = city.report()
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="A")
    return case_no


def test_healthz_and_readyz_follow_the_database_the_schema_and_the_sweep(city):
    client = city.app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json() == {
        "status": "ready", "checks": {"database": "ok", "migrations": "ok", "sweeper": "ok"}}

    case_no = filed_case(city)
    city.set_clock(city.now() + timedelta(days=3))              # its timers are due, nobody sweeps
    behind = client.get("/readyz")
    assert behind.status_code == 503 and behind.get_json()["status"] == "not ready"
    assert "is a sweeper running?" in behind.get_json()["checks"]["sweeper"], behind.get_json()
    assert city.sweep().fired > 0
    assert client.get("/readyz").status_code == 200 and city.show(case_no)["overdue"]

    # Once a sweep has run, its heartbeat is asked instead (on real time: the sweeper's sign of life)
    city.work(lambda s: s.execute(text("UPDATE sweep_heartbeat SET at = :at"),
                                  {"at": datetime.now(timezone.utc) - timedelta(seconds=600)}))
    assert "last heartbeat 600 s ago" in client.get("/readyz").get_json()["checks"]["sweeper"]
    city.sweep()
    assert client.get("/readyz").status_code == 200

    # A database behind this code's migrations is not ready (the code would need `db upgrade`)
    city.work(lambda s: s.execute(text("UPDATE alembic_version SET version_num = '0009'")))
    stale = client.get("/readyz")
    assert stale.status_code == 503 and "at 0009" in stale.get_json()["checks"]["migrations"]
    assert "db upgrade" in stale.get_json()["checks"]["migrations"]
    city.work(lambda s: s.execute(text("UPDATE alembic_version SET version_num = :head"),
                                  {"head": max(schema.heads())}))
    assert client.get("/readyz").status_code == 200


def test_readyz_says_the_database_is_unreachable_and_healthz_still_answers(tmp_path):
    app = make_app("postgresql+psycopg://postgres@127.0.0.1:1/nothing?connect_timeout=2")
    try:
        client = app.test_client()
        assert client.get("/healthz").status_code == 200
        answer = client.get("/readyz")
        assert answer.status_code == 503 and answer.get_json()["checks"] == {"database": "unreachable"}
        samples = metrics(client)
        assert samples[("citygrid_database_up", ())] == 0
    finally:
        app.extensions["citygrid.db"].dispose()


def test_metrics_are_read_from_this_machine_or_with_the_token(city):
    client = city.app.test_client()
    assert client.get("/metrics").status_code == 200
    outside = {"environ_base": {"REMOTE_ADDR": "10.0.0.7"}}
    assert client.get("/metrics", **outside).status_code == 403
    city.app.config["CITYGRID_METRICS_TOKEN"] = "s3cret-scrape"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}, **outside).status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"}, **outside).status_code == 200


def test_behind_a_proxy_the_forwarded_address_decides(db_url, tmp_path):
    from tests.helpers import City
    app = make_app(db_url, CITYGRID_PROXY_HOPS=1)
    try:
        City(app).setup()
        client = app.test_client()
        assert client.get("/metrics").status_code == 200                     # nginx on this machine asks itself
        forwarded = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert forwarded.status_code == 403                                  # a client out there, through nginx
        forged = client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1, 203.0.113.9"})
        assert forged.status_code == 403                                     # only the last hop is trusted
    finally:
        app.extensions["citygrid.db"].dispose()


def test_gauges_are_counted_from_the_tables_and_latency_is_by_route(city):
    client = city.app.test_client()
    case_no = filed_case(city)
    city.report(description="第二件：井盖缺失")
    browser = Browser(city.app).login("intake")
    assert browser.get(f"/cases/{case_no}").status_code == 200

    samples = metrics(client)
    assert samples[("citygrid_database_up", ())] == 1
    assert samples[("citygrid_cases_open", (("status", "accepting"),))] == 1
    assert samples[("citygrid_cases_open", (("status", "dispatching"),))] == 1
    assert ("citygrid_cases_open", (("status", "closed"),)) not in samples     # open statuses only
    assert samples[("citygrid_cases_overdue", ())] == 0
    assert samples[("citygrid_timers_due", ())] == 0 and samples[("citygrid_timer_lag_seconds", ())] == 0
    route = (("method", "GET"), ("route", "/cases/<case_no>"), ("status", "200"))
    assert samples[("citygrid_request_duration_seconds_count", route)] >= 1
    assert not any(case_no in str(labels) for _, labels in samples)          # the rule, never the path

    due_at = city.show(case_no)["due_at"]
    from datetime import datetime
    city.set_clock(datetime.fromisoformat(due_at) + timedelta(minutes=10))
    samples = metrics(client)
    assert samples[("citygrid_cases_overdue", ())] == 1
    assert samples[("citygrid_timers_due", ())] >= 2                         # the warning and the deadline
    assert samples[("citygrid_timer_lag_seconds", ())] >= 600                # the warning is older still
    city.sweep()
    samples = metrics(client)
    assert samples[("citygrid_timers_due", ())] == 0 and samples[("citygrid_timer_lag_seconds", ())] == 0
    assert samples[("citygrid_cases_overdue", ())] == 1


def test_every_request_writes_one_json_line_with_its_request_id(city, capsys):
    capsys.readouterr()
    browser = Browser(city.app).login("intake")
    page = browser.client.get("/tasks", headers={"X-Request-Id": "nginx-5f2a9c"})
    assert page.headers["X-Request-Id"] == "nginx-5f2a9c"
    bogus = browser.client.get("/tasks", headers={"X-Request-Id": "two words; <script>"})
    fresh = bogus.headers["X-Request-Id"]
    assert fresh != "two words; <script>" and len(fresh) == 32
    token = city.app.test_cli_runner().invoke(args=["users", "token", "officer-350203"]).output.split()[-1]
    api = city.app.test_client().get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    missing = city.app.test_client().get("/no/such/page")

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    requests = {line["request_id"]: line for line in lines if line["logger"] == "citygrid.request"}
    first = requests["nginx-5f2a9c"]
    assert first["route"] == "/tasks" and first["method"] == "GET" and first["status"] == 200
    assert first["user"] == "intake" and first["duration_ms"] >= 0 and first["remote_addr"] == "127.0.0.1"
    assert requests[fresh]["user"] == "intake"
    by_token = requests[api.headers["X-Request-Id"]]
    assert by_token["user"] == "officer-350203" and by_token["route"] == "/api/v1/tasks"
    unmatched = requests[missing.headers["X-Request-Id"]]
    assert unmatched["route"] is None and unmatched["status"] == 404 and unmatched["path"] == "/no/such/page"


def test_a_server_database_gets_a_pool_per_process_from_the_settings(request):
    from tests.conftest import _postgres_url
    app = make_app(_postgres_url(request), CITYGRID_DB_POOL_SIZE="3", CITYGRID_DB_MAX_OVERFLOW="1",
                   CITYGRID_DB_POOL_TIMEOUT="2.5")
    try:
        engine = app.extensions["citygrid.db"].engine
        assert (engine.pool.size(), engine.pool._max_overflow, engine.pool._timeout) == (3, 1, 2.5)
        assert not engine.pool._pre_ping   # engine.db._ping_when_idle instead
    finally:
        app.extensions["citygrid.db"].dispose()
