"""The ``/api/v3`` endpoints: routing, authentication, rate limits, validation, handlers."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from . import constants as C
from . import render
from .clock import iso_br, ruby_time
from .core import Emulator
from .errors import (
    ALREADY_SIGNED,
    EMAIL_NOT_SET,
    HTML_404,
    NOT_DRAFT,
    PLAN_WITHOUT_API,
    ApiError,
    bad_request,
    bad_request_item,
    bad_requests,
    forbidden,
    not_found,
    service_unavailable,
    too_many_requests_json,
    unauthorized,
    unprocessable,
    unprocessable_item,
    unprocessables,
)
from .model import Account, Document, Envelope, Signer
from .validation import (
    DataUriError,
    cpf_is_valid,
    email_is_valid,
    is_date_only,
    name_is_valid,
    parse_data_uri,
    parse_date,
    parse_datetime,
    phone_is_valid,
)
from .wire import Request, Response

UUID_SEGMENT = r"[^/]+"


@dataclass
class Ctx:
    emu: Emulator
    account: Account
    request: Request


Handler = Callable[..., Response]
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        ROUTES.append((method, re.compile("^/api/v3" + pattern + "$"), fn))
        return fn

    return register


def match_route(method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
    for route_method, pattern, fn in ROUTES:
        if route_method != method:
            continue
        found = pattern.match(path)
        if found:
            return fn, found.groupdict()
    return None


NOTIFICATION_PATH = re.compile(r"^/api/v3/envelopes/[^/]+(/signers/[^/]+)?/notifications$")


def handle(emu: Emulator, request: Request, log_entry: Any = None) -> Response:
    """Answer one ``/api/v3`` request (faults are applied by the server before this)."""
    matched = match_route(request.method, request.path)
    if matched is None:
        return Response.html(404, HTML_404)
    fn, params = matched
    with emu.lock:
        token, bearer = _token(request)
        account = emu.account_by_token(token) if token and not bearer else None
        if account is None:
            bucket = "anon:" + (token or "")
            _, headers = emu.rate_limit_hit(bucket, emu.sandbox_rate_limit)
            return _with_headers(Response.from_error(unauthorized()), headers)
        if log_entry is not None:
            log_entry.account_key = account.key
        allowed, headers = emu.rate_limit_hit(account.key, emu.account_rate_limit(account))
        if not allowed:
            return _with_headers(Response.json(429, too_many_requests_json()), headers)
        try:
            if not account.plan_has_api:
                raise forbidden(PLAN_WITHOUT_API)
            if not account.api_user_email:
                raise forbidden(EMAIL_NOT_SET)
            if not account.envelopes_enabled:
                raise service_unavailable()
            if (
                request.method == "POST"
                and NOTIFICATION_PATH.match(request.path)
                and not emu.notification_limit_hit(account.key, request.path)
            ):
                return _with_headers(Response.text(429, "Too many requests"), headers)
            response = fn(Ctx(emu, account, request), **params)
        except ApiError as error:
            response = Response.from_error(error)
        return _with_headers(response, headers)


def _with_headers(response: Response, headers: dict[str, str]) -> Response:
    response.headers.update(headers)
    return response


def _token(request: Request) -> tuple[str | None, bool]:
    header = request.header("authorization")
    if header is not None:
        header = header.strip()
        if header.lower().startswith("bearer ") or header.lower() == "bearer":
            return header, True
        return header, False
    return request.param("access_token"), False


# ====================================================================== body helpers


def _body(ctx: Ctx, type_name: str, *, attributes_required: bool = True) -> dict[str, Any]:
    payload = ctx.request.json()
    if not isinstance(payload, dict) or "data" not in payload or payload["data"] is None:
        raise bad_request(None, "data deve ser informado(a)", "/data")
    data = payload["data"]
    if not isinstance(data, dict):
        raise bad_request(None, "data deve ser um hash", "/data")
    if data.get("type") != type_name:
        if "type" not in data:
            raise bad_request(None, "type deve ser informado(a)", "/data/type")
        raise bad_request(None, f"type deve estar em: {type_name}", "/data/type")
    if "attributes" not in data:
        if attributes_required:
            raise bad_request(None, "attributes deve ser informado(a)", "/data/attributes")
        data["attributes"] = {}
    if not isinstance(data["attributes"], dict):
        raise bad_request(None, "attributes deve ser um hash", "/data/attributes")
    return data


def _unknown(attrs: dict[str, Any], allowed: tuple[str, ...], prefix: str = "") -> list[dict]:
    pointer_base = prefix + "/data/attributes/"
    return [
        bad_request_item(None, f"{name} não está disponível", pointer_base + name)
        for name in attrs
        if name not in allowed
    ]


def _enum_message(name: str, values: tuple[Any, ...]) -> str:
    return f"{name} deve estar em: {', '.join(str(v) for v in values)}"


def _size_label(nbytes: int) -> str:
    if nbytes % (1024 * 1024) == 0:
        return f"{nbytes // (1024 * 1024)} MB"
    return f"{nbytes} bytes"


# ====================================================================== pagination


def _paginate(ctx: Ctx, items: list[Any], path: str) -> tuple[list[Any], dict, dict]:
    request = ctx.request
    errors = []
    numbers = {}
    for name, default in (("page[number]", 1), ("page[size]", C.DEFAULT_PAGE_SIZE)):
        raw = request.param(name)
        if raw is None or raw == "":
            numbers[name] = default
            continue
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1:
            errors.append(
                {
                    "code": "bad_request",
                    "status": 400,
                    "source": {"parameter": name},
                    "detail": f"{name} deve ser um número inteiro maior que 0",
                }
            )
        elif name == "page[size]" and value > ctx.emu.max_page_size:
            errors.append(
                {
                    "code": "bad_request",
                    "status": 400,
                    "source": {"parameter": name},
                    "detail": f"{name} deve ser no máximo {ctx.emu.max_page_size}",
                }
            )
        numbers[name] = value
    if errors:
        raise bad_requests(errors)
    number = numbers["page[number]"]
    size = numbers["page[size]"]
    total = len(items)
    last = max((total + size - 1) // size, 1)
    keep = [
        (k, v)
        for k, values in request.query.items()
        for v in values
        if k not in ("page[number]", "page[size]", "access_token")
    ]

    def link(page: int) -> str:
        query = urlencode(keep + [("page[number]", page), ("page[size]", size)])
        return f"{ctx.emu.public_url}/api/v3{path}?{query}"

    links = {"first": link(1), "last": link(last)}
    if number > 1:
        links["prev"] = link(min(number - 1, last))
    if number < last:
        links["next"] = link(number + 1)
    start = (number - 1) * size
    return items[start : start + size], {"record_count": total}, links


def _collection(
    ctx: Ctx, items: list[Any], path: str, render_one: Callable[[Any], dict]
) -> Response:
    page, meta, links = _paginate(ctx, items, path)
    return Response.json(200, {"data": [render_one(i) for i in page], "meta": meta, "links": links})


# ====================================================================== envelopes

ENVELOPE_CREATE_ATTRS = (
    "name",
    "locale",
    "auto_close",
    "remind_interval",
    "block_after_refusal",
    "deadline_at",
    "default_subject",
    "default_message",
    "deadline_partial_signature_action",
)
ENVELOPE_UPDATE_ATTRS = tuple(a for a in ENVELOPE_CREATE_ATTRS if a != "name") + ("status",)


def _envelope_attrs(ctx: Ctx, attrs: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    allowed = ENVELOPE_CREATE_ATTRS if creating else ENVELOPE_UPDATE_ATTRS
    errors = _unknown(attrs, allowed)
    clean: dict[str, Any] = {}
    if creating:
        name = attrs.get("name")
        if name is None or (isinstance(name, str) and not name.strip()):
            errors.append(bad_request_item("name", "name deve ser informado(a)"))
        elif not isinstance(name, str):
            errors.append(bad_request_item("name", "name deve ser uma string"))
        else:
            clean["name"] = name
    if "locale" in attrs:
        if attrs["locale"] not in C.LOCALES:
            errors.append(bad_request_item("locale", _enum_message("locale", C.LOCALES)))
        else:
            clean["locale"] = attrs["locale"]
    for flag in ("auto_close", "block_after_refusal"):
        if flag in attrs:
            if not isinstance(attrs[flag], bool):
                errors.append(bad_request_item(flag, f"{flag} deve ser um booleano"))
            else:
                clean[flag] = attrs[flag]
    if "remind_interval" in attrs:
        raw = attrs["remind_interval"]
        value: int | None
        if raw is None or raw == "null":
            value = None
            clean["remind_interval"] = None
        else:
            try:
                value = int(raw) if not isinstance(raw, bool) else -1
                if isinstance(raw, float) and raw != int(raw):
                    value = -1
            except (TypeError, ValueError):
                value = -1
            if value not in C.REMIND_INTERVALS:
                errors.append(
                    bad_request_item(
                        "remind_interval",
                        _enum_message("remind_interval", (*C.REMIND_INTERVALS, "null")),
                    )
                )
            else:
                clean["remind_interval"] = value
    if "deadline_partial_signature_action" in attrs:
        value_ = attrs["deadline_partial_signature_action"]
        if value_ not in C.PARTIAL_SIGNATURE_ACTIONS:
            errors.append(
                bad_request_item(
                    "deadline_partial_signature_action",
                    _enum_message("deadline_partial_signature_action", C.PARTIAL_SIGNATURE_ACTIONS),
                )
            )
        else:
            clean["deadline_partial_signature_action"] = value_
    for text in ("default_subject", "default_message"):
        if text in attrs:
            if attrs[text] is not None and not isinstance(attrs[text], str):
                errors.append(bad_request_item(text, f"{text} deve ser uma string"))
            else:
                clean[text] = attrs[text]
    deadline: datetime | None = None
    if "deadline_at" in attrs:
        deadline = parse_datetime(attrs["deadline_at"])
        if deadline is None:
            errors.append(
                bad_request_item("deadline_at", "deadline_at não está em um formato válido")
            )
    if "status" in attrs and attrs["status"] not in ("draft", "running"):
        errors.append(bad_request_item("status", "status deve estar em: draft, running"))
    if errors:
        raise bad_requests(errors)
    problems = []
    if "name" in clean and len(clean["name"]) > 255:
        problems.append(unprocessable_item("name", "é muito longo (máximo: 255 caracteres)"))
    subject = clean.get("default_subject")
    if subject is not None and len(subject) > 100:
        problems.append(
            unprocessable_item("default_subject", "é muito longo (máximo: 100 caracteres)")
        )
    if deadline is not None:
        now = ctx.emu.now()
        latest = now + timedelta(days=C.MAX_DEADLINE_DAYS)
        if deadline <= now:
            problems.append(
                unprocessable_item("deadline_at", f"deve ser maior ou igual a {ruby_time(now)}")
            )
        elif deadline > latest:
            problems.append(
                unprocessable_item("deadline_at", f"deve ser menor ou igual a {ruby_time(latest)}")
            )
        clean["deadline_at"] = deadline
    if problems:
        raise unprocessables(problems)
    return clean


@route("POST", "/envelopes")
def envelope_create(ctx: Ctx) -> Response:
    data = _body(ctx, "envelopes")
    clean = _envelope_attrs(ctx, data["attributes"], creating=True)
    envelope = ctx.emu.envelope_create(ctx.account, clean)
    return Response.json(201, {"data": render.envelope_resource(ctx.emu, envelope)})


def _range_filter(ctx: Ctx, name: str) -> tuple[datetime | None, datetime | None] | None:
    raw = ctx.request.param(f"filter[{name}]")
    if raw is None or raw == "":
        return None
    parts = raw.split(",")
    if len(parts) > 2:
        parts = [parts[0], parts[-1]]
    bounds: list[datetime | None] = []
    for index, part in enumerate(parts):
        part = part.strip()
        if not part:
            bounds.append(None)
            continue
        moment = parse_datetime(part)
        if moment is None:
            raise ApiError(
                400,
                {
                    "errors": [
                        {
                            "code": "bad_request",
                            "status": 400,
                            "source": {"parameter": f"filter[{name}]"},
                            "detail": f"filter[{name}] não está em um formato válido",
                        }
                    ]
                },
            )
        if is_date_only(part) and (index == 1 or len(parts) == 1):
            moment = moment + timedelta(days=1) - timedelta(microseconds=1)
        bounds.append(moment)
    if len(parts) == 1:
        start = parse_datetime(parts[0].strip())
        if is_date_only(parts[0]):
            return start, bounds[0]
        return start, None
    return bounds[0], bounds[1]


SORTABLE = ("name", "created", "modified", "deadline_at", "status")


@route("GET", "/envelopes")
def envelopes_list(ctx: Ctx) -> Response:
    emu = ctx.emu
    items = [e for e in emu.envelopes.values() if e.account_key == ctx.account.key and not e.legacy]
    status = ctx.request.param("filter[status]")
    if status:
        wanted = status.split(",")
        bad = [s for s in wanted if s not in C.ENVELOPE_STATUSES]
        if bad:
            raise ApiError(
                400,
                {
                    "errors": [
                        {
                            "code": "bad_request",
                            "status": 400,
                            "source": {"parameter": "filter[status]"},
                            "detail": _enum_message("filter[status]", C.ENVELOPE_STATUSES),
                        }
                    ]
                },
            )
        items = [e for e in items if e.status in wanted]
    name = ctx.request.param("filter[name]")
    if name:
        items = [e for e in items if e.name == name]
    for field in ("created", "modified", "deadline_at"):
        bounds = _range_filter(ctx, field)
        if bounds is None:
            continue
        start, end = bounds
        items = [
            e
            for e in items
            if (start is None or getattr(e, field) >= start)
            and (end is None or getattr(e, field) <= end)
        ]
    sort = ctx.request.param("sort")
    items.sort(key=lambda e: (e.created, e.id))
    if sort:
        keys = [k.strip() for k in sort.split(",") if k.strip()]
        for key in reversed(keys):
            field = key.lstrip("-")
            if field not in SORTABLE:
                raise ApiError(
                    400,
                    {
                        "errors": [
                            {
                                "code": "bad_request",
                                "status": 400,
                                "source": {"parameter": "sort"},
                                "detail": _enum_message("sort", SORTABLE),
                            }
                        ]
                    },
                )
            items.sort(key=operator.attrgetter(field), reverse=key.startswith("-"))
    return _collection(ctx, items, "/envelopes", lambda e: render.envelope_resource(emu, e))


@route("GET", f"/envelopes/(?P<envelope_id>{UUID_SEGMENT})")
def envelope_get(ctx: Ctx, envelope_id: str) -> Response:
    envelope = ctx.emu.envelope_for(ctx.account, envelope_id)
    return Response.json(200, {"data": render.envelope_resource(ctx.emu, envelope)})


def _activation_error(problems: list[str]) -> ApiError:
    return unprocessables([unprocessable_item("status", p) for p in problems])


@route("PATCH", f"/envelopes/(?P<envelope_id>{UUID_SEGMENT})")
def envelope_update(ctx: Ctx, envelope_id: str) -> Response:
    emu = ctx.emu
    envelope = emu.envelope_for(ctx.account, envelope_id)
    data = _body(ctx, "envelopes")
    if "id" in data and data["id"] != envelope.id:
        raise bad_request(None, "id não corresponde ao recurso", "/data/id")
    if envelope.status in ("closed", "canceled"):
        raise forbidden(NOT_DRAFT)
    clean = _envelope_attrs(ctx, data["attributes"], creating=False)
    status = clean.pop("status", data["attributes"].get("status"))
    if envelope.status != "draft" and "default_subject" in clean:
        raise unprocessable("default_subject", "só pode ser alterado com o envelope em draft")
    if status == "draft" and envelope.status == "running":
        raise unprocessable("status", "não pode voltar de running para draft")
    activating = status == "running" and envelope.status == "draft"
    if activating:
        deadline = clean.get("deadline_at", envelope.deadline_at)
        if deadline <= emu.now():
            raise unprocessable("deadline_at", f"deve ser maior ou igual a {ruby_time(emu.now())}")
        problems = emu.activation_problems(envelope)
        if problems:
            raise _activation_error(problems)
    changes = {k: v for k, v in clean.items() if getattr(envelope, k) != v}
    for key, value in changes.items():
        setattr(envelope, key, value)
    if changes:
        envelope.modified = emu.now()
        account = ctx.account
        user = {"user": emu.api_user(account), "account": {"key": account.key}}
        for document in emu.envelope_documents(envelope):
            if document.status not in ("draft", "running"):
                continue
            if "deadline_at" in changes:
                emu.emit(
                    document,
                    "update_deadline",
                    {**user, "deadline_at": iso_br(envelope.deadline_at)},
                )
            if "auto_close" in changes:
                emu.emit(document, "update_auto_close", {**user, "auto_close": envelope.auto_close})
            if "locale" in changes:
                emu.emit(document, "update_locale", {**user, "locale": envelope.locale})
            if "block_after_refusal" in changes:
                emu.emit(
                    document,
                    "update_block_after_refusal",
                    {**user, "block_after_refusal": envelope.block_after_refusal},
                )
    if activating:
        emu.activate(envelope)
    elif envelope.status == "running" and "auto_close" in changes:
        emu.settle(envelope, group_before=emu.current_group(envelope))
    return Response.json(200, {"data": render.envelope_resource(emu, envelope)})


@route("DELETE", f"/envelopes/(?P<envelope_id>{UUID_SEGMENT})")
def envelope_delete(ctx: Ctx, envelope_id: str) -> Response:
    envelope = ctx.emu.envelope_for(ctx.account, envelope_id)
    if envelope.status != "draft":
        raise forbidden(NOT_DRAFT)
    ctx.emu.envelope_delete(envelope)
    return Response.empty()


def _event_names_filter(ctx: Ctx) -> list[str] | None:
    raw = ctx.request.param("filter[name]")
    if not raw:
        return None
    return [n.strip() for n in raw.split(",") if n.strip()]


@route("GET", f"/envelopes/(?P<envelope_id>{UUID_SEGMENT})/events")
def envelope_events(ctx: Ctx, envelope_id: str) -> Response:
    emu = ctx.emu
    envelope = emu.envelope_for(ctx.account, envelope_id)
    events = [e for d in envelope.document_ids for e in emu.events.get(d, [])]
    names = _event_names_filter(ctx)
    if names:
        events = [e for e in events if e.name in names]
    events.sort(key=lambda e: e.occurred_at)
    return _collection(
        ctx,
        events,
        f"/envelopes/{envelope.id}/events",
        lambda e: render.event_resource(emu, e, with_document=True),
    )


# ====================================================================== documents

DOCUMENT_CREATE_ATTRS = ("filename", "content_base64", "metadata", "template", "duplicate")


@route("POST", f"/envelopes/(?P<envelope_id>{UUID_SEGMENT})/documents")
def document_create(ctx: Ctx, envelope_id: str) -> Response:
    emu = ctx.emu
    envelope = emu.envelope_for(ctx.account, envelope_id)
    data = _body(ctx, "documents")
    attrs = data["attributes"]
    errors = _unknown(attrs, DOCUMENT_CREATE_ATTRS)
    filename = attrs.get("filename")
    template = attrs.get("template")
    duplicate = attrs.get("duplicate")
    if not filename or not isinstance(filename, str):
        errors.append(bad_request_item("filename", "filename deve ser informado(a)"))
    elif "." not in filename or filename.rsplit(".", 1)[1].lower() not in (
        ("docx",) if template is not None else C.UPLOAD_EXTENSIONS
    ):
        errors.append(bad_request_item("filename", "filename não está em um formato válido"))
    mime = content = None
    if template is not None:
        pointer = "/data/attributes/template"
        if not isinstance(template, dict):
            errors.append(bad_request_item(None, "template deve ser um hash", pointer))
        elif "data" not in template:
            errors.append(bad_request_item(None, "data deve ser informado(a)", pointer + "/data"))
        elif not isinstance(template["data"], dict):
            errors.append(bad_request_item(None, "data deve ser um hash", pointer + "/data"))
    elif duplicate is not None:
        if not isinstance(duplicate, dict):
            errors.append(bad_request_item("duplicate", "duplicate deve ser um hash"))
    elif "content_base64" not in attrs or attrs["content_base64"] in (None, ""):
        errors.append(bad_request_item("content_base64", "content_base64 deve ser informado(a)"))
    else:
        try:
            mime, content = parse_data_uri(attrs["content_base64"])
        except DataUriError:
            errors.append(
                bad_request_item(
                    "content_base64",
                    "content_base64 Formatação do campo inválida. "
                    "O valor deve ser um Data URI completo.",
                )
            )
    metadata = attrs.get("metadata", {})
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        errors.append(bad_request_item("metadata", "metadata deve ser um hash"))
    if errors:
        raise bad_requests(errors)
    if envelope.status not in ("draft", "running"):
        raise forbidden(NOT_DRAFT)
    if template is not None:
        raise not_found(str(template.get("key")))
    if duplicate is not None:
        source = emu.documents.get(str(duplicate.get("key")))
        if source is None or source.account_key != ctx.account.key:
            raise not_found(str(duplicate.get("key")))
        if source.status != "closed":
            raise unprocessable("duplicate", "documento deve estar finalizado")
        mime, content = source.mime, source.content
    assert mime is not None and content is not None
    if mime not in C.MIME_TYPES:
        raise unprocessable(
            "content_base64", "tipo de arquivo não permitido", "/data/attributes/content_base64"
        )
    if not content:
        raise unprocessables(
            [
                unprocessable_item("content", "não pode ficar em branco"),
                unprocessable_item("content", "deve ser maior ou igual à 1 byte"),
            ]
        )
    if mime == "application/pdf" and not content.lstrip()[:5] == b"%PDF-":
        raise unprocessable("content", "não é um arquivo PDF válido")
    if len(content) > emu.max_file_bytes:
        raise unprocessable(
            "content", f"deve ser menor ou igual a {_size_label(emu.max_file_bytes)}"
        )
    if emu.envelope_size(envelope) + len(content) > emu.max_envelope_bytes:
        raise unprocessable(
            "content",
            f"ultrapassa o limite de {_size_label(emu.max_envelope_bytes)} por envelope",
        )
    document = emu.document_create(
        envelope, filename=filename, mime=mime, content=content, metadata=metadata
    )
    return Response.json(201, {"data": render.document_resource(emu, document)})


@route("GET", f"/envelopes/(?P<envelope_id>{UUID_SEGMENT})/documents")
def documents_list(ctx: Ctx, envelope_id: str) -> Response:
    emu = ctx.emu
    envelope = emu.envelope_for(ctx.account, envelope_id)
    return _collection(
        ctx,
        emu.envelope_documents(envelope),
        f"/envelopes/{envelope.id}/documents",
        lambda d: render.document_resource(emu, d),
    )


@route(
    "GET", f"/envelopes/(?P<envelope_id>{UUID_SEGMENT})/documents/(?P<document_id>{UUID_SEGMENT})"
)
def document_get(ctx: Ctx, envelope_id: str, document_id: str) -> Response:
    envelope = ctx.emu.envelope_for(ctx.account, envelope_id)
    document = ctx.emu.document_in(envelope, document_id)
    return Response.json(200, {"data": render.document_resource(ctx.emu, document)})


@route(
    "PATCH", f"/envelopes/(?P<envelope_id>{UUID_SEGMENT})/documents/(?P<document_id>{UUID_SEGMENT})"
)
def document_update(ctx: Ctx, envelope_id: str, document_id: str) -> Response:
    emu = ctx.emu
    envelope = emu.envelope_for(ctx.account, envelope_id)
    document = emu.document_in(envelope, document_id)
    data = _body(ctx, "documents")
    attrs = data["attributes"]
    errors = _unknown(attrs, ("status", "metadata"))
    if "status" in attrs and attrs["status"] not in ("canceled", "closed"):
        errors.append(bad_request_item("status", "status deve estar em: canceled, closed"))
    if "metadata" in attrs and not isinstance(attrs["metadata"], dict):
        errors.append(bad_request_item("metadata", "metadata deve ser um hash"))
    if errors:
        raise bad_requests(errors)
    status = attrs.get("status")
    if status is not None:
        if document.status != "running":
            verb = "cancelado" if status == "canceled" else "finalizado"
            raise unprocessable("status", f"documento não pode ser {verb}")
        if status == "closed" and not any(
            document.id in s.signed for s in emu.qualified_signers(document)
        ):
            raise unprocessable("status", "documento não pode ser finalizado")
    if "metadata" in attrs:
        document.metadata = attrs["metadata"]
        document.modified = emu.now()
    if status == "canceled":
        emu.cancel_document(document)
    elif status == "closed":
        emu.close_document(document)
    return Response.json(200, {"data": render.document_resource(emu, document)})


@route(
    "DELETE",
    f"/envelopes/(?P<envelope_id>{UUID_SEGMENT})/documents/(?P<document_id>{UUID_SEGMENT})",
)
def document_delete(ctx: Ctx, envelope_id: str, document_id: str) -> Response:
    envelope = ctx.emu.envelope_for(ctx.account, envelope_id)
    document = ctx.emu.document_in(envelope, document_id)
    if envelope.status != "draft":
        raise forbidden(NOT_DRAFT)
    ctx.emu.document_delete(envelope, document)
    return Response.empty()


@route(
    "GET",
    f"/envelopes/(?P<envelope_id>{UUID_SEGMENT})/documents/(?P<document_id>{UUID_SEGMENT})/events",
)
def document_events(ctx: Ctx, envelope_id: str, document_id: str) -> Response:
    emu = ctx.emu
    envelope = emu.envelope_for(ctx.account, envelope_id)
    document = emu.document_in(envelope, document_id)
    events = list(emu.events.get(document.id, []))
    names = _event_names_filter(ctx)
    if names:
        events = [e for e in events if e.name in names]
    return _collection(
        ctx,
        events,
        f"/envelopes/{envelope.id}/documents/{document.id}/events",
        lambda e: render.event_resource(emu, e),
    )


# ====================================================================== signers

SIGNER_ATTRS = (
    "name",
    "email",
    "phone_number",
    "birthday",
    "has_documentation",
    "documentation",
    "refusable",
    "group",
    "location_required_enabled",
    "communicate_events",
    "signature_host",
)
COMMUNICATE_EVENTS = {
    "signature_request": C.SIGNATURE_REQUEST_CHANNELS,
    "signature_reminder": C.SIGNATURE_REMINDER_CHANNELS,
    "document_signed": C.DOCUMENT_SIGNED_CHANNELS,
}


def _signer_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    errors = _unknown(attrs, SIGNER_ATTRS)
    clean: dict[str, Any] = {}
    name = attrs.get("name")
    if name is None or name == "":
        errors.append(bad_request_item("name", "name deve ser informado(a)"))
    elif not name_is_valid(name):
        errors.append(bad_request_item("name", "name não está em um formato válido"))
    else:
        clean["name"] = " ".join(name.split())
    email = attrs.get("email")
    if email not in (None, ""):
        if not email_is_valid(email):
            errors.append(bad_request_item("email", "email não está em um formato válido"))
        else:
            clean["email"] = email
    phone = attrs.get("phone_number")
    if phone not in (None, ""):
        if not phone_is_valid(phone):
            errors.append(
                bad_request_item("phone_number", "phone_number não está em um formato válido")
            )
        else:
            clean["phone_number"] = phone
    birthday = attrs.get("birthday")
    if birthday not in (None, ""):
        if parse_date(birthday) is None:
            errors.append(bad_request_item("birthday", "birthday não está em um formato válido"))
        else:
            clean["birthday"] = birthday
    for flag in ("has_documentation", "refusable", "location_required_enabled"):
        if flag in attrs:
            if not isinstance(attrs[flag], bool):
                errors.append(bad_request_item(flag, f"{flag} deve ser um booleano"))
            else:
                clean[flag] = attrs[flag]
    if "group" in attrs:
        group = attrs["group"]
        if isinstance(group, str) and group.isdigit():
            group = int(group)
        if not isinstance(group, int) or isinstance(group, bool) or group < 1:
            errors.append(bad_request_item("group", "group deve ser um número inteiro maior que 0"))
        else:
            clean["group"] = group
    events = attrs.get("communicate_events")
    if events is not None:
        pointer = "/data/attributes/communicate_events/"
        if not isinstance(events, dict):
            errors.append(
                bad_request_item("communicate_events", "communicate_events deve ser um hash")
            )
        else:
            clean_events = {}
            for key, value in events.items():
                if key not in COMMUNICATE_EVENTS:
                    errors.append(
                        bad_request_item(None, f"{key} não está disponível", pointer + key)
                    )
                elif value not in COMMUNICATE_EVENTS[key]:
                    errors.append(
                        bad_request_item(
                            None, _enum_message(key, COMMUNICATE_EVENTS[key]), pointer + key
                        )
                    )
                else:
                    clean_events[key] = value
            clean["communicate_events"] = clean_events
    host = attrs.get("signature_host")
    if host is not None:
        if not isinstance(host, dict):
            errors.append(bad_request_item("signature_host", "signature_host deve ser um hash"))
        else:
            clean["signature_host"] = host
    if errors:
        raise bad_requests(errors)
    # cross-field rules
    channels = clean.get("communicate_events", {})
    request_channel = channels.get("signature_request", "email")
    missing = []
    if request_channel == "email" and "email" not in clean:
        missing.append(bad_request_item("email", "email deve ser informado(a)"))
    if (
        request_channel in C.PHONE_AUTHS or channels.get("document_signed") == "whatsapp"
    ) and "phone_number" not in clean:
        missing.append(bad_request_item("phone_number", "phone_number deve ser informado(a)"))
    if missing:
        raise bad_requests(missing)
    problems = []
    documentation = attrs.get("documentation")
    if clean.get("has_documentation", True) is False:
        if documentation not in (None, ""):
            problems.append(unprocessable_item("documentation", "deve ficar em branco"))
        if "birthday" in clean:
            problems.append(unprocessable_item("birthday", "deve ficar em branco"))
    elif documentation not in (None, ""):
        if not cpf_is_valid(documentation):
            problems.append(unprocessable_item("documentation", "inválido"))
        else:
            clean["documentation"] = documentation
    if problems:
        raise unprocessables(problems)
    return clean


@route("POST", f"/envelopes/(?P<envelope_id>{UUID_SEGMENT})/signers")
def signer_create(ctx: Ctx, envelope_id: str) -> Response:
    emu = ctx.emu
    envelope = emu.envelope_for(ctx.account, envelope_id)
    data = _body(ctx, "signers")
    clean = _signer_attrs(data["attributes"])
    if envelope.status not in ("draft", "running"):
        raise forbidden(NOT_DRAFT)
    signer = emu.signer_create(envelope, clean)
    return Response.json(201, {"data": render.signer_resource(emu, signer)})


@route("GET", f"/envelopes/(?P<envelope_id>{UUID_SEGMENT})/signers")
def signers_list(ctx: Ctx, envelope_id: str) -> Response:
    emu = ctx.emu
    envelope = emu.envelope_for(ctx.account, envelope_id)
    return _collection(
        ctx,
        emu.envelope_signers(envelope),
        f"/envelopes/{envelope.id}/signers",
        lambda s: render.signer_resource(emu, s),
    )


@route("GET", f"/envelopes/(?P<envelope_id>{UUID_SEGMENT})/signers/(?P<signer_id>{UUID_SEGMENT})")
def signer_get(ctx: Ctx, envelope_id: str, signer_id: str) -> Response:
    envelope = ctx.emu.envelope_for(ctx.account, envelope_id)
    signer = ctx.emu.signer_in(envelope, signer_id)
    return Response.json(200, {"data": render.signer_resource(ctx.emu, signer)})


@route(
    "DELETE", f"/envelopes/(?P<envelope_id>{UUID_SEGMENT})/signers/(?P<signer_id>{UUID_SEGMENT})"
)
def signer_delete(ctx: Ctx, envelope_id: str, signer_id: str) -> Response:
    envelope = ctx.emu.envelope_for(ctx.account, envelope_id)
    signer = ctx.emu.signer_in(envelope, signer_id)
    if envelope.status not in ("draft", "running"):
        raise forbidden(NOT_DRAFT)
    if signer.signed:
        raise forbidden(ALREADY_SIGNED)
    ctx.emu.signer_delete(envelope, signer)
    return Response.empty()


# ====================================================================== requirements

REQUIREMENT_ATTRS = ("action", "role", "auth", "pages", "rubric_field", "kind")
_PAGES = re.compile(r"^\s*(all|\d+(\s*,\s*\d+)*)\s*$")


def _requirement_spec(
    emu: Emulator,
    envelope: Envelope,
    data: dict[str, Any],
    existing: list[dict[str, Any]],
    prefix: str = "",
) -> dict[str, Any]:
    """Validate one requirement (``existing``: the envelope's requirements as dicts)."""
    attrs = data.get("attributes")
    if not isinstance(attrs, dict):
        raise bad_request(None, "attributes deve ser um hash", prefix + "/data/attributes")
    errors = _unknown(attrs, REQUIREMENT_ATTRS, prefix)
    pointer = prefix + "/data/attributes/"
    action = attrs.get("action")
    spec: dict[str, Any] = {"action": action}
    if action is None:
        errors.append(bad_request_item(None, "action deve ser informado(a)", pointer + "action"))
    elif action not in C.REQUIREMENT_ACTIONS:
        errors.append(
            bad_request_item(
                None, _enum_message("action", C.REQUIREMENT_ACTIONS), pointer + "action"
            )
        )
    elif action == "agree":
        role = attrs.get("role")
        if role is None:
            errors.append(bad_request_item(None, "role deve ser informado(a)", pointer + "role"))
        elif role not in C.ROLES:
            errors.append(bad_request_item(None, _enum_message("role", C.ROLES), pointer + "role"))
        spec["role"] = role
        for extra in ("auth", "pages", "rubric_field", "kind"):
            if extra in attrs:
                errors.append(
                    bad_request_item(None, f"{extra} não está disponível", pointer + extra)
                )
    elif action == "provide_evidence":
        auth = attrs.get("auth")
        if auth is None:
            errors.append(bad_request_item(None, "auth deve ser informado(a)", pointer + "auth"))
        elif auth not in C.AUTHS:
            errors.append(bad_request_item(None, _enum_message("auth", C.AUTHS), pointer + "auth"))
        spec["auth"] = auth
        for extra in ("role", "pages", "rubric_field", "kind"):
            if extra in attrs:
                errors.append(
                    bad_request_item(None, f"{extra} não está disponível", pointer + extra)
                )
    else:
        spec["pages"] = attrs.get("pages")
        spec["rubric_field"] = attrs.get("rubric_field")
        spec["kind"] = attrs.get("kind")
        if spec["pages"] is not None and (
            not isinstance(spec["pages"], str) or not _PAGES.match(spec["pages"])
        ):
            errors.append(
                bad_request_item(None, "pages não está em um formato válido", pointer + "pages")
            )
        if spec["kind"] is not None and spec["kind"] not in C.RUBRIC_KINDS:
            errors.append(
                bad_request_item(None, _enum_message("kind", C.RUBRIC_KINDS), pointer + "kind")
            )
        for extra in ("role", "auth"):
            if extra in attrs:
                errors.append(
                    bad_request_item(None, f"{extra} não está disponível", pointer + extra)
                )
    relationships = data.get("relationships")
    if not isinstance(relationships, dict):
        relationships = {}
    for rel, label in (("document", "Documento"), ("signer", "Signatário")):
        rel_pointer = f"{prefix}/data/relationships/{rel}"
        ident = relationships.get(rel)
        ident_data = ident.get("data") if isinstance(ident, dict) else None
        rel_id = ident_data.get("id") if isinstance(ident_data, dict) else None
        if not rel_id:
            errors.append(bad_request_item(None, f"{rel} deve ser informado(a)", rel_pointer))
            continue
        store = emu.documents if rel == "document" else emu.signers
        record = store.get(rel_id)
        if record is None or record.envelope_id != envelope.id:
            errors.append(
                bad_request_item(None, f"{label} {rel_id} não encontrado no envelope", rel_pointer)
            )
            continue
        spec[f"{rel}_id"] = rel_id
    if errors:
        raise bad_requests(errors)
    # 422 business rules
    document = emu.documents[spec["document_id"]]
    signer = emu.signers[spec["signer_id"]]
    if document.status not in ("draft", "running"):
        raise forbidden(NOT_DRAFT)
    same_pair = [
        r for r in existing if r["document_id"] == document.id and r["signer_id"] == signer.id
    ]
    duplicate = any(
        r["action"] == action
        and (
            (action == "agree" and r.get("role") == spec.get("role"))
            or (action == "provide_evidence" and r.get("auth") == spec.get("auth"))
            or action == "rubricate"
        )
        for r in same_pair
    )
    if duplicate:
        raise unprocessable("action", "já está em uso", pointer + "action")
    if action == "rubricate" and not spec.get("pages") and not spec.get("rubric_field"):
        raise unprocessable("pages", "Deve informar 'pages' ou 'rubric_field'", pointer + "pages")
    if action == "provide_evidence":
        auth = spec["auth"]
        if auth in C.TOKEN_AUTHS:
            others = {
                r.get("auth")
                for r in existing
                if r["signer_id"] == signer.id and r.get("auth") in C.TOKEN_AUTHS
            } - {auth}
            if others:
                raise unprocessable(
                    "auth",
                    "Só é permitido enviar uma das opções: email, sms, whatsapp",
                    pointer + "auth",
                )
        if auth in C.PHONE_AUTHS and not signer.phone_number:
            raise unprocessable("phone_number", "não pode ficar em branco", pointer + "auth")
        if auth == "email" and not signer.email:
            raise unprocessable("email", "não pode ficar em branco", pointer + "auth")
        if auth in ("pix", "biometric", "identity_biometrics") and not signer.documentation:
            raise unprocessable("documentation", "não pode ficar em branco", pointer + "auth")
        if auth == "presential" and not signer.signature_host:
            raise unprocessable("signature_host", "não pode ficar em branco", pointer + "auth")
        if auth == "auto_signature":
            raise unprocessable(
                "auth",
                "O signatário deve ter um termo assinado para a utilização da assinatura "
                "automática",
                pointer + "auth",
            )
        pair_auths = {r.get("auth") for r in same_pair if r["action"] == "provide_evidence"}
        for other in pair_auths:
            if other in C.AUTH_INCOMPATIBLE.get(auth, ()) or auth in C.AUTH_INCOMPATIBLE.get(
                str(other), ()
            ):
                raise unprocessable(
                    "auth", f"{auth} não pode ser combinado com {other}", pointer + "auth"
                )
    return spec


def _requirements_as_dicts(emu: Emulator, envelope: Envelope) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "document_id": r.document_id,
            "signer_id": r.signer_id,
            "action": r.action,
            "role": r.role,
            "auth": r.auth,
        }
        for r in emu.envelope_requirements(envelope)
    ]


@route("POST", f"/envelopes/(?P<envelope_id>{UUID_SEGMENT})/requirements")
def requirement_create(ctx: Ctx, envelope_id: str) -> Response:
    emu = ctx.emu
    envelope = emu.envelope_for(ctx.account, envelope_id)
    data = _body(ctx, "requirements")
    if envelope.status != "draft":
        raise forbidden(NOT_DRAFT)
    spec = _requirement_spec(emu, envelope, data, _requirements_as_dicts(emu, envelope))
    requirement = emu.requirement_add(envelope, spec)
    return Response.json(201, {"data": render.requirement_resource(emu, requirement)})


@route("GET", f"/envelopes/(?P<envelope_id>{UUID_SEGMENT})/requirements")
def requirements_list(ctx: Ctx, envelope_id: str) -> Response:
    emu = ctx.emu
    envelope = emu.envelope_for(ctx.account, envelope_id)
    return _collection(
        ctx,
        emu.envelope_requirements(envelope),
        f"/envelopes/{envelope.id}/requirements",
        lambda r: render.requirement_resource(emu, r),
    )


@route(
    "GET",
    f"/envelopes/(?P<envelope_id>{UUID_SEGMENT})/requirements/(?P<requirement_id>{UUID_SEGMENT})",
)
def requirement_get(ctx: Ctx, envelope_id: str, requirement_id: str) -> Response:
    envelope = ctx.emu.envelope_for(ctx.account, envelope_id)
    requirement = ctx.emu.requirement_in(envelope, requirement_id)
    return Response.json(200, {"data": render.requirement_resource(ctx.emu, requirement)})


@route(
    "DELETE",
    f"/envelopes/(?P<envelope_id>{UUID_SEGMENT})/requirements/(?P<requirement_id>{UUID_SEGMENT})",
)
def requirement_delete(ctx: Ctx, envelope_id: str, requirement_id: str) -> Response:
    envelope = ctx.emu.envelope_for(ctx.account, envelope_id)
    requirement = ctx.emu.requirement_in(envelope, requirement_id)
    if envelope.status != "draft":
        raise forbidden(NOT_DRAFT)
    ctx.emu.requirement_remove(envelope, requirement)
    return Response.empty()


@route("POST", f"/envelopes/(?P<envelope_id>{UUID_SEGMENT})/bulk_requirements")
def bulk_requirements(ctx: Ctx, envelope_id: str) -> Response:
    emu = ctx.emu
    envelope = emu.envelope_for(ctx.account, envelope_id)
    payload = ctx.request.json()
    operations = payload.get("atomic:operations") if isinstance(payload, dict) else None
    if operations is None:
        raise bad_request(None, "atomic:operations deve ser informado(a)", "/atomic:operations")
    if not isinstance(operations, list) or not operations:
        raise bad_request(None, "atomic:operations deve ser um array", "/atomic:operations")
    if envelope.status not in ("draft", "running"):
        raise forbidden(NOT_DRAFT)
    existing = _requirements_as_dicts(emu, envelope)
    plan: list[tuple[str, Any]] = []
    for index, operation in enumerate(operations):
        prefix = f"/atomic:operations/{index}"
        if not isinstance(operation, dict):
            raise bad_request(None, "operação deve ser um hash", prefix)
        op = operation.get("op")
        if op not in ("add", "remove"):
            raise bad_request(None, "op deve estar em: add, remove", prefix + "/op")
        if op == "remove":
            ref = operation.get("ref")
            if not isinstance(ref, dict) or not ref.get("id"):
                raise bad_request(None, "ref deve ser informado(a)", prefix + "/ref")
            if ref.get("type") != "requirements":
                raise bad_request(None, "type deve estar em: requirements", prefix + "/ref/type")
            match = next((r for r in existing if r["id"] == ref["id"]), None)
            if match is None:
                raise not_found(str(ref["id"]))
            signer = emu.signers[match["signer_id"]]
            if match["document_id"] in signer.signed:
                raise forbidden(ALREADY_SIGNED)
            existing.remove(match)
            plan.append(("remove", match["id"]))
        else:
            data = operation.get("data")
            if not isinstance(data, dict):
                raise bad_request(None, "data deve ser informado(a)", prefix + "/data")
            if data.get("type") != "requirements":
                raise bad_request(None, "type deve estar em: requirements", prefix + "/data/type")
            spec = _requirement_spec(emu, envelope, data, existing, prefix)
            existing.append({"id": None, **spec})
            plan.append(("add", spec))
    if envelope.status == "running":
        problems = _running_problems(emu, envelope, existing)
        if problems:
            raise unprocessables(
                [unprocessable_item("requirements", p, "/atomic:operations") for p in problems]
            )
    before = emu.current_group(envelope)
    results: list[dict[str, Any]] = []
    added_pairs: list[tuple[str, str]] = []
    for kind, item in plan:
        if kind == "remove":
            emu.requirement_remove(envelope, emu.requirements[item])
            results.append({})
        else:
            if emu.is_first_qualification(item):
                added_pairs.append((item["document_id"], item["signer_id"]))
            requirement = emu.requirement_add(envelope, item, announce=False)
            results.append({"data": render.requirement_resource(emu, requirement)})
    for document_id, signer_id in added_pairs:
        if emu.requirements_of(document_id, signer_id, "agree"):
            emu.emit_add_signer(emu.documents[document_id], emu.signers[signer_id])
    if envelope.status == "running":
        emu.settle(envelope, group_before=before)
    return Response.json(200, {"atomic:results": results})


def _running_problems(
    emu: Emulator, envelope: Envelope, requirements: list[dict[str, Any]]
) -> list[str]:
    problems = []
    pairs = {(r["document_id"], r["signer_id"]) for r in requirements if r["action"] == "agree"}
    for document_id, signer_id in sorted(pairs):
        document = emu.documents[document_id]
        if document.status != "running":
            continue
        has_auth = any(
            r["action"] == "provide_evidence"
            and r["document_id"] == document_id
            and r["signer_id"] == signer_id
            for r in requirements
        )
        if not has_auth:
            signer = emu.signers[signer_id]
            problems.append(
                f"O signatário {signer.name} deve possuir requisito de autenticação "
                f"no documento {document.filename}"
            )
    return problems


# ====================================================================== notifications

CUSTOMIZATION_LIMITS = {
    "subject": 998,
    "head": 3000,
    "greeting": 3000,
    "principal": 3000,
    "final": 3000,
    "button": 50,
}


def _notification_attrs(ctx: Ctx, *, head_limit: int) -> dict[str, Any]:
    data = _body(ctx, "notifications")
    attrs = data["attributes"]
    errors = _unknown(attrs, ("message", "email_customization"))
    message = attrs.get("message")
    if message is not None and not isinstance(message, str):
        errors.append(bad_request_item("message", "message deve ser uma string"))
    custom = attrs.get("email_customization")
    pointer = "/data/attributes/email_customization/"
    if custom is not None:
        if not isinstance(custom, dict):
            errors.append(
                bad_request_item("email_customization", "email_customization deve ser um hash")
            )
            custom = {}
        for key, value in custom.items():
            if key in CUSTOMIZATION_LIMITS:
                limit = head_limit if key == "head" else CUSTOMIZATION_LIMITS[key]
                if not isinstance(value, str):
                    errors.append(
                        bad_request_item(None, f"{key} deve ser uma string", pointer + key)
                    )
                elif len(value) > limit:
                    errors.append(
                        bad_request_item(
                            None, f"{key} é muito longo (máximo: {limit} caracteres)", pointer + key
                        )
                    )
            elif key == "align":
                if value not in C.NOTIFICATION_ALIGNS:
                    errors.append(
                        bad_request_item(
                            None, _enum_message("align", C.NOTIFICATION_ALIGNS), pointer + key
                        )
                    )
            elif key in ("show_token", "show_qrcode", "show_details"):
                if not isinstance(value, bool):
                    errors.append(
                        bad_request_item(None, f"{key} deve ser um booleano", pointer + key)
                    )
            else:
                errors.append(bad_request_item(None, f"{key} não está disponível", pointer + key))
    if errors:
        raise bad_requests(errors)
    return {"message": message, "subject": (custom or {}).get("subject")}


def _notification_response(
    ctx: Ctx, notification_id: str, message: str | None, summary: list[dict]
) -> Response:
    return Response.json(
        201,
        {
            "data": {
                "id": notification_id,
                "type": "notifications",
                "attributes": {
                    "message": message,
                    "summary": summary,
                    "created": iso_br(ctx.emu.now()),
                },
            }
        },
    )


def _require_running(envelope: Envelope) -> None:
    if envelope.status != "running":
        raise forbidden("envelope não está com status running")


@route("POST", f"/envelopes/(?P<envelope_id>{UUID_SEGMENT})/notifications")
def notify_envelope(ctx: Ctx, envelope_id: str) -> Response:
    emu = ctx.emu
    envelope = emu.envelope_for(ctx.account, envelope_id)
    attrs = _notification_attrs(ctx, head_limit=3000)
    _require_running(envelope)
    notification_id, summary = emu.notify(
        envelope, emu.envelope_signers(envelope), message=attrs["message"], subject=attrs["subject"]
    )
    return _notification_response(ctx, notification_id, attrs["message"], summary)


@route(
    "POST",
    f"/envelopes/(?P<envelope_id>{UUID_SEGMENT})/signers/(?P<signer_id>{UUID_SEGMENT})/notifications",
)
def notify_signer(ctx: Ctx, envelope_id: str, signer_id: str) -> Response:
    emu = ctx.emu
    envelope = emu.envelope_for(ctx.account, envelope_id)
    signer = emu.signer_in(envelope, signer_id)
    attrs = _notification_attrs(ctx, head_limit=998)
    _require_running(envelope)
    group = emu.current_group(envelope)
    pending = any(emu.pending(signer, d) for d in emu.envelope_documents(envelope))
    if pending and group is not None and signer.group != group:
        raise unprocessable("signer", "não pertence ao grupo de assinatura atual", "/data")
    notification_id, summary = emu.notify(
        envelope, [signer], message=attrs["message"], subject=attrs["subject"]
    )
    return _notification_response(ctx, notification_id, attrs["message"], summary)


# ====================================================================== webhooks


def _webhook_attrs(ctx: Ctx, attrs: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    errors = _unknown(attrs, ("endpoint", "status", "events"))
    clean: dict[str, Any] = {}
    if "endpoint" in attrs or creating:
        endpoint = attrs.get("endpoint")
        if endpoint in (None, ""):
            errors.append(bad_request_item("endpoint", "endpoint deve ser informado(a)"))
        elif not isinstance(endpoint, str):
            errors.append(bad_request_item("endpoint", "endpoint deve ser uma string"))
        else:
            clean["endpoint"] = endpoint
    if "events" in attrs or creating:
        events = attrs.get("events")
        if events in (None, []):
            errors.append(bad_request_item("events", "events deve ser informado(a)"))
        elif not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            errors.append(bad_request_item("events", "events deve ser um array"))
        elif any(e not in C.WEBHOOK_EVENTS for e in events):
            errors.append(bad_request_item("events", _enum_message("events", C.WEBHOOK_EVENTS)))
        else:
            clean["events"] = list(dict.fromkeys(events))
    if "status" in attrs:
        if attrs["status"] not in C.WEBHOOK_STATUSES:
            errors.append(bad_request_item("status", _enum_message("status", C.WEBHOOK_STATUSES)))
        else:
            clean["status"] = attrs["status"]
    if errors:
        raise bad_requests(errors)
    if "endpoint" in clean:
        parts = urlsplit(clean["endpoint"])
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise unprocessable("endpoint", "não é uma URL válida")
    return clean


def _endpoint_taken(ctx: Ctx, endpoint: str, except_id: str | None = None) -> bool:
    return any(
        w.endpoint == endpoint and w.account_key == ctx.account.key and w.id != except_id
        for w in ctx.emu.webhooks.values()
    )


@route("POST", "/webhooks")
def webhook_create(ctx: Ctx) -> Response:
    data = _body(ctx, "webhooks")
    clean = _webhook_attrs(ctx, data["attributes"], creating=True)
    if _endpoint_taken(ctx, clean["endpoint"]):
        raise unprocessable("endpoint", "já está em uso")
    webhook = ctx.emu.webhook_create(
        ctx.account, clean["endpoint"], clean["events"], clean.get("status", "active")
    )
    return Response.json(201, {"data": render.webhook_resource(ctx.emu, webhook)})


@route("GET", "/webhooks")
def webhooks_list(ctx: Ctx) -> Response:
    emu = ctx.emu
    items = [w for w in emu.webhooks.values() if w.account_key == ctx.account.key]
    return _collection(ctx, items, "/webhooks", lambda w: render.webhook_resource(emu, w))


def _webhook(ctx: Ctx, webhook_id: str) -> Any:
    webhook = ctx.emu.webhooks.get(webhook_id)
    if webhook is None or webhook.account_key != ctx.account.key:
        raise not_found(webhook_id)
    return webhook


@route("GET", f"/webhooks/(?P<webhook_id>{UUID_SEGMENT})")
def webhook_get(ctx: Ctx, webhook_id: str) -> Response:
    return Response.json(200, {"data": render.webhook_resource(ctx.emu, _webhook(ctx, webhook_id))})


@route("PATCH", f"/webhooks/(?P<webhook_id>{UUID_SEGMENT})")
def webhook_update(ctx: Ctx, webhook_id: str) -> Response:
    webhook = _webhook(ctx, webhook_id)
    data = _body(ctx, "webhooks")
    clean = _webhook_attrs(ctx, data["attributes"], creating=False)
    if "endpoint" in clean and _endpoint_taken(ctx, clean["endpoint"], webhook.id):
        raise unprocessable("endpoint", "já está em uso")
    for key, value in clean.items():
        setattr(webhook, key, value)
    webhook.modified = ctx.emu.now()
    return Response.json(200, {"data": render.webhook_resource(ctx.emu, webhook)})


@route("DELETE", f"/webhooks/(?P<webhook_id>{UUID_SEGMENT})")
def webhook_delete(ctx: Ctx, webhook_id: str) -> Response:
    webhook = _webhook(ctx, webhook_id)
    del ctx.emu.webhooks[webhook.id]
    return Response.empty()


__all__ = ["handle", "match_route", "Document", "Signer"]
