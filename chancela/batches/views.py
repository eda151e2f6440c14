"""Staff screens of "Envio em lote": list, upload, pre-flight review (fix / exclude), progress.

Thin views: batches come through ``batches_visible_to`` (a foreign id is a 404), the work is
done by ``chancela.batches.services``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from chancela.batches.columns import COLUMNS, XLSX_CONTENT_TYPE, template_csv, template_xlsx
from chancela.batches.errors import BatchError
from chancela.batches.forms import BatchRowForm, BatchUploadForm
from chancela.batches.models import Batch, BatchRow, BatchStatus
from chancela.batches.selectors import batch_counts, batch_occurrences, batches_visible_to
from chancela.batches.services import (
    RowPdf,
    batch_create,
    batch_exclude_rows_with_problems,
    batch_row_exclude,
    batch_row_update,
    batch_start,
)
from chancela.batches.uploads import ZipReport, spreadsheet_rows_read, zip_pdfs_read
from chancela.core.csvexport import csv_lines
from chancela.core.errors import DomainError

SEND = "signing.send_documents"
ROWS_PER_PAGE = 100


def _batch_or_404(request: HttpRequest, public_id: str) -> Batch:
    return get_object_or_404(batches_visible_to(user=request.user), public_id=public_id)


@login_required
@permission_required(SEND, raise_exception=True)
def batch_list(request: HttpRequest) -> HttpResponse:
    batches = Paginator(batches_visible_to(user=request.user), 30).get_page(request.GET.get("p"))
    rows = [(batch, batch_counts(batch=batch)) for batch in batches]
    return render(
        request, "batches/batch_list.html", {"nav": "batches", "page": batches, "rows": rows}
    )


@login_required
@permission_required(SEND, raise_exception=True)
def template_download(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="modelo-envio-em-lote.csv"'
    return response


@login_required
@permission_required(SEND, raise_exception=True)
def template_xlsx_download(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(template_xlsx(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="modelo-envio-em-lote.xlsx"'
    return response


@login_required
@permission_required(SEND, raise_exception=True)
def batch_new(request: HttpRequest) -> HttpResponse:
    form = BatchUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        csv_file, zip_file = data["csv_file"], data["zip_file"]
        report = ZipReport(notes=[])
        try:
            rows = spreadsheet_rows_read(csv_file, name=csv_file.name, size=csv_file.size)
            batch = batch_create(
                unit=data["unit"],
                document_type=data["document_type"],
                title=data["title"],
                message=data["message"],
                biometrics_justification=data["biometrics_justification"],
                rows=rows,
                zip_pdfs=zip_pdfs_read(zip_file, size=zip_file.size, report=report),
                notes=report.notes,
                csv_filename=csv_file.name,
                zip_filename=zip_file.name,
                created_by=request.user,
            )
        except DomainError as error:
            field = error.field if error.field in form.fields else None
            form.add_error(field, error.message)
        else:
            batch.file_notes = [*batch.file_notes, *report.notes]
            Batch.objects.filter(pk=batch.pk).update(file_notes=batch.file_notes[:200])
            return redirect("batches:batch_detail", public_id=batch.public_id)
    return render(request, "batches/batch_new.html", {"nav": "batches", "form": form})


@login_required
@permission_required(SEND, raise_exception=True)
def batch_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    batch = _batch_or_404(request, public_id)
    show = request.GET.get("mostrar", "problemas")
    rows = BatchRow.objects.filter(batch=batch).order_by("line")
    if batch.status == BatchStatus.DRAFT and show == "problemas":
        rows = rows.exclude(problems=[], duplicate_of__isnull=True, excluded=False)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("p"))
    return render(
        request,
        "batches/batch_detail.html",
        {
            "nav": "batches",
            "batch": batch,
            "counts": batch_counts(batch=batch),
            "page": page,
            "show": show,
            "occurrences": batch_occurrences(batch=batch, limit=200),
        },
    )


@login_required
@permission_required(SEND, raise_exception=True)
def batch_progress(request: HttpRequest, public_id: str) -> HttpResponse:
    """The progress bar and the occurrence log (an htmx fragment polled while running)."""
    batch = _batch_or_404(request, public_id)
    return render(
        request,
        "batches/_progress.html",
        {
            "batch": batch,
            "counts": batch_counts(batch=batch),
            "occurrences": batch_occurrences(batch=batch, limit=200),
            "oob": True,  # the header's status badge follows the progress
        },
    )


@login_required
@permission_required(SEND, raise_exception=True)
def batch_occurrences_csv(request: HttpRequest, public_id: str) -> HttpResponse:
    """Every processed row (the whole occurrence log) as CSV, without CPFs."""
    batch = _batch_or_404(request, public_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="ocorrencias-lote-{batch.public_id}.csv"'
    )
    header = ["linha", "codigo_aluno", "nome_aluno", "resultado", "solicitacao", "motivo"]
    rows = (
        [
            row.line,
            row.data.get("student_code", ""),
            row.data.get("student_name", ""),
            row.get_state_display(),
            str(row.request.public_id) if row.request else "",
            row.error,
        ]
        for row in batch_occurrences(batch=batch).order_by("line")
    )
    response.writelines(csv_lines(header, rows))
    return response


def _row_or_404(batch: Batch, line: int) -> BatchRow:
    return get_object_or_404(BatchRow.objects.select_related("batch"), batch=batch, line=line)


def _back(batch: Batch, line: int | None = None) -> HttpResponse:
    url = reverse("batches:batch_detail", kwargs={"public_id": batch.public_id})
    return redirect(f"{url}#linha-{line}" if line else url)


@login_required
@permission_required(SEND, raise_exception=True)
def row_edit(request: HttpRequest, public_id: str, line: int) -> HttpResponse:
    batch = _batch_or_404(request, public_id)
    row = _row_or_404(batch, line)
    if request.method == "POST":
        form = BatchRowForm(request.POST, request.FILES)
        if form.is_valid():
            data = {key: value for key, value in form.cleaned_data.items() if key != "pdf"}
            upload = form.cleaned_data.get("pdf")
            # The upload's file (one byte over the limit kept at most) and the size sent.
            pdf = RowPdf(upload.name, file=upload) if upload else None
            try:
                row = batch_row_update(row=row, data=data, pdf=pdf)
            except BatchError as error:
                messages.error(request, error.message)
            else:
                if row.has_problems:
                    messages.warning(request, f"Linha {line} salva, mas ainda tem problemas.")
                else:
                    messages.success(request, f"Linha {line} corrigida.")
            return _back(batch, line)
    else:
        form = BatchRowForm(initial=row.data)
    template = (
        "batches/_row_form.html" if request.headers.get("HX-Request") else "batches/row_edit.html"
    )
    return render(
        request,
        template,
        {"nav": "batches", "batch": batch, "row": row, "form": form, "columns": COLUMNS},
    )


@login_required
@permission_required(SEND, raise_exception=True)
@require_POST
def row_exclude(request: HttpRequest, public_id: str, line: int) -> HttpResponse:
    batch = _batch_or_404(request, public_id)
    row = _row_or_404(batch, line)
    excluded = request.POST.get("excluir", "1") == "1"
    try:
        batch_row_exclude(row=row, excluded=excluded)
    except BatchError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, f"Linha {line} {'excluída do lote' if excluded else 'incluída de novo'}."
        )
    return _back(batch, line)


@login_required
@permission_required(SEND, raise_exception=True)
@require_POST
def batch_exclude_problems(request: HttpRequest, public_id: str) -> HttpResponse:
    batch = _batch_or_404(request, public_id)
    try:
        count = batch_exclude_rows_with_problems(batch=batch)
    except BatchError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{count} linha(s) com problemas excluída(s) do lote.")
    return _back(batch)


@login_required
@permission_required(SEND, raise_exception=True)
@require_POST
def batch_run(request: HttpRequest, public_id: str) -> HttpResponse:
    batch = _batch_or_404(request, public_id)
    try:
        batch_start(batch=batch, actor=request.user)
    except BatchError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Envio iniciado: as solicitações são criadas em segundo plano.")
    return _back(batch)
