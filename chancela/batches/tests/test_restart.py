"""A worker killed in the middle of a batch: the batch resumes and no row is sent twice."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from chancela.batches.models import Batch, BatchRow, BatchStatus, RowState
from chancela.batches.services import batch_start, batches_resume_stalled
from chancela.batches.tests.helpers import good_row
from chancela.batches.tests.test_services import create
from chancela.signing.models import SignatureRequest
from chancela.testing.processes import process_env, running, worker_process

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROWS = 120


def wait_until(condition, *, what: str, limit: float = 180) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def created() -> int:
    return BatchRow.objects.filter(state=RowState.CREATED).count()


def test_it_resumes_after_the_worker_is_killed_without_duplicates(sendable, tmp_path):
    batch = create(sendable, [good_row(n) for n in range(ROWS)])
    batch_start(batch=batch)
    # The worker also runs the dispatch jobs of the requests the batch creates; this test is about
    # the batch, so those jobs meet a closed loopback port (a retryable error, rescheduled) and
    # never the real Clicksign.
    closed = "http://127.0.0.1:9"
    env = process_env(
        CHANCELA_CLICKSIGN_SANDBOX_URL=closed, CHANCELA_CLICKSIGN_PRODUCTION_URL=closed
    )
    with running(worker_process(tmp_path, env, name="worker-1")) as (worker,):
        wait_until(lambda: created() >= 5, what="the first rows")
        worker.kill()  # SIGKILL: no clean-up, its task stays RUNNING
    done_before = created()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.RUNNING and done_before < ROWS
    # The periodic sweeper sees the stale heartbeat (3 min in production; now here).
    assert batches_resume_stalled(older_than=timedelta(0)) == 1
    with running(worker_process(tmp_path, env, name="worker-2")):
        wait_until(
            lambda: Batch.objects.get(pk=batch.pk).status == BatchStatus.DONE,
            what="the end of the batch",
        )
    assert created() == ROWS
    external_ids = list(SignatureRequest.objects.values_list("external_id", flat=True))
    assert len(external_ids) == ROWS == len(set(external_ids))
    assert all(e.startswith(f"lote-{batch.public_id}-") for e in external_ids)
