"""Count the Clicksign API calls the dispatch saga makes per envelope.

A throw-away test database and an in-process Clicksign emulator are used; each request has one
PDF (or more with --documents) and signers with 4 authentications each (e-mail token, selfie,
handwritten signature, official document), as the configuration asks. The calls are read from
the emulator's request log (every API request it received). Commands in docs/benchmarks.md:

    CHANCELA_TEST_DATABASE_NAME=/tmp/count_calls.sqlite3 \
        .venv/bin/python scripts/count_clicksign_calls.py [--documents N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
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
    outcome = signature_request_dispatch(request_id=str(request.public_id))
    assert outcome == "done", outcome
    requirements = len(control.envelopes()[0].get("requirements") or [])
    calls = Counter(_kind(r["method"], r["path"]) for r in control.requests())
    calls["(requirements created)"] = requirements
    return calls


@contextmanager
def counting_setup() -> Iterator[tuple[ControlClient, Any]]:
    """A throw-away database, an in-process emulator and a configuration on its demo account."""
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    server = EmulatorServer(host="127.0.0.1", port=0).start()
    try:
        settings.CLICKSIGN_URLS = {"sandbox": server.base_url, "production": server.base_url}
        settings.MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="count-calls-"))
        config = make_config(
            make_unit(), token=DEMO_SANDBOX_TOKEN, api_user_email=DEMO_API_USER_EMAIL
        )
        yield ControlClient(server.base_url), config
    finally:
        server.stop()
        connection.creation.destroy_test_db(name, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=1)
    args = parser.parse_args()
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
