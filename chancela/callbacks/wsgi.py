"""Serve Clicksign's webhook deliveries without the middleware a browser request needs.

A delivery needs none of sessions, authentication, messages, CSRF, locale, static files or the
security headers of an HTML page: on ``POST /callbackclicksign…`` that stack cost more than the
delivery itself (see docs/benchmarks.md, P4). :func:`with_lean_webhooks` routes those paths to
Django's own WSGI handler built with ``settings.CHANCELA_WEBHOOK_MIDDLEWARE`` (empty by default)
instead of ``MIDDLEWARE``, resolving against the receivers' URLs only; the URL resolution, the
view, the request signals (which close obsolete database connections) and the exception handling
are Django's, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.module_loading import import_string

WEBHOOK_PREFIX = "/callbackclicksign"

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


def with_lean_webhooks(application: WSGIApp) -> WSGIApp:
    """``application`` for every path but the webhook receivers (:class:`WebhookHandler`)."""
    webhooks = WebhookHandler()

    def route(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(WEBHOOK_PREFIX):
            return webhooks(environ, start_response)
        return application(environ, start_response)

    return route
