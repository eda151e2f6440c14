"""Rows the operations side needs: process heartbeats and the periodic jobs' schedule."""

from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """One row per running process (worker or scheduler), stamped while it works.

    `/readyz` and the dashboard read the newest stamp of each kind; rows of processes that
    stopped long ago are pruned by the scheduler.
    """

    class Kind(models.TextChoices):
        WORKER = "worker", "worker"
        SCHEDULER = "scheduler", "scheduler"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    instance = models.CharField(max_length=200)  # host:pid
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "instance"], name="core_heartbeat_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.instance}"


class PeriodicJobSlot(models.Model):
    """When each periodic job is next due, shared by every scheduler of the deployment.

    A scheduler runs a job only if its conditional UPDATE moves ``next_due_at`` forward: one
    statement, so of several schedulers (one per host) exactly one wins each period.
    """

    task_path = models.CharField(max_length=200, unique=True)
    next_due_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_run_by = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.task_path


class JobCorrelation(models.Model):
    """The correlation id of the request (or job) that enqueued a job, by the job's id."""

    task_id = models.CharField(max_length=64, primary_key=True)
    correlation_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.task_id} {self.correlation_id}"


class ThrottleBucket(models.Model):
    """Hits of one client (a hashed key, e.g. its IP) in the current window of one scope.

    In the database so that every web process and host shares the count
    (``chancela.core.throttle``). Old rows are pruned by the daily retention job."""

    scope = models.CharField(max_length=40)
    key_hash = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key_hash"], name="core_throttle_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key_hash[:8]}"
