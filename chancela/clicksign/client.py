"""The Clicksign API v3 client: typed methods for every call Chancela makes.

- ``Authorization: <raw token>`` (no ``Bearer``), JSON:API media types, explicit connect / read /
  write / pool timeouts, redirects never followed.
- Every request first takes a slot from the account's shared rate limiter
  (:mod:`chancela.clicksign.ratelimit`); a 429 still answered by Clicksign blocks the account (or
  the notification endpoint) for every process until ``X-Rate-Limit-Reset``.
- One attempt per call: errors are raised as :mod:`chancela.clicksign.errors` types and the
  caller decides (the dispatch saga backs off and "looks before it retries" when
  ``outcome_unknown``).
- Returns the small dataclasses of :mod:`chancela.clicksign.types`; nothing outside this package
  sees the wire format. The token, webhook secrets and request bodies are never logged.
- Never call it inside ``transaction.atomic()``: besides holding a transaction across the network,
  the limiter's row lock would then last until the outer commit and stall every other process.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, Self, TypeVar

import httpx

from chancela.clicksign import wire
from chancela.clicksign.errors import (
    ClicksignCredentialError,
    ClicksignError,
    ClicksignNotFoundError,
    ClicksignPermanentError,
    ClicksignRetryableError,
    CredentialErrorKind,
)
from chancela.clicksign.ratelimit import LIMITS, DatabaseRateLimiter, account_hash
from chancela.clicksign.types import (
    API_ENVELOPES,
    Authentication,
    CommunicateEvents,
    Document,
    DocumentEvent,
    DownloadedFile,
    Envelope,
    Notification,
    Page,
    Qualification,
    Requirement,
    RequirementSpec,
    Rubric,
    SendSettings,
    Signer,
    Webhook,
)
from chancela.core.http import Timeouts, http_client
from chancela.core.people import cpf_format

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/vnd.api+json"
API_PREFIX = "/api/v3"
DEFAULT_TIMEOUTS = Timeouts(connect=5.0, read=30.0, write=60.0, pool=5.0)
DEFAULT_PAGE_SIZE = 20
# Pre-signed download URLs live on Clicksign's S3 buckets (the exact bucket name varies).
S3_HOST = re.compile(r"^clicksign[a-z0-9-]*\.s3([.-][a-z0-9-]+)*\.amazonaws\.com$")
MAX_DOWNLOAD_BYTES = 60 * 1024 * 1024
MAX_BLOCK_SECONDS = 300.0
FILE_KINDS = ("original", "signed", "ziped")

# The webhook events Chancela subscribes to (reference §3.5): the document lifecycle, the signers,
# and every authentication failure.
WEBHOOK_EVENTS = (
    "upload",
    "add_signer",
    "remove_signer",
    "signature_started",
    "sign",
    "refusal",
    "close",
    "auto_close",
    "deadline",
    "cancel",
    "document_closed",
    "update_deadline",
    "attempts_by_whatsapp_exceeded",
    "attempts_by_liveness_or_facematch_exceeded",
    "liveness_refused",
    "facematch_refused",
    "biometric_refused",
    "documentscopy_refused",
    "ocr_refused",
    "identity_biometrics_refused",
)

T = TypeVar("T")
_NOTIFICATION_PATH = re.compile(r"^/envelopes/[^/]+(/signers/[^/]+)?/notifications$")


class ClicksignClient:
    """The envelope adapter (API 3.0) of the Clicksign port: a client bound to one Clicksign
    account (base URL + token). See :mod:`chancela.clicksign.port`.

    ``max_wait`` bounds how long a call may wait for a rate-limit slot before it raises
    :class:`ClicksignRetryableError` (``sent=False``); screens use a short one, workers a longer.
    """

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        environment: str = "sandbox",
        limiter: DatabaseRateLimiter | None = None,
        transport: httpx.BaseTransport | None = None,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        max_wait: float = 15.0,
        on_success: Callable[[], None] | None = None,
        signed_file_hosts: Iterable[str] = (),
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.signed_file_hosts = tuple(signed_file_hosts)
        self.environment = environment
        self.timeouts = timeouts
        self.max_wait = max_wait
        self._on_success = on_success
        self.limiter = limiter or DatabaseRateLimiter(
            account=account_hash(base_url=self.base_url, token=token),
            limit=LIMITS.get(environment, LIMITS["sandbox"]),
            max_flight=timeouts.total + 5.0,
        )
        self._http = self._api_client(token.strip(), timeouts, transport)
        # Downloads go to other hosts and must never carry the token.
        self._downloads = http_client(timeouts=timeouts, transport=transport)

    api_version = API_ENVELOPES
    media_type = MEDIA_TYPE

    def _api_client(
        self, token: str, timeouts: Timeouts, transport: httpx.BaseTransport | None
    ) -> httpx.Client:
        """The HTTP client of the API: v3 takes the raw token in ``Authorization``."""
        return http_client(
            base_url=self.base_url + API_PREFIX,
            timeouts=timeouts,
            headers={"Authorization": token, "Accept": MEDIA_TYPE},
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()
        self._downloads.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<ClicksignClient {self.environment} {self.base_url}>"

    # ================================================================== envelopes

    def envelope_create(
        self,
        *,
        name: str,
        locale: str = "pt-BR",
        auto_close: bool = True,
        remind_interval: int | None = 3,
        block_after_refusal: bool = False,
        deadline_at: datetime | None = None,
        default_subject: str | None = None,
        default_message: str | None = None,
        deadline_partial_signature_action: str | None = None,
    ) -> Envelope:
        attributes: dict[str, Any] = {
            "name": name,
            "locale": locale,
            "auto_close": auto_close,
            "remind_interval": remind_interval,
            "block_after_refusal": block_after_refusal,
        }
        if deadline_at is not None:
            attributes["deadline_at"] = wire.format_datetime(deadline_at)
        if default_subject is not None:
            attributes["default_subject"] = default_subject
        if default_message is not None:
            attributes["default_message"] = default_message
        if deadline_partial_signature_action is not None:
            attributes["deadline_partial_signature_action"] = deadline_partial_signature_action
        payload = self._call(
            "POST", "/envelopes", body={"data": {"type": "envelopes", "attributes": attributes}}
        )
        return wire.envelope_from(payload["data"])

    def envelope_get(self, envelope_id: str) -> Envelope:
        payload = self._call("GET", f"/envelopes/{envelope_id}")
        return wire.envelope_from(payload["data"])

    def envelopes_list(
        self,
        *,
        status: str | Iterable[str] | None = None,
        name: str | None = None,
        created: tuple[datetime | date | None, datetime | date | None] | None = None,
        modified: tuple[datetime | date | None, datetime | date | None] | None = None,
        deadline_at: tuple[datetime | date | None, datetime | date | None] | None = None,
        sort: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[Envelope]:
        """``GET /envelopes`` with Clicksign's filters. Ranges are ``(from, to)``, either open."""
        params: dict[str, str] = {}
        if status:
            params["filter[status]"] = status if isinstance(status, str) else ",".join(status)
        if name:
            params["filter[name]"] = name
        for key, bounds in (
            ("created", created),
            ("modified", modified),
            ("deadline_at", deadline_at),
        ):
            if bounds is not None:
                params[f"filter[{key}]"] = ",".join(_range_bound(b) for b in bounds)
        if sort:
            params["sort"] = sort
        return self._page("/envelopes", params, page, page_size, wire.envelope_from)

    def envelope_activate(self, envelope_id: str) -> Envelope:
        """``PATCH status=running``. Irreversible; notifies nobody (call a ``notify_*`` next)."""
        body = {
            "data": {"id": envelope_id, "type": "envelopes", "attributes": {"status": "running"}}
        }
        payload = self._call("PATCH", f"/envelopes/{envelope_id}", body=body)
        return wire.envelope_from(payload["data"])

    def envelope_delete(self, envelope_id: str) -> None:
        """Delete a draft envelope (Clicksign answers 403 for any other status)."""
        self._call("DELETE", f"/envelopes/{envelope_id}")

    def envelope_events_list(
        self, envelope_id: str, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Page[DocumentEvent]:
        """The events of every document of the envelope."""
        return self._page(f"/envelopes/{envelope_id}/events", {}, page, page_size, wire.event_from)

    # ================================================================== documents

    def document_create(
        self,
        envelope_id: str,
        *,
        filename: str,
        content: bytes,
        content_type: str = "application/pdf",
        metadata: dict[str, Any] | None = None,
        settings: SendSettings | None = None,
    ) -> Document:
        """Upload a file (sent as the full data URI Clicksign requires). ``settings`` are the
        envelope's on 3.0 (ignored here) and the document's own on 1.9."""
        data_uri = f"data:{content_type};base64,{base64.b64encode(content).decode('ascii')}"
        attributes: dict[str, Any] = {"filename": filename, "content_base64": data_uri}
        if metadata is not None:
            attributes["metadata"] = metadata
        payload = self._call(
            "POST",
            f"/envelopes/{envelope_id}/documents",
            body={"data": {"type": "documents", "attributes": attributes}},
        )
        return wire.document_from(payload["data"], envelope_id)

    def document_get(self, envelope_id: str, document_id: str) -> Document:
        """The document with fresh file links (``files.signed`` once it is closed)."""
        payload = self._call("GET", f"/envelopes/{envelope_id}/documents/{document_id}")
        return wire.document_from(payload["data"], envelope_id)

    def documents_list(
        self,
        envelope_id: str,
        *,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        document_ids: Iterable[str] = (),
    ) -> Page[Document]:
        """The envelope's documents (``document_ids`` matters on 1.9 only)."""
        return self._page(
            f"/envelopes/{envelope_id}/documents",
            {},
            page,
            page_size,
            lambda r: wire.document_from(r, envelope_id),
        )

    def document_delete(self, envelope_id: str, document_id: str) -> None:
        """Delete a document of a draft envelope."""
        self._call("DELETE", f"/envelopes/{envelope_id}/documents/{document_id}")

    def document_cancel(self, envelope_id: str, document_id: str) -> Document:
        """Cancel a running document (the only way to cancel a running envelope)."""
        return self._document_status(envelope_id, document_id, "canceled")

    def document_close(self, envelope_id: str, document_id: str) -> Document:
        """Finish a running document now, with the signatures it has."""
        return self._document_status(envelope_id, document_id, "closed")

    def _document_status(self, envelope_id: str, document_id: str, status: str) -> Document:
        body = {"data": {"id": document_id, "type": "documents", "attributes": {"status": status}}}
        payload = self._call(
            "PATCH", f"/envelopes/{envelope_id}/documents/{document_id}", body=body
        )
        return wire.document_from(payload["data"], envelope_id)

    # ================================================================== signers

    def signer_create(
        self,
        envelope_id: str,
        *,
        name: str,
        email: str | None = None,
        phone_number: str | None = None,
        birthday: date | None = None,
        documentation: str | None = None,
        has_documentation: bool = True,
        refusable: bool = False,
        group: int = 1,
        location_required_enabled: bool = False,
        communicate_events: CommunicateEvents | None = None,
        auths: tuple[str, ...] = (),
        known_id: str = "",
    ) -> Signer:
        """Add a signer. ``documentation`` is the CPF (digits or formatted).

        With ``has_documentation=False`` Clicksign asks for neither CPF nor birthday, and they must
        not be sent. ``auths`` and ``known_id`` matter on 1.9 only (there the authentications
        belong to the reusable signer, and a registered signer key is reused); on 3.0 a signer
        lives in one envelope and its authentications are requirements.
        """
        attributes: dict[str, Any] = {
            "name": name,
            "has_documentation": has_documentation,
            "refusable": refusable,
            "group": group,
            "location_required_enabled": location_required_enabled,
        }
        if email:
            attributes["email"] = email
        if phone_number:
            attributes["phone_number"] = phone_number
        if has_documentation:
            if documentation:
                attributes["documentation"] = cpf_format(documentation)
            if birthday is not None:
                attributes["birthday"] = birthday.isoformat()
        events = communicate_events or CommunicateEvents()
        attributes["communicate_events"] = {
            "signature_request": events.signature_request,
            "signature_reminder": events.signature_reminder,
            "document_signed": events.document_signed,
        }
        payload = self._call(
            "POST",
            f"/envelopes/{envelope_id}/signers",
            body={"data": {"type": "signers", "attributes": attributes}},
        )
        return wire.signer_from(payload["data"], envelope_id)

    def signer_get(self, envelope_id: str, signer_id: str) -> Signer:
        payload = self._call("GET", f"/envelopes/{envelope_id}/signers/{signer_id}")
        return wire.signer_from(payload["data"], envelope_id)

    def signers_list(
        self, envelope_id: str, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Page[Signer]:
        return self._page(
            f"/envelopes/{envelope_id}/signers",
            {},
            page,
            page_size,
            lambda r: wire.signer_from(r, envelope_id),
        )

    def signer_delete(self, envelope_id: str, signer_id: str) -> None:
        self._call("DELETE", f"/envelopes/{envelope_id}/signers/{signer_id}")

    # ================================================================== requirements

    def requirement_create(self, envelope_id: str, spec: RequirementSpec) -> Requirement:
        payload = self._call(
            "POST",
            f"/envelopes/{envelope_id}/requirements",
            body={"data": _requirement_data(spec)},
        )
        return wire.requirement_from(payload["data"], envelope_id)

    def requirements_list(
        self,
        envelope_id: str,
        *,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        document_ids: Iterable[str] = (),
    ) -> Page[Requirement]:
        return self._page(
            f"/envelopes/{envelope_id}/requirements",
            {},
            page,
            page_size,
            lambda r: wire.requirement_from(r, envelope_id),
        )

    def requirement_delete(self, envelope_id: str, requirement_id: str) -> None:
        self._call("DELETE", f"/envelopes/{envelope_id}/requirements/{requirement_id}")

    def requirements_bulk(
        self,
        envelope_id: str,
        *,
        add: Iterable[RequirementSpec] = (),
        remove: Iterable[str] = (),
    ) -> list[Requirement]:
        """Add and remove requirements in one atomic request (all or nothing).

        Returns the requirements created, in the order of ``add``.
        """
        operations: list[dict[str, Any]] = [
            {"op": "remove", "ref": {"type": "requirements", "id": requirement_id}}
            for requirement_id in remove
        ]
        operations += [{"op": "add", "data": _requirement_data(spec)} for spec in add]
        if not operations:
            return []
        payload = self._call(
            "POST",
            f"/envelopes/{envelope_id}/bulk_requirements",
            body={"atomic:operations": operations},
        )
        results = (payload or {}).get("atomic:results") or []
        return [
            wire.requirement_from(item["data"], envelope_id)
            for item in results
            if isinstance(item, dict) and isinstance(item.get("data"), dict)
        ]

    # ================================================================== notifications

    def notify_envelope(
        self, envelope_id: str, *, message: str | None = None, document_ids: Iterable[str] = ()
    ) -> Notification:
        """Notify every signer of the current group (Clicksign: 1 call / minute / endpoint)."""
        return self._notify(f"/envelopes/{envelope_id}/notifications", message)

    def notify_signer(
        self,
        envelope_id: str,
        signer_id: str,
        *,
        message: str | None = None,
        document_ids: Iterable[str] = (),
    ) -> Notification:
        return self._notify(f"/envelopes/{envelope_id}/signers/{signer_id}/notifications", message)

    def _notify(self, path: str, message: str | None) -> Notification:
        attributes: dict[str, Any] = {}
        if message:
            attributes["message"] = message
        payload = self._call(
            "POST", path, body={"data": {"type": "notifications", "attributes": attributes}}
        )
        return wire.notification_from((payload or {}).get("data") or {})

    # ================================================================== events

    def document_events_list(
        self,
        envelope_id: str,
        document_id: str,
        *,
        name: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[DocumentEvent]:
        params = {"filter[name]": name} if name else {}
        return self._page(
            f"/envelopes/{envelope_id}/documents/{document_id}/events",
            params,
            page,
            page_size,
            wire.event_from,
        )

    # ================================================================== webhooks

    def webhooks_list(self, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page[Webhook]:
        return self._page("/webhooks", {}, page, page_size, wire.webhook_from)

    def webhook_create(
        self, *, endpoint: str, events: Iterable[str] = WEBHOOK_EVENTS, status: str = "active"
    ) -> Webhook:
        """Register an account webhook. The answer carries its HMAC secret."""
        attributes = {"endpoint": endpoint, "status": status, "events": list(events)}
        payload = self._call(
            "POST", "/webhooks", body={"data": {"type": "webhooks", "attributes": attributes}}
        )
        return wire.webhook_from(payload["data"])

    def webhook_get(self, webhook_id: str) -> Webhook:
        payload = self._call("GET", f"/webhooks/{webhook_id}")
        return wire.webhook_from(payload["data"])

    def webhook_update(
        self,
        webhook_id: str,
        *,
        events: Iterable[str] | None = None,
        status: str | None = None,
        endpoint: str | None = None,
    ) -> Webhook:
        """Change only the given attributes; Clicksign keeps the secret."""
        attributes: dict[str, Any] = {}
        if events is not None:
            attributes["events"] = list(events)
        if status is not None:
            attributes["status"] = status
        if endpoint is not None:
            attributes["endpoint"] = endpoint
        body = {"data": {"id": webhook_id, "type": "webhooks", "attributes": attributes}}
        payload = self._call("PATCH", f"/webhooks/{webhook_id}", body=body)
        return wire.webhook_from(payload["data"])

    # ================================================================== files

    def download(self, url: str, *, max_bytes: int = MAX_DOWNLOAD_BYTES) -> DownloadedFile:
        """Download a file link Clicksign gave us (pre-signed, valid ~5 minutes).

        Only Clicksign's storage hosts (``clicksign*.s3*.amazonaws.com`` over HTTPS) or the
        configured service host are fetched, with no ``Authorization`` header, no redirects and a
        size cap. Downloads do not count against the rate limit. An expired link answers 403:
        re-fetch the document (:meth:`document_get`) for a fresh one.
        """
        target = httpx.URL(url)
        if not self.download_allowed(url):
            raise ClicksignPermanentError(
                f"Endereço de download fora dos servidores da Clicksign: {target.host}",
                method="GET",
                path=target.host,
            )
        path = target.path
        try:
            with self._downloads.stream("GET", target) as response:
                if response.status_code != 200:
                    response.read()
                    raise self._error_for(response, "GET", path, rate_limited=False)
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise ClicksignPermanentError(
                            f"Arquivo maior que o limite de {max_bytes} bytes.",
                            status=200,
                            method="GET",
                            path=path,
                        )
                    chunks.append(chunk)
                content_type = response.headers.get("content-type", "")
        except httpx.HTTPError as exc:
            raise _transport_error(exc, "GET", path) from exc
        content = b"".join(chunks)
        return DownloadedFile(
            content=content,
            content_type=content_type,
            sha256=hashlib.sha256(content).hexdigest(),
        )

    def document_download(
        self, envelope_id: str, document_id: str, *, kind: str = "signed"
    ) -> DownloadedFile | None:
        """Fetch the document for a fresh link and download ``kind`` (``signed``, ``original``,
        ``ziped``). None when that file is not available yet (the signed file appears a few
        seconds after the document closes)."""
        if kind not in FILE_KINDS:
            raise ValueError(f"kind must be one of {FILE_KINDS}")
        document = self.document_get(envelope_id, document_id)
        url = getattr(document.files, kind)
        if not url:
            return None
        return self.download(url)

    def download_allowed(self, url: str) -> bool:
        """Whether :meth:`download` would fetch ``url`` (see :func:`download_host_allowed`)."""
        return download_host_allowed(
            url, service_url=self.base_url, extra_hosts=self.signed_file_hosts
        )

    # ================================================================== plumbing

    def _page(
        self,
        path: str,
        params: dict[str, str],
        page: int,
        page_size: int,
        parse: Callable[[dict[str, Any]], T],
    ) -> Page[T]:
        query = {**params, "page[number]": str(page), "page[size]": str(page_size)}
        payload = self._call("GET", path, params=query)
        items = [parse(resource) for resource in payload.get("data") or []]
        record_count = int((payload.get("meta") or {}).get("record_count") or len(items))
        links = payload.get("links") or {}
        has_next = bool(links.get("next")) or page * page_size < record_count
        return Page(
            items=items,
            record_count=record_count,
            page_number=page,
            page_size=page_size,
            has_next=has_next,
        )

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        notification_key: str | None = None,
    ) -> dict[str, Any]:
        """One call. ``notification_key`` names the one-per-minute notification bucket of the
        call (v3: the notification path itself)."""
        notification_path = notification_key or (
            path if method == "POST" and _NOTIFICATION_PATH.match(path) else None
        )
        slot = self.limiter.acquire(notification_path=notification_path, max_wait=self.max_wait)
        started = time.monotonic()
        headers = {"Content-Type": self.media_type} if body is not None else None
        content = json.dumps(body).encode("utf-8") if body is not None else None
        try:
            response = self._http.request(
                method, path, params=params, content=content, headers=headers
            )
        except httpx.HTTPError as exc:
            error = _transport_error(exc, method, path)
            logger.warning(
                "clicksign call failed without an answer",
                extra={
                    "method": method,
                    "path": path,
                    "error": type(exc).__name__,
                    "outcome_unknown": getattr(error, "outcome_unknown", False),
                },
            )
            raise error from exc
        finally:
            self.limiter.release(slot)
        duration_ms = round((time.monotonic() - started) * 1000, 1)
        status = response.status_code
        if 200 <= status < 300:
            logger.debug(
                "clicksign call",
                extra={"method": method, "path": path, "status": status, "ms": duration_ms},
            )
            if self._on_success is not None:
                self._on_success()
            if status == 204 or not response.content.strip():
                return {}
            try:
                payload = json.loads(response.content)
            except (ValueError, UnicodeDecodeError) as exc:
                raise ClicksignPermanentError(
                    "A Clicksign respondeu com um conteúdo que não é JSON.",
                    status=status,
                    method=method,
                    path=path,
                ) from exc
            return payload if isinstance(payload, dict) else {}
        error = self._error_for(response, method, path, notification_path=notification_path)
        logger.info(
            "clicksign call refused",
            extra={
                "method": method,
                "path": path,
                "status": status,
                "ms": duration_ms,
                "error": type(error).__name__,
                "detail": error.detail[:200],
            },
        )
        raise error

    def _error_for(
        self,
        response: httpx.Response,
        method: str,
        path: str,
        *,
        notification_path: str | None = None,
        rate_limited: bool = True,
    ) -> ClicksignError:
        """The error for a non-2xx answer. A 429 of the API (``rate_limited``) also blocks the
        account (or the notification endpoint) in the shared limiter until it may retry."""
        status = response.status_code
        items = wire.error_items(response)
        first_detail = items[0].detail if items else ""
        if status == 429 and not rate_limited:
            return ClicksignRetryableError(
                "Muitas requisições (429).",
                retry_after=wire.seconds_until_retry(response, time.time()),
                status=status,
                method=method,
                path=path,
                errors=items,
            )
        if status == 429:
            now = time.time()
            is_notification_limit = notification_path is not None and not items
            retry_after = wire.seconds_until_retry(response, now)
            if is_notification_limit:
                # The endpoint's own 1/minute limit (a text/plain "Too many requests").
                retry_after = max(retry_after or 0.0, 60.0)
            elif retry_after is None:
                retry_after = 10.0
            # Clicksign's reset is whole seconds and clocks drift a little; a reset absurdly far
            # away must not silence the account for hours.
            retry_after = min(retry_after + 1.0, MAX_BLOCK_SECONDS)
            self.limiter.block(
                until=self.limiter.now() + retry_after,
                notification_path=notification_path if is_notification_limit else None,
            )
            return ClicksignRetryableError(
                "A Clicksign recusou por excesso de requisições (429).",
                retry_after=retry_after,
                status=status,
                method=method,
                path=path,
                errors=items,
            )
        if status == 401:
            return ClicksignCredentialError(
                first_detail or "Token inválido.",
                kind=CredentialErrorKind.INVALID_TOKEN,
                status=status,
                method=method,
                path=path,
                errors=items,
            )
        if status == 403:
            kind = _forbidden_kind(first_detail)
            if kind is not None:
                return ClicksignCredentialError(
                    first_detail, kind=kind, status=status, method=method, path=path, errors=items
                )
            return ClicksignPermanentError(
                first_detail or "Acesso negado.",
                status=status,
                method=method,
                path=path,
                errors=items,
            )
        if status == 503 and any(item.code == "service_unavailable" for item in items):
            return ClicksignCredentialError(
                first_detail or "Serviço indisponível",
                kind=CredentialErrorKind.ENVELOPES_UNAVAILABLE,
                status=status,
                method=method,
                path=path,
                errors=items,
            )
        if status >= 500:
            return ClicksignRetryableError(
                first_detail or f"Erro {status} na Clicksign.",
                # 503 is "not now" (nothing done); 500/502/504 may have done the work.
                outcome_unknown=status != 503,
                status=status,
                method=method,
                path=path,
                errors=items,
            )
        if 300 <= status < 400:
            location = response.headers.get("location", "")
            return ClicksignPermanentError(
                f"A Clicksign respondeu com um redirecionamento ({status}) para {location!r}; "
                "confira a URL do serviço.",
                status=status,
                method=method,
                path=path,
                errors=items,
            )
        if status == 404:
            if not items:
                # Clicksign answers unknown routes with an HTML page.
                return ClicksignPermanentError(
                    "Rota inexistente na API da Clicksign.",
                    status=status,
                    method=method,
                    path=path,
                    errors=items,
                )
            return ClicksignNotFoundError(
                first_detail, status=status, method=method, path=path, errors=items
            )
        return ClicksignPermanentError(
            first_detail or "A Clicksign recusou o pedido sem dizer o motivo.",
            status=status,
            method=method,
            path=path,
            errors=items,
        )


def download_host_allowed(url: str, *, service_url: str, extra_hosts: Iterable[str] = ()) -> bool:
    """The one rule for where a file Clicksign links to may be downloaded from: Clicksign's S3
    buckets over HTTPS, the account's own service host (the emulator in development and tests),
    or a ``host`` / ``host:port`` listed in ``extra_hosts`` (``CHANCELA_SIGNED_FILE_HOSTS``)."""
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL:
        return False
    if target.scheme not in ("http", "https") or not target.host:
        return False
    if target.scheme == "https" and S3_HOST.match(target.host):
        return True
    service = httpx.URL(service_url)
    if (target.scheme, target.host, target.port) == (service.scheme, service.host, service.port):
        return True
    netloc = f"{target.host}:{target.port}" if target.port else target.host
    return any(host.strip().lower() == netloc.lower() for host in extra_hosts if host.strip())


def _forbidden_kind(detail: str) -> CredentialErrorKind | None:
    lowered = detail.lower()
    if "e-mail do usuário da api" in lowered:
        return CredentialErrorKind.API_EMAIL_NOT_SET
    if "não possui acesso a essa funcionalidade" in lowered:
        return CredentialErrorKind.PLAN_WITHOUT_API
    if "conta bloqueada" in lowered:
        return CredentialErrorKind.ACCOUNT_BLOCKED
    return None


def _transport_error(exc: httpx.HTTPError, method: str, path: str) -> ClicksignError:
    """Classify an error where no HTTP answer arrived."""
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return ClicksignPermanentError(f"URL do serviço inválida: {exc}", method=method, path=path)
    if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError | httpx.PoolTimeout):
        # The connection was never established: the request did not leave Chancela.
        reason = "tempo esgotado" if isinstance(exc, httpx.TimeoutException) else "conexão recusada"
        return ClicksignRetryableError(
            f"Não foi possível conectar à Clicksign ({reason}).",
            outcome_unknown=False,
            sent=False,
            method=method,
            path=path,
        )
    if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout):
        return ClicksignRetryableError(
            "A Clicksign não respondeu a tempo; a requisição pode ter sido processada.",
            outcome_unknown=True,
            method=method,
            path=path,
        )
    return ClicksignRetryableError(
        f"A conexão com a Clicksign caiu antes da resposta ({type(exc).__name__}); "
        "a requisição pode ter sido processada.",
        outcome_unknown=True,
        method=method,
        path=path,
    )


def _range_bound(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return wire.format_datetime(value)
    return value.isoformat()


def _requirement_data(spec: RequirementSpec) -> dict[str, Any]:
    if isinstance(spec, Qualification):
        attributes: dict[str, Any] = {"action": "agree", "role": spec.role}
    elif isinstance(spec, Authentication):
        attributes = {"action": "provide_evidence", "auth": spec.auth}
    elif isinstance(spec, Rubric):
        attributes = {"action": "rubricate", "pages": spec.pages}
    else:  # pragma: no cover - the type union is closed
        raise TypeError(f"not a requirement: {spec!r}")
    return {
        "type": "requirements",
        "attributes": attributes,
        "relationships": {
            "document": {"data": {"type": "documents", "id": spec.document_id}},
            "signer": {"data": {"type": "signers", "id": spec.signer_id}},
        },
    }
