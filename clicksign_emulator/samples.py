"""Reproducible sample payloads produced by the emulator (``clicksign_emulator/samples/``).

They are **emulator output** — not recordings of the live service — generated with a fixed seed
and a frozen clock, so they never change unless the emulator's behaviour changes (a test checks
that). Chancela's parsers and HMAC verification can use them without a running server.

Regenerate after an intended change: ``python -m clicksign_emulator.samples --write``.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path
from typing import Any

import httpx

from .client import ControlClient
from .constants import DEMO_SANDBOX_TOKEN
from .pdf import blank_pdf
from .server import EmulatorServer
from .webhooks import sign

SAMPLES_DIR = Path(__file__).parent / "samples"
PUBLIC_URL = "http://127.0.0.1:8765"
ENDPOINT = "http://127.0.0.1:9/callbackclicksign"  # nothing listens: bodies come from the log
SEED = 2027
START = "2027-01-15T09:00:00.000-03:00"


def _pretty(payload: Any) -> bytes:
    return (json.dumps(payload, ensure_ascii=False, indent=2) + "\n").encode()


class _Run:
    def __init__(self, server: EmulatorServer) -> None:
        self.control = ControlClient(server.base_url)
        self.api = httpx.Client(
            base_url=server.api_url,
            headers={"Authorization": DEMO_SANDBOX_TOKEN},
            verify=False,  # noqa: S501 - plain HTTP on loopback
        )
        self.files: dict[str, bytes] = {}

    def call(self, method: str, path: str, body: Any = None, sample: str | None = None) -> Any:
        response = self.api.request(method, path, json=body)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        payload = response.json() if response.content else None
        if sample:
            self.files[f"api/{sample}.json"] = _pretty(payload)
        return payload

    def envelope(self, name: str, sample: str | None = None, **attrs: Any) -> str:
        body = {"data": {"type": "envelopes", "attributes": {"name": name, **attrs}}}
        return self.call("POST", "/envelopes", body, sample)["data"]["id"]

    def document(self, envelope: str, sample: str | None = None) -> str:
        content = "data:application/pdf;base64," + base64.b64encode(blank_pdf(1)).decode()
        body = {
            "data": {
                "type": "documents",
                "attributes": {
                    "filename": "contrato.pdf",
                    "content_base64": content,
                    "metadata": {"chancela_request": "3f1c2d4e-0000-4000-8000-000000000001"},
                },
            }
        }
        return self.call("POST", f"/envelopes/{envelope}/documents", body, sample)["data"]["id"]

    def signer(self, envelope: str, name: str, sample: str | None = None, **attrs: Any) -> str:
        email = name.split()[0].lower() + "@example.com"
        body = {"data": {"type": "signers", "attributes": {"name": name, "email": email, **attrs}}}
        return self.call("POST", f"/envelopes/{envelope}/signers", body, sample)["data"]["id"]

    def requirements(
        self, envelope: str, document: str, signer: str, sample: str | None = None
    ) -> None:
        rel = {
            "document": {"data": {"type": "documents", "id": document}},
            "signer": {"data": {"type": "signers", "id": signer}},
        }
        for attrs in (
            {"action": "agree", "role": "sign"},
            {"action": "provide_evidence", "auth": "email"},
        ):
            body = {"data": {"type": "requirements", "attributes": attrs, "relationships": rel}}
            name = f"{sample}_{attrs['action']}" if sample else None
            self.call("POST", f"/envelopes/{envelope}/requirements", body, name)

    def activate(self, envelope: str, sample: str | None = None) -> None:
        body = {"data": {"id": envelope, "type": "envelopes", "attributes": {"status": "running"}}}
        self.call("PATCH", f"/envelopes/{envelope}", body, sample)

    def advance(self, seconds: float) -> None:
        self.control.advance(seconds)


def generate() -> dict[str, bytes]:
    """Run the sample scenarios on a private server; returns {relative path: content}."""
    with EmulatorServer(
        port=0,
        public_url=PUBLIC_URL,
        seed=SEED,
        rate_limit=10_000,
        webhook_settings={"mode": "manual", "max_attempts": 1},
    ) as server:
        run = _Run(server)
        try:
            return _scenarios(run)
        finally:
            run.api.close()
            run.control.close()


def _scenarios(run: _Run) -> dict[str, bytes]:
    control = run.control
    control.reset(seed=SEED)
    control.set_clock(START, frozen=True)
    webhook = run.call(
        "POST",
        "/webhooks",
        {
            "data": {
                "type": "webhooks",
                "attributes": {
                    "endpoint": ENDPOINT,
                    "events": [
                        "upload", "update_block_after_refusal", "add_signer", "remove_signer",
                        "signature_started", "sign", "refusal", "auto_close", "close",
                        "document_closed", "cancel", "deadline", "update_deadline",
                    ],
                },
            }
        },
        "webhook",
    )  # fmt: skip
    secret = webhook["data"]["attributes"]["secret"]

    # 1. success with two groups
    envelope = run.envelope("Contrato de matrícula 2027", "envelope")
    document = run.document(envelope, "document")
    ana = run.signer(envelope, "Ana Lima", "signer", group=1)
    bruno = run.signer(envelope, "Bruno Costa", group=2, documentation="529.982.247-25")
    run.requirements(envelope, document, ana, "requirement")
    run.requirements(envelope, document, bruno)
    run.advance(60)
    run.activate(envelope, "envelope_activated")
    notification = {
        "data": {"type": "notifications", "attributes": {"message": "Assine, por favor."}}
    }
    run.call("POST", f"/envelopes/{envelope}/notifications", notification, "notification")
    run.advance(120)
    control.sign(ana)
    run.advance(120)
    control.sign(bruno)
    run.call("GET", f"/envelopes/{envelope}/documents/{document}", None, "document_closed")
    run.call("GET", f"/envelopes/{envelope}/documents/{document}/events", None, "document_events")

    # 2. refusal, then cancellation; a pending signer removed
    run.advance(3600)
    envelope = run.envelope("Termo de estágio")
    document = run.document(envelope)
    carla = run.signer(envelope, "Carla Souza", refusable=True)
    davi = run.signer(envelope, "Davi Rocha")
    run.requirements(envelope, document, carla)
    run.requirements(envelope, document, davi)
    run.activate(envelope)
    run.advance(60)
    control.refuse(carla, ["Conteúdo do documento"], "O valor da bolsa está errado.")
    run.advance(60)
    run.call("DELETE", f"/envelopes/{envelope}/signers/{davi}")
    run.advance(60)
    cancel = {"data": {"id": document, "type": "documents", "attributes": {"status": "canceled"}}}
    run.call("PATCH", f"/envelopes/{envelope}/documents/{document}", cancel)

    # 3. manual close (auto_close off) and a deadline change while running
    run.advance(3600)
    envelope = run.envelope("Declaração de matrícula", auto_close=False)
    document = run.document(envelope)
    elisa = run.signer(envelope, "Elisa Prado")
    run.requirements(envelope, document, elisa)
    run.activate(envelope)
    deadline = {
        "data": {"type": "envelopes", "attributes": {"deadline_at": "2027-02-20T18:00:00-03:00"}}
    }
    run.call("PATCH", f"/envelopes/{envelope}", deadline)
    control.sign(elisa)
    close = {"data": {"id": document, "type": "documents", "attributes": {"status": "closed"}}}
    run.call("PATCH", f"/envelopes/{envelope}/documents/{document}", close)

    # 4. deadline without signatures
    run.advance(3600)
    envelope = run.envelope("Contrato vencido", deadline_at="2027-01-16T12:00:00-03:00")
    document = run.document(envelope)
    fabio = run.signer(envelope, "Fábio Nunes")
    run.requirements(envelope, document, fabio)
    run.activate(envelope)
    run.advance(2 * 86400)

    control.flush_deliveries()
    attempts = control.deliveries()
    files = dict(run.files)
    index: dict[str, Any] = {
        "note": "Emulator output (seeded, frozen clock), not recordings of the live service.",
        "secret": secret,
        "events": {},
    }
    for attempt in attempts:
        name = attempt["event"]
        if name in index["events"]:
            continue
        body = attempt["body"].encode()
        files[f"webhooks/{name}.json"] = body
        index["events"][name] = {"file": f"{name}.json", "content_hmac": sign(secret, body)}
    files["webhooks/index.json"] = _pretty(index)
    return files


def write(files: dict[str, bytes]) -> None:
    for relative, content in files.items():
        path = SAMPLES_DIR / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clicksign_emulator.samples")
    parser.add_argument("--write", action="store_true", help=f"write into {SAMPLES_DIR}")
    args = parser.parse_args(argv)
    files = generate()
    if args.write:
        write(files)
    verb = "wrote" if args.write else "would write"
    for name in sorted(files):
        sys.stdout.write(f"{verb} {name} ({len(files[name])} bytes)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
