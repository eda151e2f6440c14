"""The scheduler behind `run_scheduler`: enqueue periodic jobs when due.

It also releases task rows a dead worker left RUNNING: django-tasks-db never recovers them, and
a periodic job stuck in RUNNING would otherwise never be enqueued again. Domain work does not
depend on this: sagas and deliveries have their own leases and sweepers.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from chancela.core.periodic import PERIODIC_JOBS, PeriodicJob

logger = logging.getLogger(__name__)


def stuck_tasks_release(*, older_than: timedelta | None = None) -> int:
    """Mark RUNNING task rows older than the limit as FAILED (their worker is gone)."""
    limit = older_than or timedelta(seconds=settings.CHANCELA_TASK_STUCK_AFTER_SECONDS)
    released = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=timezone.now() - limit
    ).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path="chancela.core.scheduler.WorkerLost",
        traceback="Released by the scheduler: the worker running it stopped answering.",
    )
    if released:
        logger.warning("released stuck tasks", extra={"count": released})
    return released


def periodic_job_enqueue_if_idle(job: PeriodicJob) -> bool:
    """Enqueue the job unless an instance is already waiting or running."""
    with transaction.atomic():
        busy = DBTaskResult.objects.filter(
            task_path=job.task_path,
            status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
        ).exists()
        if busy:
            return False
        import_string(job.task_path).enqueue()
    return True


def run_forever(*, tick_seconds: float = 1.0, iterations: int | None = None) -> None:
    next_due = dict.fromkeys(PERIODIC_JOBS, 0.0)
    count = 0
    while iterations is None or count < iterations:
        now = time.monotonic()
        for job, due in next_due.items():
            if now >= due:
                try:
                    periodic_job_enqueue_if_idle(job)
                except Exception:
                    logger.exception("could not enqueue periodic job", extra={"job": job.task_path})
                next_due[job] = now + job.every_seconds
        count += 1
        time.sleep(tick_seconds)
