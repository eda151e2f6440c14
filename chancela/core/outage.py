"""Database outages, logged once: one line when the database stops answering, one when it is
back (with how long it lasted and how many requests or jobs were turned away meanwhile) —
instead of a traceback for every request that hit it."""

from __future__ import annotations

import logging
import threading
import time


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

    def ok(self) -> None:
        """The database answered: close the outage, if one was open (cheap when none is)."""
        if self._since is None:
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
