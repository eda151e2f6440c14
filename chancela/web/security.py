"""Staff-facing security glue: login throttling (django-axes), session limits, no-store."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils.cache import patch_cache_control

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


IDLE_KEY = "_chancela_last_seen"
STARTED_KEY = "_chancela_started"
# Record activity at most this often (every request writing the session row would be waste).
TOUCH_EVERY_SECONDS = 60


class SessionLimitsMiddleware:
    """Log a staff session out after the idle timeout or the absolute lifetime.

    htmx requests (the polling of statuses in flight, live search) do not count as activity, or
    a page left open would keep the session alive forever.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self._expired(request)
            if expired:
                return self._logged_out(request, expired)
        return self.get_response(request)

    def _expired(self, request: HttpRequest) -> str:
        now = int(time.time())
        session = request.session
        started = session.get(STARTED_KEY)
        last_seen = session.get(IDLE_KEY)
        if started is None or last_seen is None:
            session[STARTED_KEY] = started or now
            session[IDLE_KEY] = now
            return ""
        if now - int(started) > settings.CHANCELA_SESSION_MAX_HOURS * 3600:
            return "max"
        if now - int(last_seen) > settings.CHANCELA_SESSION_IDLE_MINUTES * 60:
            return "idle"
        if not request.headers.get("HX-Request") and now - int(last_seen) >= TOUCH_EVERY_SECONDS:
            session[IDLE_KEY] = now
        return ""

    def _logged_out(self, request: HttpRequest, why: str) -> HttpResponse:
        from django.contrib import messages
        from django.contrib.auth import logout
        from django.contrib.auth.views import redirect_to_login

        logout(request)
        if why == "idle":
            minutes = settings.CHANCELA_SESSION_IDLE_MINUTES
            text = f"Sua sessão foi encerrada depois de {minutes} minutos sem uso. Entre de novo."
        else:
            hours = settings.CHANCELA_SESSION_MAX_HOURS
            text = f"Sua sessão chegou ao limite de {hours} horas. Entre de novo."
        messages.info(request, text)
        logger.info("session expired", extra={"reason": why, "path": request.path})
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
            return response
        return redirect_to_login(request.get_full_path())


class NoStoreMiddleware:
    """``Cache-Control: private, no-store`` on every dynamic response (pages, downloads, API):
    nothing a person or a key may see is kept by a browser cache or a proxy. Static files are
    served before this runs, by WhiteNoise, with their own long-lived caching."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_cache_control(response, private=True, no_store=True)
        return response
