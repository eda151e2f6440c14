"""Run Chancela's real processes (gunicorn web, db_worker, the Clicksign emulator) in tests.

The processes share the test database that pytest-django created (so tests using them need
``transactional_db``: rows must be committed to be seen) and the test's media folder.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from django.conf import settings
from django.db import connection

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_database_url() -> str:
    """A CHANCELA_DATABASE_URL pointing at the database the current test uses."""
    params = connection.settings_dict
    if params["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{params['NAME']}"
    user = params.get("USER") or "postgres"
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # The browser fixture sets this in the test process for Playwright's event loop; the servers
    # and workers we start are not in that loop and must keep Django's async safety (and
    # `check --deploy` refuses it).
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "chancela.settings_test",
            "CHANCELA_DATABASE_URL": test_database_url(),
            "CHANCELA_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "CHANCELA_ENCRYPTION_KEYS": ",".join(settings.ENCRYPTION_KEYS),
            "CHANCELA_CLICKSIGN_SANDBOX_URL": settings.CLICKSIGN_URLS["sandbox"],
            "CHANCELA_CLICKSIGN_PRODUCTION_URL": settings.CLICKSIGN_URLS["production"],
            "CHANCELA_PUBLIC_URL": settings.PUBLIC_URL,
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@dataclass
class ManagedProcess:
    name: str
    argv: Sequence[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(  # noqa: S603 - argv built by the tests themselves
            list(self.argv), cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        return self

    def stop(self, timeout: float = 10) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=timeout)

    def kill(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=10)

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def wait_for_http(url: str, *, process: ManagedProcess | None = None, timeout: float = 120) -> None:
    """Wait until ``url`` answers. The limit is a ceiling, not a measure: on a loaded 2-core CI
    box gunicorn has taken over 30 s to boot Django."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and not process.running:
            raise RuntimeError(f"{process.name} exited early:\n{process.log()[-4000:]}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    log = process.log()[-4000:] if process else ""
    raise TimeoutError(f"{url} did not answer within {timeout}s\n{log}")


def web_process(port: int, log_dir: Path, env: dict[str, str], workers: int = 2) -> ManagedProcess:
    argv = [
        sys.executable, "-m", "gunicorn", "chancela.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", "4",
        "--access-logfile", "-", "--graceful-timeout", "5", "--no-control-socket",
    ]  # fmt: skip
    return ManagedProcess("web", argv, env, log_dir / "web.log")


def worker_process(log_dir: Path, env: dict[str, str], name: str = "worker") -> ManagedProcess:
    argv = [
        sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay",
        "--interval", "0.1",
    ]  # fmt: skip
    return ManagedProcess(name, argv, env, log_dir / f"{name}.log")


@contextmanager
def running(*processes: ManagedProcess) -> Iterator[tuple[ManagedProcess, ...]]:
    """Start the processes, and stop them (whatever happens) when the block ends."""
    try:
        for process in processes:
            process.start()
        yield processes
    finally:
        for process in reversed(processes):
            process.stop()
