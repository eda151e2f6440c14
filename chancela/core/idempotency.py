"""Idempotent submissions: the fingerprint that says whether a resubmission is the same content."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def content_fingerprint(payload: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``payload`` (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
