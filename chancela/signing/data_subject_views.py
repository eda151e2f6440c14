"""The data-subject screen (LGPD art. 18): report by CPF, CSV export, anonymise the excess.

Everything goes by POST so that the CPF never lands in a URL (and so in access logs).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from chancela.signing.data_subject import (
    data_subject_anonymise,
    data_subject_report,
    data_subject_report_audit,
    data_subject_report_csv,
    legal_basis_label,
)
from chancela.signing.errors import SigningError

PERMISSION = "signing.data_subject_report"


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def data_subject(request: HttpRequest) -> HttpResponse:
    context: dict[str, object] = {"nav": "data_subject"}
    if request.method == "POST":
        typed = request.POST.get("cpf", "")
        context["typed"] = typed
        action = request.POST.get("action", "report")
        try:
            if action == "anonymise" and not request.POST.get("confirm"):
                messages.error(request, "Marque a confirmação para anonimizar.")
            elif action == "anonymise":
                counts = data_subject_anonymise(user=request.user, cpf=typed)
                messages.success(
                    request,
                    f"Anonimizados: {counts['assinaturas']} participação(ões) em solicitações "
                    f"sem assinatura, {counts['linhas_de_lote']} linha(s) de lote e "
                    f"{counts['registros_signatario']} registro(s) de signatário.",
                )
            report = data_subject_report(user=request.user, cpf=typed)
        except SigningError as error:
            context["error"] = error.message
            return render(request, "signing/data_subject.html", context, status=400)
        export = action == "csv"
        data_subject_report_audit(user=request.user, report=report, export=export)
        if export:
            response = HttpResponse(
                data_subject_report_csv(report), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = 'attachment; filename="dados-do-titular.csv"'
            return response
        context["report"] = report
        context["signers"] = [(s, legal_basis_label(s.request)) for s in report.signers]
    return render(request, "signing/data_subject.html", context)
