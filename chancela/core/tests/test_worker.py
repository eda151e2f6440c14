"""``db_worker``'s worker (``core.worker.ResilientWorker``) in process: a job cut off by a lost
connection runs again, and the worker carries on instead of exiting. The real outage, with a
stopped PostgreSQL, is ``test_database_outage.py``."""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from chancela.callbacks.tasks import prune_callbacks
from chancela.core import worker as worker_module
from chancela.core.worker import ResilientWorker

pytestmark = pytest.mark.django_db(transaction=True)


def batch_worker() -> ResilientWorker:
    return ResilientWorker(
        queue_names=["default"], interval=0, batch=True, backend_name="default",
        startup_delay=False, max_tasks=None, worker_id="test-worker",
        excluded_queue_names=[],
    )  # fmt: skip


def test_it_runs_a_job_cut_off_by_a_lost_connection_again_and_keeps_going(monkeypatch, caplog):
    calls: list[int] = []

    def prune_once_cut_off() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return 7

    monkeypatch.setattr("chancela.callbacks.processing.callbacks_prune", prune_once_cut_off)
    monkeypatch.setattr(worker_module, "BACKOFF_FIRST_SECONDS", 0.01)
    caplog.set_level(logging.INFO, logger="chancela.core.worker")
    job = prune_callbacks.enqueue()

    batch_worker().run()  # returns once the queue is empty, instead of dying on the error

    row = DBTaskResult.objects.get(pk=job.id)
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.return_value == 7
    assert len(calls) == 2
    messages = [r.getMessage() for r in caplog.records]
    assert messages.count("worker test-wor: database unreachable") == 1
    assert "job cut off by a database outage; queued again" in messages
    assert not [r for r in caplog.records if r.exc_info]


def test_it_records_a_job_that_keeps_failing_on_connection_errors(monkeypatch):
    def always_cut_off() -> int:
        raise OperationalError("no such table: gone")

    monkeypatch.setattr("chancela.callbacks.processing.callbacks_prune", always_cut_off)
    monkeypatch.setattr(worker_module, "BACKOFF_FIRST_SECONDS", 0.01)
    job = prune_callbacks.enqueue()

    batch_worker().run()

    row = DBTaskResult.objects.get(pk=job.id)
    assert row.status == TaskResultStatus.FAILED
    assert row.exception_class_path.endswith("OperationalError")
