from django.db import migrations, models


def forget_account_keys_learned_from_callbacks(apps, schema_editor):
    """Until now a configuration's Clicksign account could be set by the first verified callback,
    whose body anyone who picks a configuration's webhook secret can write. Keep only the keys
    that "Testar conexão" read from Clicksign (recorded in the audit log); forget the others —
    the next "Testar conexão" learns them again."""
    SignatureConfig = apps.get_model("esign", "SignatureConfig")
    ConfigAuditEntry = apps.get_model("esign", "ConfigAuditEntry")
    for config in SignatureConfig.objects.exclude(clicksign_account_key=""):
        confirmed = any(
            (entry.changes or {}).get("Conta Clicksign", [None, None])[-1]
            == config.clicksign_account_key
            for entry in ConfigAuditEntry.objects.filter(
                config_id=config.pk, action="connection_tested"
            )
        )
        if not confirmed:
            SignatureConfig.objects.filter(pk=config.pk).update(clicksign_account_key="")


class Migration(migrations.Migration):
    dependencies = [
        ("callbacks", "0001_initial"),
        ("esign", "0004_audit_activated_label"),
    ]

    operations = [
        migrations.AlterField(
            model_name="rejectedcallback",
            name="reason",
            field=models.CharField(
                choices=[
                    ("missing_signature", "Sem assinatura (Content-Hmac)"),
                    ("bad_signature", "Assinatura inválida"),
                    ("unknown_config", "Configuração não encontrada"),
                    ("account_mismatch", "Conta Clicksign diferente da configuração"),
                    (
                        "other_account",
                        "Documento de uma configuração de outra conta Clicksign (ou de conta "
                        "não confirmada)",
                    ),
                ],
                max_length=30,
            ),
        ),
        migrations.RunPython(
            forget_account_keys_learned_from_callbacks, migrations.RunPython.noop, elidable=True
        ),
    ]
