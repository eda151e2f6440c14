"""Tiny request/response types shared by the API, pages, files and control handlers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from .errors import JSON_API, ApiError


@dataclass
class Request:
    method: str
    path: str
    raw_query: str
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    client_ip: str = "127.0.0.1"
    query: dict[str, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.query = parse_qs(self.raw_query, keep_blank_values=True)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def json(self) -> Any:
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(
                400,
                {
                    "errors": [
                        {
                            "code": "bad_request",
                            "status": 400,
                            "detail": "O corpo da requisição não é um JSON válido",
                        }
                    ]
                },
            ) from exc

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("utf-8", errors="replace"), keep_blank_values=True)


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, *, content_type: str = JSON_API) -> Response:
        body = json.dumps(payload, ensure_ascii=False).encode()
        return cls(status, body, content_type)

    @classmethod
    def control(cls, status: int, payload: Any) -> Response:
        return cls.json(status, payload, content_type="application/json")

    @classmethod
    def text(cls, status: int, text: str) -> Response:
        return cls(status, text.encode(), "text/plain; charset=utf-8")

    @classmethod
    def html(cls, status: int, html: str) -> Response:
        return cls(status, html.encode(), "text/html; charset=utf-8")

    @classmethod
    def empty(cls, status: int = 204) -> Response:
        return cls(status, b"", None)

    @classmethod
    def redirect(cls, location: str, status: int = 303) -> Response:
        return cls(status, b"", None, {"Location": location})

    @classmethod
    def from_error(cls, error: ApiError) -> Response:
        if isinstance(error.body, dict):
            body = json.dumps(error.body, ensure_ascii=False).encode()
        else:
            body = error.body.encode()
        return cls(error.status, body, error.content_type, dict(error.headers))
