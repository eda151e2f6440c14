from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from chancela.institutions.selectors import units_visible_to
from chancela.notifications.errors import NotificationError
from chancela.notifications.forms import HostEndpointForm
from chancela.notifications.selectors import host_endpoints_visible_to, outbound_events_of
from chancela.notifications.services import host_endpoint_create, host_endpoint_set_active
from chancela.web.forms_util import add_domain_error

MANAGE = "esign.manage_signature_config"


@login_required
@permission_required(MANAGE, raise_exception=True)
def endpoint_list(request: HttpRequest) -> HttpResponse:
    form = HostEndpointForm(request.POST or None, units=units_visible_to(user=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = host_endpoint_create(actor=request.user, **form.cleaned_data)
        except NotificationError as error:
            add_domain_error(form, error)
        else:
            return render(
                request,
                "notifications/endpoint_created.html",
                {"nav": "integrations", "endpoint": endpoint, "secret": secret},
            )
    endpoints = host_endpoints_visible_to(user=request.user)
    return render(
        request,
        "notifications/endpoint_list.html",
        {"nav": "integrations", "endpoints": endpoints, "form": form},
    )


@login_required
@permission_required(MANAGE, raise_exception=True)
def endpoint_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    endpoint = get_object_or_404(host_endpoints_visible_to(user=request.user), public_id=public_id)
    page = Paginator(outbound_events_of(endpoint=endpoint), 25).get_page(request.GET.get("pagina"))
    return render(
        request,
        "notifications/endpoint_detail.html",
        {"nav": "integrations", "endpoint": endpoint, "page": page},
    )


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def endpoint_set_active(request: HttpRequest, public_id: str) -> HttpResponse:
    endpoint = get_object_or_404(host_endpoints_visible_to(user=request.user), public_id=public_id)
    active = request.POST.get("active") == "1"
    host_endpoint_set_active(endpoint=endpoint, active=active)
    messages.success(request, "Destino reativado." if active else "Destino desativado.")
    return redirect("notifications:endpoint_detail", public_id=endpoint.public_id)
