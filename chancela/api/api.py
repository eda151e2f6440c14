"""The host REST API, ``/api/v1`` (django-ninja; OpenAPI at ``/api/v1/openapi.json``).

Handlers are thin: the API key (``request.auth``) scopes every lookup to its units, one service
or selector does the work, and every error leaves as JSON ``{"code", "message", "field"}`` —
domain errors through one mapping of codes to HTTP statuses, ninja's own validation errors
translated to the same shape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import RequestDataTooBig
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from ninja import Query
from ninja.decorators import decorate_view
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.responses import Status
from ninja.security import HttpBearer

from chancela.api import protocol
from chancela.api.error_codes import status_of
from chancela.api.errors import ApiKeyError
from chancela.api.lookups import document_type_or_404, unit_or_404
from chancela.api.mapping import create_arguments, legal_validity, request_out
from chancela.api.openapi import ChancelaNinjaAPI
from chancela.api.paging import cursor_decode, keyset_page
from chancela.api.protocol import (
    BODY_TOO_LARGE,
    StrictJsonParser,
    request_body_spool,
    request_documents,
)
from chancela.api.ratelimit import api_key_rate_take
from chancela.api.rendering import PreciseJSONRenderer
from chancela.api.schemas import (
    ActionOut,
    CancelIn,
    RemindIn,
    SignatureRequestIn,
    SignatureRequestOut,
    SignatureRequestPage,
    UpdatedAfter,
)
from chancela.api.services import api_key_authenticate
from chancela.api.validation import translate_validation_errors
from chancela.core.errors import DomainError
from chancela.core.storage import stored_file_stream
from chancela.signing.actions import (
    Actor,
    signature_request_cancel,
    signature_request_remind,
)
from chancela.signing.downloads import SIGNED, document_download_name
from chancela.signing.errors import SigningError
from chancela.signing.models import TERMINAL_STATUSES, RequestStatus, SignatureRequest
from chancela.signing.selectors import (
    signature_requests_changed,
    signature_requests_for_api_key,
)
from chancela.signing.services import signature_request_create

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = protocol.MAX_BODY_BYTES
LEGAL_VALIDITY_HEADER = "X-Chancela-Legal-Validity"


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer <api key>``; every failure is a 401 with a reason."""

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.strip().partition(" ")
        if not header:
            raise ApiKeyError(
                "unauthorized",
                "Informe a chave de API no cabeçalho Authorization: Bearer <chave>.",
                None,
            )
        if scheme.lower() != "bearer":
            raise ApiKeyError(
                "unauthorized", "Use o esquema Bearer: Authorization: Bearer <chave>.", None
            )
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_key = api_key_authenticate(raw_key=token)
        rate = api_key_rate_take(api_key=api_key)
        if rate is not None:
            request.api_rate_headers = rate.headers()  # type: ignore[attr-defined]
            refusal = rate.refusal()
            if refusal is not None:
                raise refusal
        # Only now, with the key known, is the body read (to a temporary file, within the limit).
        request_body_spool(request)
        return api_key


api = ChancelaNinjaAPI(
    title="Chancela — API para o sistema acadêmico",
    version="1",
    description=(
        "Envie documentos acadêmicos para assinatura eletrônica na Clicksign e acompanhe-os "
        "(guia de integração: `docs/api.md`). Autenticação: `Authorization: Bearer <chave de "
        "API>` (a chave vale para as unidades escolhidas ao criá-la). Corpos sempre "
        "`Content-Type: application/json` (415 senão); datas e horas sempre com fuso "
        "(`-03:00` ou `Z`; sem fuso, 422). Idempotência por `external_id` em solicitações e "
        "lotes. Limite de requisições por chave com os cabeçalhos `RateLimit` e "
        "`RateLimit-Policy` (429 com `Retry-After` acima dele). Todo erro é JSON "
        "`{code, message, field}` em português, com `code` do catálogo (enum de `ErrorOut`). "
        "Respostas de solicitações da Sandbox trazem `X-Chancela-Legal-Validity: none-sandbox`: "
        "sem validade jurídica. Os eventos enviados ao sistema acadêmico estão em `webhooks`."
    ),
    urls_namespace="api-v1",
    auth=ApiKeyAuth(),
    renderer=PreciseJSONRenderer(),
    parser=StrictJsonParser(),
)


def _error(
    request: HttpRequest, *, status: int, code: str, message: str, field: str | None = None
) -> HttpResponse:
    response = api.create_response(
        request, {"code": code, "message": message, "field": field}, status=status
    )
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = status_of(exc.code)
    body: dict[str, Any] = exc.as_dict()
    existing = getattr(exc, "existing_public_id", None)
    if existing:
        body["existing_id"] = existing
    response = api.create_response(request, body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = translate_validation_errors(exc.errors)
    first = errors[0]
    return api.create_response(
        request,
        {
            "code": "invalid_input",
            "message": first["message"],
            "field": first["field"],
            "errors": errors,
        },
        status=422,
    )


@api.exception_handler(AuthenticationError)
def _authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(
        request, status=401, code="unauthorized", message="Chave de API ausente ou inválida."
    )


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _body_too_large(request)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja wraps what the body parser raised (StrictJsonParser: 415 / 400) in a 400.
    if isinstance(exc.__cause__, DomainError):
        return _domain_error(request, exc.__cause__)
    code = {400: "malformed_json", 404: "not_found", 405: "method_not_allowed"}.get(
        exc.status_code, "invalid_input"
    )
    return _error(request, status=exc.status_code, code=code, message="Requisição inválida.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(
        request,
        status=404,
        code="not_found",
        message="Endereço não encontrado na API: confira o caminho em /api/v1/docs.",
    )


def _body_too_large(request: HttpRequest) -> HttpResponse:
    return _error(
        request,
        status=413,
        code="request_too_large",
        message=BODY_TOO_LARGE,
    )


def limit_body_size(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refuse an oversized body from its Content-Length, before anything reads it."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > protocol.MAX_BODY_BYTES:
            return _body_too_large(request)
        return run(request, *args, **kwargs)

    return wrapper


def _mark_sandbox(response: HttpResponseBase, request: SignatureRequest) -> None:
    if request.is_sandbox:
        response[LEGAL_VALIDITY_HEADER] = legal_validity(request)


def _request_or_404(api_key: Any, request_id: UUID) -> SignatureRequest:
    found = signature_requests_for_api_key(api_key=api_key).filter(public_id=request_id).first()
    if found is None:
        raise SigningError(
            "request_not_found", "Solicitação não encontrada nas unidades desta chave.", None
        )
    return found


@api.post(
    "/signature-requests",
    response={200: SignatureRequestOut, 201: SignatureRequestOut},
    url_name="signature_request_create",
    summary="Criar uma solicitação de assinatura (idempotente por external_id)",
    description=(
        "Cria a solicitação (situação `queued`) e a põe na fila de envio à Clicksign. "
        "Responde 201 ao criar; reenviar o mesmo `external_id` com o mesmo conteúdo devolve a "
        "solicitação existente com 200; com outro conteúdo, 409."
    ),
)
@decorate_view(limit_body_size)
def create_signature_request(
    request: HttpRequest, payload: SignatureRequestIn, response: HttpResponse
) -> Status:
    api_key = request.auth  # type: ignore[attr-defined]
    unit = unit_or_404(api_key, payload.unit)
    document_type = document_type_or_404(unit, payload.document_type)
    result = signature_request_create(
        unit=unit,
        document_type=document_type,
        api_key=api_key,
        **create_arguments(payload, request_documents(request)),
    )
    signature_request = _request_or_404(api_key, result.request.public_id)
    _mark_sandbox(response, signature_request)
    return Status(201 if result.created else 200, request_out(signature_request))


RequestStatusFilter = Literal[
    "queued",
    "sending",
    "awaiting_signatures",
    "signed",
    "refused",
    "canceled",
    "expired",
    "failed",
]


@api.get(
    "/signature-requests",
    response={200: SignatureRequestPage},
    url_name="signature_request_list",
    summary="Listar solicitações, das menos às mais recentemente alteradas",
    description=(
        "Ordenadas por `updated_at` (e id), para o sistema acadêmico acompanhar as mudanças: "
        "guarde o maior `updated_at` visto e pergunte de novo com `updated_after` (com alguns "
        "minutos de folga, descartando repetidas). Páginas de até `limit` itens; siga "
        "`next_cursor` enquanto não for null."
    ),
)
def list_signature_requests(
    request: HttpRequest,
    unit: str | None = None,
    status: RequestStatusFilter | None = None,
    external_id: str | None = None,
    updated_after: UpdatedAfter = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    api_key = request.auth  # type: ignore[attr-defined]
    rows = signature_requests_changed(
        requests=signature_requests_for_api_key(api_key=api_key),
        unit=unit_or_404(api_key, unit) if unit else None,
        status=status,
        external_id=external_id,
        updated_after=updated_after,
        after=cursor_decode(cursor) if cursor else None,
    )
    return keyset_page(rows, limit=limit, render=request_out)


@api.get(
    "/signature-requests/{request_id}",
    response={200: SignatureRequestOut},
    url_name="signature_request_detail",
    summary="Consultar uma solicitação",
)
def get_signature_request(
    request: HttpRequest, request_id: UUID, response: HttpResponse
) -> dict[str, Any]:
    signature_request = _request_or_404(request.auth, request_id)  # type: ignore[attr-defined]
    _mark_sandbox(response, signature_request)
    return request_out(signature_request)


@api.get(
    "/signature-requests/{request_id}/documents/{document_id}/signed",
    response={200: None},
    url_name="signature_request_signed_document",
    summary="Baixar o PDF assinado de um documento",
    description=(
        "Disponível depois que a Clicksign finaliza o documento e o Chancela arquiva o PDF "
        "assinado (409 antes disso; 404 se a solicitação terminou sem assinatura)."
    ),
    openapi_extra={
        "responses": {
            "200": {
                "description": "O PDF assinado (confira o `X-Chancela-SHA256`)",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download_signed_document(
    request: HttpRequest, request_id: UUID, document_id: UUID
) -> FileResponse:
    signature_request = _request_or_404(request.auth, request_id)  # type: ignore[attr-defined]
    document = signature_request.documents.filter(public_id=document_id).first()
    if document is None:
        raise SigningError(
            "document_not_found", "Documento não encontrado nesta solicitação.", None
        )
    if not document.signed_file:
        status_label = RequestStatus(signature_request.status).label
        if signature_request.status in TERMINAL_STATUSES:
            raise SigningError(
                "signed_not_available"
                if signature_request.status != RequestStatus.SIGNED
                else "signed_not_ready",
                f"A solicitação está “{status_label}” e não há PDF assinado deste documento."
                if signature_request.status != RequestStatus.SIGNED
                else "O PDF assinado ainda está sendo arquivado. Tente de novo em instantes.",
                None,
            )
        raise SigningError(
            "signed_not_ready",
            f"O PDF assinado ainda não está disponível: a solicitação está “{status_label}”.",
            None,
        )
    response = FileResponse(
        stored_file_stream(document.signed_file),
        as_attachment=True,
        filename=document_download_name(document, SIGNED),
        content_type="application/pdf",
    )
    response["X-Chancela-SHA256"] = document.signed_sha256
    _mark_sandbox(response, signature_request)
    return response


@api.post(
    "/signature-requests/{request_id}/remind",
    response={200: ActionOut},
    url_name="signature_request_remind",
    summary="Lembrar os signatários pendentes (ou um deles)",
    description=(
        "Pede à Clicksign que notifique de novo quem ainda não assinou. Só enquanto a "
        "solicitação está `awaiting_signatures` (409 fora disso). A Clicksign aceita um "
        "lembrete por minuto por signatário (ou para a solicitação toda): antes disso, 429 "
        "`remind_too_soon` com `Retry-After` em segundos."
    ),
)
def remind_signature_request(
    request: HttpRequest, request_id: UUID, payload: RemindIn | None = None
) -> dict[str, str]:
    api_key = request.auth  # type: ignore[attr-defined]
    signature_request = _request_or_404(api_key, request_id)
    signer = None
    if payload is not None and payload.signer_id is not None:
        signer = signature_request.signers.filter(public_id=payload.signer_id).first()
        if signer is None:
            raise SigningError(
                "signer_not_found", "Signatário não encontrado nesta solicitação.", "signer_id"
            )
    message = signature_request_remind(
        request=signature_request, signer=signer, actor=Actor(api_key=api_key)
    )
    return {"message": message}


@api.post(
    "/signature-requests/{request_id}/cancel",
    response={200: SignatureRequestOut},
    url_name="signature_request_cancel",
    summary="Cancelar uma solicitação (com o motivo)",
    description=(
        "Cancela na Clicksign cada documento da solicitação (a Clicksign cancela por documento) "
        "e marca a solicitação `canceled`, com o motivo na linha do tempo. 409 se ela já "
        "terminou (assinada, recusada, cancelada, expirada ou com falha)."
    ),
)
def cancel_signature_request(
    request: HttpRequest, request_id: UUID, payload: CancelIn, response: HttpResponse
) -> dict[str, Any]:
    api_key = request.auth  # type: ignore[attr-defined]
    signature_request = _request_or_404(api_key, request_id)
    signature_request_cancel(
        request=signature_request, reason=payload.reason, actor=Actor(api_key=api_key)
    )
    signature_request = _request_or_404(api_key, request_id)
    _mark_sandbox(response, signature_request)
    return request_out(signature_request)


# The batch endpoints (``/api/v1/batches``) live in their own module; it imports helpers above.
from chancela.api.batches import router as batches_router  # noqa: E402

api.add_router("/batches", batches_router)
