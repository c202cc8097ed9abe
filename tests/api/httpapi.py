"""A small HTTP client for the API tests: the tests talk to the live server the way the phone
app, the web portal, the 12345 hotline and the video detector would."""
import io
import struct
import zlib

import requests

TIMEOUT = 30


def png(width=2, height=2, extra=0):
    """A valid PNG image (optionally padded with an ancillary chunk to a larger size)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    body = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw))
    if extra:
        body += chunk(b"tEXt", b"pad\x00" + b"x" * extra)
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b"")


def jpeg():
    """Enough of a JPEG for the content check (SOI, APP0 JFIF, EOI)."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


class Session:
    """Requests as one caller (a token, or none)."""

    def __init__(self, base, token=None):
        self.base = base
        self.token = token
        self.http = requests.Session()

    def request(self, method, path, **kwargs):
        headers = kwargs.pop("headers", {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return self.http.request(method, self.base + path, headers=headers, timeout=TIMEOUT, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def close(self):
        self.http.close()


class Api:
    """The live server of a `live_city`, and the callers the tests need."""

    def __init__(self, city):
        self.city = city
        self.base = city.url
        self._sessions = {}

    def anonymous(self):
        return Session(self.base)

    def login(self, username, password="demo"):
        """A fresh token through the login endpoint."""
        response = requests.post(f"{self.base}/api/v1/auth/token", json={"username": username, "password": password},
                                 timeout=TIMEOUT)
        assert response.status_code == 201, response.text
        return response.json()["token"]

    def as_user(self, username):
        """A session logged in as a demo user (one login per user and test)."""
        if username not in self._sessions:
            self._sessions[username] = Session(self.base, self.login(username))
        return self._sessions[username]

    def cli(self, *args):
        """Run `flask --app app ...` in-process; returns the click result (output, exit_code)."""
        return self.city.app.test_cli_runner().invoke(args=list(args))

    def as_client(self, name, channel):
        """An external client registered with `clients add` (its token is the last line)."""
        result = self.cli("clients", "add", name, "--channel", channel)
        assert result.exit_code == 0, result.output
        return Session(self.base, result.output.strip().splitlines()[-1])

    def close(self):
        for session in self._sessions.values():
            session.close()


def assert_error(response, status):
    """The response is a JSON error of `status`, in the API's one error shape; returns its body."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "errors"} and isinstance(body["errors"], dict), body
    return body


def form_photos(*blobs, field="photos", name="photo.jpg"):
    """`files=` for requests: the same field repeated, one part per photo."""
    return [(field, (name, io.BytesIO(blob), "image/jpeg")) for blob in blobs]
