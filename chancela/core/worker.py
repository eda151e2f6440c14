"""The task worker behind ``manage.py db_worker``: django-tasks-db's worker, made to survive
database outages.

Upstream, a lost connection ends the worker (its loop re-raises the ``OperationalError``) and the
job it was running stays ``RUNNING`` for good. Here, a connection error — in the worker's own
queries or in a job — makes the worker wait and reconnect with backoff (jittered, capped), then
carry on in the same process; the job the outage cut off is put back in the queue and runs
again (our jobs are idempotent: leases, dedupe keys, checkpoints). An outage is logged once
when it starts and once when it ends. A job that keeps ending on a connection error while the
database answers is recorded as failed after ``MAX_CUT_OFFS`` runs, like any failing job.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from typing import Any

from django.db import InterfaceError, OperationalError, connections
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from chancela.core.outage import OutageLog

logger = logging.getLogger(__name__)

CONNECTION_ERRORS = (OperationalError, InterfaceError)
MAX_CUT_OFFS = 5
BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0


class ResilientWorker(Worker):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.outage = OutageLog(logger, f"worker {self.worker_id[:8]}")
        self._cut_off: Any = None  # the id of the job an outage interrupted
        self._cut_offs: dict[Any, int] = {}

    def run(self) -> None:
        while True:
            try:
                super().run()
                return
            except CONNECTION_ERRORS as exc:
                if not self.running:
                    return
                self.outage.failed(exc)
                self.startup_delay = False
                self._reconnect()
                self._requeue_cut_off()
                self.outage.ok()

    def run_task(self, db_task_result: DBTaskResult) -> None:
        job_id = db_task_result.pk
        record_failure = db_task_result.set_failed

        def set_failed(exc: BaseException) -> None:
            # A job ended by a connection error was cut off, not wrong: run it again once the
            # database answers (unless it keeps happening).
            if isinstance(exc, CONNECTION_ERRORS) and self._cut_offs.get(job_id, 0) < MAX_CUT_OFFS:
                raise exc
            record_failure(exc)

        db_task_result.set_failed = set_failed
        self._cut_off = job_id
        super().run_task(db_task_result)
        self._cut_off = None
        self._cut_offs.pop(job_id, None)

    def _reconnect(self) -> None:
        delay = BACKOFF_FIRST_SECONDS
        while self.running:
            for connection in connections.all(initialized_only=True):
                with contextlib.suppress(OperationalError, InterfaceError):
                    connection.close()
            try:
                with connections["default"].cursor() as cursor:
                    cursor.execute("SELECT 1")
                return
            except CONNECTION_ERRORS:
                time.sleep(delay + random.uniform(0, delay / 2))  # noqa: S311 - jitter
                delay = min(delay * 2, BACKOFF_CAP_SECONDS)

    def _requeue_cut_off(self) -> None:
        job_id, self._cut_off = self._cut_off, None
        if job_id is None:
            return
        self._cut_offs[job_id] = self._cut_offs.get(job_id, 0) + 1
        requeued = DBTaskResult.objects.filter(pk=job_id, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.READY, started_at=None
        )
        if requeued:
            logger.warning(
                "job cut off by a database outage; queued again", extra={"job": str(job_id)}
            )
