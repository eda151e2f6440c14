"""Kill-point test: a real worker dies (``os._exit``) before and after every remote call of the
saga; the sweeper re-enqueues the request and a restarted real worker finishes it. Whatever the
point, Clicksign ends with exactly one active envelope for the request, each document, signer and
requirement once, and one activation."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.db import connection

from chancela.clicksign.types import API_LEGACY
from chancela.core.killpoints import KILL_EXIT_CODE
from chancela.signing.dispatch import KILL_POINTS, STEP_DONE, dispatches_sweep
from chancela.signing.models import RequestStatus
from chancela.signing.tests.dispatch_helpers import (
    assert_exactly_one_envelope,
    drain,
    envelopes_of,
    make_dispatchable_request,
    time_passes_for_dead_workers,
)
from chancela.testing.clicksign import API_VERSIONS
from chancela.testing.processes import REPO_ROOT, process_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def run_worker(**env: str) -> subprocess.CompletedProcess[bytes]:
    """``manage.py db_worker --batch``: a real worker that runs every due job, then exits."""
    argv = [
        sys.executable, "manage.py", "db_worker", "--batch", "--no-reload", "--no-startup-delay",
    ]  # fmt: skip
    return subprocess.run(  # noqa: S603 - fixed argv
        argv, cwd=REPO_ROOT, env=process_env(**env), capture_output=True, timeout=120, check=False
    )


def test_it_lists_a_before_and_after_kill_point_for_every_remote_write():
    assert len(KILL_POINTS) == 12


@pytest.mark.parametrize("clicksign_api", API_VERSIONS, indirect=True)
@pytest.mark.parametrize("kill_point", KILL_POINTS)
def test_it_ends_with_exactly_one_envelope_whatever_the_kill_point(
    clicksign_emulator, emulated_config, kill_point, clicksign_api
):
    if clicksign_api == API_LEGACY and connection.vendor != "postgresql":
        # Twelve worker processes more on every database would double this suite's time; the
        # 1.9 adapter's crash safety does not depend on the database, so it runs on PostgreSQL.
        pytest.skip("the API 1.9 kill points run on PostgreSQL only")
    request = make_dispatchable_request(emulated_config, signers=2)

    killed = run_worker(CHANCELA_KILL_POINTS_ENABLED="1", CHANCELA_KILL_AT=kill_point)

    assert killed.returncode == KILL_EXIT_CODE, killed.stderr.decode()[-3000:]
    request.refresh_from_db()
    assert request.dispatch_step != STEP_DONE
    assert request.dispatch_lease_until is not None  # the dead worker's lease

    # Time passes: the dead worker's lease expires; the sweeper notices and re-enqueues.
    time_passes_for_dead_workers(request)
    assert dispatches_sweep() == 1

    restarted = run_worker()

    assert restarted.returncode == 0, restarted.stderr.decode()[-3000:]
    request.refresh_from_db()
    if kill_point == "notify:after_call":
        # The notification went out, but the dead worker could not record it: the restarted
        # one sends it again (at least once) after Clicksign's one-a-minute window.
        assert request.dispatch_step == "notify"
        assert request.dispatch_next_attempt_at is not None
        drain(request, clicksign_emulator)
    request.refresh_from_db()
    assert request.dispatch_step == STEP_DONE
    assert request.status == RequestStatus.AWAITING_SIGNATURES
    assert_exactly_one_envelope(clicksign_emulator, request)
    envelope = envelopes_of(clicksign_emulator, request)[0]
    assert clicksign_emulator.control.notifications(envelope_id=envelope["id"])
    # The lost worker made exactly one attempt more than a clean run.
    assert request.dispatch_attempts == 2
