"""The seed's TB_PESSOA_ASSIN_ELETRONICA clean-up, made safe.

Dry run by default (lists what would be removed, with the selection's fingerprint);
``--execute`` removes exactly the rows it lists — and, with ``--expect <fingerprint>``, only if
they are still exactly the rows the dry run listed; sandbox configurations only unless
``--include-production``; one audit entry per configuration touched. The screen
“Limpeza de pessoas registradas” uses the same selector and service.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chancela.core.people import email_mask
from chancela.esign.errors import ConfigurationError
from chancela.esign.selectors import (
    signer_registrations_fingerprint,
    signer_registrations_for_purge,
)
from chancela.esign.services import signer_registrations_purge
from chancela.institutions.models import Unit, UnitGroup


class Command(BaseCommand):
    help = (
        "Remove people registered as signers (SignerRegistration) by unit, unit group and "
        "e-mail. Dry run unless --execute; sandbox configurations only unless "
        "--include-production."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", action="append", default=[], metavar="CODE")
        parser.add_argument("--unit-group", action="append", default=[], metavar="CODE")
        parser.add_argument("--email", action="append", default=[], metavar="EMAIL")
        parser.add_argument(
            "--include-production",
            action="store_true",
            help="Also remove registrations under production configurations.",
        )
        parser.add_argument(
            "--execute", action="store_true", help="Really delete (default: only list)."
        )
        parser.add_argument(
            "--expect",
            metavar="FINGERPRINT",
            default="",
            help="With --execute: delete only if the selection is still the one the dry run "
            "listed (its fingerprint); otherwise delete nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        units: dict[int, Unit] = {}
        for code in options["unit"]:
            unit = Unit.objects.filter(code__iexact=code.strip()).first()
            if unit is None:
                raise CommandError(f"Unknown unit code: {code}")
            units[unit.pk] = unit
        for code in options["unit_group"]:
            group = UnitGroup.objects.filter(code__iexact=code.strip()).first()
            if group is None:
                raise CommandError(f"Unknown unit group code: {code}")
            units.update({unit.pk: unit for unit in group.units.all()})
        if (options["unit"] or options["unit_group"]) and not units:
            raise CommandError("The unit groups given have no units.")
        try:
            rows = list(
                signer_registrations_for_purge(
                    units=list(units.values()),
                    emails=options["email"],
                    include_production=options["include_production"],
                )
            )
        except ConfigurationError as error:
            raise CommandError(error.message) from error

        fingerprint = signer_registrations_fingerprint(rows)
        if options["execute"] and options["expect"] and options["expect"] != fingerprint:
            raise CommandError(
                f"The selection changed since the dry run (fingerprint {fingerprint}, expected "
                f"{options['expect']}): nothing deleted. Run the dry run again."
            )
        verb = "Deleting" if options["execute"] else "Would delete (dry run)"
        self.stdout.write(f"{verb}: {len(rows)} signer registration(s).")
        for row in rows:
            self.stdout.write(
                f"  #{row.pk} config={row.config.public_id} ({row.config.environment}) "
                f"unit={row.unit.code} email={email_mask(row.email)} name={row.name}"
            )
        self.stdout.write(f"Selection fingerprint: {fingerprint}")
        if not options["execute"]:
            self.stdout.write(
                "Nothing deleted. Run again with --execute to delete these rows "
                f"(add --expect {fingerprint} to delete them only if they are still exactly "
                "these)."
            )
            return
        filters = []
        if units:
            filters.append("unidades " + ", ".join(sorted(u.code for u in units.values())))
        if options["email"]:
            filters.append(f"{len(options['email'])} e-mail(s)")
        deleted = signer_registrations_purge(
            registrations=rows,
            note=f"Comando purge_signer_registrations ({'; '.join(filters)}).",
        )
        for config, count in deleted.items():
            self.stdout.write(f"  {config.name}: {count} deleted")
        self.stdout.write(self.style.SUCCESS(f"Deleted {sum(deleted.values())} row(s)."))
