"""Running things at the same moment in tests: a live server thread and a barrier start."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from django.db import connection
from django.test.testcases import LiveServerThread, _StaticFilesHandler

T = TypeVar("T")


@pytest.fixture
def server_url() -> Iterator[str]:
    """A real threaded Django server on a free loopback port, for this test only."""
    thread = LiveServerThread("127.0.0.1", _StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()


def in_parallel(count: int, work: Callable[[], T]) -> list[T]:
    """Run ``work`` in ``count`` threads released together; their results, in finishing order."""
    barrier = threading.Barrier(count)
    results: list[Any] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait()
            result = work()
        finally:
            connection.close()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
