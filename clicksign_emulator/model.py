"""In-memory records. Plain dataclasses; all mutation happens under ``Emulator.lock``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Account:
    key: str
    token: str | None
    name: str
    environment: str
    api_user_email: str | None
    plan_has_api: bool = True
    envelopes_enabled: bool = True
    rate_limit: int | None = None  # None: the environment's default

    def public(self, default_limit: int | None) -> dict[str, Any]:
        return {
            "key": self.key,
            "token": self.token,
            "name": self.name,
            "environment": self.environment,
            "api_user_email": self.api_user_email,
            "plan_has_api": self.plan_has_api,
            "envelopes_enabled": self.envelopes_enabled,
            "rate_limit": self.rate_limit if self.rate_limit is not None else default_limit,
        }


@dataclass
class Envelope:
    id: str
    account_key: str
    name: str
    locale: str
    auto_close: bool
    remind_interval: int | None
    block_after_refusal: bool
    deadline_at: datetime
    default_subject: str | None
    default_message: str | None
    deadline_partial_signature_action: str
    created: datetime
    modified: datetime
    status: str = "draft"
    rubric_enabled: bool = True
    activated_at: datetime | None = None
    activation_count: int = 0
    finished_at: datetime | None = None
    document_ids: list[str] = field(default_factory=list)
    signer_ids: list[str] = field(default_factory=list)
    requirement_ids: list[str] = field(default_factory=list)
    #: group that has been notified automatically / manually at least once
    notified_groups: set[int] = field(default_factory=set)
    #: an API 1.9 document's hidden envelope (one document, running from upload); never listed
    #: or reachable through /api/v3
    legacy: bool = False
    sequence_enabled: bool = False


@dataclass
class Document:
    id: str
    envelope_id: str
    account_key: str
    filename: str
    mime: str
    content: bytes
    sha256: str
    metadata: dict[str, Any]
    creation_metadata: dict[str, Any]
    created: datetime
    modified: datetime
    status: str = "draft"
    finished_at: datetime | None = None
    signed_pdf: bytes | None = None
    #: when the signed file becomes downloadable (document_closed is emitted then)
    signed_ready_at: datetime | None = None
    document_closed_emitted: bool = False
    blocked: bool = False
    #: how the document ended: auto_close | close | cancel | deadline
    ended_by: str | None = None


@dataclass
class Signer:
    id: str
    envelope_id: str
    name: str
    email: str | None
    phone_number: str | None
    birthday: str | None
    has_documentation: bool
    documentation: str | None
    refusable: bool
    group: int
    location_required_enabled: bool
    communicate_events: dict[str, str]
    signature_host: dict[str, Any] | None
    created: datetime
    modified: datetime
    signed: dict[str, datetime] = field(default_factory=dict)  # document id -> when
    started: dict[str, datetime] = field(default_factory=dict)
    refused: dict[str, dict[str, Any]] = field(default_factory=dict)  # doc id -> refusal
    ip: str = "127.0.0.1"
    #: API 1.9: the account-level signer this list (document participation) belongs to
    legacy_key: str | None = None
    #: API 1.9: the list's group as sent (the order applies only with ``sequence_enabled``)
    legacy_group: int | None = None
    legacy_message: str | None = None


@dataclass
class LegacySigner:
    """An API 1.9 signer: an account-level person record, created once and listed on documents."""

    key: str
    account_key: str
    email: str | None
    phone_number: str | None
    name: str
    documentation: str | None
    birthday: str | None
    has_documentation: bool
    auths: list[str]
    delivery: str
    communicate_by: str
    selfie_enabled: bool
    handwritten_enabled: bool
    official_document_enabled: bool
    liveness_enabled: bool
    facial_biometrics_enabled: bool
    location_required_enabled: bool
    created: datetime
    modified: datetime


@dataclass
class Requirement:
    id: str
    envelope_id: str
    document_id: str
    signer_id: str
    action: str
    role: str | None
    auth: str | None
    pages: str | None
    rubric_field: str | None
    kind: str | None
    created: datetime
    modified: datetime


@dataclass
class Event:
    id: str
    envelope_id: str
    document_id: str
    name: str
    data: Any
    occurred_at: datetime
    delivered: bool = False


@dataclass
class Notification:
    id: str
    envelope_id: str
    signer_id: str
    account_key: str
    kind: str  # signature_request | document_signed
    trigger: str  # api | group_advance | document_closed
    channel: str
    to: str | None
    message: str | None
    subject: str | None
    created: datetime
    signing_url: str
    api_notification_id: str | None = None


@dataclass
class Webhook:
    id: str
    account_key: str
    endpoint: str
    events: list[str]
    status: str
    secret: str
    created: datetime
    modified: datetime


@dataclass
class FileLink:
    token: str
    document_id: str
    kind: str  # original | signed | ziped
    expires_at: float  # emulator epoch seconds
