"""Real servers on loopback for the delivery tests: SMTP (aiosmtpd) and HTTP."""

import hashlib
import hmac
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


class SmtpServer:
    """An SMTP server on 127.0.0.1 keeping every envelope it receives."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.inbox = _Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self):
        return self.inbox.messages

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    signature_ok: bool
    status: int

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class WebhookServer:
    """An HTTP endpoint that verifies the signature and answers scripted statuses
    (the last one repeats)."""

    secret: str
    statuses: list[int] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)

    def start(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                stamp = self.headers.get("X-Diary-Timestamp", "")
                expected = (
                    "sha256="
                    + hmac.new(
                        server.secret.encode(), stamp.encode() + b"." + body, hashlib.sha256
                    ).hexdigest()
                )
                signature = self.headers.get("X-Diary-Signature", "")
                index = min(len(server.received), len(server.statuses) - 1)
                status = server.statuses[index]
                server.received.append(
                    Received(
                        path=self.path,
                        headers=dict(self.headers),
                        body=body,
                        signature_ok=hmac.compare_digest(signature, expected),
                        status=status,
                    )
                )
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/hooks/diary"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)
