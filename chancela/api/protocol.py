"""The HTTP contract of ``/api/v1`` around the handlers: strict JSON in, one error shape out.

- ``request_body_spool`` (called once the API key is known): the body goes from the WSGI input
  to a temporary file as it arrives, refused with 413 ``request_too_large`` past
  ``MAX_BODY_BYTES`` without reading the rest (``chancela.api.streaming``).
- ``StrictJsonParser``: a body must be ``Content-Type: application/json`` (else 415
  ``unsupported_media_type``) and valid UTF-8 JSON (else 400 ``malformed_json``); it is scanned
  from that file, each ``content_base64`` decoded into a temporary file of its own
  (``request_documents``).
- ``api_error_shape`` (middleware): whatever answers under ``/api/v1`` without JSON — Django's
  404 for an unknown path, ninja's 405 for a wrong method, a 500 — leaves as the documented
  ``{"code", "message", "field"}`` in Portuguese; it also adds the key's rate-limit headers.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.parser import Parser

from chancela.api.streaming import (
    BodyTooLarge,
    DecodedDocument,
    MalformedBody,
    SpooledBody,
    body_scan,
    body_spool,
)
from chancela.core import pdf
from chancela.core.errors import DomainError

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1/"
# 100 MiB of PDFs in base64, plus room for the JSON around them.
MAX_BODY_BYTES = math.ceil(pdf.MAX_REQUEST_BYTES / 3) * 4 + 2 * 1024 * 1024
BODY_TOO_LARGE = (
    "O corpo da requisição passa do limite (10 MB por documento e 100 MB por solicitação, em "
    "base64)."
)


class ApiProtocolError(DomainError):
    """A request the API cannot read at all (media type, JSON syntax)."""


def _is_json_media_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _too_large() -> ApiProtocolError:
    return ApiProtocolError("request_too_large", BODY_TOO_LARGE, None)


class _Spooled(bytes):
    """``request.body`` once the body went to a temporary file: empty, yet true, so that ninja
    (which tests ``if request.body`` before calling the parser) never reads it into memory."""

    def __bool__(self) -> bool:
        return True


def request_body_spool(request: HttpRequest) -> None:
    """Read the body into a temporary file as it arrives, counting bytes against the limit.

    A chunked body (no Content-Length; gunicorn marks its input as terminated) is read from the
    WSGI input itself: Django would read nothing of it. Raises the 413 ``ApiProtocolError``
    as soon as more than ``MAX_BODY_BYTES`` arrived, without reading the rest.
    """
    if request.method not in ("POST", "PUT", "PATCH", "DELETE") or hasattr(request, "_body"):
        return
    meta = request.META
    chunked = not meta.get("CONTENT_LENGTH") and meta.get("wsgi.input_terminated")
    read = meta["wsgi.input"].read if chunked else request.read
    try:
        spooled = body_spool(read, limit=MAX_BODY_BYTES)
    except BodyTooLarge:
        raise _too_large() from None
    if spooled.size == 0:
        spooled.close()
        request._body = b""
        return
    request.api_body = spooled  # type: ignore[attr-defined]
    request._body = _Spooled()


def request_documents(request: HttpRequest) -> Mapping[str, DecodedDocument]:
    """The documents decoded from the body, by the reference that replaced them in the JSON."""
    return getattr(request, "api_documents", {})


def request_body_discard(request: HttpRequest) -> None:
    """Close (and so delete) the body's temporary file and its documents'."""
    for document in request_documents(request).values():
        document.close()
    body = getattr(request, "api_body", None)
    if body is not None:
        body.close()


class StrictJsonParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        if not _is_json_media_type(request.META.get("CONTENT_TYPE", "")):
            raise ApiProtocolError(
                "unsupported_media_type",
                "Envie o corpo como JSON, com o cabeçalho Content-Type: application/json.",
                None,
            )
        body: SpooledBody | None = getattr(request, "api_body", None)
        if body is None:  # a body ninja read itself (an endpoint without the API key)
            body = body_spool(io.BytesIO(request.body).read, limit=MAX_BODY_BYTES)
            request.api_body = body  # type: ignore[attr-defined]
        try:
            scanned = body_scan(body, limit=pdf.MAX_DOCUMENT_BYTES)
        except BodyTooLarge:
            raise _too_large() from None
        except MalformedBody as error:
            where = (
                "não está em UTF-8"
                if error.line is None
                else f"linha {error.line}, coluna {error.column}"
            )
            raise ApiProtocolError(
                "malformed_json",
                f"O corpo da requisição não é um JSON válido ({where}).",
                None,
            ) from None
        request.api_documents = scanned.documents  # type: ignore[attr-defined]
        return scanned.data


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
        try:
            response = get_response(request)
        finally:
            request_body_discard(request)
        if not _is_api(request):
            return response
        response = _reshape(response)
        for header, value in getattr(request, "api_rate_headers", {}).items():
            response[header] = value
        return response

    return middleware
