"""The Clicksign port: the one interface everything above ``chancela/clicksign`` talks to.

Two adapters implement it — :class:`~chancela.clicksign.client.ClicksignClient` (envelopes, API
3.0) and :class:`~chancela.clicksign.legacy.LegacyClicksignClient` (API 1.9, accounts created
before July 2024) — with the same types (:mod:`chancela.clicksign.types`) and the same errors
(:mod:`chancela.clicksign.errors`). The saga, callbacks, reconciliation, actions, downloads and
"Testar conexão" get one from ``chancela.esign.clients.client_for_config``, which picks the
adapter the configuration's detected API calls for, and never ask which one they hold except for
the token check (``api_version``).

Arguments that only one API needs are part of the port and ignored by the other: a document's
``settings`` and a qualification's ``group``/``refusable`` (1.9 keeps them on the document and the
list; 3.0 on the envelope and the signer), a signer's ``auths`` and ``known_id`` (1.9 signers are
reusable account records that carry their authentications), ``document_ids`` of notifications
and requirement look-ups (1.9 has no envelope to ask).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Protocol, Self

from chancela.clicksign.types import (
    API_ENVELOPES,
    API_LEGACY,
    CommunicateEvents,
    Document,
    DocumentEvent,
    DownloadedFile,
    Envelope,
    Notification,
    Page,
    Requirement,
    RequirementSpec,
    SendSettings,
    Signer,
    Webhook,
)

__all__ = ["API_ENVELOPES", "API_LEGACY", "ClicksignPort"]


class ClicksignPort(Protocol):
    api_version: str

    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...

    def envelope_create(
        self,
        *,
        name: str,
        locale: str = ...,
        auto_close: bool = ...,
        remind_interval: int | None = ...,
        block_after_refusal: bool = ...,
        deadline_at: datetime | None = ...,
        default_subject: str | None = ...,
        default_message: str | None = ...,
        deadline_partial_signature_action: str | None = ...,
    ) -> Envelope: ...
    def envelope_get(self, envelope_id: str) -> Envelope: ...
    def envelopes_list(
        self,
        *,
        status: str | Iterable[str] | None = ...,
        name: str | None = ...,
        page: int = ...,
        page_size: int = ...,
    ) -> Page[Envelope]: ...
    def envelope_events_list(
        self, envelope_id: str, *, page: int = ..., page_size: int = ...
    ) -> Page[DocumentEvent]: ...
    def envelope_activate(self, envelope_id: str) -> Envelope: ...
    def envelope_delete(self, envelope_id: str) -> None: ...

    def document_create(
        self,
        envelope_id: str,
        *,
        filename: str,
        content: bytes,
        content_type: str = ...,
        metadata: dict[str, Any] | None = ...,
        settings: SendSettings | None = ...,
    ) -> Document: ...
    def document_get(self, envelope_id: str, document_id: str) -> Document: ...
    def documents_list(
        self,
        envelope_id: str,
        *,
        page: int = ...,
        page_size: int = ...,
        document_ids: Iterable[str] = ...,
    ) -> Page[Document]: ...
    def document_delete(self, envelope_id: str, document_id: str) -> None: ...
    def document_cancel(self, envelope_id: str, document_id: str) -> Document: ...
    def document_close(self, envelope_id: str, document_id: str) -> Document: ...
    def document_events_list(
        self,
        envelope_id: str,
        document_id: str,
        *,
        name: str | None = ...,
        page: int = ...,
        page_size: int = ...,
    ) -> Page[DocumentEvent]: ...

    def signer_create(
        self,
        envelope_id: str,
        *,
        name: str,
        email: str | None = ...,
        phone_number: str | None = ...,
        birthday: date | None = ...,
        documentation: str | None = ...,
        has_documentation: bool = ...,
        refusable: bool = ...,
        group: int = ...,
        location_required_enabled: bool = ...,
        communicate_events: CommunicateEvents | None = ...,
        auths: tuple[str, ...] = ...,
        known_id: str = ...,
    ) -> Signer: ...
    def signers_list(
        self, envelope_id: str, *, page: int = ..., page_size: int = ...
    ) -> Page[Signer]: ...
    def signer_delete(self, envelope_id: str, signer_id: str) -> None: ...

    def requirements_bulk(
        self, envelope_id: str, *, add: Iterable[RequirementSpec] = ..., remove: Iterable[str] = ...
    ) -> list[Requirement]: ...
    def requirements_list(
        self,
        envelope_id: str,
        *,
        page: int = ...,
        page_size: int = ...,
        document_ids: Iterable[str] = ...,
    ) -> Page[Requirement]: ...

    def notify_envelope(
        self, envelope_id: str, *, message: str | None = ..., document_ids: Iterable[str] = ...
    ) -> Notification: ...
    def notify_signer(
        self,
        envelope_id: str,
        signer_id: str,
        *,
        message: str | None = ...,
        document_ids: Iterable[str] = ...,
    ) -> Notification: ...

    def webhooks_list(self, *, page: int = ..., page_size: int = ...) -> Page[Webhook]: ...
    def webhook_create(
        self, *, endpoint: str, events: Iterable[str] = ..., status: str = ...
    ) -> Webhook: ...
    def webhook_get(self, webhook_id: str) -> Webhook: ...
    def webhook_update(
        self,
        webhook_id: str,
        *,
        events: Iterable[str] | None = ...,
        status: str | None = ...,
        endpoint: str | None = ...,
    ) -> Webhook: ...

    def download_allowed(self, url: str) -> bool: ...
    def download(self, url: str, *, max_bytes: int = ...) -> DownloadedFile: ...
