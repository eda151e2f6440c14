"""``manage.py db_worker``: django-tasks-db's command, with a worker that survives database
outages (``chancela.core.worker``). Same options; ``chancela.core`` is listed before
``django_tasks_db`` in ``INSTALLED_APPS`` so this command is the one Django runs."""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands import db_worker as upstream

from chancela.core.worker import ResilientWorker


class Command(upstream.Command):
    help = "Run a database background worker that waits out database outages"

    def handle(self, *args: Any, **options: Any) -> None:
        # The upstream command builds its worker by this module-level name.
        upstream.Worker = ResilientWorker  # type: ignore[misc]
        super().handle(*args, **options)
