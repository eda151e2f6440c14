"""The per-account rate limiter: shared by every process through the database."""

import multiprocessing
import os
import time
import uuid
from datetime import datetime

import pytest
from django.db import connection

from chancela.clicksign.client import ClicksignClient
from chancela.clicksign.errors import ClicksignRetryableError, ClicksignSlotWait
from chancela.clicksign.models import RateLimitBucket
from chancela.clicksign.ratelimit import DatabaseRateLimiter, account_hash
from chancela.clicksign.tests.hammer import hammer

WINDOW = 10.0
SANDBOX_LIMIT = 20


def _limiter(**kwargs):
    kwargs.setdefault("account", account_hash(base_url="https://x", token=str(uuid.uuid4())))
    kwargs.setdefault("limit", 3)
    return DatabaseRateLimiter(**kwargs)


@pytest.mark.django_db
def test_it_refuses_a_request_beyond_the_limit_until_the_window_slides():
    limiter = _limiter(limit=3, window=10)
    slots = [limiter.acquire(max_wait=0) for _ in range(3)]
    for slot in slots:
        limiter.release(slot)

    with pytest.raises(ClicksignRetryableError) as error:
        limiter.acquire(max_wait=0)

    assert not error.value.sent
    assert 9 < error.value.retry_after <= 10  # the oldest slot leaves the window in ~10 s


@pytest.mark.django_db
def test_it_counts_a_request_in_flight_until_it_ends():
    limiter = _limiter(limit=1, window=0.2)
    slot = limiter.acquire(max_wait=0)
    time.sleep(0.3)
    # Longer than the window, and the request has not answered yet: it still holds its slot.
    with pytest.raises(ClicksignRetryableError):
        limiter.acquire(max_wait=0)
    limiter.release(slot)
    with pytest.raises(ClicksignRetryableError) as error:
        limiter.acquire(max_wait=0)
    assert error.value.retry_after <= 0.2
    limiter.acquire(max_wait=1)  # once the window after its end has passed


@pytest.mark.django_db
def test_it_forgets_a_slot_whose_process_died_mid_request():
    limiter = _limiter(limit=1, window=0.1, max_flight=0.1)
    limiter.acquire(max_wait=0)  # never released
    assert limiter.acquire(max_wait=1)


@pytest.mark.django_db
def test_it_keeps_accounts_apart():
    first, second = _limiter(limit=1), _limiter(limit=1)
    first.acquire(max_wait=0)
    assert second.acquire(max_wait=0)
    with pytest.raises(ClicksignRetryableError):
        first.acquire(max_wait=0)


@pytest.mark.django_db
def test_it_limits_each_notification_endpoint_to_one_call_a_minute():
    limiter = _limiter(limit=20)
    limiter.release(limiter.acquire(notification_path="/envelopes/a/notifications", max_wait=0))

    with pytest.raises(ClicksignRetryableError) as error:
        limiter.acquire(notification_path="/envelopes/a/notifications", max_wait=0)

    assert 55 < error.value.retry_after <= 60
    assert limiter.acquire(notification_path="/envelopes/b/notifications", max_wait=0)
    assert limiter.acquire(max_wait=0)


@pytest.mark.django_db
def test_it_says_when_a_full_account_has_room_again():
    limiter = _limiter(limit=2, window=10)
    for _ in range(2):
        limiter.release(limiter.acquire(max_wait=0))

    with pytest.raises(ClicksignSlotWait) as error:
        limiter.acquire(max_wait=0)

    oldest_end = min(end for _, _, end in RateLimitBucket.objects.get().entries)
    assert error.value.retry_at == pytest.approx(oldest_end + 10, abs=1e-6)
    assert error.value.account_retry_at == error.value.retry_at
    assert not error.value.sent
    assert error.value.is_rate_limit


@pytest.mark.django_db
def test_it_blames_only_the_endpoint_when_its_notification_minute_is_what_is_full():
    limiter = _limiter(limit=20)
    path = "/envelopes/a/notifications"
    limiter.release(limiter.acquire(notification_path=path, max_wait=0))

    with pytest.raises(ClicksignSlotWait) as error:
        limiter.acquire(notification_path=path, max_wait=0)

    assert error.value.retry_after > 55
    assert error.value.account_retry_at is None  # the account itself has room


@pytest.mark.django_db
def test_it_says_when_the_account_frees_even_if_the_notification_minute_ends_later():
    limiter = _limiter(limit=2, window=10)
    path = "/envelopes/a/notifications"
    limiter.release(limiter.acquire(notification_path=path, max_wait=0))
    limiter.release(limiter.acquire(max_wait=0))

    with pytest.raises(ClicksignSlotWait) as error:
        limiter.acquire(notification_path=path, max_wait=0)

    assert error.value.account_retry_at is not None
    assert error.value.account_retry_at < error.value.retry_at - 45  # ~10 s vs ~60 s away


@pytest.mark.django_db
def test_it_never_stores_the_token(clicksign_emulator):
    with ClicksignClient(base_url=clicksign_emulator.base_url, token=clicksign_emulator.token) as c:
        c.envelopes_list()
    stored = str(list(RateLimitBucket.objects.values()))
    assert RateLimitBucket.objects.exists()
    assert clicksign_emulator.token not in stored
    assert clicksign_emulator.token.replace("-", "") not in stored


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return "sqlite:///" + os.path.abspath(s["NAME"])
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


def _max_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best = 0
    for i, start in enumerate(times):
        best = max(best, sum(1 for t in times[i:] if t < start + window))
    return best


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_it_keeps_three_processes_under_the_accounts_limit(clicksign_emulator, monkeypatch):
    # The children open the same (test) database as this process.
    monkeypatch.setenv("CHANCELA_DATABASE_URL", _database_url())
    context = multiprocessing.get_context("spawn")
    go, results = context.Event(), context.Queue()
    per_process = 10
    workers = [
        context.Process(
            target=hammer,
            args=(clicksign_emulator.base_url, clicksign_emulator.token, per_process, go, results),
        )
        for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    go.set()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)

    assert [o for batch in outcomes for o in batch] == ["ok"] * 3 * per_process
    log = clicksign_emulator.control.requests(account_key=clicksign_emulator.account_key)
    assert len(log) == 3 * per_process
    assert [r for r in log if r["status"] == 429] == []
    times = [datetime.fromisoformat(r["time"]).timestamp() for r in log]
    assert _max_in_any_window(times, WINDOW) <= SANDBOX_LIMIT


@pytest.mark.django_db
def test_it_recreates_a_bucket_row_cleaned_up_by_another_process():
    limiter = _limiter(limit=5)
    limiter.release(limiter.acquire(notification_path="/envelopes/a/notifications", max_wait=0))
    RateLimitBucket.objects.all().delete()  # e.g. the stale-row clean-up of another worker

    limiter.release(limiter.acquire(notification_path="/envelopes/a/notifications", max_wait=1))

    assert RateLimitBucket.objects.count() == 2
