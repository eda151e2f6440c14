"""Error bodies exactly as Clicksign renders them (reference §2.11).

The member types are inconsistent on purpose: 400/401/403/503 carry ``"status"`` as an integer,
404 and 422 carry ``"status"`` and ``"code"`` as strings.
"""

from __future__ import annotations

from typing import Any

JSON_API = "application/vnd.api+json; charset=utf-8"


class ApiError(Exception):
    """An HTTP error answer. ``body`` is a dict (JSON) or a str (sent as text/plain)."""

    def __init__(
        self,
        status: int,
        body: dict[str, Any] | str,
        *,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.content_type = content_type or (
            JSON_API if isinstance(body, dict) else "text/plain; charset=utf-8"
        )
        self.headers = headers or {}


def bad_request_item(attribute: str | None, detail: str, pointer: str | None = None) -> dict:
    item: dict[str, Any] = {"code": "bad_request", "status": 400}
    if pointer is None and attribute is not None:
        pointer = f"/data/attributes/{attribute}"
    if pointer is not None:
        item["source"] = {"pointer": pointer}
    item["detail"] = detail
    return item


def bad_request(attribute: str | None, detail: str, pointer: str | None = None) -> ApiError:
    return ApiError(400, {"errors": [bad_request_item(attribute, detail, pointer)]})


def bad_requests(items: list[dict]) -> ApiError:
    return ApiError(400, {"errors": items})


def unprocessable_item(attribute: str, title: str, pointer: str | None = None) -> dict:
    return {
        "title": title,
        "detail": f"{attribute} - {title}",
        "code": "100",
        "source": {"pointer": pointer or f"/data/attributes/{attribute}"},
        "status": "422",
    }


def unprocessable(attribute: str, title: str, pointer: str | None = None) -> ApiError:
    return ApiError(422, {"errors": [unprocessable_item(attribute, title, pointer)]})


def unprocessables(items: list[dict]) -> ApiError:
    return ApiError(422, {"errors": items})


def not_found(record_id: str) -> ApiError:
    return ApiError(
        404,
        {
            "errors": [
                {
                    "title": "Registro não encontrado",
                    "detail": f"O registro identificado por {record_id} não pôde ser encontrado",
                    "code": "404",
                    "status": "404",
                }
            ]
        },
    )


def forbidden(detail: str, title: str = "Verificação") -> ApiError:
    return ApiError(
        403, {"errors": [{"code": "forbidden", "status": 403, "title": title, "detail": detail}]}
    )


NOT_DRAFT = "envelope não está com status draft"
ALREADY_SIGNED = "Já assinou um documento. Não pode ser excluído"
EMAIL_NOT_SET = "E-mail do usuário da API não configurado"
PLAN_WITHOUT_API = "A conta não possui acesso a essa funcionalidade"


def unauthorized() -> ApiError:
    return ApiError(
        401,
        {
            "errors": [
                {
                    "code": "unauthorized",
                    "status": 401,
                    "title": "Não autorizado",
                    "detail": "Access Token inválido",
                }
            ]
        },
    )


def service_unavailable() -> ApiError:
    return ApiError(
        503,
        {
            "errors": [
                {
                    "code": "service_unavailable",
                    "status": 503,
                    "title": "Verificação",
                    "detail": "Serviço indisponível",
                }
            ]
        },
    )


def too_many_requests_json() -> dict:
    """Body of the general 429 (assumption: the reference does not record it)."""
    return {
        "errors": [
            {
                "code": "too_many_requests",
                "status": 429,
                "title": "Muitas requisições",
                "detail": "Limite de requisições excedido. Aguarde até X-Rate-Limit-Reset.",
            }
        ]
    }


def internal_error_body(status: int) -> dict:
    """A Clicksign-like body for an injected ``status`` fault."""
    if status == 503:
        return service_unavailable().body  # type: ignore[return-value]
    if status == 401:
        return unauthorized().body  # type: ignore[return-value]
    if status == 429:
        return too_many_requests_json()
    if status == 404:
        return {
            "errors": [
                {
                    "title": "Registro não encontrado",
                    "detail": "O registro não pôde ser encontrado",
                    "code": "404",
                    "status": "404",
                }
            ]
        }
    if status == 422:
        return {"errors": [unprocessable_item("base", "não pôde ser processado")]}
    if 400 <= status < 500:
        return {"errors": [bad_request_item(None, "Requisição inválida")]}
    titles = {
        500: "Erro interno do servidor",
        502: "Bad Gateway",
        504: "Gateway Timeout",
    }
    return {
        "errors": [
            {
                "code": "internal_server_error" if status == 500 else "server_error",
                "status": status,
                "title": titles.get(status, "Erro no servidor"),
                "detail": "Ocorreu um erro inesperado. Tente novamente mais tarde.",
            }
        ]
    }


HTML_404 = """<!DOCTYPE html>
<html>
<head>
  <title>The page you were looking for doesn't exist (404)</title>
  <meta name="viewport" content="width=device-width,initial-scale=1">
</head>
<body>
  <div class="dialog">
    <div>
      <h1>The page you were looking for doesn't exist.</h1>
      <p>You may have mistyped the address or the page may have moved.</p>
    </div>
    <p>If you are the application owner check the logs for more information.</p>
  </div>
</body>
</html>
"""
