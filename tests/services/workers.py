"""Real Celery worker processes for the tests that need one."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start_worker(*, env: dict[str, str], queue: str | None = None, name: str | None = None,
                 log_path: Path | None = None, drop: tuple[str, ...] = (),
                 cwd: Path = ROOT) -> subprocess.Popen:
    """A solo-pool worker on the project's settings (`env` overrides the current
    environment; `drop` removes variables), run in `cwd` (the project's root
    unless said). It consumes `queue` when given."""
    full_env = {k: v for k, v in os.environ.items() if k not in drop}
    full_env.update({"DJANGO_SETTINGS_MODULE": "safety_portal.settings.base", "DEBUG": "1",
                     "PYTHONPATH": str(ROOT), **env})
    args = [sys.executable, "-m", "celery", "-A", "safety_portal", "worker", "--pool=solo",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"]
    if queue:
        args += ["-Q", queue, "-n", f"{name or queue}@%h"]
    out = open(log_path, "w") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(args, cwd=cwd, env=full_env, stdout=out,
                               stderr=subprocess.STDOUT)
    process.log = out
    return process


def stop_worker(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    if process.log is not subprocess.DEVNULL:
        process.log.close()
