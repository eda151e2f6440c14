from __future__ import annotations

from django_tasks import task

from chancela.notifications.services import outbound_event_deliver, outbound_events_retry_due


@task()
def deliver_outbound_event(event_public_id: str) -> None:
    outbound_event_deliver(event_public_id=event_public_id)


@task()
def retry_due_outbound_events() -> int:
    return outbound_events_retry_due()
