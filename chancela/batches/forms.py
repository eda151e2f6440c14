"""Forms of the batch screens: the upload and the inline fix of a row."""

from __future__ import annotations

from typing import Any

from django import forms

from chancela.batches.columns import COLUMNS
from chancela.esign.models import DocumentType
from chancela.institutions.models import Unit
from chancela.institutions.selectors import units_visible_to
from chancela.signing.selectors import document_types_sendable_by


class BatchUploadForm(forms.Form):
    unit = forms.ModelChoiceField(
        label="Unidade", queryset=Unit.objects.none(), empty_label="Escolha a unidade"
    )
    document_type = forms.ModelChoiceField(
        label="Tipo de documento",
        queryset=DocumentType.objects.none(),
        empty_label="Escolha o tipo de documento",
    )
    title = forms.CharField(
        label="Título",
        max_length=150,
        help_text="Cada documento se chamará “título — nome do aluno”. "
        "Ex.: Contrato de rematrícula 2027.",
    )
    message = forms.CharField(
        label="Mensagem para quem assina (opcional)",
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    biometrics_justification = forms.CharField(
        label="Justificativa para biometria de menor de 18 anos (opcional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Só quando a configuração ou o tipo pede selfie ou documento oficial e há "
        "alunos de 16 ou 17 anos (LGPD arts. 11 e 14). Em branco: a do tipo de documento.",
    )
    csv_file = forms.FileField(
        label="Planilha (Excel .xlsx ou CSV)",
        help_text="Uma linha por aluno, com os responsáveis: a primeira aba de um .xlsx, ou um "
        "CSV separado por ; ou , (UTF-8 ou Latin-1). Use o modelo.",
    )
    zip_file = forms.FileField(
        label="PDFs (ZIP)",
        help_text="Um PDF por linha, com o nome do código do aluno: 2027001.pdf.",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = document_types_sendable_by(user=user)
        self.fields["document_type"].queryset = types  # type: ignore[attr-defined]
        self.fields["unit"].queryset = (  # type: ignore[attr-defined]
            units_visible_to(user=user)
            .filter(active=True, document_types__in=types)
            .distinct()
            .order_by("name")
        )
        self.fields["csv_file"].widget.attrs["accept"] = (
            ".csv,text/csv,.xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        self.fields["zip_file"].widget.attrs["accept"] = ".zip,application/zip"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        unit, document_type = data.get("unit"), data.get("document_type")
        if unit and document_type and not document_type.units.filter(pk=unit.pk).exists():
            self.add_error(
                "document_type", "Este tipo de documento não é enviado pela unidade escolhida."
            )
        return data


class BatchRowForm(forms.Form):
    pdf = forms.FileField(
        label="Substituir o PDF (opcional)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for column in reversed(COLUMNS):
            self.fields = {
                column.key: forms.CharField(label=column.label, required=False, max_length=300),
                **self.fields,
            }
