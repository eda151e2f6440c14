"""More than one machine: 2 web + 3 workers + 2 schedulers, each "host" with its own working
folder (no shared local disk), sharing PostgreSQL and an S3-compatible object store (moto).

A class batch of 100 rows goes through the Clicksign emulator while one worker is killed with
SIGKILL; in the end every request is signed and archived exactly once, every signed PDF
downloads through either web process, and each periodic job ran once per period although two
schedulers were running. PostgreSQL only: several hosts share PostgreSQL, never a SQLite file.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from chancela.api.tests.test_batches_api import api_row
from chancela.batches.models import Batch, BatchRow, BatchStatus, RowState
from chancela.core.periodic import PERIODIC_JOBS
from chancela.esign.connection import signature_config_register_webhook
from chancela.signing.models import Document, RequestStatus, SignatureRequest, Signer
from chancela.testing.clicksign import point_clicksign_at
from chancela.testing.factories import make_api_key, make_config, make_document_type, make_unit
from chancela.testing.processes import (
    ManagedProcess,
    free_port,
    process_env,
    running,
    wait_for_http,
    web_process,
    worker_process,
)
from chancela.testing.s3 import moto_endpoint, object_store  # noqa: F401
from clicksign_emulator import DEMO_API_USER_EMAIL
from clicksign_emulator.testing import make_emulator_fixture

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROWS = 100
SCALE = 0.1  # periodic jobs every 3-6 s instead of 30-60 s
mh_emulator = make_emulator_fixture("mh_emulator", rate_limit=100_000)


def wait_until(
    condition: Callable[[], bool], what: str, timeout: float, tick: Callable[[], None] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if tick is not None:
            tick()
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def scheduler_process(log_dir: Path, env: dict[str, str], name: str) -> ManagedProcess:
    return ManagedProcess(
        name, [sys.executable, "manage.py", "run_scheduler"], env, log_dir / f"{name}.log"
    )


@pytest.fixture
def pg_only():
    if connection.vendor != "postgresql":
        pytest.skip("several hosts share PostgreSQL; this runs on the PostgreSQL pass only")


def test_it_runs_a_batch_on_several_hosts_through_a_worker_crash(
    pg_only,
    tmp_path,
    settings,
    mh_emulator,
    object_store,  # noqa: F811
):
    ports = [free_port(), free_port()]
    webs_url = [f"http://127.0.0.1:{port}" for port in ports]
    settings.PUBLIC_URL = webs_url[0]  # the webhook URL Clicksign calls: web A
    point_clicksign_at(settings, mh_emulator)
    unit = make_unit(code="CENTRO")
    config = make_config(unit, token=mh_emulator.token, api_user_email=DEMO_API_USER_EMAIL)
    signature_config_register_webhook(actor=None, config=config)
    make_document_type(config, code="REMATRICULA")
    _, key = make_api_key(units=[unit])

    common = process_env(
        **object_store.env(),
        CHANCELA_PERIODIC_INTERVAL_SCALE=str(SCALE),
        CHANCELA_CLICKSIGN_RATE_LIMIT_SANDBOX="100000",
        CHANCELA_DISPATCH_LEASE_SECONDS="20",
        CHANCELA_LOG_FORMAT="plain",
        CHANCELA_API_RATE_LIMIT="100000",  # 200 downloads with one API key
    )

    def host(name: str) -> dict[str, str]:
        folder = tmp_path / name
        return {
            **common,
            "CHANCELA_DATA_DIR": str(folder),
            "CHANCELA_MEDIA_ROOT": str(folder / "files"),
        }

    a, b, c = host("host-a"), host("host-b"), host("host-c")
    logs = tmp_path / "logs"
    web_a, web_b = (
        web_process(ports[0], logs / "a", a, workers=1),
        web_process(ports[1], logs / "b", b, workers=1),
    )
    workers = [
        worker_process(logs, a, "worker-a"),
        worker_process(logs, b, "worker-b"),
        worker_process(logs, c, "worker-c"),
    ]
    schedulers = [
        scheduler_process(logs, a, "scheduler-a"),
        scheduler_process(logs, b, "scheduler-b"),
    ]
    started = timezone.now()
    with running(web_a, web_b, *workers, *schedulers):
        for url, web in zip(webs_url, (web_a, web_b), strict=True):
            wait_for_http(f"{url}/healthz", process=web, timeout=180)
        auth = {"Authorization": f"Bearer {key}"}
        response = httpx.post(
            f"{webs_url[0]}/api/v1/batches",
            json={"unit": "CENTRO", "document_type": "REMATRICULA", "title": "Rematrícula",
                  "rows": [api_row(n) for n in range(1, ROWS + 1)]},
            headers=auth, timeout=120,
        )  # fmt: skip
        assert response.status_code == 201, response.text
        batch = Batch.objects.get(public_id=response.json()["id"])

        # Mid-batch, one worker dies without a word.
        wait_until(
            lambda: SignatureRequest.objects.count() >= ROWS // 4, "a quarter of the rows", 120
        )
        workers[1].kill()
        assert not workers[1].running

        def time_passes_for_a_silent_batch() -> None:
            # A batch whose run died with its worker is resumed 3 minutes after its last
            # heartbeat; make those minutes pass instead of waiting for them.
            Batch.objects.filter(
                pk=batch.pk,
                status=BatchStatus.RUNNING,
                heartbeat_at__lt=timezone.now() - timedelta(seconds=10),
            ).update(heartbeat_at=timezone.now() - timedelta(hours=1))

        wait_until(
            lambda: not BatchRow.objects.filter(batch=batch, state=RowState.PENDING).exists(),
            "every batch row processed", 300, tick=time_passes_for_a_silent_batch,
        )  # fmt: skip
        assert BatchRow.objects.filter(batch=batch, state=RowState.CREATED).count() == ROWS
        wait_until(
            lambda: SignatureRequest.objects.filter(status=RequestStatus.AWAITING_SIGNATURES).count() == ROWS,
            "every request sent", 300,
        )  # fmt: skip

        for signer_id in Signer.objects.values_list("clicksign_signer_id", flat=True):
            mh_emulator.control.sign(signer_id)
        wait_until(
            lambda: Document.objects.filter(signed_archived_at__isnull=False).count() == ROWS
            and SignatureRequest.objects.filter(status=RequestStatus.SIGNED).count() == ROWS,
            "every request signed and archived", 300,
        )  # fmt: skip

        # Exactly once: one envelope per request at Clicksign, one signed object per document.
        envelopes = mh_emulator.control.envelopes()
        assert len(envelopes) == ROWS
        ids = set(SignatureRequest.objects.values_list("clicksign_envelope_id", flat=True))
        assert {e["id"] for e in envelopes} == ids
        signed_objects = [n for n in object_store.object_names() if n.startswith("signed/")]
        assert sorted(signed_objects) == sorted(
            Document.objects.values_list("signed_file", flat=True)
        )
        # Nothing went to any host's local folder.
        assert not [p for p in tmp_path.glob("host-*/files/**/*") if p.is_file()]

        # Every signed PDF downloads, the same bytes, through either web process.
        with httpx.Client(headers=auth, timeout=30) as http:
            for document in Document.objects.select_related("request"):
                for url in webs_url:
                    got = http.get(
                        f"{url}/api/v1/signature-requests/{document.request.public_id}"
                        f"/documents/{document.public_id}/signed"
                    )
                    assert got.status_code == 200, got.text
                    assert hashlib.sha256(got.content).hexdigest() == document.signed_sha256

        for process in (web_a, web_b, workers[0], workers[2], *schedulers):
            assert process.running, process.log()[-3000:]

    # Two schedulers ran all along, yet each periodic job was enqueued at most once a period.
    elapsed = (timezone.now() - started).total_seconds()
    for job in PERIODIC_JOBS:
        period = job.every_seconds * SCALE
        moments = sorted(
            DBTaskResult.objects.filter(task_path=job.task_path).values_list(
                "enqueued_at", flat=True
            )
        )
        assert moments, job.task_path
        gaps = [(b - a).total_seconds() for a, b in zip(moments, moments[1:], strict=False)]
        assert all(gap >= period - 0.5 for gap in gaps), (job.task_path, period, gaps)
        assert len(moments) <= elapsed / period + 1, (job.task_path, len(moments), elapsed)
    fast = PERIODIC_JOBS[[j.every_seconds for j in PERIODIC_JOBS].index(30)]
    assert DBTaskResult.objects.filter(task_path=fast.task_path).count() >= 3
