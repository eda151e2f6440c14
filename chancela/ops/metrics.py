"""The Prometheus metrics, computed from the database at scrape time.

Why from the database and not in-process counters: Chancela runs as several gunicorn workers,
several `db_worker` processes and several hosts. In-process counters would each see a slice
(and restart at zero with their process); prometheus-client's multiprocess mode only merges the
processes of one host through a shared folder, and a worker's counters would need their own
exporter. Every figure below is already a row in the shared database (requests, timeline
events, callbacks, rate-limit buckets, the job queue), so any web process answers for the
whole deployment, the figures survive restarts, and a scrape costs a few indexed aggregates.
The price: rows pruned by retention (callbacks after 90 days) leave the counts, so those are
gauges; figures that only grow are counters.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Sum
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from chancela.batches.models import BatchRow
from chancela.callbacks.models import InboundCallback, RejectedCallback
from chancela.clicksign.models import RateLimitBucket
from chancela.clicksign.ratelimit import SCOPE_ACCOUNT
from chancela.core.heartbeat import last_seen
from chancela.core.models import Heartbeat
from chancela.esign.clients import STORED_TOKEN, stored_token_account_key
from chancela.esign.models import SignatureConfig
from chancela.ops.health import queue_stats
from chancela.signing.models import Document, RequestEvent, SignatureRequest

logger = logging.getLogger(__name__)

DISPATCH_EVENT_OUTCOMES = {"dispatch_retry_scheduled": "retry", "dispatch_failed": "failed"}


def _account_label(account: str) -> str:
    return account[:12]


def _accounts() -> dict[str, list[SignatureConfig]]:
    """Each Clicksign account (keyed hash of base URL + token) and the configurations using it."""
    accounts: dict[str, list[SignatureConfig]] = {}
    configs = (
        SignatureConfig.objects.filter(active=True)
        .defer("token", "webhook_secret", "previous_webhook_secret")
        .annotate(stored_token=STORED_TOKEN)
    )
    for config in configs:
        account = stored_token_account_key(
            base_url=config.service_url,
            stored_token=config.stored_token,
        )
        if account is None:  # an unreadable token must not break the scrape
            logger.warning("metrics: a configuration token cannot be decrypted")
            continue
        accounts.setdefault(account, []).append(config)
    return accounts


class DatabaseCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from self._requests()
        yield from self._dispatch()
        yield from self._clicksign()
        yield from self._callbacks()
        yield from self._queues()
        yield from self._files_and_batches()
        yield from self._processes()

    def _requests(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "chancela_signature_requests",
            "Signature requests by status and environment.",
            labels=["status", "environment"],
        )
        rows = (
            SignatureRequest.objects.order_by()
            .values("status", "environment")
            .annotate(n=Count("id"))
        )
        for row in rows:
            gauge.add_metric([row["status"], row["environment"]], row["n"])
        yield gauge

    def _dispatch(self) -> Iterator[Metric]:
        attempts = CounterMetricFamily(
            "chancela_dispatch_attempts",
            "Dispatch attempts (leases taken on a request) by environment.",
            labels=["environment"],
        )
        rows = (
            SignatureRequest.objects.order_by()
            .values("environment")
            .annotate(n=Sum("dispatch_attempts"))
        )
        for row in rows:
            attempts.add_metric([row["environment"]], row["n"] or 0)
        yield attempts
        failures = CounterMetricFamily(
            "chancela_dispatch_failures",
            "Dispatch failures: retry (temporary, rescheduled) or failed (gave up), by reason.",
            labels=["outcome", "reason"],
        )
        events = (
            RequestEvent.objects.filter(kind__in=list(DISPATCH_EVENT_OUTCOMES))
            .order_by()
            .values("kind")
            .annotate(
                error=KeyTextTransform("error", "data"),
                status=KeyTextTransform("status", "data"),
            )
            .values("kind", "error", "status")
            .annotate(n=Count("id"))
        )
        totals: dict[tuple[str, str], int] = {}
        for row in events:
            reason = row["error"] or (f"http_{row['status']}" if row["status"] else "network")
            key = (DISPATCH_EVENT_OUTCOMES[row["kind"]], reason)
            totals[key] = totals.get(key, 0) + row["n"]
        for (outcome, reason), n in sorted(totals.items()):
            failures.add_metric([outcome, reason], n)
        yield failures

    def _clicksign(self) -> Iterator[Metric]:
        calls = CounterMetricFamily(
            "chancela_clicksign_requests",
            "Requests sent to Clicksign, per account (first 12 characters of its keyed hash).",
            labels=["account"],
        )
        limited = CounterMetricFamily(
            "chancela_clicksign_rate_limited",
            "429 answers received from Clicksign, per account.",
            labels=["account"],
        )
        for bucket in RateLimitBucket.objects.filter(scope=SCOPE_ACCOUNT).values(
            "account", "requests_total", "rate_limited_total"
        ):
            label = _account_label(bucket["account"])
            calls.add_metric([label], bucket["requests_total"])
            limited.add_metric([label], bucket["rate_limited_total"])
        yield calls
        yield limited
        info = GaugeMetricFamily(
            "chancela_clicksign_account_info",
            "Which active configuration (public id) uses which Clicksign account.",
            labels=["account", "config", "environment"],
        )
        for account, configs in sorted(_accounts().items()):
            for config in configs:
                info.add_metric(
                    [_account_label(account), str(config.public_id), config.environment], 1
                )
        yield info

    def _callbacks(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "chancela_callbacks",
            "Clicksign callbacks kept (retention applies): accepted, duplicated, rejected.",
            labels=["outcome", "reason"],
        )
        inbox: dict[str, Any] = InboundCallback.objects.aggregate(
            accepted=Count("id"), duplicated=Sum("duplicates")
        )
        gauge.add_metric(["accepted", ""], inbox["accepted"] or 0)
        gauge.add_metric(["duplicated", ""], inbox["duplicated"] or 0)
        for row in RejectedCallback.objects.order_by().values("reason").annotate(n=Count("id")):
            gauge.add_metric(["rejected", row["reason"]], row["n"])
        yield gauge

    def _queues(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "chancela_queue_depth", "Jobs due and waiting for a worker.", labels=["queue"]
        )
        age = GaugeMetricFamily(
            "chancela_queue_oldest_job_age_seconds",
            "How long the oldest waiting job has been due.",
            labels=["queue"],
        )
        for queue in queue_stats():
            depth.add_metric([queue.name], queue.depth)
            age.add_metric([queue.name], queue.oldest_age_seconds)
        yield depth
        yield age

    def _files_and_batches(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "chancela_signed_pdfs_archived",
            "Signed PDFs downloaded from Clicksign and archived.",
            value=Document.objects.filter(signed_archived_at__isnull=False).count(),
        )
        rows = GaugeMetricFamily(
            "chancela_batch_rows",
            "Rows of class batches by state (created or failed: processed).",
            labels=["state"],
        )
        for row in BatchRow.objects.order_by().values("state").annotate(n=Count("id")):
            rows.add_metric([row["state"]], row["n"])
        yield rows

    def _processes(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "chancela_process_last_seen_seconds",
            "Seconds since a worker / the scheduler last stamped its heartbeat (-1: never).",
            labels=["kind"],
        )
        now = timezone.now()
        for kind in Heartbeat.Kind.values:
            seen = last_seen(kind=kind)
            gauge.add_metric([kind], -1 if seen is None else (now - seen).total_seconds())
        yield gauge


def metrics_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    return registry
