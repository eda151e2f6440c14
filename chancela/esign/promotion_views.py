"""Screens of “Promover para produção” (one page per step) — see ``chancela.esign.promotion``.

URLs hang on the sandbox configuration (``/configuracoes/<id>/promover/<etapa>/``): a foreign
id is a 404 (unit-scoped selector), a user of another unit the configuration reaches gets 403,
like every change of a configuration. A step whose earlier steps are not done sends the person
to the first pending one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from chancela.esign.errors import ConfigurationError
from chancela.esign.forms import (
    PromotionCredentialsForm,
    PromotionDocumentTypesForm,
    PromotionWebhookSecretForm,
)
from chancela.esign.models import ConfigPromotion, SignatureConfig
from chancela.esign.promotion import (
    STEPS,
    config_promotion_abandon,
    config_promotion_complete,
    config_promotion_credentials_update,
    config_promotion_document_types_choose,
    config_promotion_register_webhook,
    config_promotion_start,
    config_promotion_test_connection,
    config_promotion_webhook_secret_set,
    promotion_next_step,
    promotion_other_units,
    promotion_step_reachable,
    promotion_steps_done,
)
from chancela.esign.selectors import (
    config_requests_in_flight,
    promotion_document_types,
    promotion_document_types_out_of_reach,
    promotion_in_progress,
)
from chancela.esign.views import MANAGE, _config_or_404, _require_editable
from chancela.institutions.selectors import units_visible_to
from chancela.web.forms_util import add_domain_error

STEP_URLS = {
    "dados": "esign:promotion_credentials",
    "conexao": "esign:promotion_connection",
    "webhook": "esign:promotion_webhook",
    "tipos": "esign:promotion_document_types",
    "confirmar": "esign:promotion_confirm",
}


def _source(request: HttpRequest, public_id: str) -> SignatureConfig:
    source = _config_or_404(request, public_id)
    _require_editable(request, source)
    return source


def _step_url(source: SignatureConfig, step: str) -> str:
    return reverse(STEP_URLS[step], args=[source.public_id])


def _gate(
    request: HttpRequest, source: SignatureConfig, step: str
) -> tuple[ConfigPromotion | None, HttpResponse | None]:
    """The promotion in progress, or where to send the person instead of ``step``."""
    if not source.is_sandbox:
        messages.error(request, "Só uma configuração Sandbox é promovida para produção.")
        return None, redirect("esign:config_detail", public_id=source.public_id)
    promotion = promotion_in_progress(source=source)
    if step != "dados" and promotion is None:
        return None, redirect(_step_url(source, "dados"))
    if not promotion_step_reachable(promotion, step):
        pending = promotion_next_step(promotion)
        title = next(s.title for s in STEPS if s.key == pending)
        messages.info(request, f"Conclua antes a etapa “{title}”.")
        return promotion, redirect(_step_url(source, pending))
    return promotion, None


StepView = Callable[[HttpRequest, SignatureConfig, ConfigPromotion | None], HttpResponse]


def promotion_step(step: str) -> Callable[[StepView], Callable[..., HttpResponse]]:
    """A wizard page: login and permission, the sandbox configuration (404 outside the unit
    filter, 403 for users of other units), and the gate of ``step``."""

    def decorate(view: StepView) -> Callable[..., HttpResponse]:
        @login_required
        @permission_required(MANAGE, raise_exception=True)
        @wraps(view)
        def wrapper(request: HttpRequest, public_id: str) -> HttpResponse:
            source = _source(request, public_id)
            promotion, elsewhere = _gate(request, source, step)
            if elsewhere is not None:
                return elsewhere
            return view(request, source, promotion)

        return wrapper

    return decorate


def _render(
    request: HttpRequest,
    template: str,
    source: SignatureConfig,
    promotion: ConfigPromotion | None,
    step: str,
    **context: Any,
) -> HttpResponse:
    done = promotion_steps_done(promotion)
    steps = [
        {
            "key": s.key,
            "number": index,
            "title": s.title,
            "done": done[s.key],
            "current": s.key == step,
            "url": _step_url(source, s.key)
            if promotion_step_reachable(promotion, s.key) and (promotion or s.key == "dados")
            else "",
        }
        for index, s in enumerate(STEPS, start=1)
    ]
    keys = [s.key for s in STEPS]
    position = keys.index(step)
    return render(
        request,
        template,
        {
            "nav": "configs",
            "source": source,
            "promotion": promotion,
            "target": promotion.target if promotion else None,
            "steps": steps,
            "step": step,
            "previous_url": _step_url(source, keys[position - 1]) if position else "",
            "next_url": _step_url(source, keys[position + 1])
            if promotion and position + 1 < len(keys) and done[step]
            else "",
            **context,
        },
    )


@promotion_step("dados")
def promotion_start(
    request: HttpRequest, source: SignatureConfig, promotion: ConfigPromotion | None
) -> HttpResponse:
    """“Promover para produção”: resume where the promotion stopped, or begin it."""
    return redirect(_step_url(source, promotion_next_step(promotion)))


@sensitive_post_parameters("token")
@promotion_step("dados")
def promotion_credentials(
    request: HttpRequest, source: SignatureConfig, promotion: ConfigPromotion | None
) -> HttpResponse:
    target = promotion.target if promotion else None
    form = PromotionCredentialsForm(request.POST or None, source=source, target=target)
    if request.method == "POST" and form.is_valid():
        try:
            if promotion is None:
                config_promotion_start(actor=request.user, source=source, **form.cleaned_data)
            else:
                config_promotion_credentials_update(
                    actor=request.user, promotion=promotion, **form.cleaned_data
                )
        except ConfigurationError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Dados da produção guardados (configuração ainda inativa).")
            return redirect(_step_url(source, "conexao"))
    return _render(
        request,
        "esign/promotion/credentials.html",
        source,
        promotion,
        "dados",
        form=form,
        production_url=settings.CLICKSIGN_URLS["production"],
    )


@promotion_step("conexao")
def promotion_connection(
    request: HttpRequest, source: SignatureConfig, promotion: ConfigPromotion | None
) -> HttpResponse:
    assert promotion is not None  # the gate sends a person without one to step 1
    if request.method == "POST":
        try:
            check = config_promotion_test_connection(actor=request.user, promotion=promotion)
        except ConfigurationError as error:
            messages.error(request, error.message)
        else:
            (messages.success if check.ok else messages.error)(request, check.message)
        return redirect(_step_url(source, "conexao"))
    return _render(request, "esign/promotion/connection.html", source, promotion, "conexao")


@sensitive_post_parameters("webhook_secret")
@promotion_step("webhook")
def promotion_webhook(
    request: HttpRequest, source: SignatureConfig, promotion: ConfigPromotion | None
) -> HttpResponse:
    assert promotion is not None  # the gate sends a person without one to step 1
    manual = request.method == "POST" and request.POST.get("action") == "manual"
    form = PromotionWebhookSecretForm(request.POST if manual else None)
    if request.method == "POST":
        try:
            if not manual:
                registration = config_promotion_register_webhook(
                    actor=request.user, promotion=promotion
                )
                messages.success(request, registration.message)
                return redirect(_step_url(source, "webhook"))
            if form.is_valid():
                config_promotion_webhook_secret_set(
                    actor=request.user,
                    promotion=promotion,
                    webhook_secret=form.cleaned_data["webhook_secret"],
                )
                messages.success(request, "Chave de segurança do webhook guardada.")
                return redirect(_step_url(source, "webhook"))
        except ConfigurationError as error:
            if manual:
                add_domain_error(form, error)
            else:
                messages.error(request, error.message)
                return redirect(_step_url(source, "webhook"))
    return _render(request, "esign/promotion/webhook.html", source, promotion, "webhook", form=form)


@promotion_step("tipos")
def promotion_document_types_view(
    request: HttpRequest, source: SignatureConfig, promotion: ConfigPromotion | None
) -> HttpResponse:
    assert promotion is not None  # the gate sends a person without one to step 1
    document_types = promotion_document_types(user=request.user, promotion=promotion)
    chosen = (
        list(promotion.document_types.all())
        if promotion.document_types_chosen_at
        else list(document_types.filter(active=True))
    )
    form = PromotionDocumentTypesForm(
        request.POST or None, document_types=document_types, initial={"document_types": chosen}
    )
    if request.method == "POST" and form.is_valid():
        try:
            config_promotion_document_types_choose(
                actor=request.user,
                promotion=promotion,
                document_types=list(form.cleaned_data["document_types"]),
            )
        except ConfigurationError as error:
            add_domain_error(form, error)
        else:
            return redirect(_step_url(source, "confirmar"))
    return _render(
        request,
        "esign/promotion/document_types.html",
        source,
        promotion,
        "tipos",
        form=form,
        document_types=document_types,
        out_of_reach=promotion_document_types_out_of_reach(user=request.user, promotion=promotion),
    )


@promotion_step("confirmar")
def promotion_confirm(
    request: HttpRequest, source: SignatureConfig, promotion: ConfigPromotion | None
) -> HttpResponse:
    assert promotion is not None  # the gate sends a person without one to step 1
    if request.method == "POST":
        try:
            done = config_promotion_complete(
                actor=request.user,
                promotion=promotion,
                editable_units=list(units_visible_to(user=request.user)),
                confirmed_other_units=[
                    int(v) for v in request.POST.getlist("confirm_other_units") if v.isdigit()
                ],
            )
        except ConfigurationError as error:
            messages.error(request, error.message)
        else:
            assert done.target is not None
            messages.success(
                request,
                f"Promoção concluída: “{done.target.name}” está ativa em produção e "
                f"“{source.name}” foi inativada. Solicitações já enviadas pela Sandbox continuam "
                "nela, sem validade jurídica.",
            )
            return redirect("esign:config_detail", public_id=done.target.public_id)
    chosen = list(promotion.document_types.all())
    return _render(
        request,
        "esign/promotion/confirm.html",
        source,
        promotion,
        "confirmar",
        moving=[dt for dt in chosen if dt.config_id == source.pk],
        staying=promotion_document_types(user=request.user, promotion=promotion).exclude(
            pk__in=[dt.pk for dt in chosen]
        ),
        in_flight=config_requests_in_flight(config=source).count(),
        other_units=promotion_other_units(
            promotion=promotion, editable_units=list(units_visible_to(user=request.user))
        ),
    )


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def promotion_abandon(request: HttpRequest, public_id: str) -> HttpResponse:
    source = _source(request, public_id)
    promotion = promotion_in_progress(source=source)
    if promotion is None:
        messages.info(request, "Não há promoção para produção em andamento.")
    else:
        try:
            message = config_promotion_abandon(actor=request.user, promotion=promotion)
        except ConfigurationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, message)
    return redirect("esign:config_detail", public_id=source.public_id)
