"""The control API under ``/__emulator/`` (JSON in and out, no authentication)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import constants as C
from .clock import iso_br
from .core import AccountSpec, SigningError
from .faults import FaultSpecError
from .render import dump_envelope, notification_dump
from .validation import parse_datetime
from .wire import Request, Response

if TYPE_CHECKING:
    from .server import EmulatorServer

Handler = Callable[..., Response]
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


class ControlError(Exception):
    def __init__(self, status: int, message: str, code: str = "bad_request") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        ROUTES.append((method, re.compile("^/__emulator" + pattern + "/?$"), fn))
        return fn

    return register


def handle(server: EmulatorServer, request: Request) -> Response:
    for method, pattern, fn in ROUTES:
        found = pattern.match(request.path)
        if found and method == request.method:
            try:
                return fn(server, request, **found.groupdict())
            except ControlError as error:
                return Response.control(
                    error.status, {"error": error.code, "message": error.message}
                )
    return Response.control(404, {"error": "not_found", "message": "unknown control route"})


def _json(request: Request, *, default: Any = None) -> Any:
    if not request.body.strip():
        return {} if default is None else default
    try:
        return json.loads(request.body)
    except ValueError as exc:
        raise ControlError(400, "body is not valid JSON") from exc


def _object(request: Request) -> dict[str, Any]:
    body = _json(request)
    if not isinstance(body, dict):
        raise ControlError(400, "body must be a JSON object")
    return body


# ---------------------------------------------------------------------- general


@route("GET", "")
def index(server: EmulatorServer, request: Request) -> Response:
    return Response.control(
        200,
        {
            "base_url": server.base_url,
            "api_url": server.api_url,
            "routes": sorted(
                f"{m} /__emulator" + re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", p.pattern[12:-3])
                for m, p, _ in ROUTES
            ),
        },
    )


@route("GET", "/health")
def health(server: EmulatorServer, request: Request) -> Response:
    return Response.control(200, {"ok": True, "base_url": server.base_url})


@route("POST", "/reset")
def reset(server: EmulatorServer, request: Request) -> Response:
    body = _object(request)
    seed = body.get("seed")
    if seed is not None and not isinstance(seed, int):
        raise ControlError(400, "seed must be an integer")
    server.reset(seed=seed)
    return Response.control(200, {"ok": True})


@route("GET", "/settings")
def settings_get(server: EmulatorServer, request: Request) -> Response:
    return Response.control(200, _settings(server))


def _settings(server: EmulatorServer) -> dict[str, Any]:
    emu = server.emulator
    return {
        "signed_file_delay_seconds": emu.settings.signed_file_delay_seconds,
        "signer_ip": emu.settings.signer_ip,
        "sandbox_rate_limit": emu.sandbox_rate_limit,
        "production_rate_limit": emu.production_rate_limit,
        "rate_limit_window_seconds": emu.rate_limit_window,
        "max_file_bytes": emu.max_file_bytes,
        "max_envelope_bytes": emu.max_envelope_bytes,
        "max_page_size": emu.max_page_size,
    }


@route("POST", "/settings")
def settings_post(server: EmulatorServer, request: Request) -> Response:
    body = _object(request)
    emu = server.emulator
    numbers = {
        "signed_file_delay_seconds": float,
        "sandbox_rate_limit": int,
        "production_rate_limit": int,
        "rate_limit_window_seconds": float,
        "max_file_bytes": int,
        "max_envelope_bytes": int,
        "max_page_size": int,
    }
    with emu.lock:
        for key, value in body.items():
            if key == "signer_ip":
                if not isinstance(value, str):
                    raise ControlError(400, "signer_ip must be a string")
                emu.settings.signer_ip = value
                continue
            if key not in numbers:
                raise ControlError(400, f"unknown setting {key}")
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ControlError(400, f"{key} must be a non-negative number")
            value = numbers[key](value)
            if key == "signed_file_delay_seconds":
                emu.settings.signed_file_delay_seconds = value
            elif key == "rate_limit_window_seconds":
                emu.rate_limit_window = value
            else:
                setattr(emu, key, value)
    return Response.control(200, _settings(server))


# ---------------------------------------------------------------------- accounts

ACCOUNT_FIELDS = {
    "token",
    "environment",
    "api_user_email",
    "plan_has_api",
    "envelopes_enabled",
    "name",
    "key",
    "rate_limit",
}


def _check_account_fields(body: dict[str, Any], *, patch: bool) -> None:
    allowed = ACCOUNT_FIELDS | ({"regenerate_token"} if patch else set())
    unknown = set(body) - allowed
    if unknown:
        raise ControlError(400, f"unknown fields: {', '.join(sorted(unknown))}")
    if "environment" in body and body["environment"] not in C.ENVIRONMENTS:
        raise ControlError(400, "environment must be 'sandbox' or 'production'")
    for flag in ("plan_has_api", "envelopes_enabled", "regenerate_token"):
        if flag in body and not isinstance(body[flag], bool):
            raise ControlError(400, f"{flag} must be a boolean")
    email = body.get("api_user_email")
    if email is not None and not isinstance(email, str):
        raise ControlError(400, "api_user_email must be a string or null")
    if "token" in body and body["token"] is not None and not isinstance(body["token"], str):
        raise ControlError(400, "token must be a string (or null to revoke)")
    limit = body.get("rate_limit")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise ControlError(400, "rate_limit must be a positive integer or null")


@route("GET", "/accounts")
def accounts_list(server: EmulatorServer, request: Request) -> Response:
    emu = server.emulator
    with emu.lock:
        return Response.control(200, [emu.account_public(a) for a in emu.accounts.values()])


@route("POST", "/accounts")
def account_create(server: EmulatorServer, request: Request) -> Response:
    body = _object(request)
    _check_account_fields(body, patch=False)
    emu = server.emulator
    with emu.lock:
        count = len(emu.accounts) + 1
        spec = AccountSpec(
            token=body.get("token"),
            environment=body.get("environment", C.SANDBOX),
            api_user_email=body.get("api_user_email", f"api{count}@emulador.local"),
            plan_has_api=body.get("plan_has_api", True),
            envelopes_enabled=body.get("envelopes_enabled", True),
            name=body.get("name") or f"Conta {count}",
            key=body.get("key"),
            rate_limit=body.get("rate_limit"),
        )
        try:
            account = emu.account_create(spec)
        except ValueError as exc:
            raise ControlError(409, str(exc), "conflict") from exc
        return Response.control(201, emu.account_public(account))


@route("GET", "/accounts/(?P<key>[^/]+)")
def account_get(server: EmulatorServer, request: Request, key: str) -> Response:
    emu = server.emulator
    with emu.lock:
        account = emu.accounts.get(key)
        if account is None:
            raise ControlError(404, "unknown account", "not_found")
        return Response.control(200, emu.account_public(account))


@route("PATCH", "/accounts/(?P<key>[^/]+)")
def account_update(server: EmulatorServer, request: Request, key: str) -> Response:
    body = _object(request)
    _check_account_fields(body, patch=True)
    if "key" in body:
        raise ControlError(400, "the account key cannot change")
    emu = server.emulator
    with emu.lock:
        account = emu.accounts.get(key)
        if account is None:
            raise ControlError(404, "unknown account", "not_found")
        if body.get("regenerate_token"):
            body["token"] = emu.new_id()
        if "token" in body and body["token"] is not None:
            other = emu.account_by_token(body["token"])
            if other is not None and other.key != account.key:
                raise ControlError(409, "token already belongs to another account", "conflict")
        for field in ACCOUNT_FIELDS - {"key"}:
            if field in body:
                setattr(account, field, body[field])
        return Response.control(200, emu.account_public(account))


# ---------------------------------------------------------------------- faults


@route("GET", "/faults")
def faults_list(server: EmulatorServer, request: Request) -> Response:
    return Response.control(200, server.faults.list())


@route("POST", "/faults")
def fault_create(server: EmulatorServer, request: Request) -> Response:
    body = _json(request)
    specs = body if isinstance(body, list) else [body]
    created = []
    for spec in specs:
        try:
            created.append(server.faults.add(spec).public())
        except FaultSpecError as exc:
            raise ControlError(400, str(exc)) from exc
    return Response.control(201, created if isinstance(body, list) else created[0])


@route("DELETE", "/faults")
def faults_clear(server: EmulatorServer, request: Request) -> Response:
    server.faults.clear()
    return Response.empty()


@route("DELETE", "/faults/(?P<fault_id>\\d+)")
def fault_delete(server: EmulatorServer, request: Request, fault_id: str) -> Response:
    if not server.faults.remove(int(fault_id)):
        raise ControlError(404, "unknown fault", "not_found")
    return Response.empty()


# ---------------------------------------------------------------------- request log


@route("GET", "/requests")
def requests_list(server: EmulatorServer, request: Request) -> Response:
    emu = server.emulator
    method = request.param("method")
    path = request.param("path")
    account_key = request.param("account_key")
    try:
        pattern = re.compile(path) if path else None
    except re.error as exc:
        raise ControlError(400, f"path is not a valid regex: {exc}") from exc
    with emu.lock:
        entries = [
            e.public()
            for e in emu.request_log
            if (not method or e.method == method.upper())
            and (pattern is None or pattern.search(e.path))
            and (not account_key or e.account_key == account_key)
        ]
    return Response.control(200, entries)


@route("DELETE", "/requests")
def requests_clear(server: EmulatorServer, request: Request) -> Response:
    emu = server.emulator
    with emu.lock:
        emu.request_log.clear()
    return Response.empty()


# ---------------------------------------------------------------------- clock


def _clock(server: EmulatorServer) -> dict[str, Any]:
    clock = server.emulator.clock
    return {
        "now": iso_br(clock.now()),
        "epoch": clock.time(),
        "offset_seconds": clock.offset,
        "frozen": clock.frozen,
    }


@route("GET", "/clock")
def clock_get(server: EmulatorServer, request: Request) -> Response:
    return Response.control(200, _clock(server))


@route("POST", "/clock")
def clock_post(server: EmulatorServer, request: Request) -> Response:
    body = _object(request)
    unknown = set(body) - {"advance_seconds", "frozen", "now"}
    if unknown:
        raise ControlError(400, f"unknown fields: {', '.join(sorted(unknown))}")
    advance = body.get("advance_seconds", 0)
    if not isinstance(advance, int | float) or isinstance(advance, bool) or advance < 0:
        raise ControlError(400, "advance_seconds must be a non-negative number")
    if "frozen" in body:
        if not isinstance(body["frozen"], bool):
            raise ControlError(400, "frozen must be a boolean")
        server.emulator.clock.freeze(body["frozen"])
    if "now" in body:
        moment = parse_datetime(body["now"])
        if moment is None or not isinstance(body["now"], str) or "T" not in body["now"]:
            raise ControlError(400, "now must be an ISO 8601 date-time")
        server.emulator.clock.set(moment.timestamp())
    server.emulator.clock.advance(float(advance))
    server.settle_time()
    return Response.control(200, _clock(server))


# ---------------------------------------------------------------------- state


@route("GET", "/envelopes")
def envelopes_dump(server: EmulatorServer, request: Request) -> Response:
    emu = server.emulator
    account_key = request.param("account_key")
    with emu.lock:
        envelopes = [
            dump_envelope(emu, e)
            for e in sorted(emu.envelopes.values(), key=lambda e: e.created)
            if not account_key or e.account_key == account_key
        ]
    return Response.control(200, envelopes)


@route("GET", "/envelopes/(?P<envelope_id>[^/]+)")
def envelope_dump(server: EmulatorServer, request: Request, envelope_id: str) -> Response:
    emu = server.emulator
    with emu.lock:
        envelope = emu.envelopes.get(envelope_id)
        if envelope is None:
            raise ControlError(404, "unknown envelope", "not_found")
        return Response.control(200, dump_envelope(emu, envelope))


@route("GET", "/legacy-signers")
def legacy_signers_dump(server: EmulatorServer, request: Request) -> Response:
    """API 1.9 account-level signers (oldest first), optionally of one account."""
    from .api_v1 import signer_public

    emu = server.emulator
    account_key = request.param("account_key")
    with emu.lock:
        signers = [
            {**signer_public(s), "account_key": s.account_key}
            for s in sorted(emu.legacy_signers.values(), key=lambda s: s.created)
            if not account_key or s.account_key == account_key
        ]
    return Response.control(200, signers)


@route("GET", "/notifications")
def notifications_list(server: EmulatorServer, request: Request) -> Response:
    emu = server.emulator
    filters = {k: request.param(k) for k in ("envelope_id", "signer_id", "kind", "account_key")}
    with emu.lock:
        items = [
            notification_dump(emu, n)
            for n in emu.notifications
            if all(not v or getattr(n, k) == v for k, v in filters.items())
        ]
    return Response.control(200, items)


# ---------------------------------------------------------------------- signing


def _signer(server: EmulatorServer, signer_id: str) -> Any:
    signer = server.emulator.signers.get(signer_id)
    if signer is None:
        raise ControlError(404, "unknown signer", "not_found")
    return signer


@route("POST", "/signers/(?P<signer_id>[^/]+)/sign")
def signer_sign(server: EmulatorServer, request: Request, signer_id: str) -> Response:
    body = _object(request)
    document_ids = body.get("document_ids")
    if document_ids is not None and (
        not isinstance(document_ids, list) or not all(isinstance(d, str) for d in document_ids)
    ):
        raise ControlError(400, "document_ids must be a list of strings")
    emu = server.emulator
    with emu.lock:
        signer = _signer(server, signer_id)
        try:
            documents = emu.sign(signer, document_ids)
        except SigningError as error:
            raise ControlError(409, error.message, error.code) from error
        envelope = emu.envelopes[signer.envelope_id]
        result = {
            "signed_document_ids": [d.id for d in documents],
            "envelope": dump_envelope(emu, envelope),
        }
    return Response.control(200, result)


@route("POST", "/signers/(?P<signer_id>[^/]+)/refuse")
def signer_refuse(server: EmulatorServer, request: Request, signer_id: str) -> Response:
    body = _object(request)
    reasons = body.get("reasons", ["Outro"])
    comment = body.get("comment")
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        raise ControlError(400, "reasons must be a list of strings")
    if comment is not None and not isinstance(comment, str):
        raise ControlError(400, "comment must be a string")
    emu = server.emulator
    with emu.lock:
        signer = _signer(server, signer_id)
        try:
            documents = emu.refuse(signer, reasons, comment)
        except SigningError as error:
            raise ControlError(409, error.message, error.code) from error
        result = {
            "refused_document_ids": [d.id for d in documents],
            "envelope": dump_envelope(emu, emu.envelopes[signer.envelope_id]),
        }
    return Response.control(200, result)


# ---------------------------------------------------------------------- webhooks


@route("GET", "/deliveries")
def deliveries_list(server: EmulatorServer, request: Request) -> Response:
    dispatcher = server.dispatcher
    event = request.param("event")
    attempts = [a.public() for a in list(dispatcher.attempts) if not event or a.event == event]
    deliveries = [
        d.public() for d in list(dispatcher.deliveries) if not event or d.event_name == event
    ]
    return Response.control(
        200,
        {
            "attempts": attempts,
            "deliveries": deliveries,
            "pending": dispatcher.pending_count(),
        },
    )


@route("DELETE", "/deliveries")
def deliveries_clear(server: EmulatorServer, request: Request) -> Response:
    server.dispatcher.clear()
    return Response.empty()


@route("POST", "/deliveries/flush")
def deliveries_flush(server: EmulatorServer, request: Request) -> Response:
    body = _object(request)
    due_only = body.get("due_only", False)
    if not isinstance(due_only, bool):
        raise ControlError(400, "due_only must be a boolean")
    attempts = server.dispatcher.flush(due_only=due_only)
    return Response.control(
        200, {"attempts": attempts, "pending": server.dispatcher.pending_count()}
    )


@route("GET", "/webhook-settings")
def webhook_settings_get(server: EmulatorServer, request: Request) -> Response:
    return Response.control(200, server.dispatcher.configure({}))


@route("POST", "/webhook-settings")
def webhook_settings_post(server: EmulatorServer, request: Request) -> Response:
    body = _object(request)
    try:
        settings = server.dispatcher.configure(body)
    except ValueError as exc:
        raise ControlError(400, str(exc)) from exc
    return Response.control(200, settings)
