"""``manage.py db_worker`` keeps to the log level the environment asks for (``make run`` asks for
warnings only after start-up, so the terminal is not filled with one line per job)."""

from __future__ import annotations

import logging

import pytest
from django_tasks_db.management.commands import db_worker as upstream

from chancela.core.management.commands.db_worker import Command

LOGGERS = (upstream.TASKS_LOGGER, upstream.logger.name)


@pytest.fixture(autouse=True)
def _restore_levels():
    saved = {name: logging.getLogger(name).level for name in LOGGERS}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def test_it_logs_only_warnings_when_the_environment_asks_for_them(monkeypatch):
    monkeypatch.setenv("CHANCELA_LOG_LEVEL", "WARNING")
    Command().configure_logging(1)
    assert all(logging.getLogger(name).level == logging.WARNING for name in LOGGERS)


def test_it_keeps_a_line_per_job_by_default(monkeypatch):
    monkeypatch.delenv("CHANCELA_LOG_LEVEL", raising=False)
    Command().configure_logging(1)
    assert all(logging.getLogger(name).level == logging.INFO for name in LOGGERS)


def test_it_lets_an_explicit_verbosity_win(monkeypatch):
    monkeypatch.setenv("CHANCELA_LOG_LEVEL", "WARNING")
    Command().configure_logging(2)
    assert all(logging.getLogger(name).level == logging.DEBUG for name in LOGGERS)
