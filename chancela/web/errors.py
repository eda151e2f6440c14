"""Error pages in Portuguese in every mode.

Django's handlers (``handler403/404/500`` in ``chancela.urls``) serve the pages when DEBUG is
off; with DEBUG on (``make run``) Django shows its English technical pages instead, so
``FriendlyErrorPagesMiddleware`` puts the same Portuguese pages in front of people there too
(the traceback still goes to the log). The host API keeps its JSON errors.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import loader

logger = logging.getLogger(__name__)

TEMPLATES = {400: "400.html", 403: "403.html", 404: "404.html", 500: "500.html"}
_FRIENDLY = "_chancela_error_page"


def error_page(request: HttpRequest, status: int) -> HttpResponse:
    """The Portuguese page for ``status``; the 500 page renders without the database."""
    template = loader.get_template(TEMPLATES[status])
    if status == 500:
        body = template.render({})
    else:
        body = template.render({"status": status}, request)
    response = HttpResponse(body, status=status)
    setattr(response, _FRIENDLY, True)
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(request, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The form was open too long or cookies are blocked: say so in Portuguese."""
    template = loader.get_template("403_csrf.html")
    return HttpResponse(template.render({}, request), status=403)


def _wants_page(request: HttpRequest, response: HttpResponse) -> bool:
    if request.path.startswith("/api/") or getattr(response, _FRIENDLY, False):
        return False
    if request.headers.get("HX-Request"):
        return False
    return response.get("Content-Type", "").startswith("text/html")


class FriendlyErrorPagesMiddleware:
    """With DEBUG on, replace Django's English technical 404/500 pages with ours."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.DEBUG and response.status_code in (400, 404) and _wants_page(request, response):
            return error_page(request, response.status_code)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not settings.DEBUG or request.path.startswith("/api/"):
            return None
        from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
        from django.http import Http404

        if isinstance(exception, Http404):
            return error_page(request, 404)
        if isinstance(exception, PermissionDenied | BadRequest | SuspiciousOperation):
            return None  # Django's own handlers (ours, via chancela.urls) answer these
        logger.exception("Unhandled error on %s", request.path)
        return error_page(request, 500)
