"""Measure the Clicksign rate limiter's cost per request (two short transactions).

Usage (a throw-away test database is created and destroyed; commands in docs/benchmarks.md):
    CHANCELA_TEST_DATABASE_NAME=/tmp/b.sqlite3 .venv/bin/python scripts/bench_clicksign_limiter.py
    CHANCELA_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
        CHANCELA_TEST_DATABASE_NAME=bench_limiter \
        .venv/bin/python scripts/bench_clicksign_limiter.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chancela.settings_test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from chancela.clicksign.ratelimit import DatabaseRateLimiter, account_hash  # noqa: E402


def main(rounds: int = 500) -> None:
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        limiter = DatabaseRateLimiter(
            account=account_hash(base_url="https://bench", token=str(uuid.uuid4())),
            # A short window keeps the row at a realistic size (tens of slots, as at 50/10 s).
            limit=50,
            window=0.1,
        )
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            limiter.release(limiter.acquire(max_wait=1))
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        print(  # noqa: T201
            f"{connection.vendor} ({name}): acquire+release over {rounds} requests — "
            f"median {statistics.median(samples):.2f} ms, p95 {samples[int(rounds * 0.95)]:.2f} ms"
        )
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


if __name__ == "__main__":
    main()
