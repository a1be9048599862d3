"""A real HTTP endpoint for webhook tests: http.server on 127.0.0.1, port chosen by the OS."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """A real HTTP endpoint: records every request, answers `status` after `delay` seconds.

    With `gate` set to a `threading.Event`, it answers only once the test opens the gate, so a
    test can prove that somebody did not wait for the answer without timing anything.
    """

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200
        self.delay = 0.0
        self.gate: threading.Event | None = None
        self.answered = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    status, delay, gate = receiver.status, receiver.delay, receiver.gate
                if delay:
                    time.sleep(delay)
                if gate is not None:
                    gate.wait(60)
                with receiver.lock:
                    receiver.answered += 1
                payload = json.dumps({"received": True, "status": status}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (timeout tests)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/shopfloor?source=test"
        self.thread = threading.Thread(target=self.server.serve_forever, name="webhook-receiver", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
