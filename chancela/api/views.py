"""Staff screens for host API keys: list, create (the key is shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from chancela.api.errors import ApiKeyError
from chancela.api.forms import ApiKeyForm
from chancela.api.selectors import api_keys_visible_to
from chancela.api.services import api_key_create, api_key_revoke
from chancela.institutions.selectors import units_visible_to
from chancela.web.forms_util import add_domain_error

MANAGE = "esign.manage_signature_config"


@login_required
@permission_required(MANAGE, raise_exception=True)
def api_key_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "api/apikey_list.html",
        {"nav": "api_keys", "api_keys": api_keys_visible_to(user=request.user)},
    )


@login_required
@permission_required(MANAGE, raise_exception=True)
@never_cache
def api_key_create_view(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None, units=units_visible_to(user=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            api_key, raw_key = api_key_create(
                name=form.cleaned_data["name"],
                units=list(form.cleaned_data["units"]),
                actor=request.user,
            )
        except ApiKeyError as error:
            add_domain_error(form, error)
        else:
            # Rendered once, never stored: no redirect (the key must not go into the session).
            return render(
                request,
                "api/apikey_created.html",
                {"nav": "api_keys", "api_key": api_key, "raw_key": raw_key},
            )
    return render(request, "api/apikey_form.html", {"nav": "api_keys", "form": form})


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def api_key_revoke_view(request: HttpRequest, public_id: str) -> HttpResponse:
    api_key = get_object_or_404(api_keys_visible_to(user=request.user), public_id=public_id)
    api_key_revoke(api_key=api_key, actor=request.user)
    messages.success(
        request,
        f"Chave “{api_key.name}” revogada: o sistema que a usava recebe 401 a partir de agora.",
    )
    return redirect("api_keys:list")
