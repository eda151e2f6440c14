"""The per-key rate limit: headers on every answer, a 429 in the documented shape, per key."""

from __future__ import annotations

import pytest

from chancela.api.models import ApiRateWindow
from chancela.api.ratelimit import api_key_rate_take
from chancela.api.tests.conftest import Host
from chancela.testing.factories import make_api_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit_of_three(settings):
    settings.CHANCELA_API_RATE_LIMIT = 3
    settings.CHANCELA_API_RATE_WINDOW_SECONDS = 60


def test_it_counts_down_in_the_ratelimit_headers(host: Host, limit_of_three):
    first = host.get()
    assert first.status_code == 200
    assert first["RateLimit-Policy"] == '"api-key";q=3;w=60'
    assert first["RateLimit"].startswith('"api-key";r=2;t=')
    assert host.get()["RateLimit"].startswith('"api-key";r=1;t=')


def test_it_answers_429_with_retry_after_once_the_key_is_over(host: Host, limit_of_three):
    for _ in range(3):
        assert host.get().status_code == 200
    refused = host.get()
    assert refused.status_code == 429
    data = refused.json()
    assert data["code"] == "rate_limited" and data["field"] is None
    assert "Limite de 3 requisições a cada 60 s" in data["message"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["RateLimit"].startswith('"api-key";r=0;t=')
    # Another key of the same host is counted apart.
    _, other = make_api_key(units=[host.unit])
    assert host.get(key=other).status_code == 200


def test_it_counts_every_operation_and_refuses_writes_too(host: Host, limit_of_three):
    for _ in range(3):
        host.get()
    response = host.post({})
    assert response.status_code == 429 and response.json()["code"] == "rate_limited"


def test_it_starts_a_new_window_and_keeps_the_count_in_the_database(host: Host, settings):
    settings.CHANCELA_API_RATE_LIMIT = 2
    settings.CHANCELA_API_RATE_WINDOW_SECONDS = 60
    states = [api_key_rate_take(api_key=host.api_key, now=1_000_000.0 + i) for i in range(3)]
    assert [s.hits for s in states] == [1, 2, 3] and states[2].exceeded
    assert states[0].reset == 60 - (1_000_000 % 60)
    row = ApiRateWindow.objects.get(api_key=host.api_key)
    assert (row.window_start, row.hits) == (999_960, 3)
    fresh = api_key_rate_take(api_key=host.api_key, now=1_000_020.0)
    assert (fresh.hits, fresh.exceeded, fresh.remaining) == (1, False, 1)
    # A process with a clock slightly behind does not reopen the previous window.
    late = api_key_rate_take(api_key=host.api_key, now=1_000_019.0)
    assert late.hits == 2


def test_it_is_off_with_a_limit_of_zero(host: Host, settings):
    settings.CHANCELA_API_RATE_LIMIT = 0
    response = host.get()
    assert response.status_code == 200 and not response.has_header("RateLimit")


def test_it_does_not_count_unauthenticated_calls(host: Host, limit_of_three):
    for _ in range(5):
        assert host.get(key="chk_errada").status_code == 401
    assert host.get().status_code == 200
