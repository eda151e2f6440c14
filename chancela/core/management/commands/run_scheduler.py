import contextlib
from typing import Any

from django.core.management.base import BaseCommand

from chancela.core.scheduler import run_forever


class Command(BaseCommand):
    help = (
        "Enqueue Chancela's periodic jobs (sweepers, reconciliation) when due. Safe on every host."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with contextlib.suppress(KeyboardInterrupt):
            run_forever()
