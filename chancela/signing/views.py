"""Staff screens: "Enviar documento para assinatura" and the request's confirmation page.

Thin views: authorize, hand the form work to ``SendPage`` (forms) and the domain work to one
service, render. Requests, documents and people are loaded through selectors scoped to the
user's units, so a foreign id is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from chancela.core.storage import stored_file_stream
from chancela.institutions.selectors import units_visible_to
from chancela.signing.downloads import (
    LEGAL_VALIDITY_HEADER,
    ORIGINAL,
    SIGNED,
    document_download_name,
    legal_validity,
)
from chancela.signing.forms import MODE_STUDENT, SendPage, send_page_submit
from chancela.signing.models import SignatureRequest
from chancela.signing.selectors import (
    people_search,
    request_actions_available,
    request_page_version,
    signature_requests_visible_to,
    signers_remindable,
)

SEND = "signing.send_documents"


@login_required
@permission_required(SEND, raise_exception=True)
def request_create(request: HttpRequest) -> HttpResponse:
    page = SendPage(request)
    if request.method == "POST":
        page.stage_files()
        action = page.action()
        if action == "pick_student":
            page.pick_student()
        elif action == "add_person":
            page.add_person()
        elif action == "add_row":
            page.add_row()
        elif action in ("preview", "send"):
            created = send_page_submit(page, send=action == "send")
            if created is not None:
                messages.success(
                    request,
                    "Documento enviado para assinatura: ele está na fila de envio para a "
                    "Clicksign.",
                )
                return redirect("signing:request_detail", public_id=created.public_id)
    return render(request, "signing/request_create.html", page.context())


@login_required
@permission_required(SEND, raise_exception=True)
@require_POST
def request_preview(request: HttpRequest) -> HttpResponse:
    """The send screen's preview panel alone (an htmx fragment): who signs and how, planned by the
    same service as the full page, so the page is never reloaded while the form is filled."""
    page = SendPage(request)
    page.stage_files()
    send_page_submit(page, send=False, documents_required=False)
    return render(request, "signing/_send_preview_live.html", {**page.context(), "live": True})


@login_required
@permission_required(SEND, raise_exception=True)
def people_search_view(request: HttpRequest) -> HttpResponse:
    """The live search of the send screen (an htmx fragment)."""
    unit_id = request.GET.get("unit", "")
    unit = (
        units_visible_to(user=request.user).filter(pk=int(unit_id)).first()
        if unit_id.isdigit()
        else None
    )
    query = request.GET.get("q", "").strip()
    results = people_search(user=request.user, unit=unit, query=query) if unit and query else []
    return render(
        request,
        "signing/_people_results.html",
        {
            "results": results,
            "mode": request.GET.get("mode") or MODE_STUDENT,
            "searched": bool(query),
            "unit": unit,
        },
    )


def _request_or_404(request: HttpRequest, public_id: str) -> SignatureRequest:
    return get_object_or_404(signature_requests_visible_to(user=request.user), public_id=public_id)


@login_required
@permission_required(SEND, raise_exception=True)
def request_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    signature_request = _request_or_404(request, public_id)
    return render(
        request,
        "signing/request_detail.html",
        {
            "nav": "requests",
            "req": signature_request,
            "events": signature_request.events.select_related("actor"),
            "can": request_actions_available(signature_request),
            "remindable": signers_remindable(signature_request),
            "version": request_page_version(signature_request),
            "has_signed": any(d.signed_file for d in signature_request.documents.all()),
        },
    )


@login_required
@permission_required(SEND, raise_exception=True)
def document_download(
    request: HttpRequest, public_id: str, document_id: str, kind: str
) -> FileResponse:
    if kind not in (ORIGINAL, SIGNED):
        raise Http404("Arquivo desconhecido.")
    signature_request = _request_or_404(request, public_id)
    document = get_object_or_404(signature_request.documents.all(), public_id=document_id)
    stored = document.signed_file if kind == SIGNED else document.original_file
    if not stored:
        raise Http404("Arquivo ainda não disponível.")
    response = FileResponse(
        stored_file_stream(stored),
        as_attachment=True,
        filename=document_download_name(document, kind),
        content_type="application/pdf",
    )
    if kind == SIGNED and document.signed_sha256:
        response["X-Chancela-SHA256"] = document.signed_sha256
    if signature_request.is_sandbox:
        response[LEGAL_VALIDITY_HEADER] = legal_validity(signature_request)
    return response
