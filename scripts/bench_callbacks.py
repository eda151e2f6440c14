"""Measure the callbacks path on this machine, through the real processes.

1. Endpoint throughput: verified Clicksign callbacks stored per second by
   ``POST /callbackclicksign/<config>`` under gunicorn (2 workers x 4 threads), with p50/p99
   latency, from N distinct signed bodies sent by C concurrent clients.
2. Time from ``document_closed`` (the event's own time at the emulator) to the archived signed
   PDF (``Document.signed_archived_at``), p50/p95, with the emulator delivering its webhooks by
   itself to gunicorn and one ``db_worker`` processing them.

A throw-away test database is created and destroyed. Commands in docs/benchmarks.md:
    CHANCELA_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
        CHANCELA_TEST_DATABASE_NAME=bench_callbacks .venv/bin/python scripts/bench_callbacks.py
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chancela.settings_test")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

CALLBACKS = int(os.environ.get("BENCH_CALLBACKS", "2000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "30"))
SIGN_PACE_SECONDS = 0.6


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _bodies(secret: str, count: int) -> list[tuple[bytes, str]]:
    from clicksign_emulator import webhook_signature

    sample = (
        Path(__file__).resolve().parent.parent / "clicksign_emulator/samples/webhooks/sign.json"
    )
    template = json.loads(sample.read_text())
    bodies = []
    for index in range(count):
        body = json.loads(json.dumps(template))
        body["document"]["key"] = f"bench-document-{index // 10}"
        body["event"]["occurred_at"] = (
            f"2027-01-15T09:{index // 600 % 60:02d}:{index // 10 % 60:02d}.{index % 1000:03d}-03:00"
        )
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        bodies.append((raw, webhook_signature(secret, raw)))
    return bodies


def endpoint_throughput(base: str, config, tmp: Path) -> str:  # noqa: ANN001
    from chancela.callbacks.models import InboundCallback
    from chancela.testing.processes import process_env, running, wait_for_http, web_process

    bodies = _bodies(config.webhook_secret, CALLBACKS + 50)
    url = f"{base}/callbackclicksign/{config.public_id}"
    port = int(base.rsplit(":", 1)[1])
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()

    def worker(chunk: list[tuple[bytes, str]]) -> None:
        with httpx.Client(timeout=30) as http:
            for raw, signature in chunk:
                started = time.perf_counter()
                response = http.post(
                    url,
                    content=raw,
                    headers={"Content-Type": "application/json", "Content-Hmac": signature},
                )
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != 200:
                        errors.append(response.status_code)

    with running(web_process(port, tmp, process_env(), workers=2)) as (web,):
        wait_for_http(f"{base}/entrar/", process=web)
        worker(bodies[:50])  # warm-up
        latencies.clear()
        measured = bodies[50:]
        threads = [
            threading.Thread(target=worker, args=(measured[i::CLIENTS],)) for i in range(CLIENTS)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    stored = InboundCallback.objects.count() - 50
    assert not errors and stored == CALLBACKS, (errors[:5], stored)
    return (
        f"endpoint: {CALLBACKS} verified callbacks stored in {elapsed:.1f} s by {CLIENTS} "
        f"clients = {CALLBACKS / elapsed:.0f}/s; latency p50 "
        f"{statistics.median(latencies):.1f} ms, p99 {_percentile(latencies, 0.99):.1f} ms"
    )


def closed_to_archived_samples(base: str, config, server, tmp: Path) -> list[float]:  # noqa: ANN001
    from django_tasks_db.models import DBTaskResult

    from chancela.callbacks.models import InboundCallback
    from chancela.signing.dispatch import signature_request_dispatch
    from chancela.signing.models import Document, RequestStatus, SignatureRequest
    from chancela.testing.factories import make_document_type, make_signature_request
    from chancela.testing.processes import (
        process_env,
        running,
        wait_for_http,
        web_process,
        worker_process,
    )

    document_type = make_document_type(config)
    control = server.control()
    port = int(base.rsplit(":", 1)[1])
    env = process_env()
    processes = (web_process(port, tmp, env, workers=2), worker_process(tmp, env))
    requests = []
    for _ in range(REQUESTS):
        request = make_signature_request(config.unit, document_type)
        # The dispatch saga, run here (before the worker starts) so only callbacks are timed.
        DBTaskResult.objects.filter(task_path__contains="dispatch").delete()
        assert signature_request_dispatch(request_id=str(request.public_id)) == "done"
        request.refresh_from_db()
        requests.append(request)
    with running(*processes) as (web, _worker):
        wait_for_http(f"{base}/entrar/", process=web)
        # The dispatch calls filled the account's shared rate-limit window (the worker
        # uses the real sandbox limit, 20 / 10 s): let it pass, then sign at a pace the limit
        # allows (each archive costs one API call), so the figure is not a queue behind it.
        time.sleep(11)
        for request in requests:
            for signer in request.signers.all():
                control.sign(signer.clicksign_signer_id)
            time.sleep(SIGN_PACE_SECONDS)
        deadline = time.monotonic() + 300
        ids = [r.pk for r in requests]
        while time.monotonic() < deadline:
            done = SignatureRequest.objects.filter(pk__in=ids, status=RequestStatus.SIGNED).count()
            if done == len(ids):
                break
            time.sleep(0.2)
    samples = []
    for document in Document.objects.filter(request_id__in=ids):
        closed = InboundCallback.objects.get(
            event_name="document_closed", document_key=document.clicksign_document_id
        )
        assert document.signed_archived_at and closed.occurred_at
        samples.append((document.signed_archived_at - closed.occurred_at).total_seconds() * 1000)
    return samples


def closed_to_archived(base: str, config, server, tmp: Path) -> str:  # noqa: ANN001
    samples = closed_to_archived_samples(base, config, server, tmp)
    return (
        f"document_closed -> archived PDF over {len(samples)} documents: "
        f"p50 {statistics.median(samples):.0f} ms, p95 {_percentile(samples, 0.95):.0f} ms"
    )


@contextmanager
def callbacks_setup() -> Iterator[tuple[str, Any, Any, Path]]:
    """A throw-away database, an emulator (no rate limit) and a sandbox configuration with its
    webhook registered at a free local port: (base URL, configuration, emulator, temp dir)."""
    from chancela.clicksign.ratelimit import LIMITS
    from chancela.esign.connection import signature_config_register_webhook
    from chancela.testing.clicksign import point_clicksign_at
    from chancela.testing.factories import make_config, make_unit
    from chancela.testing.processes import free_port
    from clicksign_emulator import DEMO_API_USER_EMAIL, EmulatorServer
    from clicksign_emulator.testing import EmulatorHandle

    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-callbacks-"))
    settings.MEDIA_ROOT = tmp / "files"
    LIMITS["sandbox"] = 100_000  # the dispatch calls made here; the emulator allows them too
    try:
        with EmulatorServer(host="127.0.0.1", port=0, rate_limit=100_000) as server:
            handle = EmulatorHandle(server=server, control=server.control())
            point_clicksign_at(settings, handle)
            base = f"http://127.0.0.1:{free_port()}"
            settings.PUBLIC_URL = base
            config = make_config(
                make_unit(), token=handle.token, api_user_email=DEMO_API_USER_EMAIL
            )
            signature_config_register_webhook(actor=None, config=config)
            config.refresh_from_db()
            yield base, config, server, tmp
    finally:
        connection.close()
        connection.creation.destroy_test_db(name, verbosity=0)


def main() -> None:
    from django_tasks_db.models import DBTaskResult

    from chancela.callbacks.models import InboundCallback

    with callbacks_setup() as (base, config, server, tmp):
        lines = [f"{connection.vendor}, {os.cpu_count()} CPUs"]
        lines.append(endpoint_throughput(base, config, tmp))
        InboundCallback.objects.all().delete()
        DBTaskResult.objects.all().delete()
        lines.append(closed_to_archived(base, config, server, tmp))
        print("\n".join(lines))  # noqa: T201


if __name__ == "__main__":
    main()
