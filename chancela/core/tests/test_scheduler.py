from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from chancela.core.periodic import PERIODIC_JOBS, PeriodicJob
from chancela.core.scheduler import periodic_job_enqueue_if_idle, run_forever, stuck_tasks_release

pytestmark = pytest.mark.django_db

JOB = PeriodicJob("chancela.notifications.tasks.retry_due_outbound_events", 60)


def test_it_enqueues_a_periodic_job_only_when_none_is_waiting_or_running():
    assert periodic_job_enqueue_if_idle(JOB) is True
    assert periodic_job_enqueue_if_idle(JOB) is False
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, started_at=timezone.now())
    assert periodic_job_enqueue_if_idle(JOB) is False
    DBTaskResult.objects.update(status=TaskResultStatus.SUCCESSFUL)
    assert periodic_job_enqueue_if_idle(JOB) is True
    assert DBTaskResult.objects.filter(task_path=JOB.task_path).count() == 2


def test_it_releases_tasks_left_running_by_a_dead_worker():
    periodic_job_enqueue_if_idle(JOB)
    DBTaskResult.objects.update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - timedelta(hours=2)
    )
    assert stuck_tasks_release(older_than=timedelta(minutes=30)) == 1
    assert DBTaskResult.objects.get().status == TaskResultStatus.FAILED
    assert periodic_job_enqueue_if_idle(JOB) is True


def test_it_enqueues_every_registered_job_on_its_first_tick():
    run_forever(tick_seconds=0, iterations=1)
    enqueued = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert enqueued == {job.task_path for job in PERIODIC_JOBS}
