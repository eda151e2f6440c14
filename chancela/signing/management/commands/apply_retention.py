"""List (dry run, the default) or anonymise the personal data past its retention period.

The same selection and service as the daily job ``chancela.signing.tasks.apply_retention``.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from chancela.signing.retention import retention_apply, retention_due

KIND_LABELS = {
    "signed_request": "solicitação assinada",
    "unsigned_request": "solicitação não assinada",
    "batch_row": "linha de lote",
    "callback": "retorno bruto da Clicksign (apagado)",
}


class Command(BaseCommand):
    help = (
        "List the requests, batch rows and raw callbacks past their document type's retention "
        "period. Dry run unless --execute."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--execute", action="store_true", help="Really anonymise (default: only list)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["execute"]:
            report = retention_apply()
            self.stdout.write(f"Anonimizados: {report.total} {report.counts}")
            return
        items = retention_due()
        for item in items:
            reference = timezone.localtime(item.reference_at).strftime("%d/%m/%Y")
            self.stdout.write(
                f"{KIND_LABELS[item.kind]}: {item.label} — desde {reference}, "
                f"prazo de {item.period_days} dias"
            )
        self.stdout.write(
            f"{len(items)} item(ns) seriam anonimizados. Nada foi alterado (use --execute)."
        )
