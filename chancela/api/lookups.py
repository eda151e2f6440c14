"""What a handler looks up by a code the host sent, always within the API key's units."""

from __future__ import annotations

from typing import Any

from chancela.esign.models import DocumentType
from chancela.institutions.models import Unit
from chancela.signing.errors import SigningError
from chancela.signing.selectors import document_type_for_unit, units_of_api_key


def unit_or_404(api_key: Any, code: str) -> Unit:
    unit = units_of_api_key(api_key=api_key).filter(code__iexact=(code or "").strip()).first()
    if unit is None:
        raise SigningError(
            "unit_not_found",
            f"Unidade “{code}” não encontrada entre as unidades desta chave de API.",
            "unit",
        )
    return unit


def document_type_or_404(unit: Unit, code: str) -> DocumentType:
    document_type = document_type_for_unit(unit=unit, code=code)
    if document_type is None:
        raise SigningError(
            "document_type_not_found",
            f"Tipo de documento “{code}” não encontrado para a unidade “{unit.code}”.",
            "document_type",
        )
    return document_type
