"""Measure the host API rate limit's cost per call (one upsert), and a whole GET with and without.

Usage (a throw-away test database is created and destroyed; commands in docs/benchmarks.md):
    CHANCELA_TEST_DATABASE_NAME=/tmp/b.sqlite3 .venv/bin/python scripts/bench_api_rate_limit.py
    CHANCELA_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
        CHANCELA_TEST_DATABASE_NAME=bench_api_rate \
        .venv/bin/python scripts/bench_api_rate_limit.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chancela.settings_test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from chancela.api.ratelimit import api_key_rate_take  # noqa: E402
from chancela.testing.factories import make_api_key, make_unit  # noqa: E402


def _timed(rounds: int, work: Callable[[], object]) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(rounds * 0.95)]


def main(rounds: int = 1000) -> None:
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        settings.ALLOWED_HOSTS = ["*"]
        settings.CHANCELA_API_RATE_LIMIT = 10**9
        api_key, raw = make_api_key(units=[make_unit(code="CENTRO")])
        take = _timed(rounds, lambda: api_key_rate_take(api_key=api_key))
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        with_limit = _timed(rounds, lambda: client.get("/api/v1/batches?limit=1"))
        settings.CHANCELA_API_RATE_LIMIT = 0
        without = _timed(rounds, lambda: client.get("/api/v1/batches?limit=1"))
        print(  # noqa: T201
            f"{connection.vendor}: upsert median {take[0]:.2f} ms p95 {take[1]:.2f} ms; "
            f"GET /api/v1/batches with limit median {with_limit[0]:.2f} ms "
            f"p95 {with_limit[1]:.2f} ms, without median {without[0]:.2f} ms "
            f"p95 {without[1]:.2f} ms ({rounds} calls each)"
        )
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


if __name__ == "__main__":
    main()
