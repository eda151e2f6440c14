"""A correlation id that follows the work: from a web request to the jobs it enqueues, and on
to the jobs those enqueue. Every log record carries it (``correlation_id``).

- Web: `CorrelationIdMiddleware` takes the caller's ``X-Request-ID`` (when it looks like an
  id) or makes one, and answers it back in ``X-Request-ID``.
- Jobs: when a job is enqueued, the current id is written beside it (`JobCorrelation`, in the
  enqueuing transaction); when a worker starts the job it takes that id back, so the job's
  own log lines and the jobs it enqueues carry it too. Jobs enqueued by the scheduler get a
  fresh id each.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)
request_logger = logging.getLogger("chancela.request")

HEADER = "X-Request-ID"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_current: ContextVar[str] = ContextVar("chancela_correlation_id", default="")


def correlation_id() -> str:
    return _current.get()


@contextmanager
def correlation_id_scope(value: str) -> Iterator[str]:
    """``value`` as the correlation id inside the block, and the previous one back after it:
    a periodic run's id must not stay on the scheduler's thread (its later log lines and, in
    tests, whatever the thread enqueues next would carry it)."""
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)


def correlation_id_new() -> str:
    return uuid.uuid4().hex


class CorrelationIdFilter(logging.Filter):
    """Adds ``correlation_id`` to every record ("-" outside a request or job)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = _current.get() or "-"
        return True


class CorrelationIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(HEADER, "")
        value = given if _VALID.match(given) else correlation_id_new()
        token = _current.set(value)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            # One line per request: method, path (never the query string: it may carry a
            # signed URL or a token), status and duration.
            request_logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                },
            )
        finally:
            _current.reset(token)
        response[HEADER] = value
        return response


def on_task_enqueued(sender: Any, task_result: Any, **kwargs: Any) -> None:
    """Remember the enqueuer's correlation id beside the job (same transaction)."""
    from chancela.core.models import JobCorrelation

    value = _current.get()
    if not value:
        return
    try:
        with transaction.atomic():  # a savepoint: a failure here must not spoil the enqueuer's
            JobCorrelation.objects.create(task_id=str(task_result.id), correlation_id=value)
    except DatabaseError:
        logger.warning("could not record the job's correlation id", exc_info=True)


def on_task_started(sender: Any, task_result: Any, **kwargs: Any) -> None:
    """In the worker: take the job's correlation id back (a fresh one if it has none)."""
    from chancela.core.models import JobCorrelation

    try:
        value = (
            JobCorrelation.objects.filter(task_id=str(task_result.id))
            .values_list("correlation_id", flat=True)
            .first()
        )
    except DatabaseError:
        value = None
    _current.set(value or correlation_id_new())


def on_task_finished(sender: Any, **kwargs: Any) -> None:
    _current.set("")
