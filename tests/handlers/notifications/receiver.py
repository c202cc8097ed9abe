"""A webhook receiver for the tests, as an SMS or push gateway would run one: a real HTTP server on
a free local port, in a thread. It checks each request's signature itself (HMAC-SHA256 of
`<timestamp>.<body>` with the shared secret, computed here, not by our code), answers 500 to the
first `failures` requests of each message and 200 after, and accepts each idempotency key once."""
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    key: str
    timestamp: str
    signature_ok: bool
    body: dict
    answered: int


class Receiver:
    def __init__(self, secret, *, failures=0, delay=0.0):
        self.secret, self.failures, self.delay = secret, failures, delay
        self.received: list[Received] = []
        self.accepted: dict[str, dict] = {}      # idempotency key -> the payload taken (once)
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.delay:
                    time.sleep(receiver.delay)    # a slow gateway, so that two senders overlap
                receiver.answer(self, body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def expected_signature(self, timestamp, body):
        return "sha256=" + hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()

    def answer(self, handler, body):
        key = handler.headers.get("Idempotency-Key", "")
        timestamp = handler.headers.get("X-Citygrid-Timestamp", "")
        signature_ok = hmac.compare_digest(self.expected_signature(timestamp, body),
                                           handler.headers.get("X-Citygrid-Signature", ""))
        with self.lock:
            seen = sum(1 for r in self.received if r.key == key)
            status = 500 if seen < self.failures else 200 if signature_ok else 401
            self.received.append(Received(key, timestamp, signature_ok, json.loads(body), status))
            if status == 200:
                self.accepted.setdefault(key, json.loads(body))   # a repeat of a taken key is dropped
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.end_headers()
        handler.wfile.write(b'{"ok": true}' if status == 200 else b'{"error": "gateway down"}')

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
