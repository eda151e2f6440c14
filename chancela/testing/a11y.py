"""The axe-core check of a page (axe-playwright-python bundles axe-core)."""

from __future__ import annotations

from typing import Any

BLOCKING_IMPACTS = ("serious", "critical")


def axe_blocking_violations(page: Any) -> list[str]:
    """The serious and critical axe-core violations on the page, one readable line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation.get("impact") not in BLOCKING_IMPACTS:
            continue
        targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
        lines.append(f"{violation['id']} ({violation['impact']}): {'; '.join(targets)}")
    return lines
