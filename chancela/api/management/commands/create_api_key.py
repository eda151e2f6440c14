from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chancela.api.errors import ApiKeyError
from chancela.api.services import api_key_create
from chancela.institutions.models import Unit


class Command(BaseCommand):
    help = (
        "Create an API key for the host system (academic ERP), scoped to units. "
        "The key is printed once and never stored in clear."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="A name to recognise the key.")
        parser.add_argument(
            "--unit",
            action="append",
            dest="units",
            required=True,
            metavar="CODE",
            help="Code of a unit the key may use (repeat for more units).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        codes = [code.strip() for code in options["units"]]
        found = {code: Unit.objects.filter(code__iexact=code).first() for code in codes}
        missing = sorted(code for code, unit in found.items() if unit is None)
        units = [unit for unit in found.values() if unit is not None]
        if missing:
            raise CommandError(f"Unknown unit code(s): {', '.join(missing)}")
        try:
            api_key, raw_key = api_key_create(name=options["name"], units=units)
        except ApiKeyError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"API key “{api_key.name}” created for: {', '.join(u.code for u in units)}.\n"
            "Store it now — it is shown only once:\n"
        )
        self.stdout.write(raw_key)
