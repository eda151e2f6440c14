"""Login throttling glue (django-axes): the client's address and the lockout audit entry."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from chancela.core.throttle import client_ip

__all__ = ["client_ip", "lockout_response"]

logger = logging.getLogger(__name__)


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
