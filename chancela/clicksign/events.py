"""Webhooks Clicksign sends to Chancela: verifying where they come from.

Clicksign signs the raw request body with the webhook's secret and sends
``Content-Hmac: sha256=<lowercase hex HMAC-SHA256(secret, raw body)>`` (reference §3.3). There is
no timestamp and no delivery id in the signed material: replays are handled by deduplication,
not here.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chancela.clicksign.types import DocumentEvent
from chancela.clicksign.wire import parse_datetime

SIGNATURE_HEADER = "Content-Hmac"
EVENT_HEADER = "Event"
_PREFIX = "sha256="


def expected_signature(raw_body: bytes, secret: str) -> str:
    """The ``Content-Hmac`` value Clicksign sends for ``raw_body`` signed with ``secret``."""
    return _PREFIX + hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()


def verify_signature(raw_body: bytes, header: str, secrets: list[str]) -> bool:
    """True when ``header`` is exactly the HMAC of the exact ``raw_body`` under one of ``secrets``.

    Verify the raw bytes before parsing them. Pass the current secret and, during the grace
    period after a rotation, the previous one. Clicksign sends ``sha256=`` and lowercase hex;
    anything else (uppercase hex, another prefix) is not what Clicksign sends and is refused
    (surrounding spaces are tolerated). Every secret is compared, in constant time, so the
    answer takes as long whichever secret (if any) matches.
    """
    received = (header or "").strip().encode("utf-8", "replace")
    if not received.startswith(_PREFIX.encode()):
        return False
    matched = False
    for secret in secrets:
        if not secret:
            continue
        expected = expected_signature(raw_body, secret).encode("ascii")
        matched |= hmac.compare_digest(expected, received)
    return matched


# ---------------------------------------------------------------------- delivery bodies


class WebhookPayloadError(ValueError):
    """The body is not a Clicksign webhook delivery we can read."""


@dataclass(frozen=True)
class WebhookPayload:
    """One webhook delivery, in Chancela's terms (reference §3.4).

    ``event`` is the triggering event; ``history`` is the document's whole history as Clicksign
    sent it (the triggering event included), oldest first. ``document_key`` is the v3 document id
    (the envelope id appears nowhere). ``data`` of every event may hold personal data: never log.
    """

    event: DocumentEvent
    document_key: str
    account_key: str
    document_status: str
    metadata: dict[str, Any] = field(repr=False)
    history: list[DocumentEvent] = field(repr=False)


def _event(raw: Any, document_key: str) -> DocumentEvent | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        return None
    data = raw.get("data")
    return DocumentEvent(
        id="",
        name=raw["name"],
        data=data if isinstance(data, dict) else {},
        created=parse_datetime(raw.get("occurred_at")),
        document_id=document_key or None,
    )


def webhook_account_key(body: Any) -> str:
    """The account key of a decoded body (``document.account_key`` or the event's account)."""
    if not isinstance(body, dict):
        return ""
    document = body.get("document")
    if isinstance(document, dict) and document.get("account_key"):
        return str(document["account_key"])
    event = body.get("event")
    data = event.get("data") if isinstance(event, dict) else None
    account = data.get("account") if isinstance(data, dict) else None
    return str(account.get("key") or "") if isinstance(account, dict) else ""


def webhook_document_key(body: Any) -> str:
    document = body.get("document") if isinstance(body, dict) else None
    return str(document.get("key") or "") if isinstance(document, dict) else ""


def webhook_parse(body: Any, *, history: bool = True) -> WebhookPayload:
    """Read a decoded delivery body (``json.loads`` of the verified raw bytes). ``history=False``
    leaves the document's history out (empty): what receiving a delivery needs is its own event;
    the history is read again from the stored body when the delivery is processed."""
    if not isinstance(body, dict):
        raise WebhookPayloadError("body is not a JSON object")
    document = body.get("document")
    document = document if isinstance(document, dict) else {}
    document_key = str(document.get("key") or "")
    event = _event(body.get("event"), document_key)
    if event is None:
        raise WebhookPayloadError("body has no event name")
    raw_items = document.get("events") if history else None
    items: list[Any] = raw_items if isinstance(raw_items, list) else []
    # Clicksign lists the triggering event first, then the older ones (newest first): reverse,
    # then a stable sort by time puts the history oldest first.
    events = [e for e in (_event(item, document_key) for item in reversed(items)) if e]
    events.sort(key=lambda e: (e.created is None, e.created or datetime.min.replace(tzinfo=UTC)))
    metadata = document.get("metadata")
    return WebhookPayload(
        event=event,
        document_key=document_key,
        account_key=webhook_account_key(body),
        document_status=str(document.get("status") or ""),
        metadata=metadata if isinstance(metadata, dict) else {},
        history=events,
    )


def event_signer_key(event: DocumentEvent) -> str:
    """The signer an event is about (``data.signer.key``, or the first of ``data.signers``)."""
    data = event.data if isinstance(event.data, dict) else {}
    signer = data.get("signer")
    if isinstance(signer, dict):
        return str(signer.get("key") or "")
    signers = data.get("signers")
    if isinstance(signers, list) and signers and isinstance(signers[0], dict):
        return str(signers[0].get("key") or "")
    return ""


def event_dedupe_key(event: DocumentEvent, document_key: str) -> str:
    """``name|document|signer|occurred_at`` (UTC, milliseconds): the same event, whatever body
    or API answer carried it (root ``-03:00`` and history ``Z`` times compare equal)."""
    when = ""
    if event.created is not None:
        when = event.created.astimezone(UTC).isoformat(timespec="milliseconds")
    return "|".join((event.name, document_key, event_signer_key(event), when))
