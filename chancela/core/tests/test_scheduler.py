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


def test_it_lets_one_scheduler_of_many_take_each_period():
    from chancela.core.models import PeriodicJobSlot
    from chancela.core.scheduler import periodic_job_run_if_due

    assert periodic_job_run_if_due(JOB, instance="host-a:1") is True
    # The other hosts' schedulers see the period taken, even once the job has finished.
    DBTaskResult.objects.update(status=TaskResultStatus.SUCCESSFUL)
    assert periodic_job_run_if_due(JOB, instance="host-b:1") is False
    assert periodic_job_run_if_due(JOB, instance="host-a:1") is False
    slot = PeriodicJobSlot.objects.get(task_path=JOB.task_path)
    assert slot.last_run_by == "host-a:1"
    assert timedelta(seconds=50) < slot.next_due_at - timezone.now() <= timedelta(seconds=60)
    # The next period is won by whoever comes first.
    PeriodicJobSlot.objects.update(next_due_at=timezone.now() - timedelta(seconds=1))
    assert periodic_job_run_if_due(JOB, instance="host-b:1") is True
    assert DBTaskResult.objects.filter(task_path=JOB.task_path).count() == 2


def test_it_gives_each_periodic_run_its_own_correlation_id_and_leaves_none_behind():
    from chancela.core.correlation import correlation_id
    from chancela.core.models import JobCorrelation
    from chancela.core.scheduler import periodic_job_run_if_due

    assert correlation_id() == ""
    assert periodic_job_run_if_due(JOB, instance="host-a:1") is True
    job = DBTaskResult.objects.get(task_path=JOB.task_path)
    [given] = JobCorrelation.objects.filter(task_id=job.id).values_list("correlation_id", flat=True)
    assert given
    # The scheduler's thread goes back to no id: its next log lines, and anything else it
    # enqueues, do not carry this run's.
    assert correlation_id() == ""


def test_it_stamps_the_scheduler_heartbeat_on_each_tick(monkeypatch):
    from chancela.core import heartbeat
    from chancela.core.heartbeat import last_seen
    from chancela.core.models import Heartbeat

    monkeypatch.setattr(heartbeat, "_last_beat", {})

    assert last_seen(kind=Heartbeat.Kind.SCHEDULER) is None
    run_forever(tick_seconds=0, iterations=1)
    assert last_seen(kind=Heartbeat.Kind.SCHEDULER) is not None


@pytest.mark.django_db(transaction=True)
def test_it_stamps_the_worker_heartbeat_when_a_worker_starts_a_job(monkeypatch):
    from django.core.management import call_command

    from chancela.core import heartbeat
    from chancela.core.heartbeat import last_seen
    from chancela.core.models import Heartbeat

    monkeypatch.setattr(heartbeat, "_last_beat", {})
    periodic_job_enqueue_if_idle(JOB)
    assert last_seen(kind=Heartbeat.Kind.WORKER) is None
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
    assert last_seen(kind=Heartbeat.Kind.WORKER) is not None
