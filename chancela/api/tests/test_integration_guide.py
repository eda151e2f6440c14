"""The integration guide's code works: its Python snippet verifies what Chancela signs."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from chancela.notifications import standard_webhooks

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def _snippet() -> Any:
    code = re.search(r"```python\n(.*?)```", GUIDE.read_text(), re.S)
    assert code is not None
    namespace: dict[str, Any] = {}
    exec(compile(code.group(1), str(GUIDE), "exec"), namespace)  # noqa: S102 - our own docs
    return namespace["chancela_event_is_authentic"]


def _signed(secret: str, body: str, timestamp: int) -> dict[str, str]:
    headers = standard_webhooks.headers(
        secret=secret, msg_id="msg_0123456789abcdef", timestamp=timestamp, body=body
    )
    return {name.lower(): value for name, value in headers.items()}


def test_it_verifies_an_event_chancela_signed_with_the_guides_python():
    verify = _snippet()
    secret = standard_webhooks.new_secret()
    body = json.dumps({"type": "signature_request.status_changed", "data": {"id": "x"}})
    headers = _signed(secret, body, int(time.time()))
    assert verify(secret, headers, body.encode())
    assert not verify(secret, headers, body.encode() + b" ")
    assert not verify(standard_webhooks.new_secret(), headers, body.encode())
    stale = _signed(secret, body, int(time.time()) - 3600)
    assert not verify(secret, stale, body.encode())
