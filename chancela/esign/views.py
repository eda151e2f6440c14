"""Screens of "Configuração assinatura eletrônica de documentos" and of document types.

Thin views: authorize, validate, call one service or selector, render. Objects are always loaded
through selectors scoped to the user's units, so a foreign id is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from chancela.esign.connection import (
    signature_config_register_webhook,
    signature_config_test_connection,
)
from chancela.esign.errors import ConfigurationError
from chancela.esign.forms import (
    DocumentTypeForm,
    DocumentTypeSignerForm,
    RepointForm,
    SignatureConfigForm,
    other_units_field,
)
from chancela.esign.models import DocumentType, SignatureConfig
from chancela.esign.selectors import (
    config_editable_by,
    config_other_units,
    config_reach,
    configs_visible_to,
    document_type_other_units,
    document_type_signers_visible_to,
    document_types_other_units,
    document_types_visible_to,
    promotion_draft_config_ids,
    promotion_in_progress,
    promotion_last_completed,
)
from chancela.esign.services import (
    document_type_create,
    document_type_signer_add,
    document_type_signer_remove,
    document_type_signer_set_delegate_active,
    document_type_update,
    document_types_repoint,
    signature_config_create,
    signature_config_set_active,
    signature_config_update,
)
from chancela.institutions.models import SharingType
from chancela.institutions.selectors import sharing_type_for, units_visible_to
from chancela.web.forms_util import add_domain_error

MANAGE = "esign.manage_signature_config"


def _config_or_404(request: HttpRequest, public_id: str) -> SignatureConfig:
    return get_object_or_404(configs_visible_to(user=request.user), public_id=public_id)


def _require_editable(request: HttpRequest, config: SignatureConfig) -> None:
    if not config_editable_by(user=request.user, config=config):
        raise PermissionDenied("Só usuários da unidade dona alteram esta configuração.")


def _promotion_draft_redirect(request: HttpRequest, config: SignatureConfig) -> HttpResponse | None:
    """A production draft of “Promover para produção” changes only through the wizard."""
    promotion = promotion_in_progress(target=config)
    if promotion is None:
        return None
    messages.info(
        request,
        "Esta configuração de produção está sendo criada pelo assistente “Promover para "
        "produção”: altere-a, teste-a e ative-a por ele.",
    )
    return redirect("esign:promotion_start", public_id=promotion.source.public_id)


@login_required
@permission_required(MANAGE, raise_exception=True)
def config_list(request: HttpRequest) -> HttpResponse:
    configs = configs_visible_to(user=request.user).prefetch_related("document_types")
    editable_unit_ids = set(units_visible_to(user=request.user).values_list("id", flat=True))
    return render(
        request,
        "esign/config_list.html",
        {
            "nav": "configs",
            "configs": configs,
            "editable_unit_ids": editable_unit_ids,
            "draft_ids": promotion_draft_config_ids(configs=configs),
            "sharing_label": SharingType(sharing_type_for()).label,
        },
    )


@login_required
@permission_required(MANAGE, raise_exception=True)
@sensitive_post_parameters("token", "webhook_secret")
def config_create(request: HttpRequest) -> HttpResponse:
    units = units_visible_to(user=request.user)
    form = SignatureConfigForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            config = signature_config_create(actor=request.user, **form.cleaned_data)
        except ConfigurationError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Configuração “{config.name}” criada.")
            return redirect("esign:config_detail", public_id=config.public_id)
    return render(
        request, "esign/config_form.html", {"nav": "configs", "form": form, "config": None}
    )


@login_required
@permission_required(MANAGE, raise_exception=True)
def config_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    config = _config_or_404(request, public_id)
    return render(
        request,
        "esign/config_detail.html",
        {
            "nav": "configs",
            "config": config,
            "editable": config_editable_by(user=request.user, config=config),
            "reach": config_reach(config),
            "other_units": config_other_units(config=config, user=request.user),
            "document_types": config.document_types.all(),
            "audit_entries": config.audit_entries.select_related("actor")[:50],
            "promotion": promotion_in_progress(source=config),
            "promotion_draft_of": promotion_in_progress(target=config),
            "promoted_by": promotion_last_completed(source=config),
        },
    )


@login_required
@permission_required(MANAGE, raise_exception=True)
@sensitive_post_parameters("token", "webhook_secret")
def config_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    config = _config_or_404(request, public_id)
    _require_editable(request, config)
    if (draft := _promotion_draft_redirect(request, config)) is not None:
        return draft
    form = SignatureConfigForm(
        request.POST or None, units=units_visible_to(user=request.user), instance=config
    )
    if request.method == "POST" and form.is_valid():
        try:
            signature_config_update(actor=request.user, config=config, **form.cleaned_data)
        except ConfigurationError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Alterações salvas.")
            return redirect("esign:config_detail", public_id=config.public_id)
    return render(
        request, "esign/config_form.html", {"nav": "configs", "form": form, "config": config}
    )


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def config_set_active(request: HttpRequest, public_id: str) -> HttpResponse:
    config = _config_or_404(request, public_id)
    _require_editable(request, config)
    if (draft := _promotion_draft_redirect(request, config)) is not None:
        return draft
    active = request.POST.get("active") == "1"
    try:
        signature_config_set_active(
            actor=request.user,
            config=config,
            active=active,
            editable_units=list(units_visible_to(user=request.user)),
            confirmed_other_units=[
                int(v) for v in request.POST.getlist("confirm_other_units") if v.isdigit()
            ],
        )
    except ConfigurationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, "Configuração reativada." if active else "Configuração inativada."
        )
    return redirect("esign:config_detail", public_id=config.public_id)


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def config_test_connection(request: HttpRequest, public_id: str) -> HttpResponse:
    config = _config_or_404(request, public_id)
    _require_editable(request, config)
    if (draft := _promotion_draft_redirect(request, config)) is not None:
        return draft
    check = signature_config_test_connection(actor=request.user, config=config)
    (messages.success if check.ok else messages.error)(request, check.message)
    return redirect("esign:config_detail", public_id=config.public_id)


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def config_register_webhook(request: HttpRequest, public_id: str) -> HttpResponse:
    config = _config_or_404(request, public_id)
    _require_editable(request, config)
    if (draft := _promotion_draft_redirect(request, config)) is not None:
        return draft
    try:
        registration = signature_config_register_webhook(actor=request.user, config=config)
    except ConfigurationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, registration.message)
    return redirect("esign:config_detail", public_id=config.public_id)


@login_required
@permission_required(MANAGE, raise_exception=True)
def document_type_list(request: HttpRequest) -> HttpResponse:
    document_types = document_types_visible_to(user=request.user)
    configs = configs_visible_to(user=request.user)
    form = RepointForm(request.POST or None, document_types=document_types, configs=configs)
    if request.method == "POST" and form.is_valid():
        chosen = list(form.cleaned_data["document_types"])
        try:
            count = document_types_repoint(
                actor=request.user,
                document_types=chosen,
                config=form.cleaned_data["config"],
                editable_units=list(units_visible_to(user=request.user)),
                confirmed_other_units=[
                    int(v) for v in request.POST.getlist("confirm_other_units") if v.isdigit()
                ],
            )
        except ConfigurationError as error:
            if error.code == "other_units_confirmation":
                form.fields["confirm_other_units"] = other_units_field(
                    document_types_other_units(document_types=chosen, user=request.user),
                    "conjunto de tipos de documento",
                )
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                f"{count} tipo(s) de documento passaram a usar "
                f"“{form.cleaned_data['config'].name}”. "
                "Solicitações já criadas continuam com a configuração anterior.",
            )
            return redirect("esign:document_type_list")
    return render(
        request,
        "esign/document_type_list.html",
        {"nav": "document_types", "document_types": document_types, "form": form},
    )


@login_required
@permission_required(MANAGE, raise_exception=True)
def document_type_create_view(request: HttpRequest) -> HttpResponse:
    form = DocumentTypeForm(
        request.POST or None,
        units=units_visible_to(user=request.user),
        configs=configs_visible_to(user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            document_type = document_type_create(**{**data, "units": list(data["units"])})
        except ConfigurationError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Tipo de documento “{document_type.name}” criado.")
            return redirect("esign:document_type_list")
    return render(
        request,
        "esign/document_type_form.html",
        {"nav": "document_types", "form": form, "document_type": None},
    )


@login_required
@permission_required(MANAGE, raise_exception=True)
def document_type_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    document_type = get_object_or_404(
        document_types_visible_to(user=request.user), public_id=public_id
    )
    form = DocumentTypeForm(
        request.POST or None,
        units=units_visible_to(user=request.user),
        configs=configs_visible_to(user=request.user),
        instance=document_type,
        other_units=document_type_other_units(document_type=document_type, user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        units = list(data.pop("units"))
        confirmed = [u.pk for u in data.pop("confirm_other_units", [])]
        try:
            document_type_update(
                document_type=document_type,
                units=units,
                editable_units=list(units_visible_to(user=request.user)),
                actor=request.user,
                confirmed_other_units=confirmed,
                **data,
            )
        except ConfigurationError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Tipo de documento salvo.")
            return redirect("esign:document_type_list")
    return _document_type_edit_page(request, document_type, form=form)


def _document_type_edit_page(
    request: HttpRequest,
    document_type: DocumentType,
    *,
    form: DocumentTypeForm | None = None,
    signer_form: DocumentTypeSignerForm | None = None,
) -> HttpResponse:
    """The edit page: the document type's form and its fixed signers (in the user's units)."""
    units = units_visible_to(user=request.user)
    return render(
        request,
        "esign/document_type_form.html",
        {
            "nav": "document_types",
            "form": form
            or DocumentTypeForm(
                units=units,
                configs=configs_visible_to(user=request.user),
                instance=document_type,
                other_units=document_type_other_units(
                    document_type=document_type, user=request.user
                ),
            ),
            "document_type": document_type,
            "fixed_signers": document_type_signers_visible_to(
                user=request.user, document_type=document_type
            ),
            "signer_form": signer_form
            or DocumentTypeSignerForm(units=units.filter(document_types=document_type)),
        },
    )


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def document_type_signer_add_view(request: HttpRequest, public_id: str) -> HttpResponse:
    document_type = get_object_or_404(
        document_types_visible_to(user=request.user), public_id=public_id
    )
    units = units_visible_to(user=request.user).filter(document_types=document_type)
    signer_form = DocumentTypeSignerForm(request.POST, units=units)
    if signer_form.is_valid():
        data = signer_form.cleaned_data
        try:
            fixed = document_type_signer_add(
                document_type=document_type,
                person=data["person"],
                role=data["role"],
                group=data["group"],
                delegate=data["delegate"],
            )
        except ConfigurationError as error:
            add_domain_error(signer_form, error)
        else:
            messages.success(
                request, f"{fixed.person.name} passa a assinar “{document_type.name}”."
            )
            return redirect("esign:document_type_edit", public_id=document_type.public_id)
    return _document_type_edit_page(request, document_type, signer_form=signer_form)


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def document_type_signer_change(
    request: HttpRequest, public_id: str, signer_id: str
) -> HttpResponse:
    document_type = get_object_or_404(
        document_types_visible_to(user=request.user), public_id=public_id
    )
    signer = get_object_or_404(
        document_type_signers_visible_to(user=request.user, document_type=document_type),
        public_id=signer_id,
    )
    action = request.POST.get("action")
    try:
        if action == "remove":
            document_type_signer_remove(signer=signer)
            messages.success(
                request, f"{signer.person.name} não assina mais este tipo de documento."
            )
        else:
            document_type_signer_set_delegate_active(signer=signer, active=action == "delegate_on")
            messages.success(request, "Substituição atualizada.")
    except ConfigurationError as error:
        messages.error(request, error.message)
    return redirect("esign:document_type_edit", public_id=document_type.public_id)
