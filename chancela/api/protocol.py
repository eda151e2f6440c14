"""The HTTP contract of ``/api/v1`` around the handlers: strict JSON in, one error shape out.

- ``StrictJsonParser``: a body must be ``Content-Type: application/json`` (else 415
  ``unsupported_media_type``) and valid UTF-8 JSON (else 400 ``malformed_json``).
- ``api_error_shape`` (middleware): whatever answers under ``/api/v1`` without JSON — Django's
  404 for an unknown path, ninja's 405 for a wrong method, a 500 — leaves as the documented
  ``{"code", "message", "field"}`` in Portuguese; it also adds the key's rate-limit headers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.parser import Parser

from chancela.core.errors import DomainError

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1/"


class ApiProtocolError(DomainError):
    """A request the API cannot read at all (media type, JSON syntax)."""


def _is_json_media_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class StrictJsonParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        if not _is_json_media_type(request.META.get("CONTENT_TYPE", "")):
            raise ApiProtocolError(
                "unsupported_media_type",
                "Envie o corpo como JSON, com o cabeçalho Content-Type: application/json.",
                None,
            )
        try:
            return json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise ApiProtocolError(
                "malformed_json",
                f"O corpo da requisição não é um JSON válido ({_where(error)}).",
                None,
            ) from None


def _where(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"linha {error.lineno}, coluna {error.colno}"
    return "não está em UTF-8"


# What a bare HTTP status means, for the responses no handler of ours wrote.
_STATUS_ERRORS: dict[int, tuple[str, str]] = {
    400: ("malformed_json", "Requisição malformada."),
    404: (
        "not_found",
        "Endereço não encontrado na API: confira o caminho e o método em /api/v1/docs.",
    ),
    405: ("method_not_allowed", "Método HTTP não aceito neste endereço."),
    413: ("request_too_large", "O corpo da requisição passa do limite da API."),
    415: ("unsupported_media_type", "Envie o corpo como JSON (Content-Type: application/json)."),
}
_SERVER_ERROR = (
    "server_error",
    "Erro inesperado no Chancela; ele foi registrado. Tente de novo em instantes.",
)


def error_response(
    *, status: int, code: str, message: str, field: str | None = None, **extra: Any
) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": message, "field": field, **extra},
        status=status,
        content_type="application/json; charset=utf-8",
    )


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX) or request.path == API_PREFIX.rstrip("/")


def _reshape(response: HttpResponse) -> HttpResponse:
    if response.status_code < 400 or _is_json_media_type(response.get("Content-Type", "")):
        return response
    code, message = _STATUS_ERRORS.get(response.status_code) or (
        _SERVER_ERROR if response.status_code >= 500 else ("invalid_input", "Requisição inválida.")
    )
    if response.status_code == 405 and response.has_header("Allow"):
        message = f"Método HTTP não aceito neste endereço; use {response['Allow']}."
    shaped = error_response(status=response.status_code, code=code, message=message)
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if response.has_header(header):
            shaped[header] = response[header]
    return shaped


def api_error_shape(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[..., Any]:
    """Middleware: every answer under /api/v1 in the documented JSON shape, with rate headers."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if not _is_api(request):
            return response
        response = _reshape(response)
        for header, value in getattr(request, "api_rate_headers", {}).items():
            response[header] = value
        return response

    return middleware
