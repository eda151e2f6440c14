"""Periodic jobs: what the scheduler enqueues, and how often.

django-tasks-db has no scheduler of its own; `manage.py run_scheduler` (started by `make run`,
safe to start on every host: the database decides which scheduler runs each period) enqueues
each job below when it is due, unless the same job is already waiting or running. Each job
must be idempotent and cheap when there is nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PeriodicJob:
    task_path: str  # dotted path of a django_tasks Task taking no arguments
    every_seconds: int


PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob("chancela.core.tasks.release_stuck_tasks", 300),
    PeriodicJob("chancela.core.tasks.prune_operations_rows", 3600),
    PeriodicJob("chancela.notifications.tasks.retry_due_outbound_events", 60),
    PeriodicJob("chancela.callbacks.tasks.retry_due_callbacks", 30),
    PeriodicJob("chancela.callbacks.tasks.reconcile_requests", 60),
    PeriodicJob("chancela.callbacks.tasks.prune_callbacks", 3600),
    PeriodicJob("chancela.signing.tasks.sweep_stalled_dispatches", 60),
    PeriodicJob("chancela.batches.tasks.resume_stalled_batches", 60),
    PeriodicJob("chancela.signing.tasks.apply_retention", 86400),
]
