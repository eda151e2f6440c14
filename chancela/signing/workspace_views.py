"""The secretaria's workspace: "Documentos em assinatura" (list, CSV, live rows) and the actions
of the request page (remind, cancel, retry, correct a contact, send again, ZIP of the files).

Thin views: every request is loaded through a selector scoped to the user's units (a foreign id
is a 404), one service does the work, the outcome is a Portuguese message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from chancela.signing import actions
from chancela.signing.downloads import (
    ORIGINAL,
    SIGNED,
    legal_validity,
    request_zip_build,
    request_zip_name,
)
from chancela.signing.errors import SigningError
from chancela.signing.exports import signature_requests_csv
from chancela.signing.filters import FILTER_FIELDS, request_filter_form
from chancela.signing.models import RequestStatus, SignatureRequest
from chancela.signing.selectors import (
    IN_FLIGHT_STATUSES,
    request_page_version,
    signature_request_status_counts,
    signature_requests_listed_for,
    signature_requests_visible_to,
)

SEND = "signing.send_documents"
PAGE_SIZE = 25


def _request_or_404(request: HttpRequest, public_id: str) -> SignatureRequest:
    return get_object_or_404(signature_requests_visible_to(user=request.user), public_id=public_id)


def _query_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


@login_required
@permission_required(SEND, raise_exception=True)
def request_list(request: HttpRequest) -> HttpResponse:
    form = request_filter_form(params=request.GET, user=request.user)
    filters = form.filters()
    rows = signature_requests_listed_for(user=request.user, filters=filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("pagina"))
    counts = signature_request_status_counts(user=request.user, filters=filters)
    status_chips = [
        {"value": str(status), "label": status.label, "count": counts[str(status)]}
        for status in RequestStatus
    ]
    return render(
        request,
        "signing/request_list.html",
        {
            "nav": "requests",
            "form": form,
            "page": page,
            "status_chips": status_chips,
            "total": sum(counts.values()),
            "current_status": filters.status,
            "query_without_status": _query_without(request, "situacao", "pagina"),
            "query_without_page": _query_without(request, "pagina"),
            "in_flight": [str(s) for s in IN_FLIGHT_STATUSES],
            "has_filters": any(request.GET.get(name) for name in FILTER_FIELDS),
        },
    )


@login_required
@permission_required(SEND, raise_exception=True)
def request_list_csv(request: HttpRequest) -> StreamingHttpResponse:
    form = request_filter_form(params=request.GET, user=request.user)
    rows = signature_requests_listed_for(user=request.user, filters=form.filters())
    response = StreamingHttpResponse(
        signature_requests_csv(rows), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="documentos-em-assinatura-{stamp}.csv"'
    return response


@login_required
@permission_required(SEND, raise_exception=True)
def request_row(request: HttpRequest, public_id: str) -> HttpResponse:
    """One row of the list (htmx polls the rows still in flight; a finished row stops)."""
    signature_request = _request_or_404(request, public_id)
    return render(
        request,
        "signing/_request_row.html",
        {"req": signature_request, "in_flight": [str(s) for s in IN_FLIGHT_STATUSES]},
    )


@login_required
@permission_required(SEND, raise_exception=True)
def request_version(request: HttpRequest, public_id: str) -> HttpResponse:
    """Polled by the request page (htmx) while the request is in flight: 204 while nothing
    changed, otherwise ``HX-Refresh`` so the page reloads with the news."""
    signature_request = _request_or_404(request, public_id)
    if request_page_version(signature_request) == request.GET.get("v", ""):
        return HttpResponse(status=204)
    response = HttpResponse(status=200)
    response["HX-Refresh"] = "true"
    return response


@login_required
@permission_required(SEND, raise_exception=True)
def request_files_zip(request: HttpRequest, public_id: str) -> HttpResponse:
    """Originals and signed PDFs of a request in one ZIP (``?tipo=original|assinado``)."""
    signature_request = _request_or_404(request, public_id)
    kind = request.GET.get("tipo", "")
    kinds = (kind,) if kind in (ORIGINAL, SIGNED) else (ORIGINAL, SIGNED)
    if kinds == (SIGNED,) and not any(d.signed_file for d in signature_request.documents.all()):
        raise Http404("Nenhum PDF assinado arquivado ainda.")
    response = HttpResponse(
        request_zip_build(signature_request, kinds=kinds), content_type="application/zip"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{request_zip_name(signature_request)}"'
    )
    if signature_request.is_sandbox:
        response["X-Chancela-Legal-Validity"] = legal_validity(signature_request)
    return response


# ---------------------------------------------------------------------- actions (POST)


def _actor(request: HttpRequest) -> actions.Actor:
    return actions.Actor(user=request.user)


def _back(signature_request: SignatureRequest) -> HttpResponse:
    return redirect("signing:request_detail", public_id=signature_request.public_id)


@require_POST
@login_required
@permission_required(SEND, raise_exception=True)
def request_remind(request: HttpRequest, public_id: str) -> HttpResponse:
    signature_request = _request_or_404(request, public_id)
    signer_id = request.POST.get("signer", "")
    signer = None
    if signer_id:
        signer = get_object_or_404(signature_request.signers.all(), public_id=signer_id)
    try:
        done = actions.signature_request_remind(
            request=signature_request, signer=signer, actor=_actor(request)
        )
    except SigningError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return _back(signature_request)


@require_POST
@login_required
@permission_required(SEND, raise_exception=True)
def request_cancel(request: HttpRequest, public_id: str) -> HttpResponse:
    signature_request = _request_or_404(request, public_id)
    try:
        actions.signature_request_cancel(
            request=signature_request,
            reason=request.POST.get("reason", ""),
            actor=_actor(request),
        )
    except SigningError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Solicitação cancelada.")
    return _back(signature_request)


@require_POST
@login_required
@permission_required(SEND, raise_exception=True)
def request_retry(request: HttpRequest, public_id: str) -> HttpResponse:
    signature_request = _request_or_404(request, public_id)
    try:
        actions.signature_request_retry(request=signature_request, actor=_actor(request))
    except SigningError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "A solicitação voltou para a fila de envio.")
    return _back(signature_request)


@require_POST
@login_required
@permission_required(SEND, raise_exception=True)
def request_copy(request: HttpRequest, public_id: str) -> HttpResponse:
    signature_request = _request_or_404(request, public_id)
    try:
        new = actions.signature_request_copy(request=signature_request, actor=_actor(request))
    except SigningError as error:
        messages.error(request, f"Não foi possível enviar de novo: {error.message}")
        return _back(signature_request)
    messages.success(request, "Nova solicitação criada com os mesmos documentos e signatários.")
    return _back(new)


@require_POST
@login_required
@permission_required(SEND, raise_exception=True)
def signer_correct(request: HttpRequest, public_id: str, signer_id: str) -> HttpResponse:
    signature_request = _request_or_404(request, public_id)
    signer = get_object_or_404(signature_request.signers.all(), public_id=signer_id)
    try:
        outcome = actions.signer_contact_correct(
            request=signature_request,
            signer=signer,
            email=request.POST.get("email", ""),
            phone=request.POST.get("phone", ""),
            actor=_actor(request),
        )
    except SigningError as error:
        messages.error(request, error.message)
        return _back(signature_request)
    if outcome.replaced:
        messages.success(
            request,
            "A Clicksign não permite alterar um signatário depois do envio: a solicitação "
            "anterior foi encerrada e esta nova foi criada com a correção.",
        )
    else:
        messages.success(request, "Contato do signatário corrigido.")
    return _back(outcome.request)
