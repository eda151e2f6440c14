"""State and business rules of the emulated Clicksign account(s).

Everything here runs under ``Emulator.lock``. HTTP parsing and input validation live in
``api.py``; rendering of resources and webhook payloads in ``render.py``.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import threading
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from . import constants as C
from . import render
from .clock import Clock, iso_br
from .errors import ApiError
from .model import (
    Account,
    Document,
    Envelope,
    Event,
    FileLink,
    LegacySigner,
    Notification,
    Requirement,
    Signer,
    Webhook,
)
from .pdf import LogEntry, build_signed_pdf


@dataclass
class AccountSpec:
    """How an account looks at startup (restored by ``reset``)."""

    token: str | None
    environment: str = C.SANDBOX
    api_user_email: str | None = "api@emulador.local"
    plan_has_api: bool = True
    envelopes_enabled: bool = True
    name: str = "Conta do emulador"
    key: str | None = None
    rate_limit: int | None = None


@dataclass
class OutboxItem:
    """A webhook delivery decided by a state change, handed to the dispatcher later."""

    webhook_id: str
    account_key: str
    endpoint: str
    event_name: str
    document_id: str
    envelope_id: str
    body: bytes


class SigningError(Exception):
    """A signing/refusal attempt the current state does not allow (control API: 409)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Settings:
    signed_file_delay_seconds: float = 0.0
    signer_ip: str = "127.0.0.1"


@dataclass
class RequestLogEntry:
    id: int
    time: str
    method: str
    path: str
    query: str
    account_key: str | None = None
    status: int | None = None
    fault: str | None = None
    duration_ms: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "account_key": self.account_key,
            "status": self.status,
            "fault": self.fault,
            "duration_ms": self.duration_ms,
        }


class Emulator:
    """The whole emulated service: accounts, envelopes, webhooks registry, clock."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        sandbox_rate_limit: int = C.DEFAULT_SANDBOX_RATE_LIMIT,
        production_rate_limit: int = C.DEFAULT_PRODUCTION_RATE_LIMIT,
        rate_limit_window: float = C.RATE_LIMIT_WINDOW_SECONDS,
        max_file_bytes: int = C.MAX_FILE_BYTES,
        max_envelope_bytes: int = C.MAX_ENVELOPE_BYTES,
        accounts: list[AccountSpec] | None = None,
        seed: int | None = None,
        public_url: str = "http://127.0.0.1",
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self.sandbox_rate_limit = sandbox_rate_limit
        self.production_rate_limit = production_rate_limit
        self.rate_limit_window = rate_limit_window
        self.max_file_bytes = max_file_bytes
        self.max_envelope_bytes = max_envelope_bytes
        self.max_page_size = C.MAX_PAGE_SIZE
        self.public_url = public_url.rstrip("/")
        # Fix generated keys/tokens once, so that ``reset`` brings back the very same accounts.
        self._startup_specs = [
            replace(
                spec,
                key=spec.key or str(uuid.uuid4()),
                token=spec.token if spec.token is not None else str(uuid.uuid4()),
            )
            for spec in accounts or []
        ]
        self._startup_seed = seed
        self._local = threading.local()
        self.reset(seed=seed)

    # ------------------------------------------------------------------ lifecycle

    def reset(self, *, seed: int | None = None) -> None:
        with self.lock:
            self._rng = random.Random(seed if seed is not None else self._startup_seed)
            if seed is None and self._startup_seed is None:
                self._rng = random.Random()
            self.accounts: dict[str, Account] = {}
            self.envelopes: dict[str, Envelope] = {}
            self.documents: dict[str, Document] = {}
            self.signers: dict[str, Signer] = {}
            self.requirements: dict[str, Requirement] = {}
            self.events: dict[str, list[Event]] = {}  # document id -> events, in order
            self.notifications: list[Notification] = []
            self.webhooks: dict[str, Webhook] = {}
            self.legacy_signers: dict[str, LegacySigner] = {}
            self.files: dict[str, FileLink] = {}
            self.settings = Settings()
            self.request_log: list[RequestLogEntry] = []
            self._request_seq = 0
            self.rate_windows: dict[str, tuple[float, int]] = {}
            self.notification_hits: dict[tuple[str, str], float] = {}
            self._sequence = 0
            for spec in self._startup_specs:
                self.account_create(spec)

    # ------------------------------------------------------------------ helpers

    def now(self) -> datetime:
        return self.clock.now()

    def new_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def new_hex(self, nbytes: int = 16) -> str:
        return f"{self._rng.getrandbits(nbytes * 8):0{nbytes * 2}x}"

    def next_sequence(self) -> int:
        self._sequence += 1
        return self._sequence

    @property
    def outbox(self) -> list[OutboxItem]:
        box = getattr(self._local, "outbox", None)
        if box is None:
            box = []
            self._local.outbox = box
        return box

    def take_outbox(self) -> list[OutboxItem]:
        box = self.outbox
        self._local.outbox = []
        return box

    # ------------------------------------------------------------------ accounts

    def default_rate_limit(self, environment: str) -> int:
        if environment == C.PRODUCTION:
            return self.production_rate_limit
        return self.sandbox_rate_limit

    def account_rate_limit(self, account: Account) -> int:
        if account.rate_limit is not None:
            return account.rate_limit
        return self.default_rate_limit(account.environment)

    def account_create(self, spec: AccountSpec) -> Account:
        with self.lock:
            token = spec.token if spec.token is not None else self.new_id()
            if any(a.token == token for a in self.accounts.values()):
                raise ValueError("token already belongs to another account")
            key = spec.key or self.new_id()
            if key in self.accounts:
                raise ValueError("account key already exists")
            account = Account(
                key=key,
                token=token,
                name=spec.name,
                environment=spec.environment,
                api_user_email=spec.api_user_email,
                plan_has_api=spec.plan_has_api,
                envelopes_enabled=spec.envelopes_enabled,
                rate_limit=spec.rate_limit,
            )
            self.accounts[key] = account
            return account

    def account_by_token(self, token: str) -> Account | None:
        for account in self.accounts.values():
            if account.token is not None and account.token == token:
                return account
        return None

    def account_public(self, account: Account) -> dict[str, Any]:
        return account.public(self.account_rate_limit(account))

    # ------------------------------------------------------------------ rate limits

    def rate_limit_hit(self, bucket: str, limit: int) -> tuple[bool, dict[str, str]]:
        """Count one request in ``bucket``'s fixed window. Returns (allowed, headers)."""
        now = self.clock.time()
        start, count = self.rate_windows.get(bucket, (now, 0))
        if now >= start + self.rate_limit_window:
            start, count = now, 0
        allowed = count < limit
        if allowed:
            count += 1
        self.rate_windows[bucket] = (start, count)
        reset = int(start + self.rate_limit_window + 0.999)
        return allowed, {
            "X-Rate-Limit": str(limit),
            "X-Rate-Limit-Remaining": str(max(limit - count, 0)),
            "X-Rate-Limit-Reset": str(reset),
        }

    def rate_limit_peek(self, bucket: str, limit: int) -> dict[str, str]:
        now = self.clock.time()
        start, count = self.rate_windows.get(bucket, (now, 0))
        if now >= start + self.rate_limit_window:
            start, count = now, 0
        return {
            "X-Rate-Limit": str(limit),
            "X-Rate-Limit-Remaining": str(max(limit - count, 0)),
            "X-Rate-Limit-Reset": str(int(start + self.rate_limit_window + 0.999)),
        }

    def notification_limit_hit(self, account_key: str, path: str) -> bool:
        """True when allowed (1 request per minute per endpoint)."""
        now = self.clock.time()
        last = self.notification_hits.get((account_key, path))
        if last is not None and now - last < C.NOTIFICATION_LIMIT_SECONDS:
            return False
        self.notification_hits[(account_key, path)] = now
        return True

    # ------------------------------------------------------------------ request log

    def log_start(self, method: str, path: str, query: str) -> RequestLogEntry:
        with self.lock:
            self._request_seq += 1
            entry = RequestLogEntry(
                id=self._request_seq,
                time=iso_br(self.now()) or "",
                method=method,
                path=path,
                query=query,
            )
            self.request_log.append(entry)
            if len(self.request_log) > 20000:
                del self.request_log[: len(self.request_log) - 20000]
            return entry

    # ------------------------------------------------------------------ lookups

    def envelope_for(self, account: Account, envelope_id: str) -> Envelope:
        from .errors import not_found

        envelope = self.envelopes.get(envelope_id)
        if envelope is None or envelope.account_key != account.key or envelope.legacy:
            raise not_found(envelope_id)
        return envelope

    def document_in(self, envelope: Envelope, document_id: str) -> Document:
        from .errors import not_found

        document = self.documents.get(document_id)
        if document is None or document.envelope_id != envelope.id:
            raise not_found(document_id)
        return document

    def signer_in(self, envelope: Envelope, signer_id: str) -> Signer:
        from .errors import not_found

        signer = self.signers.get(signer_id)
        if signer is None or signer.envelope_id != envelope.id:
            raise not_found(signer_id)
        return signer

    def requirement_in(self, envelope: Envelope, requirement_id: str) -> Requirement:
        from .errors import not_found

        requirement = self.requirements.get(requirement_id)
        if requirement is None or requirement.envelope_id != envelope.id:
            raise not_found(requirement_id)
        return requirement

    def envelope_documents(self, envelope: Envelope) -> list[Document]:
        return [self.documents[d] for d in envelope.document_ids]

    def envelope_signers(self, envelope: Envelope) -> list[Signer]:
        return [self.signers[s] for s in envelope.signer_ids]

    def envelope_requirements(self, envelope: Envelope) -> list[Requirement]:
        return [self.requirements[r] for r in envelope.requirement_ids]

    def requirements_of(
        self, document_id: str, signer_id: str, action: str | None = None
    ) -> list[Requirement]:
        document = self.documents[document_id]
        envelope = self.envelopes[document.envelope_id]
        return [
            r
            for r in self.envelope_requirements(envelope)
            if r.document_id == document_id
            and r.signer_id == signer_id
            and (action is None or r.action == action)
        ]

    def qualified_signers(self, document: Document) -> list[Signer]:
        envelope = self.envelopes[document.envelope_id]
        seen: list[Signer] = []
        for requirement in self.envelope_requirements(envelope):
            if requirement.document_id == document.id and requirement.action == "agree":
                signer = self.signers[requirement.signer_id]
                if signer not in seen:
                    seen.append(signer)
        return seen

    def auths_of(self, document_id: str, signer_id: str) -> list[str]:
        return [
            r.auth or ""
            for r in self.requirements_of(document_id, signer_id, "provide_evidence")
            if r.auth
        ]

    def roles_of(self, document_id: str, signer_id: str) -> list[str]:
        return [r.role or "" for r in self.requirements_of(document_id, signer_id, "agree")]

    def signing_url(self, signer: Signer) -> str:
        return f"{self.public_url}/sign/{signer.id}"

    def widget_url(self, signer: Signer) -> str:
        return f"{self.public_url}/notarial/widget/signatures/{signer.id}/redirect"

    def account_of(self, envelope: Envelope) -> Account:
        return self.accounts[envelope.account_key]

    def api_user(self, account: Account) -> dict[str, Any]:
        return {"email": account.api_user_email, "name": account.name}

    # ------------------------------------------------------------------ files

    def file_link(self, document: Document, kind: str) -> str:
        token = self.new_hex(20)
        self.files[token] = FileLink(
            token=token,
            document_id=document.id,
            kind=kind,
            expires_at=self.clock.time() + C.DOWNLOAD_URL_TTL_SECONDS,
        )
        return (
            f"{self.public_url}/__files/{token}"
            f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires={C.DOWNLOAD_URL_TTL_SECONDS}"
        )

    def signed_available(self, document: Document) -> bool:
        return (
            document.status == "closed"
            and document.signed_pdf is not None
            and document.signed_ready_at is not None
            and document.signed_ready_at <= self.now()
        )

    def file_links(self, document: Document) -> dict[str, str]:
        links = {"original": self.file_link(document, "original")}
        if self.signed_available(document):
            links["signed"] = self.file_link(document, "signed")
            links["ziped"] = self.file_link(document, "ziped")
        return links

    def file_content(self, document: Document, kind: str) -> tuple[bytes, str, str]:
        """(content, content type, filename) of a stored file."""
        if kind == "original":
            return document.content, document.mime, document.filename
        signed_name = _signed_name(document.filename)
        assert document.signed_pdf is not None
        if kind == "signed":
            return document.signed_pdf, "application/pdf", signed_name
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(document.filename, document.content)
            archive.writestr(signed_name, document.signed_pdf)
        stem = document.filename.rsplit(".", 1)[0]
        return buffer.getvalue(), "application/zip", f"{stem}.zip"

    # ------------------------------------------------------------------ events

    def emit(self, document: Document, name: str, data: Any, when: datetime | None = None) -> Event:
        event = Event(
            id=self.new_id(),
            envelope_id=document.envelope_id,
            document_id=document.id,
            name=name,
            data=data,
            occurred_at=when or self.now(),
        )
        self.events.setdefault(document.id, []).append(event)
        envelope = self.envelopes[document.envelope_id]
        if envelope.status != "draft":
            self._deliver(event)
        return event

    def _deliver(self, event: Event) -> None:
        event.delivered = True
        document = self.documents[event.document_id]
        account_key = document.account_key
        subscribed = [
            w
            for w in self.webhooks.values()
            if w.account_key == account_key and w.status == "active" and event.name in w.events
        ]
        if not subscribed:
            return
        payload = render.webhook_payload(self, event)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        for webhook in subscribed:
            self.outbox.append(
                OutboxItem(
                    webhook_id=webhook.id,
                    account_key=account_key,
                    endpoint=webhook.endpoint,
                    event_name=event.name,
                    document_id=document.id,
                    envelope_id=document.envelope_id,
                    body=body,
                )
            )

    def add_signer_entry(self, document: Document, signer: Signer) -> dict[str, Any]:
        qualification = self.requirements_of(document.id, signer.id, "agree")
        list_key = qualification[0].id if qualification else None
        roles = self.roles_of(document.id, signer.id)
        return {
            "key": signer.legacy_key or signer.id,
            "list_key": list_key,
            "request_signature_key": signer.id if signer.legacy_key else list_key,
            "email": signer.email,
            "name": signer.name,
            "sign_as": roles[0] if roles else None,
            "auths": self.auths_of(document.id, signer.id),
            "communicate_by": signer.communicate_events.get("signature_request", "email"),
            "phone_number": signer.phone_number,
            "phone_number_hash": _phone_hash(signer.phone_number),
            "url": self.widget_url(signer),
            "created_at": iso_br(signer.created),
        }

    def signer_event_data(self, document: Document, signer: Signer) -> dict[str, Any]:
        auths = self.auths_of(document.id, signer.id)
        roles = self.roles_of(document.id, signer.id)
        qualification = self.requirements_of(document.id, signer.id, "agree")
        return {
            "sign_as": roles[0] if roles else None,
            "key": signer.legacy_key or signer.id,
            "list_key": qualification[0].id if qualification else None,
            "email": signer.email,
            "name": signer.name,
            "birthday": signer.birthday,
            "documentation": signer.documentation,
            "has_documentation": signer.has_documentation,
            "created_at": iso_br(signer.created),
            "auths": auths,
            "selfie_enabled": "selfie" in auths,
            "handwritten_enabled": "handwritten" in auths,
            "official_document_enabled": "official_document" in auths,
            "liveness_enabled": "liveness" in auths,
            "facial_biometrics_enabled": "facial_biometrics" in auths,
            "federal_data_validation": None,
            "communicate_by": signer.communicate_events.get("signature_request", "email"),
            "phone_number": signer.phone_number,
            "phone_number_hash": _phone_hash(signer.phone_number),
            "url": self.widget_url(signer),
            "address": signer.ip,
            "latitude": None,
            "longitude": None,
            "validation": {
                "status": "conferred" if signer.documentation else "cpf_empty",
                "name": signer.name,
            },
        }

    def emit_add_signer(self, document: Document, signer: Signer) -> None:
        account = self.accounts[document.account_key]
        self.emit(
            document,
            "add_signer",
            {
                "user": self.api_user(account),
                "account": {"key": account.key},
                "signers": [self.add_signer_entry(document, signer)],
            },
        )

    def emit_remove_signer(self, document: Document, signer: Signer, entry: dict) -> None:
        account = self.accounts[document.account_key]
        self.emit(
            document,
            "remove_signer",
            {"user": self.api_user(account), "account": {"key": account.key}, "signers": [entry]},
        )

    # ------------------------------------------------------------------ creation

    def envelope_create(self, account: Account, attrs: dict[str, Any]) -> Envelope:
        now = self.now()
        envelope = Envelope(
            id=self.new_id(),
            account_key=account.key,
            name=attrs["name"],
            locale=attrs.get("locale", "pt-BR"),
            auto_close=attrs.get("auto_close", True),
            remind_interval=attrs.get("remind_interval", 3),
            block_after_refusal=attrs.get("block_after_refusal", False),
            deadline_at=attrs.get("deadline_at") or now + timedelta(days=C.DEFAULT_DEADLINE_DAYS),
            default_subject=attrs.get("default_subject"),
            default_message=attrs.get("default_message"),
            deadline_partial_signature_action=attrs.get(
                "deadline_partial_signature_action", "closed"
            ),
            created=now,
            modified=now,
        )
        self.envelopes[envelope.id] = envelope
        return envelope

    def document_create(
        self,
        envelope: Envelope,
        *,
        filename: str,
        mime: str,
        content: bytes,
        metadata: dict[str, Any],
    ) -> Document:
        now = self.now()
        document = Document(
            id=self.new_id(),
            envelope_id=envelope.id,
            account_key=envelope.account_key,
            filename=filename,
            mime=mime,
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
            metadata=json.loads(json.dumps(metadata)),
            creation_metadata=json.loads(json.dumps(metadata)),
            created=now,
            modified=now,
            status="running" if envelope.status == "running" else "draft",
        )
        self.documents[document.id] = document
        envelope.document_ids.append(document.id)
        envelope.modified = now
        account = self.accounts[envelope.account_key]
        self.emit(
            document,
            "upload",
            {
                "user": self.api_user(account),
                "account": {"key": account.key},
                "deadline_at": iso_br(envelope.deadline_at),
                "auto_close": envelope.auto_close,
                "locale": envelope.locale,
            },
        )
        self.emit(
            document,
            "update_block_after_refusal",
            {
                "user": self.api_user(account),
                "account": {"key": account.key},
                "block_after_refusal": envelope.block_after_refusal,
            },
        )
        return document

    def envelope_size(self, envelope: Envelope) -> int:
        return sum(len(self.documents[d].content) for d in envelope.document_ids)

    def signer_create(self, envelope: Envelope, attrs: dict[str, Any]) -> Signer:
        now = self.now()
        events = {"signature_request": "email", "signature_reminder": "email"}
        events["document_signed"] = "email"
        events.update(attrs.get("communicate_events") or {})
        signer = Signer(
            id=self.new_id(),
            envelope_id=envelope.id,
            name=attrs["name"],
            email=attrs.get("email"),
            phone_number=attrs.get("phone_number"),
            birthday=attrs.get("birthday"),
            has_documentation=attrs.get("has_documentation", True),
            documentation=attrs.get("documentation"),
            refusable=attrs.get("refusable", False),
            group=attrs.get("group", 1),
            location_required_enabled=attrs.get("location_required_enabled", False),
            communicate_events=events,
            signature_host=attrs.get("signature_host"),
            created=now,
            modified=now,
            ip=self.settings.signer_ip,
        )
        self.signers[signer.id] = signer
        envelope.signer_ids.append(signer.id)
        envelope.modified = now
        return signer

    def requirement_add(
        self, envelope: Envelope, spec: dict[str, Any], *, announce: bool = True
    ) -> Requirement:
        """Add an already validated requirement; emits add_signer on first qualification.

        ``announce=False`` leaves the ``add_signer`` to the caller (bulk operations announce once
        every operation is applied, so the event lists the signer's final auths).
        """
        now = self.now()
        document = self.documents[spec["document_id"]]
        signer = self.signers[spec["signer_id"]]
        first_qualification = spec["action"] == "agree" and not self.requirements_of(
            document.id, signer.id, "agree"
        )
        requirement = Requirement(
            id=self.new_id(),
            envelope_id=envelope.id,
            document_id=document.id,
            signer_id=signer.id,
            action=spec["action"],
            role=spec.get("role"),
            auth=spec.get("auth"),
            pages=spec.get("pages"),
            rubric_field=spec.get("rubric_field"),
            kind=spec.get("kind"),
            created=now,
            modified=now,
        )
        self.requirements[requirement.id] = requirement
        envelope.requirement_ids.append(requirement.id)
        envelope.modified = now
        if first_qualification and announce:
            self.emit_add_signer(document, signer)
        return requirement

    def is_first_qualification(self, spec: dict[str, Any]) -> bool:
        return spec["action"] == "agree" and not self.requirements_of(
            spec["document_id"], spec["signer_id"], "agree"
        )

    def requirement_remove(self, envelope: Envelope, requirement: Requirement) -> None:
        document = self.documents[requirement.document_id]
        signer = self.signers[requirement.signer_id]
        entry = self.add_signer_entry(document, signer)
        envelope.requirement_ids.remove(requirement.id)
        del self.requirements[requirement.id]
        envelope.modified = self.now()
        if requirement.action == "agree" and not self.requirements_of(
            document.id, signer.id, "agree"
        ):
            self.emit_remove_signer(document, signer, entry)

    # ------------------------------------------------------------------ deletion

    def envelope_delete(self, envelope: Envelope) -> None:
        for document_id in list(envelope.document_ids):
            self.documents.pop(document_id, None)
            self.events.pop(document_id, None)
        for signer_id in envelope.signer_ids:
            self.signers.pop(signer_id, None)
        for requirement_id in envelope.requirement_ids:
            self.requirements.pop(requirement_id, None)
        self.notifications = [n for n in self.notifications if n.envelope_id != envelope.id]
        del self.envelopes[envelope.id]

    def document_delete(self, envelope: Envelope, document: Document) -> None:
        for requirement in [
            r for r in self.envelope_requirements(envelope) if r.document_id == document.id
        ]:
            envelope.requirement_ids.remove(requirement.id)
            del self.requirements[requirement.id]
        envelope.document_ids.remove(document.id)
        del self.documents[document.id]
        self.events.pop(document.id, None)
        envelope.modified = self.now()

    def signer_delete(self, envelope: Envelope, signer: Signer) -> None:
        before = self.current_group(envelope)
        for document in self.envelope_documents(envelope):
            if self.requirements_of(document.id, signer.id, "agree"):
                entry = self.add_signer_entry(document, signer)
                for requirement in self.requirements_of(document.id, signer.id):
                    envelope.requirement_ids.remove(requirement.id)
                    del self.requirements[requirement.id]
                self.emit_remove_signer(document, signer, entry)
        for requirement in [
            r for r in self.envelope_requirements(envelope) if r.signer_id == signer.id
        ]:
            envelope.requirement_ids.remove(requirement.id)
            del self.requirements[requirement.id]
        envelope.signer_ids.remove(signer.id)
        del self.signers[signer.id]
        envelope.modified = self.now()
        if envelope.status == "running":
            self.settle(envelope, group_before=before)

    # ------------------------------------------------------------------ activation

    def activation_problems(self, envelope: Envelope) -> list[str]:
        """Why the envelope cannot run (empty when it can). See README "assumptions"."""
        problems: list[str] = []
        documents = self.envelope_documents(envelope)
        signers = self.envelope_signers(envelope)
        if not documents:
            problems.append("O envelope deve possuir ao menos um documento")
        if not signers:
            problems.append("O envelope deve possuir ao menos um signatário")
        for signer in signers:
            mine = [r for r in self.envelope_requirements(envelope) if r.signer_id == signer.id]
            if not any(r.action == "provide_evidence" for r in mine):
                problems.append(
                    f"O signatário {signer.name} deve possuir ao menos um requisito de autenticação"
                )
        for document in documents:
            for signer in signers:
                if not self.requirements_of(document.id, signer.id, "agree"):
                    problems.append(
                        f"O signatário {signer.name} deve possuir requisito de qualificação "
                        f"no documento {document.filename}"
                    )
                elif not self.requirements_of(document.id, signer.id, "provide_evidence"):
                    problems.append(
                        f"O signatário {signer.name} deve possuir requisito de autenticação "
                        f"no documento {document.filename}"
                    )
        return problems

    def activate(self, envelope: Envelope) -> None:
        now = self.now()
        envelope.status = "running"
        envelope.activated_at = now
        envelope.activation_count += 1
        envelope.modified = now
        held: list[Event] = []
        for document in self.envelope_documents(envelope):
            document.status = "running"
            document.modified = now
            held.extend(e for e in self.events.get(document.id, []) if not e.delivered)
        held.sort(key=lambda e: e.occurred_at)
        for event in held:
            if event.name == "add_signer":
                self._refresh_add_signer(event)
            self._deliver(event)

    def _refresh_add_signer(self, event: Event) -> None:
        """A retroactive add_signer describes the signer as activated (final auths)."""
        document = self.documents[event.document_id]
        entries = []
        for entry in event.data.get("signers", []):
            signer = self.signers.get(entry.get("key"))
            if signer is not None and self.requirements_of(document.id, signer.id, "agree"):
                entry = {
                    **self.add_signer_entry(document, signer),
                    "created_at": entry.get("created_at"),
                }
            entries.append(entry)
        event.data = {**event.data, "signers": entries}

    # ------------------------------------------------------------------ signing

    def pending(self, signer: Signer, document: Document) -> bool:
        return (
            document.status == "running"
            and bool(self.requirements_of(document.id, signer.id, "agree"))
            and document.id not in signer.signed
            and document.id not in signer.refused
        )

    def current_group(self, envelope: Envelope) -> int | None:
        if envelope.status != "running":
            return None
        groups = [
            signer.group
            for signer in self.envelope_signers(envelope)
            for document in self.envelope_documents(envelope)
            if not document.blocked and self.pending(signer, document)
        ]
        return min(groups) if groups else None

    def signer_documents(self, signer: Signer) -> list[Document]:
        envelope = self.envelopes[signer.envelope_id]
        return [
            d for d in self.envelope_documents(envelope) if self.requirements_of(d.id, signer.id)
        ]

    def _signable(self, signer: Signer, document_ids: list[str] | None) -> list[Document]:
        envelope = self.envelopes[signer.envelope_id]
        if envelope.status != "running":
            raise SigningError(
                "envelope_not_running",
                f"O envelope está com status {envelope.status}; só é possível assinar envelopes "
                "em andamento (running).",
            )
        candidates = [
            d for d in self.envelope_documents(envelope) if self.requirements_of(d.id, signer.id)
        ]
        if document_ids is not None:
            known = {d.id for d in candidates}
            unknown = [d for d in document_ids if d not in known]
            if unknown:
                raise SigningError(
                    "unknown_document",
                    f"O signatário não participa do(s) documento(s) {', '.join(unknown)}.",
                )
            candidates = [d for d in candidates if d.id in document_ids]
        pending = [d for d in candidates if self.pending(signer, d)]
        if not pending:
            raise SigningError(
                "nothing_to_sign", "Não há documentos pendentes para este signatário."
            )
        blocked = [d for d in pending if d.blocked]
        if blocked:
            raise SigningError(
                "document_blocked",
                "O documento está bloqueado após uma recusa (block_after_refusal).",
            )
        group = self.current_group(envelope)
        if group is not None and signer.group > group:
            raise SigningError(
                "waiting_previous_group",
                f"O signatário pertence ao grupo {signer.group}; o grupo {group} ainda não "
                "concluiu as assinaturas.",
            )
        return pending

    def signature_start(self, signer: Signer) -> list[Document]:
        """The signer opened the signing page: ``signature_started`` once per document."""
        try:
            documents = self._signable(signer, None)
        except SigningError:
            return []
        for document in documents:
            if document.id not in signer.started:
                signer.started[document.id] = self.now()
                self.emit(
                    document,
                    "signature_started",
                    self._signer_event(document, signer),
                )
        return documents

    def _signer_event(self, document: Document, signer: Signer) -> dict[str, Any]:
        account = self.accounts[document.account_key]
        return {
            "signer": self.signer_event_data(document, signer),
            "log_version": "emulator",
            "secret_hmac": None,
            "account": {"key": account.key, "timestamp_signature_functionality": False},
        }

    def sign(self, signer: Signer, document_ids: list[str] | None = None) -> list[Document]:
        envelope = self.envelopes[signer.envelope_id]
        documents = self._signable(signer, document_ids)
        before = self.current_group(envelope)
        now = self.now()
        for document in documents:
            if document.id not in signer.started:
                signer.started[document.id] = now
                self.emit(document, "signature_started", self._signer_event(document, signer))
            signer.signed[document.id] = now
            signer.modified = now
            document.modified = now
            self.emit(document, "sign", self._signer_event(document, signer))
        self.settle(envelope, group_before=before)
        return documents

    def refuse(self, signer: Signer, reasons: list[str], comment: str | None) -> list[Document]:
        envelope = self.envelopes[signer.envelope_id]
        if not signer.refusable:
            raise SigningError(
                "not_refusable", "Este signatário não pode recusar (refusable = false)."
            )
        documents = self._signable(signer, None)
        before = self.current_group(envelope)
        now = self.now()
        account = self.accounts[envelope.account_key]
        for document in documents:
            signer.refused[document.id] = {
                "reasons": list(reasons),
                "comment": comment,
                "at": now,
            }
            signer.modified = now
            document.modified = now
            self.emit(
                document,
                "refusal",
                {
                    "signer": {
                        "key": signer.legacy_key or signer.id,
                        "email": signer.email,
                        "name": signer.name,
                        "documentation": signer.documentation,
                        "sign_as": self.roles_of(document.id, signer.id),
                    },
                    "refusal": {"reasons": list(reasons), "comment": comment},
                    "account": {"key": account.key},
                },
            )
            if envelope.block_after_refusal:
                document.blocked = True
        if not envelope.block_after_refusal:
            self.settle(envelope, group_before=before)
        return documents

    def document_complete(self, document: Document) -> bool:
        signers = self.qualified_signers(document)
        return bool(signers) and all(document.id in s.signed for s in signers)

    def settle(self, envelope: Envelope, *, group_before: int | None) -> None:
        """After a change: auto-close complete documents, finish envelope, advance groups."""
        if envelope.status != "running":
            return
        if envelope.auto_close:
            for document in self.envelope_documents(envelope):
                if document.status == "running" and self.document_complete(document):
                    self.finish_document(document, "auto_close", announce=("auto_close", None))
        self.update_envelope_status(envelope)
        group_after = self.current_group(envelope)
        if group_after is not None and group_after != group_before:
            self.notify_group(envelope, group_after, trigger="group_advance")

    def finish_document(
        self,
        document: Document,
        how: str,
        when: datetime | None = None,
        announce: tuple[str, Any] | None = None,
    ) -> None:
        """Close a document: status, signed PDF, the announcing event, ``document_closed``."""
        when = when or self.now()
        document.status = "closed"
        document.ended_by = how
        document.finished_at = when
        document.modified = self.now()
        document.signed_pdf = self.build_signed_pdf(document)
        delay = timedelta(seconds=self.settings.signed_file_delay_seconds)
        document.signed_ready_at = self.now() + delay
        if announce is not None:
            self.emit(document, announce[0], announce[1], when=when)
        if delay.total_seconds() <= 0:
            self.emit_document_closed(document)

    def emit_document_closed(self, document: Document) -> None:
        if document.document_closed_emitted:
            return
        document.document_closed_emitted = True
        account = self.accounts[document.account_key]
        self.emit(document, "document_closed", {"account": {"key": account.key}})
        envelope = self.envelopes[document.envelope_id]
        for signer in self.qualified_signers(document):
            if document.id in signer.signed:
                self.record_notification(
                    envelope,
                    signer,
                    kind="document_signed",
                    trigger="document_closed",
                    channel=signer.communicate_events.get("document_signed", "email"),
                    message=f"O documento {document.filename} foi finalizado.",
                    subject=f"Documento finalizado: {document.filename}",
                )

    def cancel_document(self, document: Document) -> None:
        account = self.accounts[document.account_key]
        now = self.now()
        document.status = "canceled"
        document.ended_by = "cancel"
        document.finished_at = now
        document.modified = now
        self.emit(
            document, "cancel", {"user": self.api_user(account), "account": {"key": account.key}}
        )
        self.update_envelope_status(self.envelopes[document.envelope_id])

    def close_document(self, document: Document) -> None:
        account = self.accounts[document.account_key]
        self.finish_document(
            document,
            "close",
            announce=("close", {"user": self.api_user(account), "account": {"key": account.key}}),
        )
        self.update_envelope_status(self.envelopes[document.envelope_id])

    def update_envelope_status(self, envelope: Envelope) -> None:
        documents = self.envelope_documents(envelope)
        if envelope.status != "running" or not documents:
            return
        if all(d.status in ("closed", "canceled") for d in documents):
            envelope.status = (
                "canceled" if all(d.status == "canceled" for d in documents) else "closed"
            )
            envelope.finished_at = self.now()
            envelope.modified = self.now()

    # ------------------------------------------------------------------ time

    def tick(self) -> None:
        """Apply everything the clock implies: deadlines, delayed document_closed, expiry."""
        with self.lock:
            now = self.now()
            for envelope in list(self.envelopes.values()):
                if envelope.status == "running" and envelope.deadline_at <= now:
                    self._deadline(envelope)
            for document in self.documents.values():
                if (
                    document.status == "closed"
                    and not document.document_closed_emitted
                    and document.signed_ready_at is not None
                    and document.signed_ready_at <= now
                ):
                    self.emit_document_closed(document)
            epoch = self.clock.time()
            expired = [t for t, link in self.files.items() if link.expires_at + 3600 < epoch]
            for token in expired:
                del self.files[token]

    def _deadline(self, envelope: Envelope) -> None:
        when = envelope.deadline_at
        for document in self.envelope_documents(envelope):
            if document.status != "running":
                continue
            reached = ("deadline", {"reached_at": iso_br(when)})
            signed = any(document.id in s.signed for s in self.qualified_signers(document))
            if signed and envelope.deadline_partial_signature_action == "closed":
                self.finish_document(document, "deadline", when=when, announce=reached)
            else:
                document.status = "canceled"
                document.ended_by = "deadline"
                document.finished_at = when
                document.modified = self.now()
                self.emit(document, *reached, when=when)
        self.update_envelope_status(envelope)

    # ------------------------------------------------------------------ notifications

    def record_notification(
        self,
        envelope: Envelope,
        signer: Signer,
        *,
        kind: str,
        trigger: str,
        channel: str,
        message: str | None,
        subject: str | None,
        api_notification_id: str | None = None,
    ) -> Notification | None:
        if channel == "none":
            return None
        to = signer.email if channel == "email" else signer.phone_number
        notification = Notification(
            id=self.new_id(),
            envelope_id=envelope.id,
            signer_id=signer.id,
            account_key=envelope.account_key,
            kind=kind,
            trigger=trigger,
            channel=channel,
            to=to,
            message=message,
            subject=subject,
            created=self.now(),
            signing_url=self.signing_url(signer),
            api_notification_id=api_notification_id,
        )
        self.notifications.append(notification)
        return notification

    def notify_group(self, envelope: Envelope, group: int, *, trigger: str) -> None:
        envelope.notified_groups.add(group)
        for signer in self.envelope_signers(envelope):
            if signer.group != group:
                continue
            if any(self.pending(signer, d) for d in self.envelope_documents(envelope)):
                self.record_notification(
                    envelope,
                    signer,
                    kind="signature_request",
                    trigger=trigger,
                    channel=signer.communicate_events.get("signature_request", "email"),
                    message=envelope.default_message,
                    subject=envelope.default_subject or f"Assine: {envelope.name}",
                )

    def notify(
        self,
        envelope: Envelope,
        signers: list[Signer],
        *,
        message: str | None,
        subject: str | None,
    ) -> tuple[str, list[dict[str, Any]]]:
        notification_id = self.new_id()
        group = self.current_group(envelope)
        summary = []
        for signer in signers:
            notified = False
            pending = any(self.pending(signer, d) for d in self.envelope_documents(envelope))
            if pending and group is not None and signer.group == group:
                channel = signer.communicate_events.get("signature_request", "email")
                record = self.record_notification(
                    envelope,
                    signer,
                    kind="signature_request",
                    trigger="api",
                    channel=channel,
                    message=message if message is not None else envelope.default_message,
                    subject=subject or envelope.default_subject or f"Assine: {envelope.name}",
                    api_notification_id=notification_id,
                )
                notified = record is not None
            summary.append({"signer_id": signer.id, "notified": notified})
        if group is not None:
            envelope.notified_groups.add(group)
        return notification_id, summary

    # ------------------------------------------------------------------ signed pdf

    def build_signed_pdf(self, document: Document) -> bytes:
        envelope = self.envelopes[document.envelope_id]
        account = self.accounts[envelope.account_key]
        entries: list[LogEntry] = []
        for signer in self.qualified_signers(document):
            roles = ", ".join(self.roles_of(document.id, signer.id))
            auths = ", ".join(self.auths_of(document.id, signer.id)) or "-"
            lines = [
                f"E-mail: {signer.email or '-'}   Telefone: {signer.phone_number or '-'}",
                f"CPF: {signer.documentation or '-'}   "
                f"Data de nascimento: {signer.birthday or '-'}",
                f"Assinou como: {roles}   Autenticações: {auths}",
            ]
            if document.id in signer.signed:
                lines.append(f"Assinou em {iso_br(signer.signed[document.id])} (IP {signer.ip})")
            elif document.id in signer.refused:
                refusal = signer.refused[document.id]
                lines.append(
                    f"Recusou em {iso_br(refusal['at'])}: {', '.join(refusal['reasons'])}"
                    f" - {refusal['comment'] or ''}"
                )
            else:
                lines.append("Não assinou.")
            entries.append(LogEntry(heading=f"{signer.name} (chave {signer.id})", lines=lines))
        finished = iso_br(document.finished_at)
        intro = [
            "Emulador local do Clicksign - documento SEM validade jurídica.",
            f"Documento: {document.filename}",
            f"Chave do documento: {document.id}",
            f"Envelope: {envelope.name} ({envelope.id})",
            f"Conta: {account.name} ({account.key}) - ambiente {account.environment}",
            f"SHA-256 do original: {document.sha256}",
            f"Finalizado em: {finished} ({document.ended_by})",
        ]
        return build_signed_pdf(
            original=document.content,
            original_mime=document.mime,
            original_filename=document.filename,
            title="Registro de assinaturas",
            intro=intro,
            entries=entries,
        )

    # ------------------------------------------------------------------ webhooks registry

    def webhook_create(
        self, account: Account, endpoint: str, events: list[str], status: str
    ) -> Webhook:
        now = self.now()
        webhook = Webhook(
            id=self.new_id(),
            account_key=account.key,
            endpoint=endpoint,
            events=list(events),
            status=status,
            secret=self.new_hex(16),
            created=now,
            modified=now,
        )
        self.webhooks[webhook.id] = webhook
        return webhook

    # ------------------------------------------------------------------ dumps

    def dump_envelope(self, envelope: Envelope) -> dict[str, Any]:
        return render.dump_envelope(self, envelope)

    def run_locked(self, fn: Callable[[], Any]) -> Any:
        with self.lock:
            return fn()


def _signed_name(filename: str) -> str:
    stem = filename.rsplit(".", 1)[0]
    return f"{stem} - assinado.pdf"


def _phone_hash(phone: str | None) -> str | None:
    if not phone:
        return None
    return hashlib.sha256(phone.encode()).hexdigest()[:32]


__all__ = ["AccountSpec", "ApiError", "Emulator", "OutboxItem", "SigningError"]
