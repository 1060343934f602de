"""A fake group robot webhook on 127.0.0.1: records each request, answers like
WeCom/DingTalk ({"errcode": 0}), or as told (a 5xx, an errcode), and for a
DingTalk robot with a secret checks the signature the way DingTalk does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    path: str
    query: dict[str, list[str]]
    body: dict
    signature_ok: bool | None  # None: no secret to check against


@dataclass
class FakeRobot:
    secret: str = ""
    answers: list[tuple[int, dict]] = field(default_factory=list)  # consumed first
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def wecom_url(self, key: str = "WECOM-KEY-0123456789") -> str:
        return f"{self.base_url}/cgi-bin/webhook/send?key={key}"

    def dingtalk_url(self, token: str = "DING-TOKEN-0123456789") -> str:  # noqa: S107
        return f"{self.base_url}/robot/send?access_token={token}"

    def check_signature(self, query: dict[str, list[str]]) -> bool | None:
        if not self.secret:
            return None
        try:
            timestamp, sign = query["timestamp"][0], query["sign"][0]
        except (KeyError, IndexError):
            return False
        expected = base64.b64encode(hmac.new(
            self.secret.encode(), f"{timestamp}\n{self.secret}".encode(), hashlib.sha256,
        ).digest()).decode()
        return hmac.compare_digest(expected, sign)


def start_fake_robot(robot: FakeRobot) -> FakeRobot:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)  # decodes the url-encoded sign
            signature_ok = robot.check_signature(query)
            robot.received.append(Received(parts.path, query, json.loads(raw or b"{}"),
                                           signature_ok))
            if robot.answers:
                status, answer = robot.answers.pop(0)
            elif signature_ok is False:
                status, answer = 200, {"errcode": 310000, "errmsg": "sign not match"}
            else:
                status, answer = 200, {"errcode": 0, "errmsg": "ok"}
            body = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # keep the test output quiet
            pass

    robot.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=robot.server.serve_forever, daemon=True).start()
    return robot
