"""Outgoing webhook deliveries: queue, background sender, retries, chaos settings."""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from .clock import iso_br

if TYPE_CHECKING:
    from .core import Emulator, OutboxItem

logger = logging.getLogger(__name__)

USER_AGENT = "Clicksign-Webhooks (clicksign_emulator)"


@dataclass
class WebhookSettings:
    enabled: bool = True
    mode: str = "automatic"  # automatic | manual
    duplicate_probability: float = 0.0
    reorder: bool = False
    delay_seconds: float = 0.0
    wrong_signature_probability: float = 0.0
    first_attempt_failure_probability: float = 0.0
    max_attempts: int = 5
    retry_backoff_seconds: float = 10.0
    timeout_seconds: float = 5.0
    seed: int | None = None


FLOAT_FIELDS = (
    "duplicate_probability",
    "delay_seconds",
    "wrong_signature_probability",
    "first_attempt_failure_probability",
    "retry_backoff_seconds",
    "timeout_seconds",
)


@dataclass
class Delivery:
    id: int
    webhook_id: str
    account_key: str
    endpoint: str
    event_name: str
    document_id: str
    envelope_id: str
    body: bytes
    due_at: float
    created_at: float
    duplicate: bool = False
    attempts: int = 0
    status: str = "pending"  # pending | in_flight | delivered | failed | dropped
    sequence: int = 0

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "webhook_id": self.webhook_id,
            "endpoint": self.endpoint,
            "event": self.event_name,
            "document_id": self.document_id,
            "envelope_id": self.envelope_id,
            "status": self.status,
            "attempts": self.attempts,
            "duplicate": self.duplicate,
            "body_sha256": hashlib.sha256(self.body).hexdigest(),
        }


@dataclass
class Attempt:
    id: int
    delivery_id: int
    webhook_id: str
    event: str
    endpoint: str
    document_id: str
    envelope_id: str
    attempt: int
    time: str | None
    status_code: int | None
    success: bool
    error: str | None
    body_sha256: str
    duplicate: bool
    wrong_signature: bool
    simulated_failure: bool
    next_attempt_at: str | None
    body: str = field(repr=False, default="")

    def public(self) -> dict[str, Any]:
        return asdict(self)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Dispatcher:
    """Delivers webhooks from a background thread (``automatic``) or on ``flush`` (``manual``)."""

    def __init__(self, emu: Emulator, settings: WebhookSettings | None = None) -> None:
        self.emu = emu
        self._startup_settings = settings or WebhookSettings()
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: httpx.Client | None = None
        self.reset()

    # ------------------------------------------------------------------ lifecycle

    def reset(self) -> None:
        with self._cond:
            self.settings = WebhookSettings(**asdict(self._startup_settings))
            self._rng = random.Random(self.settings.seed)
            self.deliveries: list[Delivery] = []
            self.attempts: list[Attempt] = []
            self._generation = getattr(self, "_generation", 0) + 1
            self._seq = 0
            self._attempt_seq = 0
            self._cond.notify_all()

    def clear(self) -> None:
        """Forget every delivery (pending ones included) and every attempt."""
        with self._cond:
            self.deliveries = []
            self.attempts = []
            self._generation += 1

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, name="clicksign-emulator-webhooks", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    # ------------------------------------------------------------------ settings

    def configure(self, changes: dict[str, Any]) -> dict[str, Any]:
        allowed = set(asdict(WebhookSettings()))
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        with self._cond:
            current = asdict(self.settings)
            for key, value in changes.items():
                if key in ("enabled", "reorder"):
                    if not isinstance(value, bool):
                        raise ValueError(f"{key} must be a boolean")
                elif key == "mode":
                    if value not in ("automatic", "manual"):
                        raise ValueError("mode must be 'automatic' or 'manual'")
                elif key == "max_attempts":
                    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                        raise ValueError("max_attempts must be a positive integer")
                elif key == "seed":
                    if value is not None and not isinstance(value, int):
                        raise ValueError("seed must be an integer or null")
                elif key in FLOAT_FIELDS:
                    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                        raise ValueError(f"{key} must be a non-negative number")
                    if key.endswith("probability") and value > 1:
                        raise ValueError(f"{key} must be between 0 and 1")
                    value = float(value)
                current[key] = value
            self.settings = WebhookSettings(**current)
            if "seed" in changes:
                self._rng = random.Random(self.settings.seed)
            self._cond.notify_all()
            return asdict(self.settings)

    # ------------------------------------------------------------------ queue

    def enqueue(self, items: list[OutboxItem]) -> None:
        if not items:
            return
        now = self.emu.clock.time()
        with self._cond:
            settings = self.settings
            if not settings.enabled:
                return
            for item in items:
                copies = 1
                if (
                    settings.duplicate_probability > 0
                    and self._rng.random() < settings.duplicate_probability
                ):
                    copies = 2
                for copy in range(copies):
                    self._seq += 1
                    self.deliveries.append(
                        Delivery(
                            id=self._seq,
                            webhook_id=item.webhook_id,
                            account_key=item.account_key,
                            endpoint=item.endpoint,
                            event_name=item.event_name,
                            document_id=item.document_id,
                            envelope_id=item.envelope_id,
                            body=item.body,
                            due_at=now + settings.delay_seconds,
                            created_at=now,
                            duplicate=copy > 0,
                            sequence=self._seq,
                        )
                    )
            self._cond.notify_all()

    def pending_count(self) -> int:
        with self._cond:
            return sum(1 for d in self.deliveries if d.status == "pending")

    def _take(self, *, due_only: bool) -> list[Delivery]:
        now = self.emu.clock.time()
        with self._cond:
            batch = [
                d
                for d in self.deliveries
                if d.status == "pending" and (not due_only or d.due_at <= now)
            ]
            batch.sort(key=lambda d: (d.due_at, d.sequence))
            if self.settings.reorder and len(batch) > 1:
                self._rng.shuffle(batch)
            for delivery in batch:
                delivery.status = "in_flight"
            return batch

    # ------------------------------------------------------------------ sending

    def flush(self, *, due_only: bool = False) -> list[dict[str, Any]]:
        """Attempt every pending delivery once, now, in this thread."""
        self._absorb_outbox()
        batch = self._take(due_only=due_only)
        return [self._attempt(delivery).public() for delivery in batch]

    def _absorb_outbox(self) -> None:
        self.emu.tick()
        self.enqueue(self.emu.take_outbox())

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                self._cond.wait(timeout=0.2)
            if self._stop.is_set():
                break
            try:
                self._absorb_outbox()
                if self.settings.mode == "automatic":
                    for delivery in self._take(due_only=True):
                        if self._stop.is_set():
                            with self._cond:
                                delivery.status = "pending"
                            continue
                        self._attempt(delivery)
            except Exception:  # noqa: BLE001 - the loop must survive anything
                logger.exception("webhook dispatcher iteration failed")

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(follow_redirects=False, trust_env=False)
        return self._client

    def _attempt(self, delivery: Delivery) -> Attempt:
        emu = self.emu
        with emu.lock:
            webhook = emu.webhooks.get(delivery.webhook_id)
            secret = webhook.secret if webhook is not None else None
            active = webhook is not None and webhook.status == "active"
        with self._cond:
            generation = self._generation
            settings = self.settings
            delivery.attempts += 1
            attempt_no = delivery.attempts
            wrong = (
                settings.wrong_signature_probability > 0
                and self._rng.random() < settings.wrong_signature_probability
            )
            simulated = (
                attempt_no == 1
                and settings.first_attempt_failure_probability > 0
                and self._rng.random() < settings.first_attempt_failure_probability
            )
            wrong_secret = f"{self._rng.getrandbits(128):032x}"
        status_code: int | None = None
        error: str | None = None
        if not active or secret is None:
            error = "webhook removed or inactive"
        else:
            key = wrong_secret if wrong else secret
            headers = {
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Event": delivery.event_name,
                "Content-Hmac": sign(key, delivery.body),
                "User-Agent": USER_AGENT,
            }
            try:
                response = self._http().post(
                    delivery.endpoint,
                    content=delivery.body,
                    headers=headers,
                    timeout=settings.timeout_seconds,
                )
                status_code = response.status_code
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
        success = status_code is not None and 200 <= status_code < 300 and not simulated
        if simulated and error is None:
            error = "simulated first-attempt failure"
        next_at: float | None = None
        with self._cond:
            stale = generation != self._generation  # reset/cleared while we were sending
            if stale:
                delivery.status = "dropped"
            elif success:
                delivery.status = "delivered"
            elif not active:
                delivery.status = "dropped"
            elif attempt_no >= settings.max_attempts:
                delivery.status = "failed"
            else:
                delivery.status = "pending"
                next_at = emu.clock.time() + settings.retry_backoff_seconds * 2 ** (attempt_no - 1)
                delivery.due_at = next_at
            self._attempt_seq += 1
            attempt = Attempt(
                id=self._attempt_seq,
                delivery_id=delivery.id,
                webhook_id=delivery.webhook_id,
                event=delivery.event_name,
                endpoint=delivery.endpoint,
                document_id=delivery.document_id,
                envelope_id=delivery.envelope_id,
                attempt=attempt_no,
                time=iso_br(emu.clock.now()),
                status_code=status_code,
                success=success,
                error=error,
                body_sha256=hashlib.sha256(delivery.body).hexdigest(),
                duplicate=delivery.duplicate,
                wrong_signature=wrong,
                simulated_failure=simulated,
                next_attempt_at=(
                    iso_br(datetime.fromtimestamp(next_at, tz=UTC)) if next_at else None
                ),
                body=delivery.body.decode(),
            )
            if not stale:
                self.attempts.append(attempt)
            return attempt
