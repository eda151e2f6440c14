"""Chancela-side values the Clicksign client returns and accepts.

Small frozen dataclasses: nothing outside ``chancela.clicksign`` ever sees a JSON:API document.
Secrets (webhook secret) and personal data (CPF, phone) are left out of ``repr`` so that an object
printed in a log or a traceback does not leak them; the pre-signed download URLs too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# The two Clicksign APIs a configuration may speak (its token decides; "Testar conexão" detects).
API_ENVELOPES = "3.0"
API_LEGACY = "1.9"


class EnvelopeStatus(StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    CLOSED = "closed"
    CANCELED = "canceled"


# Documents have the same four statuses.
DocumentStatus = EnvelopeStatus


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a collection. ``record_count`` is Clicksign's total across pages."""

    items: list[T]
    record_count: int
    page_number: int
    page_size: int
    has_next: bool

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class Envelope:
    id: str
    name: str
    status: str
    locale: str
    auto_close: bool
    remind_interval: int | None
    block_after_refusal: bool
    deadline_at: datetime | None
    default_subject: str | None
    default_message: str | None
    deadline_partial_signature_action: str | None
    created: datetime | None
    modified: datetime | None


@dataclass(frozen=True)
class DocumentFiles:
    """Pre-signed download URLs (valid ~5 minutes: never store them, re-fetch the document)."""

    original: str | None = field(default=None, repr=False)
    signed: str | None = field(default=None, repr=False)
    ziped: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Document:
    id: str
    envelope_id: str
    filename: str
    status: str
    metadata: dict[str, Any]
    files: DocumentFiles
    created: datetime | None
    modified: datetime | None


@dataclass(frozen=True)
class CommunicateEvents:
    """Channels Clicksign uses for one signer."""

    signature_request: str = "email"  # email | sms | whatsapp | none
    signature_reminder: str = "email"  # email | none
    document_signed: str = "email"  # email | whatsapp


@dataclass(frozen=True)
class Signer:
    id: str
    envelope_id: str
    name: str
    email: str | None
    phone_number: str | None = field(repr=False)
    birthday: date | None = field(repr=False)
    has_documentation: bool
    documentation: str | None = field(repr=False)
    refusable: bool
    group: int
    location_required_enabled: bool
    communicate_events: CommunicateEvents
    created: datetime | None
    modified: datetime | None


class RequirementAction(StrEnum):
    AGREE = "agree"  # qualification: the role the signer signs as
    PROVIDE_EVIDENCE = "provide_evidence"  # authentication
    RUBRICATE = "rubricate"  # initials on pages


@dataclass(frozen=True)
class Qualification:
    """``agree`` with a role (``sign``, ``contractor``, ``legal_guardian``, ``witness``…)."""

    document_id: str
    signer_id: str
    role: str
    # API 1.9 only (there the list carries them; on 3.0 they belong to the signer).
    group: int = 1
    refusable: bool = False


@dataclass(frozen=True)
class Authentication:
    """``provide_evidence`` with an auth (``email``, ``sms``, ``selfie``, ``handwritten``…)."""

    document_id: str
    signer_id: str
    auth: str


@dataclass(frozen=True)
class Rubric:
    """``rubricate`` on ``pages`` (``"1,2"`` or ``"all"``)."""

    document_id: str
    signer_id: str
    pages: str


RequirementSpec = Qualification | Authentication | Rubric


@dataclass(frozen=True)
class Requirement:
    id: str
    envelope_id: str
    action: str
    role: str | None
    auth: str | None
    pages: str | None
    document_id: str | None
    signer_id: str | None
    created: datetime | None


@dataclass(frozen=True)
class NotificationResult:
    signer_id: str
    notified: bool


@dataclass(frozen=True)
class Notification:
    id: str
    message: str | None
    summary: list[NotificationResult]
    created: datetime | None


@dataclass(frozen=True)
class SendSettings:
    """What a 3.0 envelope carries and a 1.9 document carries itself (there is no envelope)."""

    deadline_at: datetime | None = None
    remind_interval: int | None = 3
    message: str | None = None
    block_after_refusal: bool = False
    sequence_enabled: bool = False
    locale: str = "pt-BR"
    auto_close: bool = True


@dataclass(frozen=True)
class DocumentEvent:
    """One entry of a document's (or an envelope's) event history.

    ``data`` is Clicksign's event-specific object as received (it may hold personal data of the
    signer: never log it).
    """

    id: str
    name: str
    data: dict[str, Any] = field(repr=False)
    created: datetime | None
    document_id: str | None = None

    @property
    def account_key(self) -> str:
        account = self.data.get("account") if isinstance(self.data, dict) else None
        return str(account.get("key") or "") if isinstance(account, dict) else ""

    @property
    def user_email(self) -> str:
        """The API user that acted (``upload``, ``add_signer``, ``close``…), when present."""
        user = self.data.get("user") if isinstance(self.data, dict) else None
        return str(user.get("email") or "") if isinstance(user, dict) else ""


@dataclass(frozen=True)
class Webhook:
    id: str
    endpoint: str
    events: list[str]
    status: str
    secret: str = field(repr=False)
    created: datetime | None = None


@dataclass(frozen=True)
class DownloadedFile:
    content: bytes = field(repr=False)
    content_type: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def is_pdf(self) -> bool:
        return self.content.lstrip()[:5] == b"%PDF-"
