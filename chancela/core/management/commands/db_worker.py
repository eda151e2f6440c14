"""``manage.py db_worker``: django-tasks-db's command, with a worker that survives database
outages (``chancela.core.worker``). Same options; ``chancela.core`` is listed before
``django_tasks_db`` in ``INSTALLED_APPS`` so this command is the one Django runs."""

from __future__ import annotations

import logging
import os
from typing import Any

from django_tasks_db.management.commands import db_worker as upstream

from chancela.core.worker import ResilientWorker


class Command(upstream.Command):
    help = "Run a database background worker that waits out database outages"

    def configure_logging(self, verbosity: int) -> None:
        super().configure_logging(verbosity)
        # Upstream sets its loggers to INFO at the default verbosity: one line per job. A level
        # asked for in the environment (`make run` asks for WARNING after start-up) wins over it.
        if verbosity == 1 and os.environ.get("CHANCELA_LOG_LEVEL"):
            level = logging.getLevelName(os.environ["CHANCELA_LOG_LEVEL"].upper())
            if isinstance(level, int):
                for name in (upstream.TASKS_LOGGER, upstream.logger.name):
                    logging.getLogger(name).setLevel(level)

    def handle(self, *args: Any, **options: Any) -> None:
        # The upstream command builds its worker by this module-level name.
        upstream.Worker = ResilientWorker  # type: ignore[misc]
        super().handle(*args, **options)
