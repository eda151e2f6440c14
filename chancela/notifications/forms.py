from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from chancela.institutions.models import Unit


class HostEndpointForm(forms.Form):
    unit = forms.ModelChoiceField(label="Unidade", queryset=Unit.objects.none())
    name = forms.CharField(
        label="Descrição", max_length=120, help_text="Por exemplo “ERP acadêmico — produção”."
    )
    url = forms.URLField(
        label="URL que recebe os eventos",
        max_length=500,
        assume_scheme="https",
        help_text="O Chancela envia um POST a cada mudança de situação de uma solicitação da "
        "unidade, assinado no padrão Standard Webhooks (cabeçalhos webhook-id, "
        "webhook-timestamp e webhook-signature).",
        error_messages={"invalid": "Informe uma URL completa, começando com https://."},
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        if len(units) == 1:
            self.fields["unit"].initial = units[0].pk
        for field in self.fields.values():
            field.error_messages["required"] = "Este campo é obrigatório."
