"""One line when the database stops answering, one when it is back."""

from __future__ import annotations

import logging
import time

import pytest
from django.db import connection

from chancela.core.outage import OutageLog, database_accepts_new_connections, work_began


def test_it_closes_an_outage_only_with_a_success_begun_after_it(caplog):
    caplog.set_level(logging.INFO, logger="chancela.tests.outage")
    log = OutageLog(logging.getLogger("chancela.tests.outage"), "web")
    begun_before = time.monotonic()
    log.failed(ConnectionError("refused"))
    log.failed(ConnectionError("refused"))
    log.ok(started=begun_before)  # a request already past its queries when the cluster stopped
    log.failed(ConnectionError("refused"))
    assert log.ongoing
    log.ok(started=time.monotonic())
    assert not log.ongoing
    assert [r.message for r in caplog.records] == [
        "web: database unreachable",
        "web: database reachable again",
    ]
    assert caplog.records[1].refused == 3


def test_it_closes_an_outage_with_a_success_whose_start_is_not_known(caplog):
    log = OutageLog(logging.getLogger("chancela.tests.outage"), "worker")
    log.failed(ConnectionError("refused"))
    log.ok()
    assert not log.ongoing


@pytest.mark.django_db(transaction=True)
def test_it_takes_an_answer_over_a_connection_older_than_the_outage_only_once_confirmed():
    # A fast shutdown terminates backends one by one: a persistent connection not terminated yet
    # still answers after another thread was refused. A new connection tells whether it is over.
    log = OutageLog(logging.getLogger("chancela.tests.outage"), "web")
    connection.close()
    connection.ensure_connection()
    log.failed(ConnectionError("terminating connection due to administrator command"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    log.ok(started=work_began(time.monotonic()), confirm=lambda: False)  # still stopping
    assert log.ongoing
    log.ok(started=work_began(time.monotonic()), confirm=database_accepts_new_connections)
    assert not log.ongoing  # this database does accept a new connection

    log.failed(ConnectionError("refused"))
    connection.close()
    with connection.cursor() as cursor:  # a connection opened since the refusal: proof enough
        cursor.execute("SELECT 1")

    def never() -> bool:
        raise AssertionError("no confirmation needed")

    log.ok(started=work_began(time.monotonic()), confirm=never)
    assert not log.ongoing
