"""The bare floor of P4 (``make bench``): the irreducible work of receiving a webhook.

A tiny WSGI app, served by the same gunicorn layout as Chancela and writing to the same
database: read the raw body, check ``Content-Hmac`` in constant time, one INSERT under a unique
key (autocommit: one round trip), answer 200. No framework, no encryption, no job. Chancela's
``POST /callbackclicksign/<config>`` is measured against it in the same run.

Environment: ``BENCH_FLOOR_DSN`` (a libpq connection string), ``BENCH_FLOOR_SECRET``.
The table ``bench_floor`` is created by the benchmark before the server starts.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

import psycopg

SECRET = os.environ.get("BENCH_FLOOR_SECRET", "").encode()
DSN = os.environ.get("BENCH_FLOOR_DSN", "")
_local = threading.local()


def _connection() -> psycopg.Connection[Any]:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg.connect(DSN, autocommit=True)
    return conn


def _answer(start_response: Callable[..., Any], status: str, body: bytes) -> Iterable[bytes]:
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    received = environ.get("HTTP_CONTENT_HMAC", "").strip().encode()
    expected = b"sha256=" + hmac.new(SECRET, raw, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(expected, received):
        return _answer(start_response, "401 Unauthorized", b'{"ok":false}')
    try:
        _connection().execute(
            "INSERT INTO bench_floor (body_sha256, body) VALUES (%s, %s)",
            (hashlib.sha256(raw).hexdigest(), raw.decode("utf-8", "replace")),
        )
    except psycopg.errors.UniqueViolation:
        return _answer(start_response, "200 OK", b'{"ok":true,"code":"duplicate"}')
    except psycopg.Error:
        _local.conn = None
        return _answer(start_response, "503 Service Unavailable", b'{"ok":false}')
    return _answer(start_response, "200 OK", b'{"ok":true,"code":"stored"}')
