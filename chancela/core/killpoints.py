"""Crash points for tests that kill a worker in the middle of its work.

``kill_point("envelope:after_call")`` ends the process at once (``os._exit``, no cleanup, no
commit: like a power cut or an OOM kill) when the environment variable ``CHANCELA_KILL_AT`` names
that point **and** the setting ``CHANCELA_KILL_POINTS_ENABLED`` is on. Production never turns the
setting on, so there a kill point costs one attribute read.
"""

from __future__ import annotations

import logging
import os

from django.conf import settings

logger = logging.getLogger(__name__)

KILL_EXIT_CODE = 137  # what a SIGKILL'd process reports


def kill_point(name: str) -> None:
    if not getattr(settings, "CHANCELA_KILL_POINTS_ENABLED", False):
        return
    if os.environ.get("CHANCELA_KILL_AT") != name:
        return
    logger.warning("kill point reached: exiting now", extra={"kill_point": name})
    os._exit(KILL_EXIT_CODE)
