"""Is Chancela able to do its job? The one source of `/readyz` and the dashboard's health panel.

Cheap enough to poll every few seconds: a handful of indexed aggregates, no network call, no
personal data (configurations appear by public id and environment only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Min, Q
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from chancela.core.heartbeat import last_seen
from chancela.core.models import Heartbeat
from chancela.signing.selectors import ConfigHealth, config_health_all


@dataclass(frozen=True)
class QueueStats:
    name: str
    depth: int  # jobs due now and not yet started
    oldest_age_seconds: float  # how long the oldest of them has been due (0 when empty)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Readiness:
    checks: list[Check]
    configs: list[ConfigHealth]
    queues: list[QueueStats]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def by_name(self) -> dict[str, Check]:
        return {c.name: c for c in self.checks}

    def as_json(self, *, now: datetime | None = None) -> dict[str, Any]:
        now = now or timezone.now()
        return {
            "status": "ok" if self.ok else "unavailable",
            "checks": {c.name: {"ok": c.ok, **c.detail} for c in self.checks},
            "queues": {
                q.name: {"depth": q.depth, "oldest_age_seconds": round(q.oldest_age_seconds, 1)}
                for q in self.queues
            },
            "configurations": [
                {
                    "id": str(item.config.public_id),
                    "environment": item.config.environment,
                    "active": item.config.active,
                    "in_flight": item.in_flight,
                    "last_successful_call_seconds_ago": _age(
                        item.config.last_successful_call_at, now
                    ),
                    "last_callback_seconds_ago": _age(item.config.last_callback_at, now),
                    "stale_calls": item.stale_calls,
                    "no_callback": item.no_callback,
                }
                for item in self.configs
            ],
        }


def _age(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else round((now - moment).total_seconds(), 1)


def queue_stats(*, now: datetime | None = None) -> list[QueueStats]:
    """Per queue: jobs due and waiting, and the age of the oldest (a job's due time is its
    ``run_after`` when it has one, else when it was enqueued)."""
    now = now or timezone.now()
    never = get_date_max()
    rows = (
        DBTaskResult.objects.filter(status=TaskResultStatus.READY)
        .filter(Q(run_after=never) | Q(run_after__lte=now))
        .order_by()
        .values("queue_name")
        .annotate(
            depth=Count("id"),
            oldest_enqueued=Min("enqueued_at", filter=Q(run_after=never)),
            oldest_run_after=Min("run_after", filter=~Q(run_after=never)),
        )
    )
    result = []
    for row in rows:
        due = [d for d in (row["oldest_enqueued"], row["oldest_run_after"]) if d is not None]
        oldest = max(0.0, (now - min(due)).total_seconds()) if due else 0.0
        result.append(QueueStats(row["queue_name"], row["depth"], oldest))
    for name in settings.TASKS["default"].get("QUEUES", []):
        if name not in {q.name for q in result}:
            result.append(QueueStats(name, 0, 0.0))
    return sorted(result, key=lambda q: q.name)


_migrations_applied = False


def _migrations_check() -> Check:
    """Unapplied migrations? Cached once all are applied: they stay so until the next deploy
    restarts this process."""
    global _migrations_applied
    if not _migrations_applied:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            return Check("migrations", False, {"pending": len(pending)})
        _migrations_applied = True
    return Check("migrations", True)


def _seen_check(name: str, kind: str, max_age: int, now: datetime) -> Check:
    seen = last_seen(kind=kind)
    age = _age(seen, now)
    ok = age is not None and age <= max_age
    return Check(name, ok, {"last_seen_seconds_ago": age, "max_age_seconds": max_age})


def readiness_check(*, now: datetime | None = None) -> Readiness:
    """Database reachable, migrations applied, a worker and the scheduler seen recently, no
    job waiting too long; plus, for information, each configuration's Clicksign health."""
    now = now or timezone.now()
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return Readiness([Check("database", False, {"error": type(error).__name__})], [], [])
    checks = [Check("database", True), _migrations_check()]
    if not checks[-1].ok:
        return Readiness(checks, [], [])
    checks.append(
        _seen_check(
            "worker", Heartbeat.Kind.WORKER, settings.CHANCELA_READY_WORKER_MAX_AGE_SECONDS, now
        )
    )
    checks.append(
        _seen_check(
            "scheduler",
            Heartbeat.Kind.SCHEDULER,
            settings.CHANCELA_READY_SCHEDULER_MAX_AGE_SECONDS,
            now,
        )
    )
    queues = queue_stats(now=now)
    oldest = max((q.oldest_age_seconds for q in queues), default=0.0)
    max_age = settings.CHANCELA_READY_QUEUE_MAX_AGE_SECONDS
    checks.append(
        Check(
            "queue",
            oldest <= max_age,
            {"oldest_job_age_seconds": round(oldest, 1), "max_age_seconds": max_age},
        )
    )
    return Readiness(checks, config_health_all(now=now), queues)
