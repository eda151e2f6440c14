"""Login throttling glue (django-axes): the client's address and the lockout audit entry."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """The client's address: the socket's, or — behind ``CHANCELA_PROXY_COUNT`` trusted proxies —
    the address the outermost of them saw (each proxy appends one to X-Forwarded-For, so the
    ones before it may be forged by the client)."""
    proxies = settings.CHANCELA_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """The Portuguese page of a locked-out login (on /entrar/ and /admin/login/ alike)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)


def _on_locked_out(
    sender: Any, request: HttpRequest, username: str, ip_address: str, **_: Any
) -> None:
    # django-axes keeps the attempts (admin: "Tentativas de acesso" / "Falhas de acesso"); this is
    # the security event for the log pipeline. The username is what was typed, not a secret.
    logger.warning(
        "login locked out",
        extra={
            "security_event": "login_locked_out",
            "username": (username or "")[:150],
            "remote_addr": ip_address,
            "path": request.path if request is not None else "",
        },
    )


def connect_signals() -> None:
    from axes.signals import user_locked_out

    receiver(user_locked_out, dispatch_uid="chancela.login_locked_out")(_on_locked_out)
