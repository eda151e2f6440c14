"""`manage.py reconcile`: one reconciliation pass (the periodic job runs the same)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from chancela.callbacks.reconcile import requests_reconcile


class Command(BaseCommand):
    help = (
        "Relê na Clicksign as solicitações aguardando assinaturas sem notícias há mais que o "
        "limite e aplica o que mudou (usa no máximo 10% do limite de requisições da conta)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--silent-minutes",
            type=int,
            default=None,
            help="Minutos sem notícias para reler (padrão: CHANCELA_RECONCILE_SILENT_MINUTES).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = requests_reconcile(silent_minutes=options["silent_minutes"])
        self.stdout.write(
            f"reconcile: {result.checked} requests checked, {result.calls} API calls, "
            f"{result.applied} events applied, {len(result.errors)} errors"
        )
        for error in result.errors:
            self.stderr.write(error)
