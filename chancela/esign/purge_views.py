"""“Limpeza de pessoas registradas para assinatura” — the seed's TB_PESSOA_ASSIN_ELETRONICA
clean-up as a screen, with the same selector and service as ``purge_signer_registrations``.

The filters travel by GET: showing the preview (the dry run) changes nothing. Removing is a POST
that carries the filters, an explicit confirmation and the fingerprint of the rows the preview
listed; the rows are selected again and removed only if they are still exactly those.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from chancela.esign.errors import ConfigurationError
from chancela.esign.forms import SignerRegistrationPurgeForm
from chancela.esign.models import SignerRegistration
from chancela.esign.selectors import (
    signer_registrations_fingerprint,
    signer_registrations_for_purge_by,
)
from chancela.esign.services import signer_registrations_purge
from chancela.esign.views import MANAGE
from chancela.institutions.selectors import units_visible_to
from chancela.web.forms_util import add_domain_error

FILTER_FIELDS = ("units", "unit_groups", "emails", "include_production")


@login_required
@permission_required(MANAGE, raise_exception=True)
def signer_registration_purge(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    form = SignerRegistrationPurgeForm(
        data if any(name in data for name in FILTER_FIELDS) else None,
        units=units_visible_to(user=request.user),
    )
    rows: list[SignerRegistration] | None = None
    if form.is_bound and form.is_valid():
        try:
            rows = list(signer_registrations_for_purge_by(user=request.user, **form.cleaned_data))
        except ConfigurationError as error:
            add_domain_error(form, error)
    fingerprint = signer_registrations_fingerprint(rows or [])
    filters = data.copy()
    for name in list(filters):
        if name not in FILTER_FIELDS:
            del filters[name]
    if request.method == "POST" and rows is not None:
        if request.POST.get("fingerprint") != fingerprint:
            messages.error(
                request,
                "A seleção mudou desde a simulação (registros foram criados ou removidos). "
                "Nada foi removido: confira a lista atualizada abaixo.",
            )
        elif request.POST.get("confirm") != "1":
            messages.error(request, "Marque a confirmação para remover os registros listados.")
        else:
            deleted = signer_registrations_purge(
                registrations=rows,
                actor=request.user,
                note=f"Tela de limpeza ({len(rows)} registro(s) listados na simulação).",
            )
            messages.success(
                request,
                f"{sum(deleted.values())} pessoa(s) registrada(s) para assinatura removida(s). "
                "Cada configuração afetada tem o registro no histórico de alterações.",
            )
            return redirect(f"{reverse('esign:signer_registration_purge')}?{filters.urlencode()}")
    return render(
        request,
        "esign/signer_registration_purge.html",
        {
            "nav": "configs",
            "form": form,
            "rows": rows,
            "fingerprint": fingerprint,
            "hidden_filters": [(k, v) for k, values in filters.lists() for v in values],
            "has_production": any(not row.config.is_sandbox for row in rows or []),
        },
    )
