"""Jobs of the batches app. Each takes ids (strings) only and calls one service."""

from __future__ import annotations

from django_tasks import task

from chancela.batches.services import batch_process, batches_resume_stalled


@task()
def run_batch(batch_public_id: str) -> None:
    """Create one signature request per included row of a running batch (resumable)."""
    batch_process(batch_id=batch_public_id)


@task()
def resume_stalled_batches() -> int:
    """Periodic: enqueue ``run_batch`` again for running batches whose worker died."""
    return batches_resume_stalled()
