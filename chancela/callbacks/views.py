"""The webhook endpoints Clicksign calls, and the monitor screen for admins."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from chancela.callbacks.processing import callback_reprocess
from chancela.callbacks.receiving import callback_receive_answered
from chancela.callbacks.selectors import (
    MONITOR_STATES,
    callbacks_in_state,
    callbacks_visible_to,
    monitor_counts,
    rejected_callbacks_visible_to,
)
from chancela.clicksign.events import EVENT_HEADER, SIGNATURE_HEADER

MANAGE = "esign.manage_signature_config"


def _answer(status: int, code: str) -> JsonResponse:
    response = JsonResponse({"ok": 200 <= status < 300, "code": code}, status=status)
    if status == 405:
        response["Allow"] = "POST"
    if status == 503:
        # Logged once per outage (DATABASE_OUTAGE), not once per refused delivery by Django's
        # request logger (``django.utils.log.log_response`` skips a response marked logged).
        response._has_been_logged = True  # type: ignore[attr-defined]
    return response


@csrf_exempt
def receive(request: HttpRequest, config_public_id: uuid.UUID | None = None) -> HttpResponse:
    """POST only, JSON only, size-capped; never redirects. Verification and storage happen in
    :func:`callback_receive`; 2xx only once the delivery is stored."""
    if request.method != "POST":
        return _answer(405, "method_not_allowed")
    cap = settings.CHANCELA_CALLBACK_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _answer(400, "bad_content_length")
    if declared > cap:
        return _answer(413, "too_large")
    content_type = (request.content_type or "").lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        return _answer(415, "json_only")
    raw_body = request.read(cap + 1)
    if len(raw_body) > cap:
        return _answer(413, "too_large")
    result = callback_receive_answered(
        raw_body=raw_body,
        signature=request.headers.get(SIGNATURE_HEADER, ""),
        config_public_id=config_public_id,
        event_header=request.headers.get(EVENT_HEADER, ""),
        remote_addr=request.META.get("REMOTE_ADDR", ""),
    )
    return _answer(result.status, result.code)


@login_required
@permission_required(MANAGE, raise_exception=True)
def monitor(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("situacao", "verified")
    if state not in MONITOR_STATES:
        raise Http404
    counts = monitor_counts(user=request.user)
    context: dict[str, object] = {
        "nav": "callbacks",
        "tabs": [(key, label, counts[key]) for key, label in MONITOR_STATES.items()],
        "state": state,
    }
    if state == "rejected":
        context["rejected"] = rejected_callbacks_visible_to(user=request.user)[:200]
    else:
        context["callbacks"] = callbacks_in_state(user=request.user, state=state)[:200]
    return render(request, "callbacks/monitor.html", context)


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def reprocess_selected(request: HttpRequest) -> HttpResponse:
    """One action for many rows: the ticked ones (of the user's units only)."""
    state = request.POST.get("situacao", "verified")
    state = state if state in MONITOR_STATES else "verified"
    ids = [value for value in request.POST.getlist("retorno") if _is_uuid(value)]
    chosen = list(callbacks_visible_to(user=request.user).filter(public_id__in=ids))
    for callback in chosen:
        callback_reprocess(callback=callback)
    if chosen:
        messages.success(
            request,
            f"{len(chosen)} retorno(s) enviado(s) para reprocessamento."
            if len(chosen) > 1
            else "Retorno enviado para reprocessamento.",
        )
    else:
        messages.warning(request, "Marque ao menos um retorno para reprocessar.")
    return redirect(f"{reverse('callbacks:monitor')}?situacao={state}")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def reprocess(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    callback = get_object_or_404(callbacks_visible_to(user=request.user), public_id=public_id)
    callback_reprocess(callback=callback)
    messages.success(request, "Retorno enviado para reprocessamento.")
    state = request.POST.get("situacao", "verified")
    state = state if state in MONITOR_STATES else "verified"
    return redirect(f"{reverse('callbacks:monitor')}?situacao={state}")
