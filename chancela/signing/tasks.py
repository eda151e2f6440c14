"""Jobs of the signing app. Each takes ids (strings) only and calls one service."""

from __future__ import annotations

from django_tasks import task

from chancela.signing.dispatch import dispatches_sweep, signature_request_dispatch


@task()
def dispatch_signature_request(request_public_id: str) -> str:
    """Send a queued request to Clicksign (the dispatch saga, ``signature_request_dispatch``).

    Enqueued by ``signature_request_create`` in the same transaction as the request
    (transactional outbox), again by the saga itself for a retry, and by the sweeper.
    """
    return signature_request_dispatch(request_id=request_public_id)


@task()
def stop_refused_at_clicksign(request_public_id: str, attempt: int) -> str:
    """After a refusal: cancel the request's remaining documents at Clicksign (enqueued with the
    refusal's processing); re-enqueued with a backoff while Clicksign cannot be reached."""
    from datetime import timedelta

    from django.utils import timezone

    from chancela.signing.actions import signature_request_stop_after_refusal

    outcome = signature_request_stop_after_refusal(request_public_id=request_public_id)
    if outcome.retry_in is not None and attempt < 10:
        stop_refused_at_clicksign.using(
            run_after=timezone.now() + timedelta(seconds=outcome.retry_in)
        ).enqueue(request_public_id, attempt + 1)
    return outcome.state


@task()
def sweep_stalled_dispatches() -> int:
    """Periodic: re-enqueue requests whose dispatch worker died or whose job was lost."""
    return dispatches_sweep()


@task()
def apply_retention() -> int:
    """Daily: anonymise personal data past its document type's retention period."""
    from chancela.core.throttle import throttle_prune
    from chancela.signing.retention import retention_apply

    throttle_prune()
    return retention_apply().total
