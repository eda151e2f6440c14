"""A worker process for the multi-process rate-limit test (spawned; sets Django up itself).

Kept free of Django imports at module level: ``multiprocessing`` imports this module in the child
before Django is configured.
"""

from __future__ import annotations

from typing import Any


def hammer(base_url: str, token: str, count: int, go: Any, results: Any) -> None:
    """Wait for ``go``, then make ``count`` calls through the client; report outcomes."""
    import django

    django.setup()
    from chancela.clicksign.client import ClicksignClient
    from chancela.clicksign.errors import ClicksignError

    outcomes: list[str] = []
    with ClicksignClient(base_url=base_url, token=token, environment="sandbox", max_wait=60) as c:
        go.wait(timeout=60)
        for _ in range(count):
            try:
                c.envelopes_list(page_size=1)
                outcomes.append("ok")
            except ClicksignError as error:
                outcomes.append(f"{type(error).__name__}:{error.status}")
    results.put(outcomes)
