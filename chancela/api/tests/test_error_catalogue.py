"""Every error code the API can answer is in the catalogue (and so in the OpenAPI enum)."""

from __future__ import annotations

import ast
from pathlib import Path

from chancela.api.error_codes import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
# The code the API reaches: its handlers, the services they call and what those call.
REACHED = [
    "api",
    "signing/services.py",
    "signing/planning.py",
    "signing/policy.py",
    "signing/rules.py",
    "signing/actions.py",
    "signing/inputs.py",
    "batches/services.py",
    "batches/checks.py",
    "core/pdf.py",
    "core/people.py",
]
# Codes that only a screen can meet (the API never reaches them) or that name a row's problem
# inside a 2xx batch answer rather than an error.
NOT_API_ERRORS = {
    # signer_contact_correct (the staff's "corrigir contato")
    "invalid_email",
    "invalid_phone",
    "nothing_changed",
    "duplicate_email",
    # api_key_create (the "Chaves de API" screen)
    "name_too_long",
    "units_required",
}


def _raised_codes() -> dict[str, str]:
    found: dict[str, str] = {}
    for entry in REACHED:
        path = ROOT / entry
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in files:
            if "tests" in file.parts or "migrations" in file.parts:
                continue
            for node in ast.walk(ast.parse(file.read_text())):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                func = node.func
                name = getattr(func, "id", None) or getattr(func, "attr", "")
                first = node.args[0]
                if (
                    (name.endswith("Error") or name.endswith("Conflict") or name == "_error")
                    and isinstance(first, ast.Constant)
                    and isinstance(first.value, str)
                    and first.value.replace("_", "").isalnum()
                    and first.value.islower()
                ):
                    found.setdefault(first.value, f"{file.relative_to(ROOT)}:{node.lineno}")
    return found


def test_it_catalogues_every_code_the_api_can_raise():
    raised = _raised_codes()
    assert len(raised) > 40  # the scan does find the codes
    missing = {code: where for code, where in raised.items() if code not in CATALOGUE}
    missing = {c: w for c, w in missing.items() if c not in NOT_API_ERRORS}
    assert not missing, f"add these codes to chancela/api/error_codes.py: {missing}"


def test_it_gives_every_code_a_status_and_a_meaning():
    for code, entry in CATALOGUE.items():
        assert 400 <= entry.status < 600 and entry.meaning, code


def test_it_shows_every_code_in_the_integration_guide():
    guide = (ROOT.parent / "docs" / "api.md").read_text()
    rows = {line.split("|")[1].strip().strip("`") for line in guide.splitlines() if "| `" in line}
    assert set(CATALOGUE) <= rows, sorted(set(CATALOGUE) - rows)
    for code, entry in CATALOGUE.items():
        assert f"| `{code}` | {entry.status} |" in guide, code
