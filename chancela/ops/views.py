"""Operations endpoints for load balancers and monitoring: `/healthz`, `/readyz`, `/metrics`."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from chancela.ops.health import readiness_check
from chancela.ops.metrics import metrics_registry


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and answers HTTP (no database access)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Chancela can do its job: 200, otherwise 503 with what is wrong."""
    readiness = readiness_check()
    return JsonResponse(readiness.as_json(), status=200 if readiness.ok else 503)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for a scraper holding ``CHANCELA_METRICS_TOKEN`` (absent: 404)."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    token = settings.CHANCELA_METRICS_TOKEN
    if not token:
        raise Http404
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        response = HttpResponse("unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = "Bearer"
        return response
    return HttpResponse(generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST)
