"""The scheduler behind `run_scheduler`: enqueue periodic jobs when due.

Safe to start on every host: when each job is next due lives in the database
(``PeriodicJobSlot``), and a scheduler enqueues a job only after its conditional UPDATE moved
that date forward (``WHERE next_due_at <= now``). The database serialises the UPDATEs, so of any
number of schedulers exactly one wins each period; the others see nothing due. The same works
on SQLite and PostgreSQL, and the database's clock decides, not the hosts'.

It also releases task rows a dead worker left RUNNING: django-tasks-db never recovers them, and
a periodic job stuck in RUNNING would otherwise never be enqueued again. Domain work does not
depend on this: sagas and deliveries have their own leases and sweepers.
"""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from chancela.core import outage
from chancela.core.correlation import correlation_id_new, correlation_id_scope
from chancela.core.heartbeat import heartbeat_beat, process_instance
from chancela.core.models import Heartbeat, PeriodicJobSlot
from chancela.core.outage import OutageLog, work_began
from chancela.core.periodic import PERIODIC_JOBS, PeriodicJob

logger = logging.getLogger(__name__)
DATABASE_OUTAGE = OutageLog(logger, "scheduler")


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


def database_now() -> datetime:
    """The database's clock on PostgreSQL (shared by every host), the local one on SQLite."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT clock_timestamp()")
            value = cursor.fetchone()[0]
        if isinstance(value, datetime):
            return value
    return timezone.now()


def periodic_job_claim(job: PeriodicJob, *, instance: str = "") -> bool:
    """Take the current period of the job: True for exactly one caller per period."""
    now = database_now()
    PeriodicJobSlot.objects.bulk_create(
        [PeriodicJobSlot(task_path=job.task_path, next_due_at=now)], ignore_conflicts=True
    )
    return bool(
        PeriodicJobSlot.objects.filter(task_path=job.task_path, next_due_at__lte=now).update(
            next_due_at=now
            + timedelta(seconds=job.every_seconds * settings.CHANCELA_PERIODIC_INTERVAL_SCALE),
            last_run_at=now,
            last_run_by=instance or process_instance(),
        )
    )


def periodic_job_run_if_due(job: PeriodicJob, *, instance: str = "") -> bool:
    """Enqueue the job if its period is due and this scheduler won it (and none is waiting)."""
    # Each periodic run is its own piece of work, with its own correlation id.
    with correlation_id_scope(correlation_id_new()):
        with transaction.atomic():
            if not periodic_job_claim(job, instance=instance):
                return False
            enqueued = periodic_job_enqueue_if_idle(job)
        if enqueued:
            logger.info("periodic job enqueued", extra={"job": job.task_path})
    return enqueued


def _due_jobs(jobs: list[PeriodicJob]) -> list[PeriodicJob]:
    """The jobs whose slot is due (or missing), read without taking any lock."""
    slots = dict(
        PeriodicJobSlot.objects.filter(task_path__in=[j.task_path for j in jobs]).values_list(
            "task_path", "next_due_at"
        )
    )
    now = timezone.now()
    return [j for j in jobs if j.task_path not in slots or slots[j.task_path] <= now]


def scheduler_tick(*, jobs: list[PeriodicJob] | None = None) -> list[str]:
    """One pass: stamp the heartbeat, run what is due. Returns the jobs this scheduler enqueued."""
    jobs = PERIODIC_JOBS if jobs is None else jobs
    heartbeat_beat(kind=Heartbeat.Kind.SCHEDULER)
    enqueued = []
    for job in _due_jobs(jobs):
        try:
            if periodic_job_run_if_due(job):
                enqueued.append(job.task_path)
        except DatabaseError:
            logger.exception("could not enqueue periodic job", extra={"job": job.task_path})
    return enqueued


def run_forever(*, tick_seconds: float = 1.0, iterations: int | None = None) -> None:
    count = 0
    while iterations is None or count < iterations:
        started = time.monotonic()
        try:
            scheduler_tick()
        except DatabaseError as exc:
            # Logged once per outage, not a traceback every tick; the next tick reconnects.
            DATABASE_OUTAGE.failed(exc)
            with contextlib.suppress(DatabaseError):
                connection.close_if_unusable_or_obsolete()
        else:
            DATABASE_OUTAGE.ok(
                started=work_began(started), confirm=outage.database_accepts_new_connections
            )
        count += 1
        time.sleep(tick_seconds)
