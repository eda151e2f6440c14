"""The filter form of "Documentos em assinatura": GET parameters -> ``RequestFilters``.

Choices come from the user's own units and document types, so a foreign id in the URL is
simply an invalid choice (and filters nothing): the unit filter stays in force.
"""

from __future__ import annotations

from typing import Any

from django import forms

from chancela.esign.models import DocumentType, Environment
from chancela.institutions.models import Unit
from chancela.institutions.selectors import units_visible_to
from chancela.signing.models import RequestStatus
from chancela.signing.selectors import RequestFilters, document_types_listable_by

FILTER_FIELDS = (
    "unidade",
    "tipo",
    "situacao",
    "ambiente",
    "de",
    "ate",
    "pessoa",
    "externo",
)


class RequestFilterForm(forms.Form):
    unidade: forms.ModelChoiceField[Unit] = forms.ModelChoiceField(
        label="Unidade", queryset=None, required=False, empty_label="Todas as minhas unidades"
    )
    tipo: forms.ModelChoiceField[DocumentType] = forms.ModelChoiceField(
        label="Tipo de documento", queryset=None, required=False, empty_label="Todos"
    )
    situacao = forms.ChoiceField(
        label="Situação",
        required=False,
        choices=[("", "Todas"), *RequestStatus.choices],
    )
    ambiente = forms.ChoiceField(
        label="Ambiente",
        required=False,
        choices=[("", "Todos"), *Environment.choices],
    )
    de = forms.DateField(
        label="Criadas de", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ate = forms.DateField(
        label="até", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    pessoa = forms.CharField(
        label="Pessoa (nome, CPF ou e-mail)",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    externo = forms.CharField(
        label="Identificador externo",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = units_visible_to(user=user).order_by("name")
        self.fields["unidade"].queryset = units  # type: ignore[attr-defined]
        self.fields["tipo"].queryset = document_types_listable_by(user=user)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("de"), cleaned.get("ate")
        if start and end and end < start:
            self.add_error("ate", "A data final é anterior à inicial.")
        return cleaned

    def filters(self) -> RequestFilters:
        """The valid filters (a field with an error filters nothing)."""
        if self.is_bound:
            self.is_valid()
        data: dict[str, Any] = getattr(self, "cleaned_data", {})
        unit = data.get("unidade")
        document_type = data.get("tipo")
        return RequestFilters(
            unit_id=unit.pk if unit else None,
            document_type_id=document_type.pk if document_type else None,
            status=data.get("situacao") or "",
            environment=data.get("ambiente") or "",
            created_from=data.get("de"),
            created_to=data.get("ate"),
            person=data.get("pessoa") or "",
            external_id=data.get("externo") or "",
        )


def request_filter_form(*, params: Any, user: Any) -> RequestFilterForm:
    """The bound form for the GET parameters (validated)."""
    bound = any(params.get(name) for name in FILTER_FIELDS)
    form = RequestFilterForm(params if bound else None, user=user)
    if bound:
        form.is_valid()
    return form
