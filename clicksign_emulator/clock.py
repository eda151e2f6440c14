"""The emulator's own clock: wall time plus an offset that tests move forward."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, timezone

BRT = timezone(timedelta(hours=-3))


class Clock:
    """Wall-clock time shifted by ``offset``; optionally frozen at one instant.

    Everything time-based in the emulator (deadlines, URL expiry, rate-limit windows, webhook
    retry schedules) reads this clock, so ``advance()`` moves all of them together.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen_at: float | None = None

    def time(self) -> float:
        """Seconds since the epoch, emulator time."""
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at + self._offset
            return time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), tz=UTC)

    @property
    def offset(self) -> float:
        with self._lock:
            return self._offset

    @property
    def frozen(self) -> bool:
        with self._lock:
            return self._frozen_at is not None

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the emulator clock only moves forward")
        with self._lock:
            self._offset += seconds

    def set(self, epoch: float) -> None:
        """Jump to an absolute instant (may go backwards: meant for reproducible samples)."""
        with self._lock:
            base = self._frozen_at if self._frozen_at is not None else time.time()
            self._offset = epoch - base

    def freeze(self, frozen: bool) -> None:
        with self._lock:
            if frozen and self._frozen_at is None:
                self._frozen_at = time.time()
            elif not frozen and self._frozen_at is not None:
                # keep the same emulator instant when unfreezing
                self._offset += self._frozen_at - time.time()
                self._frozen_at = None

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
            self._frozen_at = None


def iso_br(moment: datetime | None) -> str | None:
    """``2024-02-29T09:17:36.418-03:00`` — the format of v3 responses and webhook roots."""
    if moment is None:
        return None
    local = moment.astimezone(BRT)
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}-03:00"


def iso_z(moment: datetime | None) -> str | None:
    """``2024-02-29T12:17:36.418Z`` — the format inside ``document.events[]`` of webhooks."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def ruby_time(moment: datetime) -> str:
    """``2024-02-29 09:17:36 -0300`` — how Rails prints a time inside a validation message."""
    return moment.astimezone(BRT).strftime("%Y-%m-%d %H:%M:%S -0300")
