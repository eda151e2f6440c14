from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from chancela.esign.errors import ConfigurationError
from chancela.esign.forms import SharingPolicyForm
from chancela.esign.selectors import configs_visible_to
from chancela.esign.services import sharing_policy_set
from chancela.institutions.selectors import sharing_type_for, units_visible_to
from chancela.ops.health import readiness_check
from chancela.signing.selectors import (
    AGE_BUCKETS,
    config_health_for,
    dashboard_units_for,
    requests_needing_action_for,
)
from chancela.web.forms_util import add_domain_error


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    can_follow = user.has_perm("signing.send_documents")
    return render(
        request,
        "web/dashboard.html",
        {
            "nav": "dashboard",
            "units": units_visible_to(user=user),
            "configs": configs_visible_to(user=user).filter(active=True),
            "can_follow": can_follow,
            "unit_stats": dashboard_units_for(user=user) if can_follow else [],
            "needing_action": requests_needing_action_for(user=user) if can_follow else [],
            "health": config_health_for(user=user),
            "readiness": readiness_check(),
            "age_labels": [label for _key, label, _newer, _older in AGE_BUCKETS],
        },
    )


@login_required
def sharing_policy(request: HttpRequest) -> HttpResponse:
    if not request.user.is_superuser:
        raise PermissionDenied("Só o administrador geral define o compartilhamento.")
    form = SharingPolicyForm(request.POST or None, initial={"sharing_type": sharing_type_for()})
    if request.method == "POST" and form.is_valid():
        try:
            sharing_policy_set(actor=request.user, sharing_type=form.cleaned_data["sharing_type"])
        except ConfigurationError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Compartilhamento atualizado.")
            return redirect("web:sharing_policy")
    return render(request, "web/sharing_policy.html", {"nav": "sharing", "form": form})
