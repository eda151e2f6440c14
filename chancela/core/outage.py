"""Database outages, logged once: one line when the database stops answering, one when it is
back (with how long it lasted and how many requests or jobs were turned away meanwhile) —
instead of a traceback for every request that hit it.

A success closes the outage only if its work *and database connection* began after the
outage's first refusal (``work_began``), or if a brand-new connection confirms it
(``database_accepts_new_connections``). A fast shutdown of PostgreSQL terminates its backends
one by one: a thread whose persistent connection (``CONN_MAX_AGE``) was not terminated yet still
gets an answer a few milliseconds after another thread was refused, as does a request that was
past its queries when the cluster stopped. Counting those as "reachable again" closed the outage
while the database was going down, and the next refusal logged a second "unreachable" line (3
lines for 2 outages in the outage test)."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, connections
from django.db.backends.signals import connection_created


def _record_opening(sender: Any, connection: Any, **kwargs: Any) -> None:
    connection.chancela_opened_at = time.monotonic()


connection_created.connect(_record_opening, dispatch_uid="chancela.core.outage.opened_at")


def work_began(started: float, *, alias: str = "default") -> float:
    """When the evidence of a success began: the work's start (``time.monotonic()``), or the
    opening of the database connection it used if that is older (a persistent connection)."""
    opened = getattr(connections[alias], "chancela_opened_at", None)
    return started if opened is None else min(started, opened)


def database_accepts_new_connections(alias: str = "default") -> bool:
    """Whether a new connection can be opened and answer (a stopping cluster refuses it)."""
    probe = connections.create_connection(alias)
    try:
        with probe.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False
    finally:
        with contextlib.suppress(DatabaseError):
            probe.close()


class OutageLog:
    """Per-process record of one kind of outage (``what``), shared by its threads."""

    def __init__(self, logger: logging.Logger, what: str) -> None:
        self._logger = logger
        self._what = what
        self._lock = threading.Lock()
        self._since: float | None = None
        self._refused = 0

    @property
    def ongoing(self) -> bool:
        return self._since is not None

    def failed(self, exc: BaseException) -> None:
        """Something could not reach the database: log the first time, count the others."""
        with self._lock:
            self._refused += 1
            if self._since is not None:
                return
            self._since = time.monotonic()
        self._logger.error(
            "%s: database unreachable",
            self._what,
            extra={"outage": self._what, "error": type(exc).__name__, "detail": str(exc)[:300]},
        )

    def ok(
        self, *, started: float | None = None, confirm: Callable[[], bool] | None = None
    ) -> None:
        """The database answered: close the outage, if one was open (cheap when none is).

        ``started``: when the evidence began (``work_began``); a success that began before the
        outage's first refusal closes it only if ``confirm()`` says so (e.g. a new connection).
        """
        if self._since is None:
            return
        begun_before = started is not None and started < self._since
        if begun_before and (confirm is None or not confirm()):
            return
        with self._lock:
            if self._since is None:
                return
            seconds = time.monotonic() - self._since
            refused, self._since, self._refused = self._refused, None, 0
        self._logger.warning(
            "%s: database reachable again",
            self._what,
            extra={"outage": self._what, "seconds": round(seconds, 2), "refused": refused},
        )
