"""Several Clicksign accounts, few workers: a worker never sleeps on an account whose window is
full while another account has work (``signing.dispatch``: "Several accounts, few workers").

Real database, the emulator over HTTP, ``db_worker``'s worker in process. Time is travelled
through (the limiter's slots, the emulator's clock and the jobs' ``run_after`` move back
together), never waited for.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from chancela.clicksign.models import RateLimitBucket
from chancela.clicksign.ratelimit import SCOPE_ACCOUNT, WINDOW_SECONDS
from chancela.core.worker import ResilientWorker
from chancela.esign.clients import client_for_config, config_account_key
from chancela.esign.models import SignatureConfig
from chancela.signing.dispatch import (
    DEFERRED_PRIORITY,
    RESUME_EARLY_SECONDS,
    STEP_DONE,
    signature_request_dispatch,
)
from chancela.signing.models import RequestStatus, SignatureRequest
from chancela.signing.tests.dispatch_helpers import (
    STEP_CALLS,
    a_minute_passes,
    assert_exactly_one_envelope,
    envelopes_of,
    make_dispatchable_request,
)
from chancela.testing.clicksign import emulator_account
from chancela.testing.factories import make_config, make_unit
from clicksign_emulator.testing import EmulatorHandle

SANDBOX_LIMIT = 20


def batch_worker() -> ResilientWorker:
    """``db_worker`` in process, until no job is ready."""
    return ResilientWorker(
        queue_names=["default"], interval=0, batch=True, backend_name="default",
        startup_delay=False, max_tasks=None, worker_id="test-worker",
        excluded_queue_names=[],
    )  # fmt: skip


def another_account(emulator: EmulatorHandle) -> tuple[SignatureConfig, str]:
    """A configuration on a second emulator account, and that account's key."""
    account = emulator_account(emulator, token=str(uuid.uuid4()))
    config = make_config(
        make_unit(), token=account["token"], api_user_email=account["api_user_email"]
    )
    return config, account["key"]


def calls_fill_the_window(config: SignatureConfig, count: int) -> None:
    """``count`` real calls of the configuration's account, through our limiter."""
    with client_for_config(config) as client:
        for _ in range(count):
            client.envelopes_list(page_size=1)


def account_window_frees_at(config: SignatureConfig) -> datetime:
    """When the oldest call in the account's window leaves it (a slot frees)."""
    key = config_account_key(config)
    bucket = RateLimitBucket.objects.get(account=key, scope=SCOPE_ACCOUNT)
    oldest = min(end for _, _, end in bucket.entries)
    return datetime.fromtimestamp(oldest + WINDOW_SECONDS, tz=UTC)


def dispatch_job(request: SignatureRequest) -> DBTaskResult:
    return DBTaskResult.objects.get(
        status=TaskResultStatus.READY,
        args_kwargs__kwargs__request_public_id=str(request.public_id),
    )


def time_passes_until(moment: datetime, emulator: EmulatorHandle) -> None:
    """Both clocks run until ``moment`` (and a little beyond): limiter slots and blocks, the
    emulator's windows and the jobs' ``run_after`` all move back by as much."""
    seconds = (moment - timezone.now()).total_seconds() + 0.1
    a_minute_passes(emulator, seconds=seconds)
    for job in DBTaskResult.objects.filter(status=TaskResultStatus.READY).exclude(
        run_after=get_date_max()
    ):
        job.run_after -= timedelta(seconds=seconds)
        job.save(update_fields=["run_after"])


def account_calls(emulator: EmulatorHandle, key: str) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in emulator.control.requests(account_key=key)]


@pytest.mark.django_db(transaction=True)
def test_it_runs_another_accounts_job_while_the_first_account_waits_for_its_window(
    clicksign_emulator, emulated_config
):
    first_key = clicksign_emulator.account_key
    second, second_key = another_account(clicksign_emulator)
    # The first account has room for two more calls: the envelope and the document of a1.
    calls_fill_the_window(emulated_config, SANDBOX_LIMIT - 2)
    a1 = make_dispatchable_request(emulated_config, signers=1, auths=False)
    a2 = make_dispatchable_request(emulated_config, signers=1, auths=False)
    b1 = make_dispatchable_request(second, signers=1, auths=False)

    batch_worker().run()  # returns once no job is ready

    # The worker did not sleep on the first account: it sent b1 and stopped, a1 and a2 waiting.
    b1.refresh_from_db()
    assert b1.dispatch_step == STEP_DONE
    assert_exactly_one_envelope(clicksign_emulator, b1)
    assert len(account_calls(clicksign_emulator, first_key)) == SANDBOX_LIMIT
    a1.refresh_from_db()
    assert a1.status == RequestStatus.SENDING
    assert a1.dispatch_step == "signers"  # envelope and document sent, the signer next
    assert a1.dispatch_attempts == 0  # waiting for a slot is not an attempt
    assert not a1.events.filter(kind="dispatch_retry_scheduled").exists()
    assert envelopes_of(clicksign_emulator, a2) == []
    # a1 goes back for when the account's oldest call leaves the window (a moment early, to be
    # on time), and a2, which the worker never took, is set aside until then, after envelopes
    # already under way.
    due = account_window_frees_at(emulated_config) - timedelta(seconds=RESUME_EARLY_SECONDS)
    a1_job, a2_job = dispatch_job(a1), dispatch_job(a2)
    assert abs(a1_job.run_after - due) < timedelta(milliseconds=1)
    assert a1.dispatch_next_attempt_at == a1_job.run_after
    assert a1_job.priority == 0
    assert a2_job.run_after == a1_job.run_after
    assert a2_job.priority == DEFERRED_PRIORITY

    time_passes_until(a1_job.run_after, clicksign_emulator)
    batch_worker().run()

    for request in (a1, a2):
        request.refresh_from_db()
        assert request.dispatch_step == STEP_DONE
        assert_exactly_one_envelope(clicksign_emulator, request)
    # a1, under way, finished before a2 began.
    after = account_calls(clicksign_emulator, first_key)[SANDBOX_LIMIT:]
    a2_starts = after.index(("POST", "/api/v3/envelopes"))
    assert a2_starts == 4  # a1's signer, requirements, activation, notification
    assert all(a1.clicksign_envelope_id in path for _, path in after[:a2_starts])


@pytest.mark.django_db(transaction=True)
def test_it_sets_aside_every_configuration_of_the_full_account_and_leaves_a_second_account(
    clicksign_emulator, emulated_config
):
    # Another unit's configuration with the same token: the same Clicksign account and window.
    sibling = make_config(
        make_unit(), token=emulated_config.token, api_user_email=emulated_config.api_user_email
    )
    second, _ = another_account(clicksign_emulator)
    calls_fill_the_window(emulated_config, SANDBOX_LIMIT)
    a1 = make_dispatchable_request(emulated_config, signers=1, auths=False)
    a2 = make_dispatchable_request(emulated_config, signers=1, auths=False)
    s1 = make_dispatchable_request(sibling, signers=1, auths=False)
    b1 = make_dispatchable_request(second, signers=1, auths=False)

    assert signature_request_dispatch(request_id=str(a1.public_id)) == "retry"

    frees = account_window_frees_at(emulated_config)
    for aside in (dispatch_job(a2), dispatch_job(s1)):
        assert aside.priority == DEFERRED_PRIORITY
        assert aside.run_after >= frees - timedelta(seconds=RESUME_EARLY_SECONDS + 0.1)
    b1_job = dispatch_job(b1)
    assert b1_job.run_after == get_date_max()  # ready at once, as queued
    assert b1_job.priority == 0


@pytest.mark.django_db
def test_it_waits_out_a_notification_minute_without_setting_the_accounts_other_jobs_aside(
    clicksign_emulator, emulated_config
):
    a1 = make_dispatchable_request(emulated_config, signers=1, auths=False)
    a2 = make_dispatchable_request(emulated_config, signers=1, auths=False)
    clicksign_emulator.control.add_fault(
        kind="commit_then_drop", method="POST", path=STEP_CALLS["notify"][1]
    )
    assert signature_request_dispatch(request_id=str(a1.public_id)) == "retry"

    # The notification may have gone out: the next may only go a minute later. The account
    # itself has room, so a2 stays ready.
    assert signature_request_dispatch(request_id=str(a1.public_id)) == "retry"

    a1.refresh_from_db()
    assert a1.dispatch_next_attempt_at >= timezone.now() + timedelta(seconds=40)
    a2_job = dispatch_job(a2)
    assert a2_job.run_after == get_date_max()
    assert a2_job.priority == 0
    assert signature_request_dispatch(request_id=str(a2.public_id)) == "done"
