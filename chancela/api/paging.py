"""Keyset cursors of the host API's lists: ``(updated_at, public_id)`` of a page's last item."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from django.utils.dateparse import parse_datetime

from chancela.core.errors import DomainError


class CursorError(DomainError):
    """A ``cursor`` query parameter that no page of ours produced."""


def cursor_encode(item: Any) -> str:
    raw = f"{item.updated_at.isoformat()}|{item.public_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, public_id = raw.split("|")
        parsed = parse_datetime(stamp)
        UUID(public_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        parsed = None
    if parsed is None:
        raise CursorError(
            "cursor_invalid", "Cursor inválido: use o next_cursor da página anterior.", "cursor"
        )
    return parsed, public_id


def keyset_page(
    rows: Any, *, limit: int, render: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """One page of an ordered queryset (already past the cursor): items and the next cursor."""
    found = list(rows[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    return {
        "items": [render(item) for item in found],
        "next_cursor": cursor_encode(found[-1]) if more else None,
    }
