"""A channel's callback receiver for the tests, as the 12345 hotline's system would run one: a real
HTTP server on a free local port, in a thread. It checks every message with the README's own
recipe (the `verify` function of the section "Results back to the channels", executed from the
README as documented), answers 500 while `down`, 401 for a bad signature or a stale timestamp, and
takes each idempotency key once."""
import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

README = Path(__file__).resolve().parents[3] / "README.md"


def documented_verify():
    """The `verify` function exactly as the README documents it."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Results back to the channels"):]
    code = re.search(r"```python\n(.*?)```", section, re.S)[1]
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace["verify"]


@dataclass
class Received:
    key: str
    timestamp: int
    verified: bool
    body: dict
    answered: int


class Receiver:
    def __init__(self, secret=None):
        self.secret, self.down, self.now = secret, False, None   # `now`: the receiver's clock (simulated)
        self.verify = documented_verify()
        self.received: list[Received] = []
        self.accepted: dict[str, dict] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                receiver.answer(self, self.rfile.read(int(self.headers.get("Content-Length", 0))))

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/citygrid"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def answer(self, handler, body):
        try:
            message, verified = self.verify(self.secret, handler.headers, body, now=self.now), True
        except ValueError:
            message, verified = json.loads(body), False
        key = handler.headers.get("Idempotency-Key", "")
        status = 500 if self.down else 200 if verified else 401
        with self.lock:
            self.received.append(Received(key, int(handler.headers.get("X-Citygrid-Timestamp", "0")), verified,
                                          message, status))
            if status == 200:
                self.accepted.setdefault(key, message)
        handler.send_response(status)
        handler.end_headers()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
