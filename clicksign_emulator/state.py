"""Keeping the emulator's state across restarts (``--state-file``), for the local demo.

``make run`` restarts the emulator with everything else; without this, every envelope the demo
created would be gone and requests left "Aguardando assinaturas" could never be signed. The
state (accounts, envelopes, documents, signers, requirements, events, registered webhooks,
files, the clock's offset) is written after every change that reached it — a background thread
looks once a second — and on shutdown, atomically (temporary file + rename), readable by the
owner only. It is the emulator's own file on the developer's machine, so Python's pickle is
fine here; a file that cannot be read (damaged, another version) is set aside and the emulator
starts empty, saying so.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import threading
from pathlib import Path
from typing import Any

from .core import Emulator

STATE_VERSION = 1
STATE_FIELDS = (
    "accounts",
    "envelopes",
    "documents",
    "signers",
    "requirements",
    "events",
    "notifications",
    "webhooks",
    "legacy_signers",
    "files",
    "_sequence",
)


def state_dump(emulator: Emulator) -> bytes:
    with emulator.lock:
        data: dict[str, Any] = {name: getattr(emulator, name) for name in STATE_FIELDS}
        data["clock_offset"] = emulator.clock.offset
        return pickle.dumps({"version": STATE_VERSION, "state": data})


def state_save(emulator: Emulator, path: Path) -> None:
    raw = state_dump(emulator)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(raw)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def state_load(emulator: Emulator, path: Path) -> bool:
    """Bring back a saved state; False (and the emulator as it was) without a usable file."""
    if not path.exists():
        return False
    try:
        loaded = pickle.loads(path.read_bytes())  # noqa: S301 - our own local file, see above
        if loaded.get("version") != STATE_VERSION:
            raise ValueError(f"state version {loaded.get('version')!r}")
        state = loaded["state"]
    except Exception as error:  # noqa: BLE001 - any damage: start empty, keep the file aside
        aside = path.with_name(path.name + ".unreadable")
        with contextlib.suppress(OSError):
            os.replace(path, aside)
        sys.stderr.write(f"emulator state {path} unreadable ({error}); moved to {aside}\n")
        return False
    with emulator.lock:
        for name in STATE_FIELDS:
            setattr(emulator, name, state[name])
        offset = float(state.get("clock_offset") or 0)
        if offset > emulator.clock.offset:
            emulator.clock.advance(offset - emulator.clock.offset)
    return True


class StateKeeper:
    """Saves the emulator's state whenever it changed (checked once a second) and on stop."""

    def __init__(self, emulator: Emulator, path: Path, interval: float = 1.0) -> None:
        self.emulator = emulator
        self.path = path
        self.interval = interval
        self._digest = b""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def save_if_changed(self) -> bool:
        raw = state_dump(self.emulator)
        digest = hashlib.sha256(raw).digest()
        if digest == self._digest:
            return False
        state_save(self.emulator, self.path)
        self._digest = digest
        return True

    def start(self) -> StateKeeper:
        self._digest = hashlib.sha256(state_dump(self.emulator)).digest()
        self._thread = threading.Thread(target=self._run, name="emulator-state", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.save_if_changed()
            except Exception as error:  # noqa: BLE001 - keep serving; say it once per failure
                sys.stderr.write(f"emulator state not saved: {error}\n")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.save_if_changed()
