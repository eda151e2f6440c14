from __future__ import annotations

from django_tasks import task

from chancela.core.heartbeat import heartbeats_prune
from chancela.core.scheduler import stuck_tasks_release


@task()
def release_stuck_tasks() -> int:
    return stuck_tasks_release()


@task()
def prune_heartbeats() -> int:
    return heartbeats_prune()
