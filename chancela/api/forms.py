from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from chancela.institutions.models import Unit


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="Nome",
        max_length=120,
        help_text="Para reconhecer quem usa a chave, por exemplo “ERP acadêmico — produção”.",
        error_messages={"required": "Dê um nome à chave."},
    )
    units = forms.ModelMultipleChoiceField(
        label="Unidades",
        queryset=Unit.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="A chave só envia e consulta solicitações destas unidades.",
        error_messages={
            "required": "Escolha ao menos uma unidade.",
            "invalid_choice": "Escolha só unidades do seu filtro de unidades.",
        },
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = units  # type: ignore[attr-defined]
