"""Count the Clicksign API calls the dispatch saga makes per envelope.

A throw-away test database and an in-process Clicksign emulator are used; each request has one
PDF (or more with --documents) and signers with 4 authentications each (e-mail token, selfie,
handwritten signature, official document), as the configuration asks. The calls are read from
the emulator's request log (every API request it received). Commands in docs/benchmarks.md:

    CHANCELA_TEST_DATABASE_NAME=/tmp/count_calls.sqlite3 \
        .venv/bin/python scripts/count_clicksign_calls.py [--documents N] [--api 1.9]

With ``--api 1.9`` the configuration is an old account's (no envelopes) and each count is made
twice with the same people: the first send, then a second one that reuses the signers the
first registered (SignerRegistration).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chancela.settings_test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from chancela.signing.dispatch import signature_request_dispatch  # noqa: E402
from chancela.signing.inputs import DocumentInput  # noqa: E402
from chancela.signing.tests.dispatch_helpers import make_dispatchable_request  # noqa: E402
from chancela.testing.factories import make_config, make_pdf_bytes, make_unit  # noqa: E402
from clicksign_emulator import (  # noqa: E402
    DEMO_API_USER_EMAIL,
    DEMO_SANDBOX_TOKEN,
    ControlClient,
    EmulatorServer,
)


def _kind(method: str, path: str) -> str:
    tail = path.rstrip("/").split("/")
    if method == "POST" and path.endswith("/envelopes"):
        return "create envelope"
    if method == "PATCH" and len(tail) == 5:
        return "activate"
    return f"{method} …/{tail[-1]}" if len(tail) > 5 else f"{method} {path}"


def _legacy_kind(method: str, path: str) -> str:
    tail = path.removeprefix("/api/").split("/")
    return f"{method} {tail[1]}" if len(tail) > 1 else f"{method} {path}"


def count_legacy(control: ControlClient, config: Any, *, signers: int) -> list[Counter[str]]:
    """API 1.9: the calls of a first send and of a second send to the same people."""
    from chancela.esign.models import SignatureConfig
    from chancela.signing.models import SignatureRequest
    from chancela.testing.factories import (
        make_document_type,
        make_person,
        make_signature_request,
        make_signer_input,
    )

    SignatureConfig.objects.filter(pk=config.pk).update(
        require_selfie=True, require_handwritten=True, require_official_document=True
    )
    config.refresh_from_db()
    document_type = make_document_type(config)
    people = [make_person(config.unit) for _ in range(signers)]
    roles = ["student", "guardian"]
    counts = []
    for _ in range(2):
        control.clear_requests()
        request: SignatureRequest = make_signature_request(
            config.unit,
            document_type,
            signers=[
                make_signer_input(
                    name=p.name, email=p.email, cpf=p.cpf, person=p, role=roles[i % 2]
                )
                for i, p in enumerate(people)
            ],
        )
        outcome = _dispatch_until_done(str(request.public_id))
        assert outcome == "done", (outcome, request.last_error)
        counts.append(Counter(_legacy_kind(r["method"], r["path"]) for r in control.requests()))
    return counts


def _dispatch_until_done(request_id: str, *, give_up_after: float = 60.0) -> str:
    """Run the dispatch job as a worker would, again whenever it was put back: the counts run
    back to back on one account, so a later one can find the account's 20 calls / 10 s used
    and be put back until its slot frees (no call is made for a refused slot)."""
    deadline = time.monotonic() + give_up_after
    outcome = signature_request_dispatch(request_id=request_id)
    while outcome == "retry" and time.monotonic() < deadline:
        time.sleep(0.5)
        outcome = signature_request_dispatch(request_id=request_id)
    return outcome


def count(control: ControlClient, config: Any, *, signers: int, documents: int) -> Counter[str]:
    control.reset()
    request = make_dispatchable_request(
        config,
        signers=signers,
        documents=[
            DocumentInput(
                filename=f"documento-{i + 1}.pdf", content=make_pdf_bytes(text=f"Documento {i + 1}")
            )
            for i in range(documents)
        ],
    )
    outcome = _dispatch_until_done(str(request.public_id))
    assert outcome == "done", outcome
    requirements = len(control.envelopes()[0].get("requirements") or [])
    calls = Counter(_kind(r["method"], r["path"]) for r in control.requests())
    calls["(requirements created)"] = requirements
    return calls


@contextmanager
def counting_setup(api: str = "3.0") -> Iterator[tuple[ControlClient, Any]]:
    """A throw-away database, an in-process emulator and a configuration on its demo account
    (on 1.9: on an old account of the emulator, without envelopes)."""
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    server = EmulatorServer(host="127.0.0.1", port=0).start()
    try:
        settings.CLICKSIGN_URLS = {"sandbox": server.base_url, "production": server.base_url}
        settings.MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="count-calls-"))
        control = ControlClient(server.base_url)
        token = DEMO_SANDBOX_TOKEN
        if api == "1.9":
            token = control.create_account(
                api_user_email=DEMO_API_USER_EMAIL,
                envelopes_enabled=False,
                rate_limit=10_000,
            )["token"]
        config = make_config(make_unit(), token=token, api_user_email=DEMO_API_USER_EMAIL)
        if api == "1.9":
            from chancela.esign.models import SignatureConfig

            SignatureConfig.objects.filter(pk=config.pk).update(clicksign_api="1.9")
            config.refresh_from_db()
        yield control, config
    finally:
        server.stop()
        connection.creation.destroy_test_db(name, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=1)
    parser.add_argument("--api", choices=["3.0", "1.9"], default="3.0")
    args = parser.parse_args()
    if args.api == "1.9":
        with counting_setup("1.9") as (control, config):
            print(f"{connection.vendor}; API 1.9; 1 document per request")  # noqa: T201
            for signers in (1, 2):
                for label, calls in zip(
                    ("first send", "second send (signers reused)"),
                    count_legacy(control, config, signers=signers),
                    strict=True,
                ):
                    detail = ", ".join(f"{kind}: {n}" for kind, n in calls.items())
                    print(  # noqa: T201
                        f"{signers} signer(s) x 4 authentications, {label}: "
                        f"{sum(calls.values())} Clicksign calls — {detail}"
                    )
        return
    with counting_setup() as (control, config):
        print(f"{connection.vendor}; {args.documents} document(s) per envelope")  # noqa: T201
        for signers in (1, 2):
            calls = count(control, config, signers=signers, documents=args.documents)
            requirements = calls.pop("(requirements created)")
            total = sum(calls.values())
            detail = ", ".join(f"{kind}: {n}" for kind, n in calls.items())
            print(  # noqa: T201
                f"{signers} signer(s) x 4 authentications: {total} Clicksign calls "
                f"({requirements} requirements in one bulk call) — {detail}"
            )


if __name__ == "__main__":
    main()
