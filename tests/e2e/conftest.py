"""Browser tests: Playwright (from PyPI) driving Debian's Chromium (/usr/bin/chromium, installed by
scripts/test); Playwright's own browser download is never used. Screenshots go to test-artifacts/."""
import os
import re
import struct
import zlib
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CITYGRID_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
DESKTOP = {"viewport": {"width": 1366, "height": 900}, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def png(width=64, height=48, rgb=(90, 120, 160)):
    """A small real PNG photo (solid colour), as a phone camera would send an image file."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    row = b"\x00" + bytes(rgb) * width
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def live(live_city, tmp_path):
    """`live_city` with its photos stored under the test's temporary folder."""
    live_city.app.config["CITYGRID_UPLOAD_DIR"] = str(tmp_path / "uploads")
    return live_city


class Web:
    """One browser context (a phone or a desktop) on the live app, used by one person at a time."""

    def __init__(self, browser, base_url, name, **options):
        self.context = browser.new_context(base_url=base_url, **options)
        self.context.set_default_timeout(15000)
        self.page = self.context.new_page()
        self.name = name
        self.errors = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.user = None

    def login(self, username, password="demo"):
        if self.user == username:
            return
        if self.user:
            self.logout()
        page = self.page
        page.goto("/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("header .me")
        self.user = username

    def logout(self):
        self.page.click("header .me button[type=submit]")
        self.page.wait_for_selector("#login-form")
        self.user = None

    def shot(self, name):
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def open_task(self, case_no, step):
        """From 我的待办, open the case's task of this step."""
        page = self.page
        page.goto("/tasks")
        card = page.locator(f'li.task[data-case="{case_no}"][data-step="{step}"]')
        card.locator("a.button").click()
        page.wait_for_selector("#task-form")
        page.wait_for_load_state("load")        # the form's script has run (it follows what is typed)
        return re.search(r"/tasks/([0-9a-f-]+)$", page.url)[1]

    def submit_task(self):
        page = self.page
        page.click("#task-form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator(".flash-success").count() == 1, page.content()[:3000]

    def close(self):
        self.context.close()
