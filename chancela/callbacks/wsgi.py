"""Serve Clicksign's webhook deliveries without what a browser request needs.

A delivery needs none of sessions, authentication, messages, CSRF, locale, static files, the
security headers of an HTML page — nor Django's request object, handler and URL resolver: on
``POST /callbackclicksign…`` those cost more than the delivery itself (docs/benchmarks.md, P4).

:func:`with_lean_webhooks` answers the plain delivery — ``POST /callbackclicksign/<uuid>``,
a Host of ``ALLOWED_HOSTS``, a JSON content type, a declared length within the cap — with a
plain WSGI callable that does what the view does (:func:`views.receive`) and manages the
database connection as Django's handler does (the ``request_started`` / ``request_finished``
signals: obsolete or broken connections closed, ``CONN_MAX_AGE`` honoured). Everything else on
those paths (another method, a bad Host, another content type, a missing or oversized length,
the bare endpoint) goes to Django's own WSGI handler built with
``settings.CHANCELA_WEBHOOK_MIDDLEWARE`` (empty by default) and the receivers' URLs only, so its
answers and logs are Django's, unchanged.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core import signals
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest
from django.http.request import split_domain_port, validate_host
from django.http.response import HttpResponseBase
from django.utils.module_loading import import_string

from chancela.callbacks.receiving import callback_receive_answered

WEBHOOK_PREFIX = "/callbackclicksign"
# The path of ``callbacks/urls.py``'s ``<uuid:config_public_id>`` receivers (Django's converter).
_CONFIG_PATH = re.compile(
    r"/callbackclicksign/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/?\Z"
)

logger = logging.getLogger("django.request")  # where Django's handler logs a failed request

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class WebhookHandler(WSGIHandler):
    """Django's WSGI handler with the webhook middleware list (synchronous middleware only)."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        get_response = self._get_response  # type: ignore[attr-defined]

        def checked(request: HttpRequest) -> HttpResponseBase:
            request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware checks it elsewhere (400)
            return get_response(request)

        handler: Any = convert_exception_to_response(checked)
        for path in reversed(getattr(settings, "CHANCELA_WEBHOOK_MIDDLEWARE", [])):
            handler = convert_exception_to_response(import_string(path)(handler))
        self._middleware_chain = handler

    def get_response(self, request: HttpRequest) -> HttpResponseBase:
        request.urlconf = "chancela.callbacks.webhook_urls"  # type: ignore[attr-defined]
        return super().get_response(request)


def _host_allowed(environ: dict[str, Any]) -> bool:
    """``HttpRequest.get_host()``'s check, True only where it would pass (a request without a
    Host header is left to Django)."""
    host = ""
    if settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in environ:
        host = environ["HTTP_X_FORWARDED_HOST"]
    else:
        host = environ.get("HTTP_HOST", "")
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    domain, _ = split_domain_port(host)
    return bool(domain) and validate_host(domain, allowed)


def plain_delivery(environ: dict[str, Any]) -> tuple[uuid.UUID, int] | None:
    """(configuration, declared length) of a delivery the lean path answers; None for any other
    request (Django's handler answers those: 405, 400, 413, 415, the bare endpoint...)."""
    if environ.get("REQUEST_METHOD") != "POST":
        return None
    match = _CONFIG_PATH.match(environ.get("PATH_INFO", ""))
    if match is None:
        return None
    content_type = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        return None
    declared = environ.get("CONTENT_LENGTH", "")
    if not declared.isdigit() or int(declared) > settings.CHANCELA_CALLBACK_MAX_BODY_BYTES:
        return None
    if not _host_allowed(environ):
        return None
    return uuid.UUID(match.group(1)), int(declared)


def deliver(environ: dict[str, Any], config_public_id: uuid.UUID, length: int) -> tuple[int, str]:
    """What :func:`views.receive` does with a plain delivery: read, verify, store, answer."""
    result = callback_receive_answered(
        raw_body=environ["wsgi.input"].read(length) if length else b"",
        signature=environ.get("HTTP_CONTENT_HMAC", ""),
        config_public_id=config_public_id,
        event_header=environ.get("HTTP_EVENT", ""),
        remote_addr=environ.get("REMOTE_ADDR", ""),
    )
    return result.status, result.code


def with_lean_webhooks(application: WSGIApp) -> WSGIApp:
    """``application`` for every path but the webhook receivers (see the module's doc)."""
    webhooks = WebhookHandler()

    def route(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(WEBHOOK_PREFIX):
            return application(environ, start_response)
        delivery = plain_delivery(environ)
        if delivery is None:
            return webhooks(environ, start_response)
        signals.request_started.send(sender=WebhookHandler, environ=environ)
        try:
            status, code = deliver(environ, *delivery)
        except Exception:
            logger.exception("Internal Server Error: %s", path, extra={"status_code": 500})
            status, code = 500, "internal_error"
        finally:
            signals.request_finished.send(sender=WebhookHandler)
        body = json.dumps({"ok": 200 <= status < 300, "code": code}).encode()
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    return route
