"""The HTTP server (stdlib ``ThreadingHTTPServer``) and the in-process ``EmulatorServer``."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from . import api, api_v1, control, pages
from . import constants as C
from .core import AccountSpec, Emulator
from .errors import JSON_API, internal_error_body, too_many_requests_json
from .faults import FaultRegistry, FaultRule
from .webhooks import Dispatcher, WebhookSettings
from .wire import Request, Response

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024 * 1024


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator_server: EmulatorServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return
        logger.exception("unhandled error serving %s", client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "clicksign-emulator"
    sys_version = ""
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        if not self.server.emulator_server.quiet:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.send_error(413)
            return
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=split.path,
            raw_query=split.query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            client_ip=self.client_address[0],
        )
        self.server.emulator_server.serve(self, request)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle  # noqa: N815

    def write_response(self, response: Response) -> None:
        self.send_response(response.status)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status not in (204, 304):
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.body and response.status not in (204, 304):
            self.wfile.write(response.body)
        self.wfile.flush()

    def drop(self) -> None:
        """Close the connection without answering anything."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _spec(value: AccountSpec | dict[str, Any]) -> AccountSpec:
    if isinstance(value, AccountSpec):
        return value
    return AccountSpec(**value)


class EmulatorServer:
    """Run the emulator on a socket, in a background thread.

    >>> with EmulatorServer(port=0) as server:
    ...     server.base_url  # doctest: +SKIP
    'http://127.0.0.1:54321'
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        rate_limit: int = C.DEFAULT_SANDBOX_RATE_LIMIT,
        production_rate_limit: int = C.DEFAULT_PRODUCTION_RATE_LIMIT,
        rate_limit_window: float = C.RATE_LIMIT_WINDOW_SECONDS,
        accounts: Iterable[AccountSpec | dict[str, Any]] = (),
        demo_account: bool = True,
        webhook_settings: dict[str, Any] | None = None,
        max_file_bytes: int = C.MAX_FILE_BYTES,
        max_envelope_bytes: int = C.MAX_ENVELOPE_BYTES,
        seed: int | None = None,
        public_url: str | None = None,
        quiet: bool = True,
    ) -> None:
        if not is_loopback(host):
            raise ValueError(f"refusing to listen on non-loopback host {host!r}")
        self.host = host
        self.port = port
        self.quiet = quiet
        self._public_url = public_url
        specs = [_spec(a) for a in accounts]
        if demo_account:
            specs.insert(
                0,
                AccountSpec(
                    token=C.DEMO_SANDBOX_TOKEN,
                    key=C.DEMO_ACCOUNT_KEY,
                    environment=C.SANDBOX,
                    api_user_email=C.DEMO_API_USER_EMAIL,
                    name="Demo Chancela (sandbox)",
                ),
            )
        self.emulator = Emulator(
            sandbox_rate_limit=rate_limit,
            production_rate_limit=production_rate_limit,
            rate_limit_window=rate_limit_window,
            max_file_bytes=max_file_bytes,
            max_envelope_bytes=max_envelope_bytes,
            accounts=specs,
            seed=seed,
        )
        self._startup_limits = (
            rate_limit,
            production_rate_limit,
            rate_limit_window,
            max_file_bytes,
            max_envelope_bytes,
        )
        self.faults = FaultRegistry()
        settings = WebhookSettings(**(webhook_settings or {}))
        self.dispatcher = Dispatcher(self.emulator, settings)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v3"

    def start(self) -> EmulatorServer:
        if self._httpd is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        _HTTPServer.address_family = family
        httpd = _HTTPServer((self.host, self.port), _Handler)
        httpd.emulator_server = self
        self.port = httpd.server_address[1]
        self.emulator.public_url = (self._public_url or self.base_url).rstrip("/")
        self._httpd = httpd
        self._stopping.clear()
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="clicksign-emulator-http",
            daemon=True,
        )
        self._thread.start()
        self.dispatcher.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.dispatcher.stop()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Start and block until KeyboardInterrupt (used by ``python -m``)."""
        self.start()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def reset(self, *, seed: int | None = None) -> None:
        """Everything back to startup: state, accounts, faults, clock, webhook settings."""
        emu = self.emulator
        with emu.lock:
            (
                emu.sandbox_rate_limit,
                emu.production_rate_limit,
                emu.rate_limit_window,
                emu.max_file_bytes,
                emu.max_envelope_bytes,
            ) = self._startup_limits
            emu.max_page_size = C.MAX_PAGE_SIZE
            emu.clock.reset()
            emu.reset(seed=seed)
            emu.take_outbox()
        self.faults.clear()
        self.dispatcher.reset()

    def control(self) -> Any:
        from .client import ControlClient

        return ControlClient(self.base_url)

    def settle_time(self) -> None:
        """Apply the clock (deadlines, delayed events) and hand new deliveries over."""
        self.emulator.tick()
        self.dispatcher.enqueue(self.emulator.take_outbox())
        self.dispatcher.wake()

    # ------------------------------------------------------------------ serving

    def serve(self, handler: _Handler, request: Request) -> None:
        emu = self.emulator
        if request.path == "/__emulator" or request.path.startswith("/__emulator/"):
            try:
                response = control.handle(self, request)
            except Exception as exc:  # noqa: BLE001 - report, do not kill the thread
                logger.exception("control API error")
                response = Response.control(500, {"error": "internal", "message": str(exc)})
            self._after_request()
            handler.write_response(response)
            return
        emu.tick()
        query = urlencode(
            [(k, v) for k, v in parse_qsl(request.raw_query, keep_blank_values=True)
             if k != "access_token"]
        )  # fmt: skip
        entry = emu.log_start(request.method, request.path, query)
        started = time.perf_counter()
        rule = self.faults.match(request.method, request.path)
        if rule is not None:
            entry.fault = rule.kind
        try:
            if rule is not None and rule.kind == "drop":
                handler.drop()
                return
            if rule is not None and rule.kind in ("status", "rate_limit"):
                response = self._fault_response(rule, request)
            else:
                if rule is not None and rule.kind == "timeout":
                    self._stopping.wait(rule.delay_seconds)
                response = self._route(request, entry)
            entry.status = response.status
            # Queue the webhooks this request caused before answering it, so a client that
            # flushes deliveries right after the response always finds them.
            self._after_request()
            if rule is not None and rule.kind == "commit_then_drop":
                handler.drop()
                return
            handler.write_response(response)
        finally:
            entry.duration_ms = round((time.perf_counter() - started) * 1000, 2)
            self._after_request()

    def _after_request(self) -> None:
        self.dispatcher.enqueue(self.emulator.take_outbox())

    def _route(self, request: Request, entry: Any) -> Response:
        try:
            if api_v1.is_legacy_path(request.path):
                return api_v1.handle(self.emulator, request, entry)
            if request.path.startswith("/api/"):
                return api.handle(self.emulator, request, entry)
            return pages.handle(self.emulator, request)
        except Exception:  # noqa: BLE001 - a bug must look like Clicksign's 500, not a hang
            logger.exception("error handling %s %s", request.method, request.path)
            return Response.json(500, internal_error_body(500))

    def _account_for(self, request: Request) -> Any:
        token = request.header("authorization") or request.param("access_token")
        if not token:
            return None
        with self.emulator.lock:
            return self.emulator.account_by_token(token.strip())

    def _fault_response(self, rule: FaultRule, request: Request) -> Response:
        emu = self.emulator
        account = self._account_for(request)
        limit = emu.account_rate_limit(account) if account else emu.sandbox_rate_limit
        with emu.lock:
            headers = (
                emu.rate_limit_peek(account.key, limit)
                if account is not None
                else emu.rate_limit_peek("anon:", limit)
            )
        if rule.kind == "rate_limit":
            headers["X-Rate-Limit-Remaining"] = "0"
            headers["X-Rate-Limit-Reset"] = str(int(emu.clock.time() + emu.rate_limit_window))
            status = 429
            body: Any = rule.body if rule.body is not None else too_many_requests_json()
        else:
            assert rule.status is not None
            status = rule.status
            body = rule.body if rule.body is not None else internal_error_body(status)
        headers.update(rule.headers)
        if not request.path.startswith("/api/"):
            headers = {k: v for k, v in headers.items() if not k.startswith("X-Rate-Limit")}
            headers.update(rule.headers)
        if isinstance(body, str):
            return Response(status, body.encode(), "text/plain; charset=utf-8", headers)
        response = Response.json(status, body, content_type=JSON_API)
        response.headers.update(headers)
        return response

    def describe(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "api_url": self.api_url,
            "webhook_settings": asdict(self.dispatcher.settings),
        }
