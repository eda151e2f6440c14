from __future__ import annotations

from django_tasks import task

from chancela.core.heartbeat import operations_rows_prune
from chancela.core.scheduler import stuck_tasks_release


@task()
def release_stuck_tasks() -> int:
    return stuck_tasks_release()


@task()
def prune_operations_rows() -> int:
    return operations_rows_prune()
