"""ninja/pydantic validation errors, translated to Portuguese with a JSON-pointer-ish path."""

from __future__ import annotations

from typing import Any

# Locations ninja puts first: ("body", "payload", ...), ("query", ...), ("path", ...).
_PREFIXES = {"body": 2, "query": 1, "path": 1, "header": 1, "cookie": 1, "form": 2, "file": 1}


def error_path(loc: list[Any] | tuple[Any, ...]) -> str | None:
    parts = list(loc)
    if parts and parts[0] in _PREFIXES:
        parts = parts[_PREFIXES[parts[0]] :]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or None


# What a pattern refusal means, by the field's own name (the last part of its path).
_PATTERN_MESSAGES = {
    "name": "Informe nome e sobrenome, sem números.",
    "email": "E-mail inválido.",
    "cpf": "CPF inválido: 11 dígitos, com ou sem pontuação.",
    "phone": "Telefone inválido: DDD + número, por exemplo 11987654321.",
    "content_base64": "Use base64 puro ou um data URI data:application/pdf;base64,<conteúdo>.",
    "external_id": "Não pode ficar em branco nem ter caracteres de controle.",
}


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "Campo obrigatório."
    if kind == "extra_forbidden":
        return "Campo desconhecido: confira o nome do campo."
    if kind == "string_too_short":
        if ctx.get("min_length", 1) <= 1:
            return "Não pode ficar vazio."
        return f"Informe ao menos {ctx['min_length']} caracteres."
    if kind == "string_too_long":
        return f"No máximo {ctx.get('max_length')} caracteres."
    if kind == "too_short":
        return f"Informe ao menos {ctx.get('min_length')} item(ns)."
    if kind == "too_long":
        return f"No máximo {ctx.get('max_length')} itens."
    if kind == "literal_error" or kind == "enum":
        return f"Valor inválido: use {ctx.get('expected', 'um dos valores documentados')}."
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "Deve ser um número inteiro."
    if kind == "greater_than_equal":
        return f"Deve ser no mínimo {ctx.get('ge')}."
    if kind == "less_than_equal":
        return f"Deve ser no máximo {ctx.get('le')}."
    if kind in ("bool_parsing", "bool_type"):
        return "Deve ser true ou false."
    if kind.startswith("date_") and not kind.startswith("datetime"):
        return "Data inválida: use AAAA-MM-DD, por exemplo 2010-05-31."
    if kind == "timezone_aware":
        return "Informe o fuso horário da data e hora, por exemplo 2027-03-31T18:00:00-03:00."
    if kind.startswith("datetime") or kind.startswith("timezone"):
        return "Data e hora inválidas: use ISO 8601, por exemplo 2027-03-31T18:00:00-03:00."
    if kind.startswith("uuid"):
        return "Identificador inválido (UUID esperado)."
    if kind == "string_type":
        return "Deve ser um texto."
    if kind == "list_type":
        return "Deve ser uma lista."
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "Deve ser um objeto JSON."
    if kind == "string_pattern_mismatch":
        loc = error.get("loc") or ("",)
        return _PATTERN_MESSAGES.get(str(loc[-1]), "Não pode ficar em branco.")
    if kind == "json_invalid":
        return "O corpo da requisição não é um JSON válido."
    return "Valor inválido."


def translate_validation_errors(errors: list[dict[str, Any]]) -> list[dict[str, str | None]]:
    translated = [
        {
            "code": str(error.get("type", "invalid")),
            "message": _message(error),
            "field": error_path(error.get("loc", ())),
        }
        for error in errors
    ]
    return translated or [{"code": "invalid", "message": "Requisição inválida.", "field": None}]
