"""Batches: create (pre-flight), fix or exclude rows, start, and the background run.

No HTTP happens here (the run only creates requests; their dispatch is the signing app's job).
Files: each row's PDF is stored under ``batches/<unit id>/<batch public id>/<line>.pdf``
outside any transaction; the rows are written in one transaction afterwards (on failure the
stored files are deleted).

Never twice: each row is created with a deterministic ``external_id`` (the row's own, or
``lote-<batch public id>-<line>``). ``signature_request_create`` is idempotent per unit and
``external_id``: a run restarted after a crash between creating a request and marking its row
gets the same request back (``created=False``) and marks the row — and two runs racing on the
same row meet the database constraint, whose loser also gets the winner's request.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Any, NamedTuple

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from chancela.batches.checks import duplicates_find, plan_context_for, row_inputs, row_problems
from chancela.batches.columns import FIELD_KEYS
from chancela.batches.errors import BatchError, BatchIdempotencyConflict
from chancela.batches.models import Batch, BatchRow, BatchStatus, RowState
from chancela.batches.uploads import ZipPdf
from chancela.core.bulk import bulk_insert
from chancela.core.errors import DomainError
from chancela.core.idempotency import content_fingerprint
from chancela.core.pdf import (
    PdfError,
    PdfInspection,
    PdfVerdict,
    pdf_check_size,
    pdf_filename_clean,
    pdf_inspect,
)
from chancela.esign.models import DocumentType
from chancela.institutions.models import Unit
from chancela.signing.errors import SigningError
from chancela.signing.inputs import DocumentInput, held_bytes
from chancela.signing.planning import signature_request_check_context
from chancela.signing.services import signature_request_create

logger = logging.getLogger(__name__)

STALLED_AFTER = timedelta(minutes=3)


def _pdf_path(*, unit_id: int, batch_public_id: Any, line: int) -> str:
    return f"batches/{unit_id}/{batch_public_id}/{line}.pdf"


def _missing_pdf(code: str) -> dict[str, str]:
    return {
        "field": "pdf",
        "code": "pdf_missing",
        "message": f"Falta o PDF: o ZIP não tem o arquivo “{code or '?'}.pdf”.",
    }


# While the rows are checked, the PDFs' verdicts are collected (and stored) every this many rows.
READY_EVERY_ROWS = 16


def _pdf_problems(error: PdfError | None) -> list[dict[str, str]]:
    return [] if error is None else [{"field": "pdf", "code": error.code, "message": error.message}]


def _store_pdf(path: str, filename: str, pdf: RowPdf) -> list[dict[str, str]]:
    """Check the PDF and store it when acceptable; return its problems (empty when stored)."""
    try:
        # The size sent first: an upload keeps only one byte over the limit, not the real size.
        pdf_check_size(pdf.size(), filename=filename, field="pdf")
        content = pdf.read()
        pdf_inspect(content, filename=filename, field="pdf")
    except PdfError as error:
        return _pdf_problems(error)
    _save_pdf(path, content)
    return []


def _save_pdf(path: str, content: bytes) -> None:
    if default_storage.exists(path):
        default_storage.delete(path)
    default_storage.save(path, ContentFile(content))


def _clean_title(title: str, message: str) -> tuple[str, str]:
    title = " ".join((title or "").split())
    if not title:
        raise BatchError(
            "title_required",
            "Informe o título (cada documento será “título — nome do aluno”).",
            "title",
        )
    if len(title) > 150:
        raise BatchError("title_too_long", "O título tem no máximo 150 caracteres.", "title")
    message = (message or "").strip()
    if len(message) > 3000:
        raise BatchError("message_too_long", "A mensagem tem no máximo 3000 caracteres.", "message")
    return title, message


def batch_check_context(*, unit: Unit, document_type: DocumentType) -> None:
    try:
        signature_request_check_context(unit=unit, document_type=document_type)
    except SigningError as error:
        raise BatchError(error.code, error.message, error.field) from error


@dataclass(frozen=True)
class RowPdf:
    """A row's PDF: its bytes, or a binary file holding them (the API's decoded document),
    read only when the row's chunk of PDFs is checked."""

    filename: str
    content: bytes = b""
    file: IO[bytes] | None = None

    def read(self) -> bytes:
        return held_bytes(self.content, self.file)

    def sha256(self) -> str:
        if self.file is None:
            return hashlib.sha256(self.content).hexdigest()
        self.file.seek(0)
        return hashlib.file_digest(self.file, "sha256").hexdigest()  # type: ignore[arg-type]

    def size(self) -> int:
        """The size sent: an upload's own (``UploadedFile.size``, even when only the first bytes
        over the limit were kept), else the bytes held."""
        if self.file is None:
            return len(self.content)
        sent = getattr(self.file, "size", None)
        return sent if isinstance(sent, int) else self.file.seek(0, 2)


class BatchCreated(NamedTuple):
    batch: Batch
    created: bool  # False: an idempotent replay of the same external_id and content


def _batch_fingerprint(
    *,
    unit: Unit,
    document_type: DocumentType,
    title: str,
    message: str,
    rows: Sequence[tuple[int, dict[str, str]]],
    row_pdfs: dict[int, RowPdf],
    biometrics_justification: str = "",
) -> str:
    """The content a host sent: what a replay of the same ``external_id`` must repeat."""
    return content_fingerprint(
        {
            "unit": unit.pk,
            "document_type": document_type.pk,
            "title": title,
            "message": message,
            # Only when given: fingerprints of batches without one stay as they were.
            **(
                {"biometrics_justification": biometrics_justification}
                if biometrics_justification
                else {}
            ),
            "rows": [[line, _clean_row(data)] for line, data in rows],
            "pdfs": {
                str(line): [pdf.filename, pdf.sha256()] for line, pdf in sorted(row_pdfs.items())
            },
        }
    )


def _batch_replay(*, unit: Unit, external_id: str, fingerprint: str) -> Batch | None:
    existing = Batch.objects.filter(unit=unit, external_id=external_id).first()
    if existing is None:
        return None
    if existing.input_fingerprint != fingerprint:
        raise BatchIdempotencyConflict(
            "external_id_conflict",
            f"O external_id “{external_id}” já foi usado nesta unidade pelo lote "
            f"{existing.public_id}, com outro conteúdo. Um reenvio precisa ser idêntico; para "
            "um lote novo, use outro external_id.",
            "external_id",
            str(existing.public_id),
        )
    return existing


def _clean_row(data: dict[str, str]) -> dict[str, str]:
    return {key: str(data.get(key) or "").strip()[:300] for key in FIELD_KEYS}


def batch_create(**arguments: Any) -> Batch:
    """``batch_create_or_replay`` for callers that never replay (the upload screen)."""
    return batch_create_or_replay(**arguments).batch


def batch_create_or_replay(
    *,
    unit: Unit,
    document_type: DocumentType,
    title: str,
    rows: Sequence[tuple[int, dict[str, str]]],
    zip_pdfs: Iterable[ZipPdf] = (),
    row_pdfs: dict[int, RowPdf] | None = None,
    message: str = "",
    biometrics_justification: str = "",
    external_id: str = "",
    csv_filename: str = "",
    zip_filename: str = "",
    notes: Sequence[str] = (),
    created_by: Any = None,
    api_key: Any = None,
) -> BatchCreated:
    """Store a batch in conference (``draft``) with every row's problems (the pre-flight).

    PDFs come either from the ZIP (``zip_pdfs``, matched to rows by student code) or per row
    (``row_pdfs``, the API). ``notes`` (and PDFs matching no row) are kept on the batch.

    Idempotent per unit and ``external_id``, exactly like requests: the same content returns
    the existing batch (``created=False``), other content is a ``BatchIdempotencyConflict``;
    concurrent identical submissions meet the database constraint and the losers get the
    winner's batch.
    """
    title, message = _clean_title(title, message)
    justification = " ".join((biometrics_justification or "").split())[:1000]
    batch_check_context(unit=unit, document_type=document_type)
    if not rows:
        raise BatchError("rows_required", "O lote não tem nenhuma linha.", "rows")
    external_id = (external_id or "").strip()[:100]
    fingerprint = ""
    if external_id:
        fingerprint = _batch_fingerprint(
            unit=unit,
            document_type=document_type,
            title=title,
            message=message,
            rows=rows,
            row_pdfs=row_pdfs or {},
            biometrics_justification=justification,
        )
        replay = _batch_replay(unit=unit, external_id=external_id, fingerprint=fingerprint)
        if replay is not None:
            return BatchCreated(replay, False)
    today = timezone.localdate()
    context = plan_context_for(unit=unit, document_type=document_type)
    batch = Batch(
        unit=unit,
        document_type=document_type,
        title=title,
        message=message,
        biometrics_justification=justification,
        external_id=external_id,
        input_fingerprint=fingerprint,
        csv_filename=(csv_filename or "")[:200],
        zip_filename=(zip_filename or "")[:200],
        created_by=created_by,
        created_by_api_key=api_key,
    )
    built: list[BatchRow] = []
    lines_by_code: dict[str, list[BatchRow]] = {}
    for line, data in rows:
        clean = _clean_row(data)
        row = BatchRow(unit=unit, line=line, data=clean)
        built.append(row)
        lines_by_code.setdefault(clean["student_code"].lower(), []).append(row)
    file_notes = list(notes)
    written: list[str] = []
    pdf_problems: dict[int, list[dict[str, str]]] = {}

    def store(verdicts: list[PdfVerdict]) -> None:
        _store_verdicts(batch, verdicts, pdf_problems, written)

    try:
        # The PDFs are judged by forked children (chancela.core.pdf.PdfInspection) while this
        # process checks the rows; an accepted PDF is stored as soon as its verdict arrives, a
        # refused one never is.
        with PdfInspection(field="pdf") as inspection:
            seen_codes: set[str] = set()
            for pdf in zip_pdfs:
                code = pdf.code.lower()
                if code in seen_codes:
                    file_notes.append(f"“{pdf.filename}” repetido no ZIP: usado o primeiro.")
                    continue
                seen_codes.add(code)
                matches = lines_by_code.get(code) if code else None
                if not matches:
                    file_notes.append(
                        f"“{pdf.filename}” não corresponde a nenhuma linha da planilha."
                    )
                    continue
                _submit(inspection, matches, pdf.filename, pdf.content)
                store(inspection.ready())
            rows_by_line = {row.line: row for row in built}
            for line, row_pdf in (row_pdfs or {}).items():
                target = rows_by_line.get(line)
                if target is not None:
                    # Read from its file only now: submit() waits for verdicts past its budget.
                    _submit(inspection, [target], row_pdf.filename, row_pdf.read())
                    store(inspection.ready())
            inspection.input_done()
            for index, row in enumerate(built):
                row.problems = row_problems(
                    row.data,
                    unit=unit,
                    document_type=document_type,
                    today=today,
                    context=context,
                    biometrics_justification=justification,
                )
                if index % READY_EVERY_ROWS == 0:
                    store(inspection.ready())
            store(inspection.finish())
        for row in built:
            if not row.pdf_filename:
                row.problems = [*row.problems, _missing_pdf(row.data["student_code"])]
            else:
                row.problems = [*row.problems, *pdf_problems.get(row.line, [])]
        duplicates = duplicates_find((row.line, row.data) for row in built)
        for row in built:
            row.duplicate_of = duplicates.get(row.line)
        batch.file_notes = file_notes[:200]
        with transaction.atomic():
            batch.save()
            for row in built:
                row.batch = batch
            bulk_insert(built)
    except IntegrityError:
        _delete_files(written)
        if external_id:
            replay = _batch_replay(unit=unit, external_id=external_id, fingerprint=fingerprint)
            if replay is not None:
                return BatchCreated(replay, False)
        raise
    except BaseException:
        _delete_files(written)
        raise
    logger.info(
        "batch created",
        extra={"batch": str(batch.public_id), "unit": unit.pk, "rows": len(built)},
    )
    return BatchCreated(batch, True)


def _submit(inspection: PdfInspection, rows: list[BatchRow], filename: str, content: bytes) -> None:
    """Send a PDF to be judged for ``rows`` (more than one when rows repeat a student code)."""
    name = pdf_filename_clean(filename)
    for row in rows:
        row.pdf_filename = name
    inspection.submit(rows, content, name)


def _store_verdicts(
    batch: Batch,
    verdicts: list[PdfVerdict],
    pdf_problems: dict[int, list[dict[str, str]]],
    written: list[str],
) -> None:
    """Store each accepted PDF for its rows; note the problem of each refused one."""
    for verdict in verdicts:
        for row in verdict.key:
            if isinstance(verdict.result, PdfError):
                pdf_problems[row.line] = _pdf_problems(verdict.result)
                continue
            path = _pdf_path(unit_id=row.unit_id, batch_public_id=batch.public_id, line=row.line)
            # A new batch's folder is empty: no existence check (a round trip per file on S3).
            row.pdf_path = default_storage.save(path, ContentFile(verdict.content))
            written.append(row.pdf_path)


def _delete_files(paths: Iterable[str]) -> None:
    for path in paths:
        try:
            default_storage.delete(path)
        except OSError:
            logger.warning("could not delete a batch file", extra={"path": path})


def batch_duplicates_refresh(*, batch: Batch) -> None:
    """Recompute which included rows repeat an earlier one (after an edit or an exclusion)."""
    rows = list(BatchRow.objects.filter(batch=batch).only("id", "line", "data", "excluded"))
    duplicates = duplicates_find((r.line, r.data) for r in rows if not r.excluded)
    changed = []
    for row in rows:
        value = None if row.excluded else duplicates.get(row.line)
        if row.duplicate_of != value:
            row.duplicate_of = value
            changed.append(row)
    BatchRow.objects.bulk_update(changed, ["duplicate_of"], batch_size=500)


def _draft_only(batch: Batch) -> None:
    if batch.status != BatchStatus.DRAFT:
        raise BatchError(
            "batch_not_draft",
            "O envio deste lote já começou: as linhas não podem mais ser alteradas.",
            None,
        )


def batch_row_update(*, row: BatchRow, data: dict[str, str], pdf: RowPdf | None = None) -> BatchRow:
    """Fix a row (its fields, and optionally its PDF) and check it again."""
    batch = row.batch
    _draft_only(batch)
    clean = {
        key: str(data.get(key, row.data.get(key, "")) or "").strip()[:300] for key in FIELD_KEYS
    }
    problems = row_problems(
        clean,
        unit=batch.unit,
        document_type=batch.document_type,
        today=timezone.localdate(),
        biometrics_justification=batch.biometrics_justification,
    )
    pdf_path, pdf_filename = row.pdf_path, row.pdf_filename
    pdf_checks = [p for p in row.problems if p["field"] == "pdf"]
    if pdf is not None:
        path = _pdf_path(unit_id=row.unit_id, batch_public_id=batch.public_id, line=row.line)
        pdf_checks = _store_pdf(path, pdf_filename_clean(pdf.filename), pdf)
        pdf_filename = pdf_filename_clean(pdf.filename)
        pdf_path = "" if pdf_checks else path
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        _draft_only(locked)
        BatchRow.objects.filter(pk=row.pk).update(
            data=clean,
            problems=problems + pdf_checks,
            pdf_path=pdf_path,
            pdf_filename=pdf_filename,
        )
        batch_duplicates_refresh(batch=batch)
        Batch.objects.filter(pk=batch.pk).update(updated_at=timezone.now())
    row.refresh_from_db()
    return row


def batch_row_exclude(*, row: BatchRow, excluded: bool) -> BatchRow:
    """Leave a row out of the batch (or put it back)."""
    batch = row.batch
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        _draft_only(locked)
        BatchRow.objects.filter(pk=row.pk).update(excluded=excluded)
        batch_duplicates_refresh(batch=batch)
        Batch.objects.filter(pk=batch.pk).update(updated_at=timezone.now())
    row.refresh_from_db()
    return row


def batch_exclude_rows_with_problems(*, batch: Batch) -> int:
    """Exclude every included row that still has a problem (or repeats another row)."""
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        _draft_only(locked)
        # Duplicates first: excluding a row may clear the duplicate mark of a later one.
        batch_duplicates_refresh(batch=batch)
        rows = BatchRow.objects.filter(batch=batch, excluded=False)
        ids = [r.pk for r in rows.only("id", "problems", "duplicate_of") if r.has_problems]
        BatchRow.objects.filter(pk__in=ids).update(excluded=True)
        batch_duplicates_refresh(batch=batch)
        Batch.objects.filter(pk=batch.pk).update(updated_at=timezone.now())
    return len(ids)


def batch_start(*, batch: Batch, actor: Any = None) -> Batch:
    """Start the run: every included row must be free of problems. Enqueues ``run_batch``."""
    from chancela.batches.tasks import run_batch

    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        _draft_only(locked)
        included = BatchRow.objects.filter(batch=locked, excluded=False)
        if not included.exists():
            raise BatchError("batch_empty", "Nenhuma linha incluída: não há o que enviar.", None)
        blocked = [
            r.line for r in included.only("line", "problems", "duplicate_of") if r.has_problems
        ]
        if blocked:
            shown = ", ".join(str(line) for line in blocked[:10])
            raise BatchError(
                "batch_has_problems",
                f"{len(blocked)} linha(s) ainda têm problemas (linhas {shown}"
                + ("…" if len(blocked) > 10 else "")
                + "): corrija ou exclua antes de enviar.",
                None,
            )
        now = timezone.now()
        Batch.objects.filter(pk=locked.pk).update(
            status=BatchStatus.RUNNING,
            started_at=now,
            started_by=actor,
            heartbeat_at=now,
            updated_at=now,
        )
        run_batch.enqueue(str(locked.public_id))
    batch.refresh_from_db()
    logger.info("batch started", extra={"batch": str(batch.public_id)})
    return batch


def row_external_id(*, batch: Batch, row: BatchRow) -> str:
    return (row.data.get("external_id") or "").strip() or f"lote-{batch.public_id}-{row.line}"


def _row_title(batch: Batch, row: BatchRow) -> str:
    name = " ".join((row.data.get("student_name") or "").split())
    return f"{batch.title} — {name}"[:200]


def _row_create(batch: Batch, row: BatchRow) -> None:
    try:
        if not row.pdf_path:
            raise BatchError("pdf_missing", "O PDF da linha não foi armazenado.", "pdf")
        try:
            with default_storage.open(row.pdf_path, "rb") as handle:
                content = handle.read()
        except FileNotFoundError:
            raise BatchError(
                "pdf_missing", "O PDF da linha não está mais armazenado.", "pdf"
            ) from None
        inputs = row_inputs(row.data)
        result = signature_request_create(
            unit=batch.unit,
            document_type=batch.document_type,
            title=_row_title(batch, row),
            documents=[DocumentInput(filename=row.pdf_filename, content=content)],
            student=inputs.student,
            guardians=inputs.guardians,
            message=batch.message,
            biometrics_justification=batch.biometrics_justification,
            external_id=row_external_id(batch=batch, row=row),
            created_by=batch.started_by or batch.created_by,
            api_key=batch.created_by_api_key,
        )
    except DomainError as error:
        BatchRow.objects.filter(pk=row.pk, state=RowState.PENDING).update(
            state=RowState.FAILED, error=error.message[:2000], processed_at=timezone.now()
        )
        logger.info(
            "batch row failed",
            extra={"batch": str(batch.public_id), "line": row.line, "code": error.code},
        )
        return
    BatchRow.objects.filter(pk=row.pk, state=RowState.PENDING).update(
        state=RowState.CREATED, request=result.request, error="", processed_at=timezone.now()
    )


def batch_process(*, batch_id: str, limit: int | None = None) -> int:
    """Create the requests of the rows not done yet, in line order; returns rows processed.

    Safe to run again at any time (after a crash, or twice at once): rows already marked are
    skipped and a row created but not yet marked is replayed by its ``external_id``.
    ``limit`` stops after that many rows (the run then stays ``running``).
    """
    batch = Batch.objects.select_related("unit", "document_type").get(public_id=batch_id)
    if batch.status != BatchStatus.RUNNING:
        return 0
    pending = list(
        BatchRow.objects.filter(batch=batch, excluded=False, state=RowState.PENDING)
        .order_by("line")
        .values_list("pk", flat=True)
    )
    processed = 0
    for row_pk in pending:
        if limit is not None and processed >= limit:
            return processed
        row = BatchRow.objects.filter(pk=row_pk, state=RowState.PENDING).first()
        if row is None:
            continue  # another run did it meanwhile
        _row_create(batch, row)
        processed += 1
        now = timezone.now()
        Batch.objects.filter(pk=batch.pk).update(heartbeat_at=now, updated_at=now)
    left = BatchRow.objects.filter(batch=batch, excluded=False, state=RowState.PENDING).exists()
    if not left:
        now = timezone.now()
        Batch.objects.filter(pk=batch.pk, status=BatchStatus.RUNNING).update(
            status=BatchStatus.DONE, finished_at=now, updated_at=now
        )
        logger.info("batch done", extra={"batch": str(batch.public_id)})
    return processed


def batches_resume_stalled(*, older_than: timedelta = STALLED_AFTER) -> int:
    """Enqueue the run again for running batches whose worker stopped (old heartbeat)."""
    from chancela.batches.tasks import run_batch

    resumed = 0
    limit = timezone.now() - older_than
    stalled = Batch.objects.filter(status=BatchStatus.RUNNING, heartbeat_at__lt=limit)
    for batch in stalled.only("pk", "public_id", "heartbeat_at"):
        with transaction.atomic():
            # Claim it (conditional update): two sweepers never both resume the same batch.
            claimed = Batch.objects.filter(
                pk=batch.pk, status=BatchStatus.RUNNING, heartbeat_at=batch.heartbeat_at
            ).update(heartbeat_at=timezone.now())
            if claimed:
                run_batch.enqueue(str(batch.public_id))
                resumed += 1
    if resumed:
        logger.warning("stalled batches resumed", extra={"count": resumed})
    return resumed


def batch_submit(
    *,
    start: bool,
    exclude_rows_with_problems: bool,
    actor: Any = None,
    **create_arguments: Any,
) -> BatchCreated:
    """The host's one-call batch: create (pre-flight), optionally drop bad rows, then start.

    The batch stays in conference (``draft``) when an included row still has problems, so the
    answer can list them and nothing is sent; a replay of the same ``external_id`` and content
    returns the batch as it is (``created=False``), without starting it again.
    """
    batch, created = batch_create_or_replay(**create_arguments)
    if not created or batch.status != BatchStatus.DRAFT:
        return BatchCreated(batch, created)
    if exclude_rows_with_problems:
        batch_exclude_rows_with_problems(batch=batch)
    if start:
        try:
            batch = batch_start(batch=batch, actor=actor)
        except BatchError as error:
            if error.code not in ("batch_has_problems", "batch_empty"):
                raise
    return BatchCreated(batch, True)
