"""The legacy API 1.9 (``/api/v1`` and ``/api/v2/webhooks``): documents, account-level signers,
lists, notifications, finish/cancel, webhooks — as strict as the ``/api/v3`` side.

Model (see README "API 1.9"): a 1.9 document is kept as a hidden one-document envelope that runs
from upload (so the signing pages, signed PDFs, deadlines and webhooks of the v3 side serve it
unchanged); a 1.9 signer is an account-level :class:`~.model.LegacySigner`; a list is a
participation of that signer in one document, kept as an envelope signer whose id is the list's
``request_signature_key`` (the signing page is ``/sign/<request_signature_key>``, as on
Clicksign) with one qualification (``sign_as``) and its authentications.

Authentication is ``?access_token=`` only (an ``Authorization`` header is not 1.9's and is
ignored). Errors are 1.9's ``{"errors": ["<mensagem>"]}``. The account's rate limit is shared
with the v3 side (same account bucket); notifications are limited to one per minute per
``request_signature_key``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from . import constants as C
from . import render
from .clock import iso_br, iso_z
from .core import Emulator
from .errors import EMAIL_NOT_SET, PLAN_WITHOUT_API
from .model import Account, Document, Envelope, LegacySigner, Signer
from .validation import (
    DataUriError,
    cpf_is_valid,
    email_is_valid,
    name_is_valid,
    parse_data_uri,
    parse_date,
    parse_datetime,
    phone_is_valid,
)
from .wire import Request, Response

JSON = "application/json; charset=utf-8"
SEGMENT = r"[^/]+"
V1_AUTHS = ("email", "sms", "whatsapp", "pix", "api", "icp_brasil", "presential", "tokenless")
DELIVERIES = ("email", "none")
COMMUNICATE_BY = ("email", "sms", "whatsapp")
ENABLED_FLAGS = (
    "selfie_enabled",
    "handwritten_enabled",
    "official_document_enabled",
    "liveness_enabled",
    "facial_biometrics_enabled",
    "location_required_enabled",
)
# *_enabled flag -> the v3 authentication it stands for (the signing page asks for it).
FLAG_AUTHS = {
    "selfie_enabled": "selfie",
    "handwritten_enabled": "handwritten",
    "official_document_enabled": "official_document",
    "liveness_enabled": "liveness",
    "facial_biometrics_enabled": "facial_biometrics",
}
SIGNER_ATTRS = (
    "email",
    "phone_number",
    "auths",
    "delivery",
    "name",
    "documentation",
    "birthday",
    "has_documentation",
    "communicate_by",
    *ENABLED_FLAGS,
)
DOCUMENT_ATTRS = (
    "path",
    "content_base64",
    "deadline_at",
    "auto_close",
    "locale",
    "sequence_enabled",
    "remind_interval",
    "block_after_refusal",
    "metadata",
)
DOCUMENT_PATCH_ATTRS = (
    "deadline_at",
    "auto_close",
    "locale",
    "sequence_enabled",
    "remind_interval",
    "block_after_refusal",
    "metadata",
)
LIST_ATTRS = ("document_key", "signer_key", "sign_as", "refusable", "group", "message")
SIGN_AS = (*C.ROLES, "condominium_member")
PAGE_SIZE = 20
CPF_FORMAT = re.compile(r"^\d{3}\.\d{3}\.\d{3}-\d{2}$")
NOTIFICATION_PREFIX = "v1-notification:"


class LegacyError(Exception):
    def __init__(self, status: int, *messages: str) -> None:
        super().__init__(messages[0] if messages else "")
        self.status = status
        self.messages = list(messages)


def _answer(status: int, payload: Any) -> Response:
    return Response.json(status, payload, content_type=JSON)


Handler = Callable[..., Response]
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        ROUTES.append((method, re.compile("^/api" + pattern + "$"), fn))
        return fn

    return register


def is_legacy_path(path: str) -> bool:
    return (
        path.startswith("/api/v1/")
        or path.startswith("/api/v2/")
        or path
        in (
            "/api/v1",
            "/api/v2",
        )
    )


class Ctx:
    def __init__(self, emu: Emulator, account: Account, request: Request) -> None:
        self.emu = emu
        self.account = account
        self.request = request


def handle(emu: Emulator, request: Request, log_entry: Any = None) -> Response:
    """Answer one ``/api/v1`` or ``/api/v2`` request (faults were applied by the server)."""
    matched = None
    for method, pattern, fn in ROUTES:
        found = pattern.match(request.path)
        if found and method == request.method:
            matched = fn, found.groupdict()
            break
    if matched is None:
        return Response.html(404, "<html><body><h1>404 Not Found</h1></body></html>")
    fn, params = matched
    with emu.lock:
        token = request.param("access_token")
        account = emu.account_by_token(token.strip()) if token else None
        if account is None:
            _, headers = emu.rate_limit_hit("anon:" + (token or ""), emu.sandbox_rate_limit)
            return _headers(_answer(401, {"errors": ["Access Token inválido"]}), headers)
        if log_entry is not None:
            log_entry.account_key = account.key
        allowed, headers = emu.rate_limit_hit(account.key, emu.account_rate_limit(account))
        if not allowed:
            return _headers(_answer(429, {"errors": ["Too many requests"]}), headers)
        try:
            if not account.plan_has_api:
                raise LegacyError(403, PLAN_WITHOUT_API)
            if not account.api_user_email:
                raise LegacyError(403, EMAIL_NOT_SET)
            response = fn(Ctx(emu, account, request), **params)
        except LegacyError as error:
            response = _answer(error.status, {"errors": error.messages})
        return _headers(response, headers)


def _headers(response: Response, headers: dict[str, str]) -> Response:
    response.headers.update(headers)
    return response


def _wrapped(ctx: Ctx, name: str) -> dict[str, Any]:
    try:
        payload = ctx.request.json()
    except ValueError as exc:
        raise LegacyError(400, "JSON inválido") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get(name), dict):
        raise LegacyError(400, f"{name} deve ser informado(a)")
    return payload[name]


def _unknown(attrs: dict[str, Any], allowed: tuple[str, ...]) -> list[str]:
    return [f"{name} não é um atributo permitido" for name in attrs if name not in allowed]


# ====================================================================== account


@route("GET", "/v1/accounts")
def account_show(ctx: Ctx) -> Response:
    account = ctx.account
    return _answer(
        200,
        {"account": {"key": account.key, "name": account.name, "api_user": account.api_user_email}},
    )


# ====================================================================== signers


def signer_public(signer: LegacySigner) -> dict[str, Any]:
    return {
        "key": signer.key,
        "email": signer.email,
        "auths": list(signer.auths),
        "delivery": signer.delivery,
        "name": signer.name,
        "documentation": signer.documentation,
        "birthday": signer.birthday,
        "phone_number": signer.phone_number,
        "has_documentation": signer.has_documentation,
        "communicate_by": signer.communicate_by,
        **{flag: getattr(signer, flag) for flag in ENABLED_FLAGS},
        "created_at": iso_br(signer.created),
        "updated_at": iso_br(signer.modified),
    }


def _signer_for(ctx: Ctx, key: str) -> LegacySigner:
    signer = ctx.emu.legacy_signers.get(key)
    if signer is None or signer.account_key != ctx.account.key:
        raise LegacyError(404, "Signatário não encontrado")
    return signer


@route("POST", "/v1/signers")
def signer_create(ctx: Ctx) -> Response:
    attrs = _wrapped(ctx, "signer")
    errors = _unknown(attrs, SIGNER_ATTRS)
    auths = attrs.get("auths")
    if not isinstance(auths, list) or len(auths) != 1 or auths[0] not in V1_AUTHS:
        errors.append(f"auths deve ter exatamente um valor entre: {', '.join(V1_AUTHS)}")
        auth = None
    else:
        auth = auths[0]
    name = attrs.get("name")
    if not name_is_valid(name):
        errors.append("name deve ter nome e sobrenome, sem números")
    delivery = attrs.get("delivery", "email")
    if delivery not in DELIVERIES:
        errors.append(f"delivery deve estar em: {', '.join(DELIVERIES)}")
    email = attrs.get("email")
    if email in (None, ""):
        email = None
        if delivery == "email" or auth == "email":
            errors.append("email não pode ficar em branco")
    elif not email_is_valid(email):
        errors.append("email não é válido")
    phone = attrs.get("phone_number")
    if phone in (None, ""):
        phone = None
        if auth in ("sms", "whatsapp"):
            errors.append("phone_number não pode ficar em branco")
    elif not phone_is_valid(phone):
        errors.append("phone_number não é válido")
    has_documentation = attrs.get("has_documentation", True)
    if not isinstance(has_documentation, bool):
        errors.append("has_documentation deve ser true ou false")
    documentation = attrs.get("documentation")
    if documentation in (None, ""):
        documentation = None
        if auth == "pix" or (has_documentation is True and auth == "icp_brasil"):
            errors.append("documentation não pode ficar em branco")
    elif not isinstance(documentation, str) or not CPF_FORMAT.match(documentation):
        errors.append("documentation deve estar no formato 000.000.000-00")
    elif not cpf_is_valid(documentation):
        errors.append("documentation não é um CPF válido")
    birthday = attrs.get("birthday")
    if birthday in (None, ""):
        birthday = None
    elif parse_date(birthday) is None:
        errors.append("birthday deve ser uma data (AAAA-MM-DD)")
    if has_documentation is False and (documentation or birthday):
        errors.append("documentation e birthday não devem ser enviados sem has_documentation")
    communicate_by = attrs.get("communicate_by", "email")
    if communicate_by not in COMMUNICATE_BY:
        errors.append(f"communicate_by deve estar em: {', '.join(COMMUNICATE_BY)}")
    flags = {}
    for flag in ENABLED_FLAGS:
        value = attrs.get(flag, False)
        if not isinstance(value, bool):
            errors.append(f"{flag} deve ser true ou false")
        flags[flag] = value is True
    if auth == "icp_brasil" and any(flags.values()):
        errors.append("autenticações adicionais não são permitidas com icp_brasil")
    if errors:
        raise LegacyError(422, *errors)
    now = ctx.emu.now()
    signer = LegacySigner(
        key=ctx.emu.new_id(),
        account_key=ctx.account.key,
        email=email,
        phone_number=phone,
        name=str(name),
        documentation=documentation,
        birthday=birthday,
        has_documentation=has_documentation,
        auths=[auth] if auth else [],
        delivery=delivery,
        communicate_by=communicate_by,
        created=now,
        modified=now,
        **flags,
    )
    ctx.emu.legacy_signers[signer.key] = signer
    return _answer(201, {"signer": signer_public(signer)})


@route("GET", "/v1/signers")
def signers_search(ctx: Ctx) -> Response:
    email = ctx.request.param("email")
    name = ctx.request.param("name")
    found = [
        s
        for s in ctx.emu.legacy_signers.values()
        if s.account_key == ctx.account.key
        and (not email or (s.email or "").lower() == email.lower())
        and (not name or name.lower() in s.name.lower())
    ]
    found.sort(key=lambda s: s.created, reverse=True)
    return _answer(200, {"signers": [signer_public(s) for s in found]})


@route("GET", f"/v1/signers/(?P<key>{SEGMENT})")
def signer_show(ctx: Ctx, key: str) -> Response:
    return _answer(200, {"signer": signer_public(_signer_for(ctx, key))})


@route("DELETE", f"/v2/signers/(?P<key>{SEGMENT})")
def signer_delete(ctx: Ctx, key: str) -> Response:
    signer = _signer_for(ctx, key)
    if any(s.legacy_key == key for s in ctx.emu.signers.values()):
        raise LegacyError(422, "Signatário está vinculado a documentos e não pode ser excluído")
    del ctx.emu.legacy_signers[signer.key]
    return Response.empty(204)


# ====================================================================== documents


def _document_for(ctx: Ctx, key: str) -> tuple[Envelope, Document]:
    document = ctx.emu.documents.get(key)
    envelope = ctx.emu.envelopes.get(document.envelope_id) if document else None
    if (
        document is None
        or envelope is None
        or not envelope.legacy
        or document.account_key != ctx.account.key
    ):
        raise LegacyError(404, "Documento não encontrado")
    return envelope, document


def document_public(emu: Emulator, document: Document) -> dict[str, Any]:
    return render.legacy_document(emu, document, list(emu.events.get(document.id, [])))


def _document_settings(
    ctx: Ctx, attrs: dict[str, Any], errors: list[str], *, creating: bool
) -> dict[str, Any]:
    emu = ctx.emu
    clean: dict[str, Any] = {}
    if "deadline_at" in attrs:
        deadline = parse_datetime(attrs["deadline_at"])
        now = emu.now()
        if deadline is None:
            errors.append("deadline_at não é uma data válida")
        elif deadline <= now:
            errors.append("deadline_at deve ser uma data futura")
        elif deadline > now + timedelta(days=C.MAX_DEADLINE_DAYS):
            errors.append(f"deadline_at deve ser no máximo {C.MAX_DEADLINE_DAYS} dias")
        else:
            clean["deadline_at"] = deadline
    for flag in ("auto_close", "sequence_enabled", "block_after_refusal"):
        if flag in attrs:
            if not isinstance(attrs[flag], bool):
                errors.append(f"{flag} deve ser true ou false")
            else:
                clean[flag] = attrs[flag]
    if "locale" in attrs:
        if attrs["locale"] not in C.LOCALES:
            errors.append(f"locale deve estar em: {', '.join(C.LOCALES)}")
        else:
            clean["locale"] = attrs["locale"]
    if "remind_interval" in attrs:
        value = attrs["remind_interval"]
        if value is not None and value not in C.REMIND_INTERVALS:
            errors.append(
                "remind_interval deve estar em: " + ", ".join(str(v) for v in C.REMIND_INTERVALS)
            )
        else:
            clean["remind_interval"] = value
    if "metadata" in attrs:
        if not isinstance(attrs["metadata"], dict):
            errors.append("metadata deve ser um hash")
        else:
            clean["metadata"] = attrs["metadata"]
    return clean


@route("POST", "/v1/documents")
def document_create(ctx: Ctx) -> Response:
    emu = ctx.emu
    attrs = _wrapped(ctx, "document")
    errors = _unknown(attrs, DOCUMENT_ATTRS)
    path = attrs.get("path")
    filename = ""
    if not isinstance(path, str) or not path:
        errors.append("path não pode ficar em branco")
    elif not path.startswith("/"):
        errors.append("path deve começar com /")
    else:
        filename = path.rsplit("/", 1)[1]
        if "." not in filename or filename.rsplit(".", 1)[1].lower() not in C.UPLOAD_EXTENSIONS:
            errors.append("path deve terminar com o nome do arquivo e uma extensão válida")
    mime = content = None
    if attrs.get("content_base64") in (None, ""):
        errors.append("content_base64 não pode ficar em branco")
    else:
        try:
            mime, content = parse_data_uri(attrs["content_base64"])
        except DataUriError:
            errors.append("content_base64 deve ser um Data URI completo (data:<tipo>;base64,...)")
    clean = _document_settings(ctx, attrs, errors, creating=True)
    if errors:
        raise LegacyError(422, *errors)
    assert mime is not None and content is not None
    if mime not in C.MIME_TYPES:
        raise LegacyError(422, "tipo de arquivo não permitido")
    if not content or (mime == "application/pdf" and content.lstrip()[:5] != b"%PDF-"):
        raise LegacyError(422, "conteúdo do arquivo inválido")
    if len(content) > emu.max_file_bytes:
        raise LegacyError(422, f"arquivo deve ter no máximo {emu.max_file_bytes} bytes")
    envelope = emu.envelope_create(
        ctx.account,
        {
            "name": path,
            "locale": clean.get("locale", "pt-BR"),
            "auto_close": clean.get("auto_close", True),
            "remind_interval": clean.get("remind_interval", 3),
            "block_after_refusal": clean.get("block_after_refusal", False),
            "deadline_at": clean.get("deadline_at"),
        },
    )
    envelope.legacy = True
    envelope.sequence_enabled = clean.get("sequence_enabled", False)
    # A 1.9 document runs from upload: its events are delivered as they happen.
    envelope.status = "running"
    envelope.activated_at = emu.now()
    document = emu.document_create(
        envelope, filename=filename, mime=mime, content=content, metadata=clean.get("metadata", {})
    )
    return _answer(201, {"document": document_public(emu, document)})


@route("GET", "/v1/documents")
def documents_list(ctx: Ctx) -> Response:
    emu = ctx.emu
    raw = ctx.request.param("page") or "1"
    page = int(raw) if raw.isdigit() and int(raw) > 0 else 1
    documents = sorted(
        (
            d
            for d in emu.documents.values()
            if d.account_key == ctx.account.key and emu.envelopes[d.envelope_id].legacy
        ),
        key=lambda d: d.created,
        reverse=True,
    )
    chunk = documents[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    pages = max(1, -(-len(documents) // PAGE_SIZE))
    return _answer(
        200,
        {
            "documents": [document_public(emu, d) for d in chunk],
            "page_infos": {
                "current_page": page,
                "next_page": page + 1 if page < pages else None,
                "prev_page": page - 1 if page > 1 else None,
                "first_page": 1,
                "last_page": pages,
            },
        },
    )


@route("GET", f"/v1/documents/(?P<key>{SEGMENT})")
def document_show(ctx: Ctx, key: str) -> Response:
    _, document = _document_for(ctx, key)
    return _answer(200, {"document": document_public(ctx.emu, document)})


@route("PATCH", f"/v1/documents/(?P<key>{SEGMENT})")
def document_configure(ctx: Ctx, key: str) -> Response:
    envelope, document = _document_for(ctx, key)
    attrs = _wrapped(ctx, "document")
    errors: list[str] = []
    clean = _document_settings(
        ctx,
        {k: v for k, v in attrs.items() if k in DOCUMENT_PATCH_ATTRS},
        errors,
        creating=False,
    )
    if errors:
        raise LegacyError(422, *errors)
    if document.status != "running":
        raise LegacyError(422, "Documento não está em andamento")
    for name in ("deadline_at", "auto_close", "locale", "remind_interval", "block_after_refusal"):
        if name in clean:
            setattr(envelope, name, clean[name])
    if "sequence_enabled" in clean:
        envelope.sequence_enabled = clean["sequence_enabled"]
    if "metadata" in clean:
        document.metadata = dict(clean["metadata"])
        document.creation_metadata = dict(clean["metadata"])
    document.modified = envelope.modified = ctx.emu.now()
    return _answer(200, {"document": document_public(ctx.emu, document)})


@route("PATCH", f"/v1/documents/(?P<key>{SEGMENT})/finish")
def document_finish(ctx: Ctx, key: str) -> Response:
    _, document = _document_for(ctx, key)
    if document.status != "running":
        raise LegacyError(422, "Documento não está em andamento")
    if not any(document.id in s.signed for s in ctx.emu.qualified_signers(document)):
        raise LegacyError(422, "Documento não possui assinaturas para ser finalizado")
    ctx.emu.close_document(document)
    return _answer(200, {"document": document_public(ctx.emu, document)})


@route("PATCH", f"/v1/documents/(?P<key>{SEGMENT})/cancel")
def document_cancel(ctx: Ctx, key: str) -> Response:
    _, document = _document_for(ctx, key)
    if document.status != "running":
        raise LegacyError(422, "Documento não está em andamento")
    ctx.emu.cancel_document(document)
    return _answer(200, {"document": document_public(ctx.emu, document)})


# ====================================================================== lists


def list_public(emu: Emulator, participation: Signer, document: Document) -> dict[str, Any]:
    qualification = emu.requirements_of(document.id, participation.id, "agree")[0]
    return {
        "key": qualification.id,
        "request_signature_key": participation.id,
        "document_key": document.id,
        "signer_key": participation.legacy_key,
        "sign_as": qualification.role,
        "refusable": participation.refusable,
        "group": participation.legacy_group,
        "message": participation.legacy_message,
        "created_at": iso_br(participation.created),
        "updated_at": iso_br(participation.modified),
        "url": f"{emu.public_url}/sign/{participation.id}",
    }


@route("POST", "/v1/lists")
def list_create(ctx: Ctx) -> Response:
    emu = ctx.emu
    attrs = _wrapped(ctx, "list")
    errors = _unknown(attrs, LIST_ATTRS)
    for name in ("document_key", "signer_key"):
        if not isinstance(attrs.get(name), str) or not attrs.get(name):
            errors.append(f"{name} não pode ficar em branco")
    sign_as = attrs.get("sign_as", "sign")
    if sign_as not in SIGN_AS:
        errors.append("sign_as não está incluído na lista")
    refusable = attrs.get("refusable", False)
    if not isinstance(refusable, bool):
        errors.append("refusable deve ser true ou false")
    group = attrs.get("group", 1)
    if isinstance(group, bool) or not isinstance(group, int) or group < 1:
        errors.append("group deve ser um número inteiro maior que 0")
    message = attrs.get("message")
    if message is not None and not isinstance(message, str):
        errors.append("message deve ser um texto")
    if errors:
        raise LegacyError(422, *errors)
    envelope, document = _document_for(ctx, attrs["document_key"])
    legacy = ctx.emu.legacy_signers.get(attrs["signer_key"])
    if legacy is None or legacy.account_key != ctx.account.key:
        raise LegacyError(422, "Signatário não encontrado")
    if document.status != "running":
        raise LegacyError(422, "Documento não está em andamento")
    for existing in emu.envelope_signers(envelope):
        if existing.legacy_key == legacy.key and sign_as in emu.roles_of(document.id, existing.id):
            raise LegacyError(422, "Signatário já assina este documento com este papel (sign_as)")
    participation = emu.signer_create(
        envelope,
        {
            "name": legacy.name,
            "email": legacy.email,
            "phone_number": legacy.phone_number,
            "birthday": legacy.birthday,
            "has_documentation": legacy.has_documentation,
            "documentation": legacy.documentation,
            "refusable": refusable,
            "group": group if envelope.sequence_enabled else 1,
            "location_required_enabled": legacy.location_required_enabled,
            "communicate_events": {
                "signature_request": legacy.delivery if legacy.delivery == "none" else "email",
                "signature_reminder": "email",
                "document_signed": "email",
            },
        },
    )
    participation.legacy_key = legacy.key
    participation.legacy_group = group
    participation.legacy_message = message
    auths = [legacy.auths[0] if legacy.auths else "email"]
    auths += [auth for flag, auth in FLAG_AUTHS.items() if getattr(legacy, flag)]
    specs = [
        {"action": "provide_evidence", "auth": auth if auth in C.AUTHS else "email"}
        for auth in auths
    ]
    for spec in specs:
        emu.requirement_add(
            envelope,
            {**spec, "document_id": document.id, "signer_id": participation.id},
            announce=False,
        )
    emu.requirement_add(
        envelope,
        {
            "action": "agree",
            "role": sign_as,
            "document_id": document.id,
            "signer_id": participation.id,
        },
    )
    return _answer(201, {"list": list_public(emu, participation, document)})


@route("DELETE", f"/v1/lists/(?P<key>{SEGMENT})")
def list_delete(ctx: Ctx, key: str) -> Response:
    emu = ctx.emu
    requirement = emu.requirements.get(key)
    if requirement is None or requirement.action != "agree":
        raise LegacyError(404, "Lista não encontrada")
    envelope, document = _document_for(ctx, requirement.document_id)
    participation = emu.signers[requirement.signer_id]
    if document.id in participation.signed:
        raise LegacyError(422, "Signatário já assinou e não pode ser removido")
    emu.signer_delete(envelope, participation)
    return Response.empty(204)


# ====================================================================== notifications


@route("POST", "/v1/notifications")
def notification_create(ctx: Ctx) -> Response:
    emu = ctx.emu
    try:
        payload = ctx.request.json()
    except ValueError as exc:
        raise LegacyError(400, "JSON inválido") from exc
    if not isinstance(payload, dict):
        raise LegacyError(400, "request_signature_key deve ser informado(a)")
    errors = _unknown(payload, ("request_signature_key", "message", "url"))
    key = payload.get("request_signature_key")
    if not isinstance(key, str) or not key:
        errors.append("request_signature_key não pode ficar em branco")
    message = payload.get("message")
    if message is not None and not isinstance(message, str):
        errors.append("message deve ser um texto")
    if errors or not isinstance(key, str):
        raise LegacyError(422, *errors)
    participation = emu.signers.get(key)
    envelope = emu.envelopes.get(participation.envelope_id) if participation else None
    if participation is None or envelope is None or not envelope.legacy:
        raise LegacyError(404, "Requisição de assinatura não encontrada")
    if envelope.account_key != ctx.account.key:
        raise LegacyError(404, "Requisição de assinatura não encontrada")
    document = emu.envelope_documents(envelope)[0]
    if not emu.pending(participation, document):
        raise LegacyError(422, "Não há assinatura pendente para esta requisição")
    group = emu.current_group(envelope)
    if group is not None and participation.group > group:
        raise LegacyError(
            422,
            f"O signatário pertence ao grupo {participation.legacy_group}; o grupo anterior "
            "ainda não concluiu as assinaturas",
        )
    if not emu.notification_limit_hit(ctx.account.key, NOTIFICATION_PREFIX + key):
        return Response.text(429, "Too many requests")
    emu.notify(
        envelope,
        [participation],
        message=message if message is not None else participation.legacy_message,
        subject=None,
    )
    return _answer(202, {"message": "Notificação via E-mail enviada com sucesso!"})


# ====================================================================== webhooks (v2)


def webhook_public(webhook: Any) -> dict[str, Any]:
    return {
        "id": webhook.id,
        "endpoint": webhook.endpoint,
        "status": webhook.status,
        "events": list(webhook.events),
        "secret": webhook.secret,
        "created_at": iso_z(webhook.created),
        "updated_at": iso_z(webhook.modified),
    }


def _webhook_fields(ctx: Ctx, *, creating: bool) -> dict[str, Any]:
    try:
        payload = ctx.request.json()
    except ValueError as exc:
        raise LegacyError(400, "JSON inválido") from exc
    if isinstance(payload, dict) and isinstance(payload.get("webhook"), dict):
        payload = payload["webhook"]
    if not isinstance(payload, dict):
        raise LegacyError(400, "endpoint deve ser informado(a)")
    errors = _unknown(payload, ("endpoint", "status", "events"))
    clean: dict[str, Any] = {}
    if "endpoint" in payload or creating:
        endpoint = payload.get("endpoint")
        if not isinstance(endpoint, str) or not re.match(r"^https?://[^\s/]+", endpoint or ""):
            errors.append("endpoint não é uma URL válida")
        else:
            clean["endpoint"] = endpoint
    if "events" in payload or creating:
        events = payload.get("events")
        if not isinstance(events, list) or not events:
            errors.append("events deve ser informado(a)")
        else:
            unknown = [e for e in events if e not in C.WEBHOOK_EVENTS]
            if unknown:
                errors.append(f"events inválidos: {', '.join(map(str, unknown))}")
            clean["events"] = list(events)
    status = payload.get("status", "active" if creating else None)
    if status is not None:
        if status not in C.WEBHOOK_STATUSES:
            errors.append(f"status deve estar em: {', '.join(C.WEBHOOK_STATUSES)}")
        clean["status"] = status
    if errors:
        raise LegacyError(422, *errors)
    return clean


@route("GET", "/v2/webhooks")
def webhooks_list(ctx: Ctx) -> Response:
    hooks = [w for w in ctx.emu.webhooks.values() if w.account_key == ctx.account.key]
    hooks.sort(key=lambda w: w.created)
    return _answer(200, {"webhooks": [webhook_public(w) for w in hooks]})


@route("POST", "/v2/webhooks")
def webhook_create(ctx: Ctx) -> Response:
    clean = _webhook_fields(ctx, creating=True)
    if any(
        w.account_key == ctx.account.key and w.endpoint == clean["endpoint"]
        for w in ctx.emu.webhooks.values()
    ):
        raise LegacyError(422, "endpoint já está em uso")
    webhook = ctx.emu.webhook_create(
        ctx.account, clean["endpoint"], clean["events"], clean["status"]
    )
    return _answer(201, {"webhook": webhook_public(webhook)})


def _webhook_for(ctx: Ctx, webhook_id: str) -> Any:
    webhook = ctx.emu.webhooks.get(webhook_id)
    if webhook is None or webhook.account_key != ctx.account.key:
        raise LegacyError(404, "Webhook não encontrado")
    return webhook


@route("PATCH", f"/v2/webhooks/(?P<webhook_id>{SEGMENT})")
def webhook_update(ctx: Ctx, webhook_id: str) -> Response:
    webhook = _webhook_for(ctx, webhook_id)
    clean = _webhook_fields(ctx, creating=False)
    for name, value in clean.items():
        setattr(webhook, name, value)
    webhook.modified = ctx.emu.now()
    return _answer(200, {"webhook": webhook_public(webhook)})


@route("DELETE", f"/v2/webhooks/(?P<webhook_id>{SEGMENT})")
def webhook_delete(ctx: Ctx, webhook_id: str) -> Response:
    webhook = _webhook_for(ctx, webhook_id)
    del ctx.emu.webhooks[webhook.id]
    return Response.empty(204)
