"""Webhooks Clicksign sends to Chancela: verifying where they come from.

Clicksign signs the raw request body with the webhook's secret and sends
``Content-Hmac: sha256=<lowercase hex HMAC-SHA256(secret, raw body)>`` (reference §3.3). There is
no timestamp and no delivery id in the signed material: replays are handled by deduplication,
not here.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Content-Hmac"
EVENT_HEADER = "Event"
_PREFIX = "sha256="


def expected_signature(raw_body: bytes, secret: str) -> str:
    """The ``Content-Hmac`` value Clicksign sends for ``raw_body`` signed with ``secret``."""
    return _PREFIX + hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()


def verify_signature(raw_body: bytes, header: str, secrets: list[str]) -> bool:
    """True when ``header`` is the HMAC of the exact ``raw_body`` under one of ``secrets``.

    Verify the raw bytes before parsing them. Pass the current secret and, during the grace
    period after a rotation, the previous one. Every secret is compared, in constant time, so
    the answer takes as long whichever secret (if any) matches.
    """
    value = (header or "").strip()
    if not value.lower().startswith(_PREFIX):
        return False
    received = value[len(_PREFIX) :].strip().lower().encode("utf-8", "replace")
    matched = False
    for secret in secrets:
        if not secret:
            continue
        expected = expected_signature(raw_body, secret)[len(_PREFIX) :]
        matched |= hmac.compare_digest(expected.encode("ascii"), received)
    return matched
