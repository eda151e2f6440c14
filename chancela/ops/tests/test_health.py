"""`/healthz` and `/readyz`: what a load balancer polls to know whether Chancela can work."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from chancela.core.models import Heartbeat
from chancela.core.tasks import release_stuck_tasks
from chancela.esign.models import SignatureConfig
from chancela.testing.factories import make_config, make_unit
from chancela.testing.processes import free_port, process_env, running, wait_for_http, web_process

pytestmark = pytest.mark.django_db


def beat(kind: str, *, seconds_ago: float = 0, instance: str = "host-a:1") -> None:
    seen = timezone.now() - timedelta(seconds=seconds_ago)
    Heartbeat.objects.update_or_create(
        kind=kind, instance=instance, defaults={"seen_at": seen, "started_at": seen}
    )


@pytest.fixture
def alive():
    beat(Heartbeat.Kind.WORKER, seconds_ago=20)
    beat(Heartbeat.Kind.SCHEDULER, seconds_ago=2)


def test_it_answers_healthz_without_asking_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_it_is_ready_when_worker_and_scheduler_were_seen_and_no_job_waits_too_long(client, alive):
    release_stuck_tasks.enqueue()
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert {name for name, check in body["checks"].items() if check["ok"]} == {
        "database",
        "migrations",
        "worker",
        "scheduler",
        "queue",
    }
    assert body["queues"]["default"]["depth"] == 1
    assert response["Cache-Control"].startswith("max-age=0")


def test_it_answers_503_when_no_worker_was_seen_for_the_stated_time(client, alive, settings):
    settings.CHANCELA_READY_WORKER_MAX_AGE_SECONDS = 180
    beat(Heartbeat.Kind.WORKER, seconds_ago=181)
    response = client.get("/readyz")
    assert response.status_code == 503
    worker = response.json()["checks"]["worker"]
    assert worker["ok"] is False
    assert worker["max_age_seconds"] == 180
    assert worker["last_seen_seconds_ago"] >= 181


def test_it_answers_503_when_no_worker_was_ever_seen(client):
    beat(Heartbeat.Kind.SCHEDULER)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["last_seen_seconds_ago"] is None


def test_it_answers_503_when_the_scheduler_is_silent(client, alive, settings):
    settings.CHANCELA_READY_SCHEDULER_MAX_AGE_SECONDS = 60
    beat(Heartbeat.Kind.SCHEDULER, seconds_ago=61)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["scheduler"]["ok"] is False


def test_it_answers_503_when_the_oldest_queued_job_is_too_old(client, alive, settings):
    settings.CHANCELA_READY_QUEUE_MAX_AGE_SECONDS = 600
    result = release_stuck_tasks.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(
        enqueued_at=timezone.now() - timedelta(seconds=601)
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    queue = response.json()["checks"]["queue"]
    assert queue["ok"] is False
    assert queue["oldest_job_age_seconds"] >= 601


def test_it_does_not_count_a_job_scheduled_for_later_as_waiting(client, alive):
    result = release_stuck_tasks.using(run_after=timezone.now() + timedelta(hours=1)).enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(
        enqueued_at=timezone.now() - timedelta(hours=2)
    )
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["queues"]["default"]["depth"] == 0


def test_it_reports_each_active_configuration_without_personal_data(client, alive):
    config = make_config(make_unit(), name="Config Centro", api_user_email="api@escola.example")
    SignatureConfig.objects.filter(pk=config.pk).update(
        last_successful_call_at=timezone.now() - timedelta(seconds=30)
    )
    response = client.get("/readyz")
    [item] = response.json()["configurations"]
    assert item["id"] == str(config.public_id)
    assert item["environment"] == "sandbox"
    assert 30 <= item["last_successful_call_seconds_ago"] < 60
    assert item["last_callback_seconds_ago"] is None
    assert "Config Centro" not in response.content.decode()
    assert "api@escola.example" not in response.content.decode()


@pytest.mark.slow
def test_it_answers_503_when_the_database_is_down(tmp_path):
    # A real web process whose database does not answer (nothing listens on that port).
    env = process_env(CHANCELA_DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/none")
    port = free_port()
    web = web_process(port, tmp_path, env, workers=1)
    with running(web):
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process=web)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=30)
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": {"ok": False, "error": "OperationalError"}},
        "queues": {},
        "configurations": [],
    }
