"""Report submissions through gunicorn: log in, add three ~3 MB photos, submit.

Plain http.client (no third-party HTTP library), traffic to 127.0.0.1 only."""

from __future__ import annotations

import datetime as dt
import http.client
import io
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.urls import reverse

from .data import SUBMITTER_PASSWORD, Dataset, log, reset_submissions
from .env import ROOT

HOST = "127.0.0.1"
THREADS = 4
WEB_SUBMITTERS = 30
MAX_SECONDS = 60
PHOTO_TARGET = 3 * 1024 * 1024


# ------------------------------------------------------------------ photos

def make_photos(workdir: str, n: int = 3, sizes_mb: list[float] | None = None) -> list[bytes]:
    """`n` noisy 2400×1800 JPEGs of about 3 MB each, or of `sizes_mb` (cached in
    the work directory)."""
    from PIL import Image

    targets = [int(mb * 1024 * 1024) for mb in sizes_mb] if sizes_mb else [PHOTO_TARGET] * n
    cache = Path(workdir) / "photos"
    cache.mkdir(exist_ok=True)
    size = (2400, 1800)
    base = Image.linear_gradient("L").resize(size).convert("RGB")
    photos = []
    for i, target in enumerate(targets):
        cached = cache / f"photo{i}-{target}.jpg"
        if cached.exists():
            photos.append(cached.read_bytes())
            continue
        noise = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
        lo, hi, alpha = 0.0, 1.0, 0.5
        for _ in range(10):  # bisect the noise share to land near the target size
            buf = io.BytesIO()
            Image.blend(base, noise, alpha).save(buf, "JPEG", quality=95)
            data = buf.getvalue()
            if abs(len(data) - target) < 0.05 * target:
                break
            if len(data) > target:
                hi = alpha
            else:
                lo = alpha
            alpha = (lo + hi) / 2
        cached.write_bytes(data)
        photos.append(data)
    return photos


# ------------------------------------------------------------------ gunicorn

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_gunicorn(workdir: str, workers: int = 2, timeout: int = 120):
    port = free_port()
    logf = open(Path(workdir) / "gunicorn.log", "ab")  # noqa: SIM115 - closed in stop_gunicorn
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "safety_portal.wsgi:application",
         "--bind", f"{HOST}:{port}", "--workers", str(workers), "--timeout", str(timeout),
         "--backlog", "2048"],
        cwd=ROOT, env=dict(os.environ), stdout=logf, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}; see {logf.name}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/healthz")
            r = conn.getresponse()
            r.read()
            conn.close()
            if r.status == 200:
                return proc, port, logf
        except OSError:
            pass
        time.sleep(0.3)
    stop_gunicorn(proc, logf)
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def stop_gunicorn(proc, logf) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    logf.close()


# ------------------------------------------------------------------ a browser

class Browser:
    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(HOST, port, timeout=120)

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str | None = None):
        headers = {"Host": f"{HOST}:{self.port}",
                   "Referer": f"http://{HOST}:{self.port}{path}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=120)
                if attempt:
                    raise
        for header in r.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return r.status, r.getheader("Location", ""), data

    def csrf(self) -> str:
        return self.cookies.get("csrftoken", "")

    def post_form(self, path: str, fields: dict):
        body = urlencode({**fields, "csrfmiddlewaretoken": self.csrf()}).encode()
        return self.request("POST", path, body, "application/x-www-form-urlencoded")

    def post_multipart(self, path: str, fields: dict, files: list[tuple[str, str, bytes]]):
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in {**fields, "csrfmiddlewaretoken": self.csrf()}.items():
            parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\""
                         f"\r\n\r\n{value}\r\n".encode())
        for name, filename, data in files:
            parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; "
                         f"filename=\"{filename}\"\r\nContent-Type: image/jpeg\r\n\r\n".encode())
            parts.append(data + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, b"".join(parts),
                            f"multipart/form-data; boundary={boundary}")

    def login(self, username: str, password: str) -> bool:
        status, _loc, page = self.request("GET", "/accounts/login/")
        m = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not self.csrf():
            return False
        fields = {"username": username, "password": password, "next": ""}
        body = urlencode({**fields, "csrfmiddlewaretoken": m.group(1).decode() if m else
                          self.csrf()}).encode()
        status, _loc, _ = self.request("POST", "/accounts/login/", body,
                                       "application/x-www-form-urlencoded")
        return status == 302 and "sp_session" in self.cookies


# ------------------------------------------------------------------ the run

REPORT_FIELDS = {
    "organisation": "校长任组长，成立工作专班，明确分工。",
    "results": "开展安全教育 3 次，覆盖学生 1200 人次；排查隐患 5 处，已整改 5 处。",
    "problems": "部分家长参与度不高。",
    "next_steps": "开展防溺水专题家长会。",
    "measure_campus_on": "on",
    "measure_campus": "完成校园及周边安全隐患排查。",
    "submit": "1",
}


def submit_one(browser: Browser, school_pk: int, deadline_pk: int, photos: list[bytes],
               today: str) -> tuple[bool, str]:
    photo_path = reverse("reporting:photo_add", args=[school_pk, deadline_pk])
    status, loc, body = browser.post_multipart(
        photo_path, {"caption": "安全教育活动", "taken_on": today},
        [("photos", f"activity{i}.jpg", data) for i, data in enumerate(photos)])
    if status != 302:
        return False, f"photos: HTTP {status} {body[:200]!r}"
    edit_path = reverse("reporting:report_edit", args=[school_pk, deadline_pk])
    status, loc, body = browser.post_form(edit_path, REPORT_FIELDS)
    if status != 302 or "/reports/" not in loc:
        return False, f"submit: HTTP {status} -> {loc!r}"
    return True, ""


def run(ds: Dataset, workdir: str) -> dict:
    from reporting.models import ProgressReport, ReportPhoto

    removed = reset_submissions(ds)
    photos = make_photos(workdir)
    log(f"web: photos of {', '.join(f'{len(p) / 1e6:.2f}' for p in photos)} MB; "
        f"{removed} earlier bench rows removed")
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    proc, port, logf = start_gunicorn(workdir)
    try:
        browsers = []

        def login(item):
            username, school_pk = item
            b = Browser(port)
            return (b, school_pk) if b.login(username, SUBMITTER_PASSWORD) else None

        t = time.perf_counter()
        with ThreadPoolExecutor(THREADS) as pool:
            browsers = [x for x in pool.map(login, ds.submitters[:WEB_SUBMITTERS]) if x]
        login_s = time.perf_counter() - t
        log(f"web: {len(browsers)}/{WEB_SUBMITTERS} logged in in {login_s:.1f} s")

        started = time.perf_counter()
        stop_at = started + MAX_SECONDS
        errors: list[str] = []
        done_at: list[float] = []

        def work(item):
            browser, school_pk = item
            if time.perf_counter() > stop_at:
                return None
            ok, why = submit_one(browser, school_pk, ds.submit_deadline.pk, photos, today)
            if ok:
                done_at.append(time.perf_counter())
            else:
                errors.append(why)
            return ok

        with ThreadPoolExecutor(THREADS) as pool:
            outcomes = list(pool.map(work, browsers))
        elapsed = time.perf_counter() - started
        for b, _ in browsers:
            b.conn.close()
    finally:
        stop_gunicorn(proc, logf)
    successes = sum(1 for o in outcomes if o)
    stored = ProgressReport.objects.filter(deadline=ds.submit_deadline,
                                           first_submitted_at__isnull=False).count()
    stored_photos = ReportPhoto.objects.filter(report__deadline=ds.submit_deadline).count()
    return {"successes": successes, "attempted": sum(1 for o in outcomes if o is not None),
            "elapsed": elapsed, "per_s": successes / elapsed if elapsed else None,
            "login_s": login_s, "logged_in": len(browsers), "errors": errors[:5],
            "stored_reports": stored, "stored_photos": stored_photos}
