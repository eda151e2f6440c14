"""``/api/v1/batches``: the host ERP sends a whole class at once (one request per row).

JSON in (rows with the same columns as the CSV template and each row's PDF in base64), the
batch's pre-flight result, progress and per-row outcome out. Registered on the API at the end
of ``chancela.api.api``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.decorators import decorate_view
from ninja.responses import Status

from chancela.api.lookups import document_type_or_404, unit_or_404
from chancela.api.mapping import decode_document
from chancela.api.paging import cursor_decode, keyset_page
from chancela.api.protocol import request_documents
from chancela.api.schemas import NON_BLANK, DocumentIn, NextCursor, StrictSchema, UpdatedAfter
from chancela.batches.errors import BatchError
from chancela.batches.models import Batch, BatchRow
from chancela.batches.selectors import (
    batch_counts,
    batch_rows_page,
    batches_for_api_key,
)
from chancela.batches.services import RowPdf, batch_submit, row_external_id
from chancela.core.polling import changed_since

router = Router(tags=["batches"])

MAX_API_ROWS = 500


def _text(description: str = "", max_length: int = 300) -> Any:
    return Field("", max_length=max_length, description=description)


class BatchRowIn(StrictSchema):
    student_code: str = Field(..., max_length=40, examples=["2027001"])
    student_name: str = _text()
    student_email: str = _text()
    student_cpf: str = _text("11 dígitos, com ou sem pontuação; opcional")
    student_birth_date: str = _text("dd/mm/aaaa ou aaaa-mm-dd: decide quem assina")
    student_phone: str = _text()
    emancipated: str = _text("sim/não (vazio = não)")
    guardian_name: str = _text("responsável legal: obrigatório para menores de 18 anos")
    guardian_email: str = _text()
    guardian_cpf: str = _text()
    guardian_phone: str = _text()
    financial_name: str = _text("responsável financeiro (opcional): assina como contratante")
    financial_email: str = _text()
    financial_cpf: str = _text()
    financial_phone: str = _text()
    external_id: str = _text(
        "identificador da solicitação desta linha (único por unidade); se vazio, o Chancela "
        "usa lote-<id do lote>-<número da linha>",
        max_length=100,
    )
    document: DocumentIn


class BatchIn(StrictSchema):
    unit: str = Field(
        ..., max_length=30, pattern=NON_BLANK, description="Código da unidade", examples=["CENTRO"]
    )
    document_type: str = Field(
        ..., max_length=40, pattern=NON_BLANK, description="Código do tipo de documento"
    )
    title: str = Field(
        ..., max_length=150, pattern=NON_BLANK, examples=["Contrato de rematrícula 2027"]
    )
    message: str = Field("", max_length=3000)
    biometrics_justification: str = Field(
        "",
        max_length=1000,
        description="Por que pedir selfie ou documento oficial a alunos menores de 18 anos "
        "(LGPD arts. 11 e 14), quando o tipo de documento não traz uma justificativa.",
    )
    external_id: str = Field(
        "",
        max_length=100,
        description="Identificador do lote no sistema acadêmico, único por unidade. Reenviar o "
        "mesmo external_id com o mesmo conteúdo devolve o lote já criado (200), sem criar nem "
        "iniciar nada de novo; com outro conteúdo, 409 `external_id_conflict` com `existing_id`.",
    )
    start: bool = Field(
        True, description="Iniciar o envio logo, se nenhuma linha incluída tiver problemas."
    )
    exclude_rows_with_problems: bool = Field(
        False, description="Excluir do lote as linhas com problemas e enviar as demais."
    )
    rows: list[BatchRowIn] = Field(..., min_length=1, max_length=MAX_API_ROWS)


class ProblemOut(Schema):
    field: str
    code: str
    message: str


class BatchRowOut(Schema):
    line: int = Field(..., description="Posição da linha no lote (1 = primeira)")
    student_code: str
    external_id: str
    excluded: bool
    problems: list[ProblemOut]
    duplicate_of: int | None = Field(None, description="Linha anterior que esta repete")
    state: RowStateValue = Field(
        ..., description="pending (aguardando), created (solicitação criada), failed (falhou)"
    )
    request_id: UUID | None = None
    error: str = ""


class BatchCountsOut(Schema):
    rows: int
    included: int
    excluded: int
    with_problems: int
    created: int
    failed: int
    pending: int


BatchStatusValue = Literal["draft", "running", "done"]
RowStateValue = Literal["pending", "created", "failed"]


class BatchSummaryOut(Schema):
    id: UUID
    external_id: str
    unit: str
    document_type: str
    title: str
    status: BatchStatusValue = Field(
        ...,
        description="draft (em conferência: nada enviado), running (criando as solicitações), "
        "done (todas as linhas processadas)",
    )
    counts: BatchCountsOut
    file_notes: list[str]
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class BatchOut(BatchSummaryOut):
    rows: list[BatchRowOut]


class BatchPage(Schema):
    items: list[BatchSummaryOut]
    next_cursor: NextCursor = None


class BatchRowPage(Schema):
    items: list[BatchRowOut]
    next_cursor: NextCursor = None


def _summary_out(batch: Batch) -> dict[str, Any]:
    counts = batch_counts(batch=batch)
    return {
        "id": batch.public_id,
        "external_id": batch.external_id,
        "unit": batch.unit.code,
        "document_type": batch.document_type.code,
        "title": batch.title,
        "status": batch.status,
        "counts": {
            "rows": counts.rows,
            "included": counts.included,
            "excluded": counts.excluded,
            "with_problems": counts.with_problems,
            "created": counts.created,
            "failed": counts.failed,
            "pending": counts.pending,
        },
        "file_notes": batch.file_notes,
        "created_at": batch.created_at,
        "updated_at": batch.updated_at,
        "started_at": batch.started_at,
        "finished_at": batch.finished_at,
    }


def _row_out(batch: Batch, row: BatchRow) -> dict[str, Any]:
    return {
        "line": row.line,
        "student_code": row.data.get("student_code", ""),
        "external_id": row_external_id(batch=batch, row=row),
        "excluded": row.excluded,
        "problems": row.problems,
        "duplicate_of": row.duplicate_of,
        "state": row.state,
        "request_id": row.request.public_id if row.request else None,
        "error": row.error,
    }


def batch_out(batch: Batch) -> dict[str, Any]:
    rows = batch.rows.select_related("request").order_by("line")
    return {**_summary_out(batch), "rows": [_row_out(batch, row) for row in rows]}


def _batch_or_404(api_key: Any, batch_id: UUID) -> Batch:
    batch = batches_for_api_key(api_key=api_key).filter(public_id=batch_id).first()
    if batch is None:
        raise BatchError("batch_not_found", "Lote não encontrado nas unidades desta chave.", None)
    return batch


def _limit_body_size(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``chancela.api.api.limit_body_size``, imported when called (that module imports us)."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from chancela.api.api import limit_body_size

        return limit_body_size(run)(request, *args, **kwargs)

    return wrapper


@router.post(
    "",
    response={200: BatchOut, 201: BatchOut},
    url_name="batch_create",
    summary="Enviar um lote (uma solicitação por linha)",
    description=(
        "Cada linha traz o aluno, os responsáveis e o PDF (base64) — as mesmas colunas do modelo "
        "de planilha da tela *Envio em lote*. O Chancela confere todas as linhas antes de enviar "
        "(e-mail, CPF, nome completo, menor sem responsável, linhas repetidas, PDF) e responde "
        "201 com os problemas de cada linha. Sem problemas (ou com "
        "`exclude_rows_with_problems`), e com `start`, o lote é enviado em segundo plano "
        "(`status: running`): consulte `GET /batches/{id}`. Com problemas, o lote fica em "
        "conferência (`draft`), nada é enviado, e pode ser corrigido na tela. Cada linha vira "
        "uma solicitação com `external_id` determinístico: um lote nunca envia a mesma linha "
        f"duas vezes. Até {MAX_API_ROWS} linhas e o limite de tamanho do corpo; lotes maiores, "
        "divida-os."
    ),
)
@decorate_view(_limit_body_size)
def create_batch(request: HttpRequest, payload: BatchIn) -> Status:
    api_key = request.auth  # type: ignore[attr-defined]
    unit = unit_or_404(api_key, payload.unit)
    document_type = document_type_or_404(unit, payload.document_type)
    rows, pdfs = [], {}
    for index, row in enumerate(payload.rows):
        line = index + 1
        rows.append((line, row.model_dump(exclude={"document"})))
        document = decode_document(
            row.document,
            index,
            documents=request_documents(request),
            field=f"rows[{index}].document.content_base64",
        )
        pdfs[line] = RowPdf(document.filename, file=document.file)
    batch, created = batch_submit(
        unit=unit,
        document_type=document_type,
        title=payload.title,
        message=payload.message,
        biometrics_justification=payload.biometrics_justification,
        external_id=payload.external_id,
        rows=rows,
        row_pdfs=pdfs,
        api_key=api_key,
        start=payload.start,
        exclude_rows_with_problems=payload.exclude_rows_with_problems,
    )
    return Status(201 if created else 200, batch_out(batch))


@router.get(
    "/{batch_id}",
    response={200: BatchOut},
    url_name="batch_detail",
    summary="Consultar um lote: situação, progresso e resultado de cada linha",
)
def get_batch(request: HttpRequest, batch_id: UUID) -> dict[str, Any]:
    return batch_out(_batch_or_404(request.auth, batch_id))  # type: ignore[attr-defined]


@router.get(
    "",
    response={200: BatchPage},
    url_name="batch_list",
    summary="Listar lotes, dos menos aos mais recentemente alterados",
    description=(
        "Ordenados por `updated_at` (e id). `updated_at` muda quando a situação do lote muda e "
        "a cada linha processada, corrigida ou excluída: guarde o maior visto e pergunte de novo "
        "com `updated_after`. Sem as linhas: veja `GET /batches/{id}/rows`."
    ),
)
def list_batches(
    request: HttpRequest,
    unit: str | None = None,
    status: BatchStatusValue | None = None,
    external_id: str | None = None,
    updated_after: UpdatedAfter = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    api_key = request.auth  # type: ignore[attr-defined]
    rows = changed_since(
        batches_for_api_key(api_key=api_key),
        unit=unit_or_404(api_key, unit) if unit else None,
        status=status,
        external_id=external_id,
        updated_after=updated_after,
        after=cursor_decode(cursor) if cursor else None,
    )
    return keyset_page(rows, limit=limit, render=_summary_out)


@router.get(
    "/{batch_id}/rows",
    response={200: BatchRowPage},
    url_name="batch_rows",
    summary="As linhas de um lote, com a solicitação criada por cada uma",
    description=(
        "Em ordem de linha, páginas de até `limit`; siga `next_cursor` enquanto não for null. "
        "`request_id` é a solicitação criada pela linha (`GET /signature-requests/{id}`)."
    ),
)
def list_batch_rows(
    request: HttpRequest,
    batch_id: UUID,
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=500),
) -> dict[str, Any]:
    batch = _batch_or_404(request.auth, batch_id)  # type: ignore[attr-defined]
    after_line = 0
    if cursor:
        if not cursor.isdigit():
            raise BatchError(
                "cursor_invalid", "Cursor inválido: use o next_cursor da página anterior.", "cursor"
            )
        after_line = int(cursor)
    rows = batch_rows_page(batch=batch, after_line=after_line, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [_row_out(batch, row) for row in rows],
        "next_cursor": str(rows[-1].line) if more else None,
    }
