"""Process heartbeats: workers and schedulers stamp a row while they work.

A worker stamps when it starts a task (the scheduler enqueues a periodic job at least every
30 seconds, so a live worker always has one to start); the scheduler stamps on its ticks. Stamps
are throttled per process, so a busy worker writes at most one row every few seconds.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError
from django.db.models import Max
from django.utils import timezone

from chancela.core.models import Heartbeat, JobCorrelation

logger = logging.getLogger(__name__)

BEAT_EVERY_SECONDS = 5.0
PRUNE_AFTER = timedelta(days=7)

_last_beat: dict[str, float] = {}
_started_at = timezone.now()


def process_instance() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def heartbeat_beat(*, kind: str, force: bool = False) -> bool:
    """Stamp this process as seen now (at most once every few seconds unless forced)."""
    now_mono = time.monotonic()
    if not force and now_mono - _last_beat.get(kind, -1e9) < BEAT_EVERY_SECONDS:
        return False
    _last_beat[kind] = now_mono
    now = timezone.now()
    Heartbeat.objects.update_or_create(
        kind=kind,
        instance=process_instance(),
        defaults={"seen_at": now},
        create_defaults={"seen_at": now, "started_at": _started_at},
    )
    return True


def operations_rows_prune(*, now: datetime | None = None) -> int:
    """Heartbeats of processes long gone, correlation ids of jobs long done."""
    now = now or timezone.now()
    deleted, _ = Heartbeat.objects.filter(seen_at__lt=now - PRUNE_AFTER).delete()
    gone, _ = JobCorrelation.objects.filter(created_at__lt=now - PRUNE_AFTER).delete()
    return deleted + gone


def last_seen(*, kind: str) -> datetime | None:
    value = Heartbeat.objects.filter(kind=kind).aggregate(last=Max("seen_at"))["last"]
    return value if isinstance(value, datetime) else None


def on_task_started(sender: Any, **kwargs: Any) -> None:
    """django-tasks' task_started signal, sent by the worker running the task."""
    try:
        heartbeat_beat(kind=Heartbeat.Kind.WORKER)
    except DatabaseError:  # a heartbeat must never fail a task
        logger.warning("could not record the worker heartbeat", exc_info=True)
