"""Jobs of the callbacks app. Each takes ids (strings) only and calls one service."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task


@task()
def process_callback(callback_id: str) -> str:
    """Apply one stored Clicksign callback (enqueued with it, in the same transaction)."""
    from chancela.callbacks.processing import callback_process

    return callback_process(callback_id=int(callback_id))


@task()
def archive_signed_file(document_public_id: str, attempt: int) -> str:
    """Fetch and store a closed document's signed PDF; re-enqueued while it is not ready."""
    from chancela.callbacks.archive import document_signed_file_archive

    outcome = document_signed_file_archive(document_public_id=document_public_id, attempt=attempt)
    if outcome.state in ("retry", "wait"):
        # Waiting for a rate-limit slot spends no attempt.
        next_attempt = attempt + 1 if outcome.state == "retry" else attempt
        archive_signed_file.using(
            run_after=timezone.now() + timedelta(seconds=outcome.retry_in)
        ).enqueue(document_public_id, next_attempt)
    return outcome.state


@task()
def retry_due_callbacks() -> int:
    from chancela.callbacks.processing import callbacks_retry_due

    return callbacks_retry_due()


@task()
def prune_callbacks() -> int:
    from chancela.callbacks.processing import callbacks_prune

    return callbacks_prune()


@task()
def reconcile_requests() -> int:
    from chancela.callbacks.reconcile import requests_reconcile

    return requests_reconcile().checked


@task()
def reconcile_request(request_public_id: str) -> int:
    """Read one request's state from Clicksign now (the dispatch gave up after activation)."""
    from chancela.callbacks.reconcile import request_reconcile

    return request_reconcile(request_public_id=request_public_id)
