"""docs/deploy.md, followed: the environment template, the systemd units (validated, and their
commands started as plain processes), the first-run steps, `check --deploy`, and /readyz.

Not tested here (said in the guide): systemd itself, Caddy, real SMTP, bucket backups, and the
screen steps (they have their own tests).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from chancela.callbacks.models import InboundCallback
from chancela.testing.factories import TEST_WEBHOOK_SECRET, make_config, make_unit
from chancela.testing.processes import (
    REPO_ROOT,
    ManagedProcess,
    free_port,
    process_env,
    running,
    wait_for_http,
)
from clicksign_emulator import webhook_signature

DEPLOY = REPO_ROOT / "deploy"
UNITS = DEPLOY / "systemd"
# Read by the settings but only for the test suite and crash tests: not in the template.
TEST_ONLY = {
    "CHANCELA_IGNORE_DOTENV",
    "CHANCELA_TEST_DATABASE_NAME",
    "CHANCELA_KILL_POINTS_ENABLED",
}


def env_template() -> dict[str, str]:
    """Every CHANCELA_* of the template: set (KEY=value) or documented default (#KEY=value)."""
    values = {}
    for line in (DEPLOY / "chancela.env.example").read_text().splitlines():
        match = re.match(r"^#?(CHANCELA_[A-Z0-9_]+)=(.*)$", line)
        if match:
            values[match.group(1)] = match.group(2) if not line.startswith("#") else None
    return values


def test_it_lists_every_chancela_variable_of_the_settings_in_the_env_template():
    read = set(
        re.findall(
            r"env_(?:str|int|bool|list)\(\s*\"(CHANCELA_[A-Z0-9_]+)\"",
            (REPO_ROOT / "chancela" / "settings.py").read_text(),
        )
    )
    missing = read - TEST_ONLY - set(env_template())
    assert not missing, f"add these to deploy/chancela.env.example: {sorted(missing)}"


def unit_exec_start(name: str, repo: Path = REPO_ROOT) -> list[str]:
    text = (UNITS / name).read_text()
    [line] = [line for line in text.splitlines() if line.startswith("ExecStart=")]
    command = line.removeprefix("ExecStart=").replace(
        "/opt/chancela/.venv/bin/python", sys.executable
    )
    command = command.replace("/opt/chancela/.venv/bin/", str(Path(sys.executable).parent) + "/")
    return shlex.split(command.replace("%H-%i", "guide-1"))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_it_ships_systemd_units_that_systemd_accepts(tmp_path):
    for unit in UNITS.iterdir():
        text = unit.read_text().replace("/opt/chancela", str(REPO_ROOT))
        (tmp_path / unit.name).write_text(text)
    names = [
        "chancela-web.service",
        "chancela-webhooks.service",
        "chancela-scheduler.service",
        "chancela-worker@1.service",
        "chancela.target",
    ]
    result = subprocess.run(  # noqa: S603 - fixed argv
        ["systemd-analyze", "verify", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,  # noqa: S607
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    for text in (u.read_text() for u in UNITS.glob("*.service")):
        assert "Restart=always" in text and "MemoryMax=" in text and "EnvironmentFile=" in text


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_it_follows_the_guide_from_first_run_to_ready(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("production runs on PostgreSQL; this runs on the PostgreSQL pass only")
    port = free_port()
    template = {k: v for k, v in env_template().items() if v is not None}
    test_env = process_env()
    env = {
        **test_env,
        **template,
        "CHANCELA_SECRET_KEY": "guide-test-" + "k" * 50,
        "CHANCELA_DATABASE_URL": test_env["CHANCELA_DATABASE_URL"],
        "CHANCELA_ENCRYPTION_KEYS": test_env["CHANCELA_ENCRYPTION_KEYS"],
        "CHANCELA_DATA_DIR": str(tmp_path / "data"),
        "CHANCELA_MEDIA_ROOT": str(tmp_path / "data" / "files"),
        "CHANCELA_STATIC_ROOT": str(tmp_path / "data" / "static"),
        "CHANCELA_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "CHANCELA_METRICS_TOKEN": "guide-metrics-token",
        "DJANGO_SETTINGS_MODULE": "chancela.settings",
        "DJANGO_SUPERUSER_PASSWORD": "uma-senha-bem-forte-2027",
    }

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - fixed argv
            [sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip

    for step in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        done = manage(*step)
        assert done.returncode == 0, done.stderr[-3000:]
    assert any((tmp_path / "data" / "static").rglob("chancela.css"))
    created = manage(
        "createsuperuser", "--noinput", "--username", "admin", "--email", "ti@escola.edu.br"
    )
    assert created.returncode == 0, created.stderr[-3000:]
    assert get_user_model().objects.get(username="admin").is_superuser

    web_argv = unit_exec_start("chancela-web.service")
    web_argv[web_argv.index("--bind") + 1] = f"127.0.0.1:{port}"
    web_argv[web_argv.index("--workers") + 1] = "1"
    webhooks_port = free_port()
    webhooks_argv = unit_exec_start("chancela-webhooks.service")
    webhooks_argv[webhooks_argv.index("--bind") + 1] = f"127.0.0.1:{webhooks_port}"
    webhooks_argv[webhooks_argv.index("--workers") + 1] = "1"
    config = make_config(make_unit(), webhook_secret=TEST_WEBHOOK_SECRET)
    processes = [
        ManagedProcess("web", web_argv, env, tmp_path / "web.log"),
        ManagedProcess("webhooks", webhooks_argv, env, tmp_path / "webhooks.log"),
        ManagedProcess(
            "worker", unit_exec_start("chancela-worker@.service"), env, tmp_path / "worker.log"
        ),
        ManagedProcess(
            "scheduler",
            unit_exec_start("chancela-scheduler.service"),
            env,
            tmp_path / "scheduler.log",
        ),
    ]
    base = f"http://127.0.0.1:{port}"
    with running(*processes):
        wait_for_http(f"{base}/healthz", process=processes[0], timeout=180)
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        for _ in range(240):
            ready = httpx.get(f"{base}/readyz", timeout=30)
            if ready.status_code == 200:
                break
            time.sleep(0.5)
        assert ready.status_code == 200, ready.text
        metrics = httpx.get(
            f"{base}/metrics", headers={"Authorization": "Bearer guide-metrics-token"}
        )
        assert metrics.status_code == 200 and "chancela_queue_depth" in metrics.text
        assert httpx.get(f"{base}/metrics").status_code == 401
        login = httpx.get(
            f"{base}/entrar/",
            headers={"X-Forwarded-Proto": "https", "Host": "chancela.escola.edu.br"},
        )
        assert login.status_code in (200, 301), login.status_code
        # The webhook receiver, as Caddy routes /callbackclicksign* to it.
        wait_for_http(f"http://127.0.0.1:{webhooks_port}/healthz", process=processes[1])
        body = json.dumps(
            {"event": {"name": "upload", "occurred_at": "2026-08-10T10:00:00.000-03:00"},
             "document": {"key": "guide-doc", "status": "running", "metadata": {}}}
        ).encode()  # fmt: skip
        delivered = httpx.post(
            f"http://127.0.0.1:{webhooks_port}/callbackclicksign/{config.public_id}",
            content=body,
            headers={
                "Content-Type": "application/json",
                "Content-Hmac": webhook_signature(TEST_WEBHOOK_SECRET, body),
                "Host": "chancela.escola.edu.br",
                "X-Forwarded-Proto": "https",
            },
        )
        assert (delivered.status_code, delivered.json()["code"]) == (200, "stored")
        assert InboundCallback.objects.filter(document_key="guide-doc").count() == 1
        for process in processes:
            assert process.running, process.log()[-3000:]
    # JSON log lines, as in production.
    assert '"logger": "chancela.request"' in processes[0].log()

    check = manage("check", "--deploy", "--fail-level", "WARNING")
    assert check.returncode == 0, check.stdout + check.stderr
