"""Reading Clicksign's JSON:API documents into Chancela's values (and errors). Internal."""

from __future__ import annotations

import email.utils
import json
import re
from datetime import date, datetime
from typing import Any

import httpx

from chancela.clicksign.errors import ApiErrorItem
from chancela.clicksign.types import (
    CommunicateEvents,
    Document,
    DocumentEvent,
    DocumentFiles,
    Envelope,
    Notification,
    NotificationResult,
    Requirement,
    Signer,
    Webhook,
)


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 with any offset (``-03:00``, ``Z``); None when absent or unreadable."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def parse_date(value: Any) -> date | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def format_datetime(value: datetime) -> str:
    """RFC 3339 with milliseconds, as Clicksign writes it."""
    if value.tzinfo is None:
        raise ValueError("Clicksign needs timezone-aware datetimes")
    return value.isoformat(timespec="milliseconds")


def _attrs(resource: dict[str, Any]) -> dict[str, Any]:
    attributes = resource.get("attributes")
    return attributes if isinstance(attributes, dict) else {}


def _rel_id(resource: dict[str, Any], name: str) -> str | None:
    rel = (resource.get("relationships") or {}).get(name) or {}
    data = rel.get("data") if isinstance(rel, dict) else None
    if isinstance(data, dict) and data.get("id"):
        return str(data["id"])
    return None


def _int_or_none(value: Any) -> int | None:
    if value is None or value == "" or value == "null":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def envelope_from(resource: dict[str, Any]) -> Envelope:
    a = _attrs(resource)
    return Envelope(
        id=str(resource["id"]),
        name=str(a.get("name") or ""),
        status=str(a.get("status") or ""),
        locale=str(a.get("locale") or ""),
        auto_close=bool(a.get("auto_close")),
        remind_interval=_int_or_none(a.get("remind_interval")),
        block_after_refusal=bool(a.get("block_after_refusal")),
        deadline_at=parse_datetime(a.get("deadline_at")),
        default_subject=a.get("default_subject"),
        default_message=a.get("default_message"),
        deadline_partial_signature_action=a.get("deadline_partial_signature_action"),
        created=parse_datetime(a.get("created")),
        modified=parse_datetime(a.get("modified")),
    )


def document_from(resource: dict[str, Any], envelope_id: str) -> Document:
    a = _attrs(resource)
    files = (resource.get("links") or {}).get("files") or {}
    metadata = a.get("metadata")
    return Document(
        id=str(resource["id"]),
        envelope_id=envelope_id,
        filename=str(a.get("filename") or ""),
        status=str(a.get("status") or ""),
        metadata=metadata if isinstance(metadata, dict) else {},
        files=DocumentFiles(
            original=files.get("original") or None,
            signed=files.get("signed") or None,
            ziped=files.get("ziped") or None,
        ),
        created=parse_datetime(a.get("created")),
        modified=parse_datetime(a.get("modified")),
    )


def signer_from(resource: dict[str, Any], envelope_id: str) -> Signer:
    a = _attrs(resource)
    events = a.get("communicate_events") or {}
    return Signer(
        id=str(resource["id"]),
        envelope_id=envelope_id,
        name=str(a.get("name") or ""),
        email=a.get("email"),
        phone_number=a.get("phone_number"),
        birthday=parse_date(a.get("birthday")),
        has_documentation=bool(a.get("has_documentation")),
        documentation=a.get("documentation"),
        refusable=bool(a.get("refusable")),
        group=_int_or_none(a.get("group")) or 1,
        location_required_enabled=bool(a.get("location_required_enabled")),
        communicate_events=CommunicateEvents(
            signature_request=str(events.get("signature_request") or "email"),
            signature_reminder=str(events.get("signature_reminder") or "email"),
            document_signed=str(events.get("document_signed") or "email"),
        ),
        created=parse_datetime(a.get("created")),
        modified=parse_datetime(a.get("modified")),
    )


def requirement_from(resource: dict[str, Any], envelope_id: str) -> Requirement:
    a = _attrs(resource)
    pages = a.get("pages") if a.get("pages") is not None else a.get("rubric_pages")
    return Requirement(
        id=str(resource["id"]),
        envelope_id=envelope_id,
        action=str(a.get("action") or ""),
        role=a.get("role"),
        auth=a.get("auth"),
        pages=str(pages) if pages is not None else None,
        document_id=_rel_id(resource, "document"),
        signer_id=_rel_id(resource, "signer"),
        created=parse_datetime(a.get("created")),
    )


def notification_from(resource: dict[str, Any]) -> Notification:
    a = _attrs(resource)
    summary = [
        NotificationResult(
            signer_id=str(item.get("signer_id")), notified=bool(item.get("notified"))
        )
        for item in (a.get("summary") or [])
        if isinstance(item, dict)
    ]
    return Notification(
        id=str(resource.get("id") or ""),
        message=a.get("message"),
        summary=summary,
        created=parse_datetime(a.get("created")),
    )


def event_from(resource: dict[str, Any]) -> DocumentEvent:
    a = _attrs(resource)
    data = a.get("data")
    return DocumentEvent(
        id=str(resource.get("id") or ""),
        name=str(a.get("name") or ""),
        data=data if isinstance(data, dict) else {},
        created=parse_datetime(a.get("created")),
        document_id=_rel_id(resource, "document"),
    )


def webhook_from(resource: dict[str, Any]) -> Webhook:
    a = _attrs(resource)
    return Webhook(
        id=str(resource["id"]),
        endpoint=str(a.get("endpoint") or ""),
        events=[str(e) for e in (a.get("events") or [])],
        status=str(a.get("status") or ""),
        secret=str(a.get("secret") or ""),
        created=parse_datetime(a.get("created")),
    )


# ---------------------------------------------------------------------- errors


def _field_from(source: Any) -> tuple[str, str]:
    if not isinstance(source, dict):
        return "", ""
    pointer = source.get("pointer")
    if isinstance(pointer, str) and pointer:
        return pointer, pointer.rstrip("/").rsplit("/", 1)[-1]
    parameter = source.get("parameter")
    if isinstance(parameter, str) and parameter:
        return "", parameter
    return "", ""


def error_items(response: httpx.Response) -> tuple[ApiErrorItem, ...]:
    """The JSON:API ``errors`` of a response, normalised; () when the body is not JSON:API."""
    try:
        payload = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return ()
    raw_items = payload.get("errors") if isinstance(payload, dict) else None
    if not isinstance(raw_items, list):
        return ()
    items = []
    for raw in raw_items:
        if isinstance(raw, str):
            # API 1.9: plain Portuguese messages, most starting with the attribute's name.
            first = raw.split(" ", 1)[0]
            name = (
                first
                if re.fullmatch(r"[a-z_]+", first)
                and "_" in first
                or first
                in ("name", "email", "path", "auths", "group", "locale", "metadata", "birthday")
                else ""
            )
            items.append(
                ApiErrorItem(status=None, code="", title="", detail=raw, pointer="", field=name)
            )
            continue
        if not isinstance(raw, dict):
            continue
        pointer, field = _field_from(raw.get("source"))
        items.append(
            ApiErrorItem(
                status=_int_or_none(raw.get("status")),
                code=str(raw.get("code") or ""),
                title=str(raw.get("title") or ""),
                detail=str(raw.get("detail") or raw.get("title") or ""),
                pointer=pointer,
                field=field,
            )
        )
    return tuple(items)


def seconds_until_retry(response: httpx.Response, now: float) -> float | None:
    """How long a 429 asks us to wait: ``Retry-After`` if present, else ``X-Rate-Limit-Reset``."""
    retry_after = response.headers.get("retry-after")
    if retry_after:
        retry_after = retry_after.strip()
        if retry_after.isdigit():
            return float(retry_after)
        try:
            moment = email.utils.parsedate_to_datetime(retry_after)
        except (TypeError, ValueError):
            moment = None
        if moment is not None:
            return max(moment.timestamp() - now, 0.0)
    reset = response.headers.get("x-rate-limit-reset")
    if reset:
        try:
            return max(float(reset) - now, 0.0)
        except ValueError:
            return None
    return None
