"""Operations endpoints for load balancers and monitoring: `/healthz`, `/readyz`, `/metrics`."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from chancela.ops.health import readiness_check


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
