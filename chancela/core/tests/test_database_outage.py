"""A database outage under a stream of Clicksign callbacks, against a throw-away PostgreSQL
cluster this test creates, stops, starts and deletes itself (never the shared server).

The real processes run on it — gunicorn (the callback endpoint) and ``db_worker`` — while two
threads post signed callbacks without pause and the database is stopped twice. Expected: every
delivery answered 200 is stored (none lost), every refusal is a JSON 503, each process logs
each outage once (no traceback per request), the very same worker process is alive afterwards
and processes every stored callback, without anything being restarted.

Runs once, on the PostgreSQL run of the suite: the cluster is its own, so the SQLite run would
only repeat it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
from django.db import connection

from chancela.testing.factories import TEST_WEBHOOK_SECRET
from chancela.testing.processes import (
    REPO_ROOT,
    free_port,
    process_env,
    running,
    wait_for_http,
    web_process,
    worker_process,
)
from clicksign_emulator import webhook_signature

pytestmark = pytest.mark.slow

PG_BIN = Path("/usr/lib/postgresql/15/bin")
OUTAGES = 2
OUTAGE_SECONDS = 5.0
# Down before the configuration is read / while the delivery is being stored.
REFUSALS = ("database_unavailable", "not_stored")


class Cluster:
    """A private PostgreSQL cluster in a temporary folder, on a free 127.0.0.1 port."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="chancela-outage-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: str) -> None:
        command = [str(PG_BIN / argv[0]), *argv[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "pg.log"),
                  "-w", "start")  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if connection.vendor != "postgresql":
        pytest.skip("runs once, on the PostgreSQL run: it brings its own throw-away cluster")
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"no PostgreSQL server binaries in {PG_BIN}")
    made = Cluster()
    try:
        made.create()
        yield made
    finally:
        made.destroy()


@dataclass
class Stream:
    """Posts signed callbacks from a few threads until stopped; remembers every answer."""

    url: str
    acknowledged: set[str] = field(default_factory=set)
    refusals: list[tuple[int, str]] = field(default_factory=list)
    others: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def post_until_stopped(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self.stop.is_set():
                key = uuid.uuid4().hex
                body = json.dumps(
                    {
                        "event": {"name": "outage_probe", "data": {"key": key},
                                  "occurred_at": "2026-08-10T10:00:00.000-03:00"},
                        "document": {"key": key, "status": "running", "metadata": {},
                                     "events": []},
                    }
                ).encode()  # fmt: skip
                headers = {
                    "Content-Type": "application/json",
                    "Content-Hmac": webhook_signature(TEST_WEBHOOK_SECRET, body),
                }
                try:
                    response = client.post(self.url, content=body, headers=headers)
                except httpx.HTTPError as exc:
                    with self.lock:
                        self.others.append(f"no answer: {exc!r}")
                    continue
                with self.lock:
                    if response.status_code == 200:
                        self.acknowledged.add(key)
                    elif response.status_code == 503:
                        self.refusals.append((503, response.headers.get("content-type", "")))
                        answer = response.json()
                        if answer.get("ok") is not False or answer.get("code") not in REFUSALS:
                            self.others.append(f"503 body {response.text[:200]}")
                    else:
                        self.others.append(f"{response.status_code} {response.text[:200]}")
                time.sleep(0.002)


def database_readiness(port: int) -> tuple[int, bool]:
    """``/readyz``'s status code and its database check (a JSON answer either way)."""
    answer = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=30)
    return answer.status_code, answer.json()["checks"]["database"]["ok"]


def manage(env: dict[str, str], *argv: str) -> str:
    done = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "manage.py", *argv],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    return done.stdout


def test_it_loses_nothing_and_keeps_its_worker_through_database_outages(cluster, tmp_path):
    env = process_env(CHANCELA_DATABASE_URL=cluster.url)
    manage(env, "migrate", "--no-input", "-v", "0")
    config_id = manage(
        env, "shell", "-c",
        "from chancela.testing.factories import make_config, make_unit; "
        "print(make_config(make_unit()).public_id)",
    ).strip().splitlines()[-1]  # fmt: skip
    port = free_port()
    web = web_process(port, tmp_path, env, workers=1)
    worker = worker_process(tmp_path, env)
    stream = Stream(url=f"http://127.0.0.1:{port}/callbackclicksign/{config_id}")

    with running(web, worker):
        wait_for_http(stream.url, process=web)
        worker_pid = worker.popen.pid if worker.popen else None
        threads = [threading.Thread(target=stream.post_until_stopped) for _ in range(2)]
        for thread in threads:
            thread.start()
        readiness: list[tuple[int, bool]] = []
        try:
            time.sleep(2)
            for _ in range(OUTAGES):
                cluster.stop()
                time.sleep(OUTAGE_SECONDS)
                readiness.append(database_readiness(port))  # the outage shows in /readyz
                cluster.start()
                time.sleep(3)
            readiness.append(database_readiness(port))
        finally:
            stream.stop.set()
            for thread in threads:
                thread.join(timeout=60)

        # Every stored callback gets processed by the same, never restarted, worker.
        deadline = time.monotonic() + 180
        while True:
            with psycopg.connect(cluster.url) as db:
                rows = db.execute(
                    "SELECT document_key, state FROM callbacks_inboundcallback"
                ).fetchall()
            waiting = [key for key, state in rows if state == "received"]
            if not waiting or time.monotonic() > deadline or not worker.running:
                break
            time.sleep(1)
        assert worker.running, worker.log()[-4000:]
        assert worker.popen is not None and worker.popen.pid == worker_pid
    web_log, worker_log = web.log(), worker.log()

    assert stream.others == [], stream.others[:5]
    assert readiness == [(503, False)] * OUTAGES + [(readiness[-1][0], True)]
    assert stream.refusals, "the outages were not seen by the endpoint"
    assert {content_type for _, content_type in stream.refusals} == {"application/json"}
    stored = {key for key, _ in rows}
    lost = stream.acknowledged - stored
    assert not lost, f"{len(lost)} acknowledged deliveries lost"
    assert waiting == [], f"{len(waiting)} stored callbacks never processed"
    assert Counter(state for _, state in rows) == {"ignored": len(rows)}
    # One line per outage and process, never a traceback per request (there are thousands). A
    # delivery already past its queries when the cluster stops answers 200 after another thread's
    # refusal: that must not close the outage (core/outage.py), or a second line would follow.
    assert 1 <= web_log.count("callback endpoint: database unreachable") <= OUTAGES, web_log[-4000:]
    assert "Traceback" not in web_log, web_log[-4000:]
    assert 1 <= worker_log.count("database unreachable") <= OUTAGES, worker_log[-4000:]
    print(  # noqa: T201 - the figures, with pytest -s
        f"posted {len(stream.acknowledged) + len(stream.refusals)}: "
        f"{len(stream.acknowledged)} acknowledged, {len(stream.refusals)} JSON 503; "
        f"{len(rows)} stored and processed by worker pid {worker_pid}"
    )
