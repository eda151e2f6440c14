"""One rate limiter per Clicksign account, shared by every process through the database.

Clicksign allows 20 requests / 10 s per account in sandbox and 50 / 10 s in production, plus one
request per minute to each notification endpoint, and answers 429 beyond that. It does not say
how its window is aligned, so we keep a **sliding** window: before each request the limiter makes
sure that fewer than ``limit`` requests can have *reached Clicksign* in any ``window`` seconds.

How: every request takes a *slot* ``[id, start, end]`` in its account's bucket row (and in the
endpoint's row for a notification). ``start`` is taken just before sending; ``end`` is written
when the answer (or the error) arrives, so the request reached Clicksign somewhere in
``[start, end]``. A slot counts against the window while ``end > now - window``, and while the
request is in flight (no ``end`` yet) it always counts. Proof sketch: if ``limit + 1`` requests
reached Clicksign within ``window`` seconds, take the one that acquired its slot last, at
``s``; every other one arrived after ``(its own arrival) - window >= s - window``, so its ``end``
was beyond ``s - window`` and it was counted at ``s`` — the limiter would have refused. No
margin for network latency is needed, and slow requests simply hold their slot longer.
A process that dies mid-request leaves a slot without ``end``; it counts as ended at
``start + max_flight`` (the sum of the client's timeouts).

Transactions are short: lock the row(s), read, decide, write, commit — the HTTP call happens
after the commit, and waiting happens outside any transaction. On PostgreSQL the rows are locked
with ``SELECT … FOR UPDATE`` and the time comes from the database (``clock_timestamp()``) so that
workers on several machines share one clock; on SQLite ``BEGIN IMMEDIATE`` (the project's
transaction mode) serialises writers and the machine clock is the only clock.

When Clicksign still answers 429 (another system using the same account, a limit lowered by
Clicksign) the client calls :meth:`DatabaseRateLimiter.block` with the time from
``X-Rate-Limit-Reset`` (or ``Retry-After``); every process then waits until that moment.
"""

from __future__ import annotations

import hashlib
import logging
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections, transaction
from django.db.models import F
from django.utils.crypto import salted_hmac

from chancela.clicksign.errors import ClicksignSlotWait
from chancela.clicksign.models import RateLimitBucket

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 10.0
LIMITS = {"sandbox": 20, "production": 50}
NOTIFICATION_LIMIT = 1
NOTIFICATION_WINDOW_SECONDS = 60.0
# Notification buckets (one per envelope / signer endpoint) untouched this long are deleted.
STALE_BUCKET_SECONDS = 600.0

SCOPE_ACCOUNT = "account"
SCOPE_NOTIFICATION = "notification"


def account_hash(*, base_url: str, token: str) -> str:
    """A keyed hash that identifies a Clicksign account without storing its token."""
    value = f"{base_url.rstrip('/')}\n{token.strip().lower()}"
    return salted_hmac(
        "chancela.clicksign.ratelimit.account", value, algorithm="sha256"
    ).hexdigest()


def _bucket_key(account: str, scope: str, path: str = "") -> str:
    return hashlib.sha256(f"{account}\n{scope}\n{path}".encode()).hexdigest()


@dataclass(frozen=True)
class Slot:
    """A place in the window taken for one request; give it back with ``release``."""

    id: str
    keys: tuple[str, ...]
    start: float


@dataclass(frozen=True)
class _Rule:
    key: str
    scope: str
    limit: int
    window: float


class DatabaseRateLimiter:
    """Sliding-window limiter for one Clicksign account, stored in ``RateLimitBucket`` rows."""

    def __init__(
        self,
        *,
        account: str,
        limit: int,
        window: float = WINDOW_SECONDS,
        notification_limit: int = NOTIFICATION_LIMIT,
        notification_window: float = NOTIFICATION_WINDOW_SECONDS,
        max_flight: float = 120.0,
        using: str = "default",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.account = account
        self.limit = limit
        self.window = window
        self.notification_limit = notification_limit
        self.notification_window = notification_window
        self.max_flight = max_flight
        self.using = using
        self._sleep = sleep
        self._known_rows: set[str] = set()  # bucket rows this process knows to exist

    # ------------------------------------------------------------------ public API

    def acquire(self, *, notification_path: str | None = None, max_wait: float = 15.0) -> Slot:
        """Wait (outside any transaction) until a request may be sent, and take its slot.

        ``notification_path`` (the request path of a notification POST) also takes a slot in
        that endpoint's one-per-minute bucket. If the wait would exceed ``max_wait`` seconds,
        raises :class:`ClicksignSlotWait` with ``retry_at`` and ``sent=False`` — the request
        was not sent, the caller may reschedule it — and ``account_retry_at`` when the
        account's own window is what keeps it waiting that long (workers give a short
        ``max_wait`` and set the account's work aside until then, see ``signing.dispatch``).
        """
        rules = self._rules(notification_path)
        waited = 0.0
        while True:
            slot, wait, account_wait, now = self._try_acquire(rules)
            if slot is not None:
                return slot
            if waited + wait > max_wait:
                raise ClicksignSlotWait(
                    "Limite de requisições da Clicksign: aguardando uma vaga na janela.",
                    retry_at=now + wait,
                    account_retry_at=now + account_wait
                    if waited + account_wait > max_wait
                    else None,
                    now=now,
                )
            # A little jitter so that processes woken together do not collide again.
            pause = wait + random.uniform(0, 0.05)  # noqa: S311
            self._sleep(pause)
            waited += pause

    def release(self, slot: Slot) -> None:
        """Record that the request of ``slot`` got its answer (or failed) now."""
        with transaction.atomic(using=self.using):
            now = self._now()
            for bucket in self._locked(slot.keys):
                changed = False
                for entry in bucket.entries:
                    if entry[0] == slot.id and entry[2] is None:
                        entry[2] = max(now, entry[1])
                        changed = True
                if changed:
                    bucket.updated_at = now
                    bucket.save(update_fields=["entries", "updated_at"])

    def block(self, *, until: float, notification_path: str | None = None) -> None:
        """Clicksign answered 429: send nothing to this account (or endpoint) before ``until``."""
        rules = self._rules(notification_path)
        rule = rules[-1]
        self._ensure_rows([rule])
        with transaction.atomic(using=self.using):
            now = self._now()
            RateLimitBucket.objects.using(self.using).filter(key=rules[0].key).update(
                rate_limited_total=F("rate_limited_total") + 1
            )
            for bucket in self._locked((rule.key,)):
                if bucket.blocked_until is None or bucket.blocked_until < until:
                    bucket.blocked_until = until
                    bucket.updated_at = now
                    bucket.save(update_fields=["blocked_until", "updated_at"])
        logger.warning(
            "clicksign rate limit answered 429; blocking",
            extra={"scope": rule.scope, "blocked_for_seconds": round(until - time.time(), 1)},
        )

    def now(self) -> float:
        """The limiter's clock (the database's on PostgreSQL), in epoch seconds."""
        return self._now()

    # ------------------------------------------------------------------ internals

    def _rules(self, notification_path: str | None) -> list[_Rule]:
        rules = [
            _Rule(_bucket_key(self.account, SCOPE_ACCOUNT), SCOPE_ACCOUNT, self.limit, self.window)
        ]
        if notification_path:
            rules.append(
                _Rule(
                    _bucket_key(self.account, SCOPE_NOTIFICATION, notification_path),
                    SCOPE_NOTIFICATION,
                    self.notification_limit,
                    self.notification_window,
                )
            )
        return rules

    def _now(self) -> float:
        connection = connections[self.using]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT EXTRACT(EPOCH FROM clock_timestamp())")
                return float(cursor.fetchone()[0])
        return time.time()

    def _ensure_rows(self, rules: list[_Rule]) -> None:
        rules = [r for r in rules if r.key not in self._known_rows]
        if not rules:
            return
        existing = set(
            RateLimitBucket.objects.using(self.using)
            .filter(key__in=[r.key for r in rules])
            .values_list("key", flat=True)
        )
        missing = [r for r in rules if r.key not in existing]
        if missing:
            RateLimitBucket.objects.using(self.using).bulk_create(
                [
                    RateLimitBucket(key=r.key, account=self.account, scope=r.scope, entries=[])
                    for r in missing
                ],
                ignore_conflicts=True,
            )
        self._known_rows.update(r.key for r in rules)

    def _locked(self, keys: tuple[str, ...] | list[str]) -> list[RateLimitBucket]:
        # Always lock in key order so that two processes never wait on each other in a cycle.
        return list(
            RateLimitBucket.objects.using(self.using)
            .select_for_update()
            .filter(key__in=list(keys))
            .order_by("key")
        )

    def _effective_end(self, entry: list, now: float) -> float:
        _, start, end = entry
        if end is not None:
            return float(end)
        if start + self.max_flight < now:
            return float(start + self.max_flight)  # its process died mid-request
        return float("inf")  # in flight: it may reach Clicksign at any moment

    def _try_acquire(self, rules: list[_Rule]) -> tuple[Slot | None, float, float, float]:
        """Take a slot in every rule's bucket, or say how long to wait: ``(slot, 0, 0, now)``
        or ``(None, wait, account_wait, now)`` — ``account_wait`` is the account bucket's share
        of it (its window or a block), 0 when only a notification endpoint is full."""
        self._ensure_rows(rules)
        with transaction.atomic(using=self.using):
            now = self._now()
            buckets = {b.key: b for b in self._locked([r.key for r in rules])}
            if len(buckets) < len(rules):
                # A stale notification row was cleaned up meanwhile: create it again.
                self._known_rows.difference_update(r.key for r in rules)
                return None, 0.0, 0.0, now
            wait = 0.0
            account_wait = 0.0
            live_entries: dict[str, list] = {}
            for rule in rules:
                rule_wait = 0.0
                bucket = buckets[rule.key]
                live = [
                    e for e in bucket.entries if self._effective_end(e, now) > now - rule.window
                ]
                live_entries[rule.key] = live
                if bucket.blocked_until is not None and bucket.blocked_until > now:
                    rule_wait = bucket.blocked_until - now
                excess = len(live) - rule.limit + 1
                if excess > 0:
                    # The earliest moment enough slots leave the window. An in-flight request
                    # leaves it no sooner than one window after now (if it ended right now).
                    frees = sorted(
                        min(self._effective_end(e, now), now) + rule.window for e in live
                    )
                    rule_wait = max(rule_wait, frees[excess - 1] - now)
                wait = max(wait, rule_wait)
                if rule.scope == SCOPE_ACCOUNT and rule_wait > 0:
                    account_wait = max(rule_wait, 0.01)
            if wait > 0:
                return None, max(wait, 0.01), account_wait, now
            slot_id = secrets.token_hex(8)
            for rule in rules:
                bucket = buckets[rule.key]
                bucket.entries = [*live_entries[rule.key], [slot_id, now, None]]
                bucket.updated_at = now
                bucket.requests_total += 1
                bucket.save(update_fields=["entries", "updated_at", "requests_total"])
            if len(rules) > 1:
                RateLimitBucket.objects.using(self.using).filter(
                    account=self.account,
                    scope=SCOPE_NOTIFICATION,
                    updated_at__lt=now - STALE_BUCKET_SECONDS,
                ).delete()
            return Slot(slot_id, tuple(r.key for r in rules), now), 0.0, 0.0, now
