"""Re-encrypt every stored secret under the newest key of CHANCELA_ENCRYPTION_KEYS.

Runbook: put the new key first in CHANCELA_ENCRYPTION_KEYS (keep the old ones after it), deploy,
run this command, then remove the old keys. The command is idempotent and checks that every row
reads with the newest key alone before it finishes.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from chancela.core.crypto import EncryptionKeyError, encrypted_fields, rotate, token

BATCH = 500


class Command(BaseCommand):
    help = "Re-encrypt every secret at rest with the newest CHANCELA_ENCRYPTION_KEYS key."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.ENCRYPTION_KEYS:
            raise CommandError("CHANCELA_ENCRYPTION_KEYS is empty.")
        newest = Fernet(settings.ENCRYPTION_KEYS[0].encode())
        quote = connection.ops.quote_name
        total = 0
        for model, field in encrypted_fields():
            table, column, pk = (
                quote(model._meta.db_table),
                quote(field.column),
                quote(model._meta.pk.column),
            )
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {pk} FROM {table} WHERE {column} IS NOT NULL")  # noqa: S608
                ids = [row[0] for row in cursor.fetchall()]
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                with transaction.atomic(), connection.cursor() as cursor:
                    placeholders = ", ".join(["%s"] * len(chunk))
                    cursor.execute(
                        f"SELECT {pk}, {column} FROM {table} WHERE {pk} IN ({placeholders})",  # noqa: S608
                        chunk,
                    )
                    for row_id, stored in cursor.fetchall():
                        try:
                            rotated = rotate(stored)
                            newest.decrypt(token(rotated))
                        except EncryptionKeyError as exc:
                            raise CommandError(
                                f"{model.__name__}.{field.name} row {row_id} cannot be decrypted "
                                "with any configured key; nothing in this batch was changed."
                            ) from exc
                        cursor.execute(
                            f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                            [rotated, row_id],
                        )
                        total += 1
            if options["verbosity"]:
                self.stdout.write(f"{model.__name__}.{field.name}: {len(ids)} value(s) rotated")
        if options["verbosity"]:
            self.stdout.write(self.style.SUCCESS(f"{total} secret(s) now under the newest key."))
