"""The OpenAPI document of ``/api/v1``, completed where ninja's generator stops.

ninja writes the paths, parameters and schemas from the typed handlers. This module adds, in
one place, what a generated client and an integrator also need:

- per operation, the errors it can really answer (``OPERATION_ERRORS``: codes from
  ``error_codes.CATALOGUE``, grouped by their status), each with an example per code;
- the response headers: ``RateLimit``/``RateLimit-Policy`` on every authenticated answer,
  ``Retry-After`` on 429 (and 502), ``WWW-Authenticate`` on 401,
  ``X-Chancela-Legal-Validity`` on requests, ``X-Chancela-SHA256`` on the signed PDF;
- request and response examples per operation (``openapi_examples.py``);
- the events Chancela sends to the ERP, under OpenAPI 3.1 ``webhooks``, with their payload
  schema and the Standard Webhooks signature scheme.

Operations are keyed by (method, path under /api/v1): a new operation needs its line here (the
test ``test_openapi.py`` fails otherwise).
"""

from __future__ import annotations

import copy
from typing import Any

from ninja import NinjaAPI, Schema

from chancela.api import openapi_examples as ex
from chancela.api.error_codes import CATALOGUE
from chancela.api.schemas import ErrorOut
from chancela.api.webhook_schemas import StatusChangedEvent

PREFIX = "/api/v1"

COMMON = ("unauthorized", "api_key_revoked", "rate_limited")
PARAMS = ("invalid_input",)  # a query or path parameter outside its schema
BODY = ("malformed_json", "unsupported_media_type", "request_too_large", "invalid_input")
_BATCH_CONTEXT = (
    "unit_not_found",
    "document_type_not_found",
    "unit_inactive",
    "document_type_inactive",
    "config_inactive",
    "config_not_for_unit",
)
# What creating a request can refuse besides the protocol: every content rule (422) of the
# catalogue except those of batches, actions and lists, plus a PDF too large (413).
_NOT_REQUEST_CREATION = {
    "invalid_input",
    "cursor_invalid",
    "reason_required",
    "reason_too_long",
    "rows_required",
    "pdf_missing",
    "batch_empty",
    "batch_has_problems",
}
REQUEST_REFUSALS = tuple(
    code
    for code, entry in CATALOGUE.items()
    if entry.status == 422 and code not in _NOT_REQUEST_CREATION
) + ("pdf_too_large",)

OPERATION_ERRORS: dict[tuple[str, str], tuple[str, ...]] = {
    ("post", "/signature-requests"): COMMON
    + BODY
    + ("unit_not_found", "document_type_not_found", "external_id_conflict")
    + REQUEST_REFUSALS,
    ("get", "/signature-requests"): COMMON + PARAMS + ("unit_not_found", "cursor_invalid"),
    ("get", "/signature-requests/{request_id}"): COMMON + PARAMS + ("request_not_found",),
    ("get", "/signature-requests/{request_id}/documents/{document_id}/signed"): COMMON
    + PARAMS
    + ("request_not_found", "document_not_found", "signed_not_available", "signed_not_ready"),
    ("post", "/signature-requests/{request_id}/remind"): COMMON
    + BODY
    + (
        "request_not_found",
        "signer_not_found",
        "action_not_allowed",
        "signer_group_not_started",
        "remind_too_soon",
        "clicksign_error",
    ),
    ("post", "/signature-requests/{request_id}/cancel"): COMMON
    + BODY
    + ("request_not_found", "action_not_allowed", "reason_required", "reason_too_long")
    + ("clicksign_error",),
    ("post", "/batches"): COMMON
    + BODY
    + _BATCH_CONTEXT
    + ("external_id_conflict", "title_required", "title_too_long", "message_too_long")
    + ("rows_required", "invalid_base64", "pdf_too_large"),
    ("get", "/batches"): COMMON + PARAMS + ("unit_not_found", "cursor_invalid"),
    ("get", "/batches/{batch_id}"): COMMON + PARAMS + ("batch_not_found",),
    ("get", "/batches/{batch_id}/rows"): COMMON + PARAMS + ("batch_not_found", "cursor_invalid"),
}

STATUS_TEXT = {
    400: "Corpo malformado",
    401: "Sem chave de API válida",
    404: "Não encontrado nas unidades da chave",
    409: "Conflito com o estado atual",
    413: "Grande demais",
    415: "Corpo não declarado como JSON",
    422: "Entrada recusada",
    429: "Devagar",
    502: "A Clicksign falhou",
}

RATE_HEADERS = {
    "RateLimit": {
        "description": 'Cota restante da chave nesta janela: `"api-key";r=<restantes>;'
        "t=<segundos até renovar>` (IETF draft-ietf-httpapi-ratelimit-headers). Ausente se o "
        "limite estiver desligado.",
        "schema": {"type": "string", "pattern": r'^"api-key";r=\d+;t=\d+$'},
    },
    "RateLimit-Policy": {
        "description": 'A política: `"api-key";q=<requisições>;w=<segundos da janela>`.',
        "schema": {"type": "string", "pattern": r'^"api-key";q=\d+;w=\d+$'},
    },
}
RETRY_AFTER = {
    "description": "Segundos a esperar antes de tentar de novo.",
    "schema": {"type": "string", "pattern": r"^\d+$"},
}
LEGAL_VALIDITY = {
    "X-Chancela-Legal-Validity": {
        "description": "Presente só em solicitações da Sandbox: `none-sandbox`, sem validade "
        "jurídica.",
        "schema": {"type": "string", "enum": ["none-sandbox"]},
    }
}
SIGNED_SHA256 = {
    "X-Chancela-SHA256": {
        "description": "SHA-256 (hex) do PDF assinado, como arquivado: confira depois de baixar.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    },
    "Content-Disposition": {
        "description": '`attachment; filename="<nome>-assinado.pdf"`.',
        "schema": {"type": "string"},
    },
}
_WITH_LEGAL_VALIDITY = {
    ("post", "/signature-requests"),
    ("get", "/signature-requests/{request_id}"),
    ("get", "/signature-requests/{request_id}/documents/{document_id}/signed"),
    ("post", "/signature-requests/{request_id}/cancel"),
}

# What a client can do next with the id a creation answers (OpenAPI links).
_REQUEST_ID = {"request_id": "$response.body#/id"}
_BATCH_ID = {"batch_id": "$response.body#/id"}
LINKS: dict[tuple[str, str], dict[str, tuple[tuple[str, str], dict[str, str]]]] = {
    ("post", "/signature-requests"): {
        "GetSignatureRequest": (("get", "/signature-requests/{request_id}"), _REQUEST_ID),
        "RemindSignatureRequest": (
            ("post", "/signature-requests/{request_id}/remind"),
            _REQUEST_ID,
        ),
        "CancelSignatureRequest": (
            ("post", "/signature-requests/{request_id}/cancel"),
            _REQUEST_ID,
        ),
    },
    ("post", "/batches"): {
        "GetBatch": (("get", "/batches/{batch_id}"), _BATCH_ID),
        "GetBatchRows": (("get", "/batches/{batch_id}/rows"), _BATCH_ID),
    },
}

SIGNATURE_SCHEME = (
    "Assinados conforme [Standard Webhooks](https://www.standardwebhooks.com): o segredo do "
    "destino (`whsec_<base64>`, mostrado uma vez ao cadastrá-lo em *Integrações*) sem o "
    "prefixo, decodificado de base64, é a chave de um HMAC-SHA256 sobre "
    "`<webhook-id>.<webhook-timestamp>.<corpo bruto>`; `webhook-signature` traz "
    "`v1,<base64 do HMAC>` (pode trazer várias, separadas por espaço, durante uma troca de "
    "segredo). Compare em tempo constante, recuse `webhook-timestamp` a mais de 5 minutos do "
    "seu relógio e use `webhook-id` para descartar repetidos. Responda 2xx depressa; sem 2xx o "
    "Chancela tenta de novo com espera crescente; 410 desativa o destino."
)


def _error_response(status: int, codes: list[str]) -> dict[str, Any]:
    listed = " ".join(f"`{code}`: {CATALOGUE[code].meaning}" for code in codes)
    response: dict[str, Any] = {
        "description": f"{STATUS_TEXT.get(status, 'Erro')}. {listed}",
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/ErrorOut"},
                "examples": {code: {"value": ex.error_example(code)} for code in codes},
            }
        },
        "headers": {} if status == 401 else copy.deepcopy(RATE_HEADERS),
    }
    if status == 401:
        response["headers"]["WWW-Authenticate"] = {
            "description": "`Bearer`",
            "required": True,
            "schema": {"type": "string", "enum": ["Bearer"]},
        }
    if status == 429:
        response["headers"]["Retry-After"] = {**RETRY_AFTER, "required": True}
    if status == 502:
        response["headers"]["Retry-After"] = RETRY_AFTER
    return response


def _complete_operation(key: tuple[str, str], operation: dict[str, Any]) -> None:
    responses = {str(status): body for status, body in operation["responses"].items()}
    responses = {status: body for status, body in responses.items() if int(status) < 400}
    for status, body in responses.items():
        body.setdefault("headers", {}).update(copy.deepcopy(RATE_HEADERS))
        if key in _WITH_LEGAL_VALIDITY:
            body["headers"].update(copy.deepcopy(LEGAL_VALIDITY))
        example = ex.RESPONSES.get((*key, int(status)))
        if example is not None:
            for media in body.get("content", {}).values():
                media["example"] = example
    if key == ("get", "/signature-requests/{request_id}/documents/{document_id}/signed"):
        responses["200"]["headers"].update(copy.deepcopy(SIGNED_SHA256))
    by_status: dict[int, list[str]] = {}
    for code in OPERATION_ERRORS[key]:
        by_status.setdefault(CATALOGUE[code].status, [])
        if code not in by_status[CATALOGUE[code].status]:
            by_status[CATALOGUE[code].status].append(code)
    for error_status in sorted(by_status):
        responses[str(error_status)] = _error_response(error_status, by_status[error_status])
    operation["responses"] = responses
    request_example = ex.REQUESTS.get(key)
    if request_example is not None:
        operation["requestBody"]["content"]["application/json"]["example"] = request_example


def _add_component(components: dict[str, Any], model: type[Schema]) -> None:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__] = schema


def _webhooks(components: dict[str, Any]) -> dict[str, Any]:
    _add_component(components, StatusChangedEvent)
    header = "Cabeçalho Standard Webhooks."
    return {
        "signature_request.status_changed": {
            "post": {
                "summary": "A situação de uma solicitação mudou",
                "description": "Enviado ao endereço cadastrado em *Integrações* (por unidade) "
                "a cada mudança de situação, na ordem em que acontecem (mas confira "
                "`updated_at`: uma entrega repetida pode chegar depois de uma mais nova). "
                + SIGNATURE_SCHEME,
                "parameters": [
                    {
                        "in": "header",
                        "name": "webhook-id",
                        "required": True,
                        "description": f"{header} Id único do evento: descarte repetidos.",
                        "schema": {"type": "string"},
                        "example": "msg_2d9b5f0e6a4c4e7f9a1b3c5d7e9f1a2b",
                    },
                    {
                        "in": "header",
                        "name": "webhook-timestamp",
                        "required": True,
                        "description": f"{header} Segundos desde 1970 (UTC) do envio.",
                        "schema": {"type": "string", "pattern": r"^\d+$"},
                        "example": "1795694400",
                    },
                    {
                        "in": "header",
                        "name": "webhook-signature",
                        "required": True,
                        "description": f"{header} `v1,<base64 do HMAC-SHA256>`.",
                        "schema": {"type": "string", "pattern": r"^v1,[A-Za-z0-9+/=]+( .+)?$"},
                        "example": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/StatusChangedEvent"},
                            "example": ex.STATUS_CHANGED_EVENT,
                        }
                    },
                },
                "responses": {
                    "2XX": {"description": "Recebido: o Chancela não reenvia."},
                    "410": {"description": "Destino removido: o Chancela o desativa."},
                    "default": {"description": "Qualquer outra resposta: nova tentativa depois."},
                },
            }
        }
    }


def _add_links(operations: dict[tuple[str, str], dict[str, Any]]) -> None:
    for key, links in LINKS.items():
        for status, response in operations[key]["responses"].items():
            if status.startswith("2"):
                response["links"] = {
                    name: {"operationId": operations[target]["operationId"], "parameters": params}
                    for name, (target, params) in links.items()
                }


def openapi_complete(schema: dict[str, Any]) -> dict[str, Any]:
    operations = {
        (method, path.removeprefix(PREFIX)): operation
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }
    for key, operation in operations.items():
        _complete_operation(key, operation)
    _add_links(operations)
    components = schema["components"]["schemas"]
    _add_component(components, ErrorOut)
    schema["webhooks"] = _webhooks(components)
    return schema


class ChancelaNinjaAPI(NinjaAPI):
    """ninja's API with the completed OpenAPI document."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        return openapi_complete(super().get_openapi_schema(*args, **kwargs))
