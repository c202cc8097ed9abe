"""Login, logout, CSRF protection and cookie flags of the web UI."""
from handlers.cases import service as cases
from tests.helpers import SEWAGE
from tests.web.conftest import TOKEN as TOKEN_RE, Browser, text


def test_login_failure_shows_an_error_and_logs_nobody_in(city):
    browser = Browser(city.app)
    browser.get("/login")
    refused = browser.post("/login", {"username": "intake", "password": "wrong"})
    assert refused.status_code == 401
    assert "用户名或密码错误" in text(refused)
    assert 'value="intake"' in text(refused)              # the name is kept, the password is not
    unknown = browser.post("/login", {"username": "nobody", "password": "demo"})
    assert unknown.status_code == 401 and "用户名或密码错误" in text(unknown)
    assert browser.get("/tasks").status_code == 302        # still anonymous: sent to the login page


def test_pages_need_a_login(city):
    client = city.app.test_client()
    for url in ("/", "/tasks", "/cases", "/report", "/cases/2026030200001"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location, url


def test_login_logout_and_cookie_flags(browse):
    browser = browse()
    browser.get("/login")
    response = browser.post("/login", {"username": "intake", "password": "demo"})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie                          # CITYGRID_SECURE_COOKIES=on behind HTTPS
    page = browser.get("/tasks")
    assert page.status_code == 200 and "我的待办" in text(page) and "受理员" in text(page)
    assert browser.client.get("/logout").status_code == 405   # logging out is a POST with a token
    out = browser.post("/logout")
    assert out.status_code == 302
    assert browser.get("/tasks").status_code == 302


def test_inactive_users_cannot_log_in(city):
    from handlers.org import service as org

    def deactivate(session):
        org.get_user_by_username(session, "dispatcher").active = False
    city.work(deactivate)
    browser = Browser(city.app)
    browser.get("/login")
    assert browser.post("/login", {"username": "dispatcher", "password": "demo"}).status_code == 401


def test_next_only_redirects_within_the_site(city):
    browser = Browser(city.app)
    browser.get("/login?next=/cases")
    assert browser.post("/login", {"username": "intake", "password": "demo", "next": "/cases"}).location == "/cases"
    other = Browser(city.app)
    other.get("/login")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = other.post("/login", {"username": "intake", "password": "demo", "next": evil})
        assert response.location == "/", evil
        other.get("/tasks")
        other.post("/logout")
        other.get("/login")


def test_forms_without_a_csrf_token_are_refused_and_change_nothing(city, browse):
    anonymous = Browser(city.app)
    assert anonymous.post("/login", {"username": "intake", "password": "demo"}, csrf=False).status_code == 400
    city.set_clock("2026-03-02 16:05")
    case_no = city.report()
    task_id = city.task(case_no, "accept_report")["id"]
    intake = browse("intake")
    refused = intake.post(f"/tasks/{task_id}", {"decision": "file", "urgency": "A"}, csrf=False)
    assert refused.status_code == 400 and "安全校验失败" in text(refused)
    forged = intake.post(f"/tasks/{task_id}", {"decision": "file", "urgency": "A", "csrf_token": "forged"})
    assert forged.status_code == 400
    assert city.show(case_no)["status"] == "accepting"
    grid = browse("grid-35020301100301")
    refused = grid.post("/report", {**SEWAGE, "csrf_token": ""})
    assert refused.status_code == 400
    assert city.work(lambda s: cases.get_by_no(s, "2026030200002")) is None


def test_the_token_api_is_not_csrf_protected(city):
    """Bearer-token requests under /api/ carry no CSRF token: refused for the missing token (401), not for CSRF."""
    response = city.app.test_client().post("/api/v1/cases", json={})
    assert response.status_code == 401


def test_security_headers(browse):
    page = browse("intake").get("/tasks")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_the_sixth_wrong_password_in_a_minute_is_refused_until_the_window_passes(city):
    from datetime import timedelta
    browser = Browser(city.app)
    browser.get("/login")
    for _ in range(5):
        assert browser.post("/login", {"username": "intake", "password": "wrong"}).status_code == 401
    refused = browser.post("/login", {"username": "intake", "password": "wrong"})
    assert refused.status_code == 429
    assert "登录失败次数过多，请 60 秒后再试" in text(refused) and 'value="intake"' in text(refused)
    assert refused.headers["Retry-After"] == "60"
    # the right password is refused too while the account is locked, and does not reset the count
    assert browser.post("/login", {"username": "intake", "password": "demo"}).status_code == 429
    assert Browser(city.app).login("dispatcher")        # another account from the same address is not locked

    city.set_clock(city.now() + timedelta(seconds=59))
    late = browser.post("/login", {"username": "intake", "password": "demo"})
    assert late.status_code == 429 and late.headers["Retry-After"] == "1"
    city.set_clock(city.now() + timedelta(seconds=1))
    assert browser.post("/login", {"username": "intake", "password": "demo"}).status_code == 302


def test_a_lockout_is_logged_once_and_a_right_password_clears_the_count(city, caplog):
    browser = Browser(city.app)
    browser.get("/login")
    for _ in range(4):
        assert browser.post("/login", {"username": "shiftlead", "password": "wrong"}).status_code == 401
    assert browser.post("/login", {"username": "shiftlead", "password": "demo"}).status_code == 302
    browser = Browser(city.app)
    browser.get("/login")
    with caplog.at_level("WARNING", logger="citygrid.login"):
        for _ in range(5):     # counted afresh after the success: five more are let through
            assert browser.post("/login", {"username": "shiftlead", "password": "guess-1234"}).status_code == 401
        for _ in range(3):
            assert browser.post("/login", {"username": "shiftlead", "password": "guess-1234"}).status_code == 429
    lockouts = [r.getMessage() for r in caplog.records if r.name == "citygrid.login"]
    assert len(lockouts) == 1 and "account:shiftlead" in lockouts[0] and "127.0.0.1" in lockouts[0]
    assert "guess-1234" not in lockouts[0]                # never the password


def test_an_address_is_limited_across_accounts_and_unknown_names_count_too(city):
    browser = Browser(city.app)
    browser.get("/login")
    for i in range(20):    # 20 names (four real ones, the rest unknown), each under its own limit
        name = ("intake", "dispatcher", "owner", "auditor")[i] if i < 4 else f"nobody{i}"
        assert browser.post("/login", {"username": name, "password": "wrong"}).status_code == 401
    refused = browser.post("/login", {"username": "admin", "password": "demo"})
    assert refused.status_code == 429 and "秒后再试" in text(refused)
    # another address is not held up (as nginx passes it, with CITYGRID_PROXY_HOPS=1 behind it)
    elsewhere = city.app.test_client()
    page = elsewhere.get("/login", environ_base={"REMOTE_ADDR": "10.0.0.7"})
    token = TOKEN_RE.search(text(page))[1]
    answer = elsewhere.post("/login", data={"username": "admin", "password": "demo", "csrf_token": token},
                            environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert answer.status_code == 302
