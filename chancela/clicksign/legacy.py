"""The API 1.9 adapter of the Clicksign port (accounts created before July 2024).

Same methods, types and errors as the envelope adapter (:class:`ClicksignClient`), so the saga,
callbacks, reconciliation, actions and downloads do not know which API they speak. How 1.9 maps
onto the port:

- **No envelope.** ``envelope_create`` makes no call: the "envelope id" is
  ``legacy:<request ref>`` (the request's public id, read from the name), and every 1.9 document
  of the request carries the ref in its metadata. ``envelope_get``/``envelope_activate`` answer
  ``running`` without a call: a 1.9 document runs from upload (nobody is e-mailed before a
  notification, as with an activated envelope).
- **Documents** carry their own settings (deadline, reminders, ``block_after_refusal``,
  ``sequence_enabled``): ``document_create(..., settings=)``. A look-up pages through
  ``GET /api/v1/documents`` (newest first) matching the metadata. A stray document (created by a
  write whose answer was lost) is cancelled, not deleted: 1.9 has no drafts.
- **Signers are reusable account records.** ``signer_create`` reuses ``known_id`` (the
  registration's key, when the identity did not change) with no call, else looks for a signer
  with the same e-mail *and* identity (``GET /api/v1/signers?email=``) before ``POST``-ing one.
  The identity includes the authentications: on 1.9 they belong to the signer.
- **Requirements are lists**: one ``POST /api/v1/lists`` per qualification (``sign_as``, group,
  refusable); the authentication requirements are the list's too (same id).
- **Notifications** go to each pending signer of the current group, one per
  ``request_signature_key`` (read from the documents).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

import httpx

from chancela.clicksign import wire
from chancela.clicksign.client import DEFAULT_PAGE_SIZE, WEBHOOK_EVENTS, ClicksignClient
from chancela.clicksign.errors import ClicksignPermanentError
from chancela.clicksign.types import (
    API_LEGACY,
    Authentication,
    CommunicateEvents,
    Document,
    DocumentEvent,
    DocumentFiles,
    Envelope,
    EnvelopeStatus,
    Notification,
    NotificationResult,
    Page,
    Qualification,
    Requirement,
    RequirementAction,
    RequirementSpec,
    SendSettings,
    Signer,
    Webhook,
)
from chancela.core.http import Timeouts, http_client
from chancela.core.people import cpf_format

CONTAINER_PREFIX = "legacy:"
METADATA_REQUEST = "chancela_request"
# How far back a look-up for a request's documents goes (20 documents a page, newest first).
LOOKUP_PAGES = 5
# The request's reference in the envelope name: the short "ref. 08927146A1B2" (the first 12 hex
# digits of its public id), or the full public id envelopes were named with before.
_REF = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?<=ref\. )[0-9A-F]{12}\b"
)
# The extra authentications of a 1.9 signer, as flags.
FLAG_AUTHS = {
    "selfie": "selfie_enabled",
    "handwritten": "handwritten_enabled",
    "official_document": "official_document_enabled",
    "liveness": "liveness_enabled",
    "facial_biometrics": "facial_biometrics_enabled",
}
TOKEN_AUTHS = ("email", "sms", "whatsapp", "pix", "icp_brasil")


def container_ref(envelope_id: str) -> str:
    """The request ref a ``legacy:<ref>`` container stands for."""
    return envelope_id.removeprefix(CONTAINER_PREFIX)


def _is_request(metadata_value: object, ref: str) -> bool:
    """Whether a document's request metadata (the full public id) is the container's ref."""
    value = str(metadata_value)
    if len(ref) == 12:
        return value.replace("-", "").upper().startswith(ref)
    return value == ref


class LegacyClicksignClient(ClicksignClient):
    """The 1.9 adapter: ``/api/v1`` (and ``/api/v2/webhooks``), ``?access_token=``, JSON."""

    api_version = API_LEGACY
    media_type = "application/json"

    def _api_client(
        self, token: str, timeouts: Timeouts, transport: httpx.BaseTransport | None
    ) -> httpx.Client:
        return http_client(
            base_url=self.base_url + "/api",
            timeouts=timeouts,
            headers={"Accept": "application/json"},
            params={"access_token": token},
            transport=transport,
        )

    # ================================================================== account

    def account_get(self) -> dict[str, Any]:
        """``GET /api/v1/accounts``: the token check of 1.9 (the account's key and name)."""
        payload = self._call("GET", "/v1/accounts")
        account = payload.get("account")
        return account if isinstance(account, dict) else {}

    # ================================================================== "envelopes"

    def _container(self, envelope_id: str, status: str = EnvelopeStatus.RUNNING) -> Envelope:
        return Envelope(
            id=envelope_id,
            name=envelope_id,
            status=status,
            locale="pt-BR",
            auto_close=True,
            remind_interval=None,
            block_after_refusal=False,
            deadline_at=None,
            default_subject=None,
            default_message=None,
            deadline_partial_signature_action=None,
            created=None,
            modified=None,
        )

    def envelope_create(self, *, name: str, **_settings: Any) -> Envelope:
        found = _REF.search(name)
        return self._container(CONTAINER_PREFIX + (found.group(0) if found else str(uuid.uuid4())))

    def envelope_get(self, envelope_id: str) -> Envelope:
        return self._container(envelope_id)

    def envelopes_list(self, **_filters: Any) -> Page[Envelope]:
        return Page(items=[], record_count=0, page_number=1, page_size=0, has_next=False)

    def envelope_activate(self, envelope_id: str) -> Envelope:
        return self._container(envelope_id)

    def envelope_delete(self, envelope_id: str) -> None:
        return None

    def envelope_events_list(self, envelope_id: str, **_paging: Any) -> Page[DocumentEvent]:
        return Page(items=[], record_count=0, page_number=1, page_size=0, has_next=False)

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
        settings = settings or SendSettings()
        data_uri = f"data:{content_type};base64,{base64.b64encode(content).decode('ascii')}"
        safe = re.sub(r"[^\w.\- ]", "_", filename) or "documento.pdf"
        body: dict[str, Any] = {
            "path": f"/Chancela/{container_ref(envelope_id)}/{safe}",
            "content_base64": data_uri,
            "auto_close": settings.auto_close,
            "locale": settings.locale,
            "sequence_enabled": settings.sequence_enabled,
            "remind_interval": settings.remind_interval,
            "block_after_refusal": settings.block_after_refusal,
            "metadata": metadata or {},
        }
        if settings.deadline_at is not None:
            body["deadline_at"] = wire.format_datetime(settings.deadline_at)
        payload = self._call("POST", "/v1/documents", body={"document": body})
        return _document_from(payload.get("document") or {}, envelope_id)

    def _raw_document(self, document_id: str) -> dict[str, Any]:
        payload = self._call("GET", f"/v1/documents/{document_id}")
        document = payload.get("document")
        return document if isinstance(document, dict) else {}

    def document_get(self, envelope_id: str, document_id: str) -> Document:
        return _document_from(self._raw_document(document_id), envelope_id)

    def documents_list(
        self,
        envelope_id: str,
        *,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        document_ids: Iterable[str] = (),
    ) -> Page[Document]:
        """The request's documents: read one by one when their keys are known (reconciliation),
        else found by their metadata among the account's recent documents (a look-up after a lost
        answer: 1.9 lists every document of the account, newest first, with no filter)."""
        known = list(document_ids)
        if known:
            read = [self.document_get(envelope_id, key) for key in known]
            return Page(
                items=read,
                record_count=len(read),
                page_number=1,
                page_size=max(len(read), 1),
                has_next=False,
            )
        ref = container_ref(envelope_id)
        found: list[Document] = []
        for number in range(1, LOOKUP_PAGES + 1):
            payload = self._call("GET", "/v1/documents", params={"page": str(number)})
            for raw in payload.get("documents") or []:
                metadata = raw.get("metadata") or {}
                if isinstance(metadata, dict) and _is_request(metadata.get(METADATA_REQUEST), ref):
                    found.append(_document_from(raw, envelope_id))
            infos = payload.get("page_infos") or {}
            if not infos.get("next_page"):
                break
        return Page(
            items=found,
            record_count=len(found),
            page_number=1,
            page_size=max(len(found), 1),
            has_next=False,
        )

    def document_delete(self, envelope_id: str, document_id: str) -> None:
        """1.9 has no drafts: a stray document is stopped by cancelling it."""
        self.document_cancel(envelope_id, document_id)

    def document_cancel(self, envelope_id: str, document_id: str) -> Document:
        payload = self._call("PATCH", f"/v1/documents/{document_id}/cancel")
        return _document_from(payload.get("document") or {}, envelope_id)

    def document_close(self, envelope_id: str, document_id: str) -> Document:
        payload = self._call("PATCH", f"/v1/documents/{document_id}/finish")
        return _document_from(payload.get("document") or {}, envelope_id)

    def document_events_list(
        self,
        envelope_id: str,
        document_id: str,
        *,
        name: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[DocumentEvent]:
        """The document's whole history (1.9 returns it inside the document, newest first)."""
        raw = self._raw_document(document_id)
        events = [
            _event_from(item, document_id)
            for item in raw.get("events") or []
            if isinstance(item, dict) and (name is None or item.get("name") == name)
        ]
        return Page(
            items=events,
            record_count=len(events),
            page_number=1,
            page_size=max(len(events), 1),
            has_next=False,
        )

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
        """The account signer for this identity: ``known_id`` as is (a registration whose
        identity did not change: no call), an existing one with the same e-mail and identity, or
        a new one."""
        body = _signer_body(
            name=name,
            email=email,
            phone_number=phone_number,
            birthday=birthday,
            documentation=documentation,
            has_documentation=has_documentation,
            location_required_enabled=location_required_enabled,
            communicate_events=communicate_events,
            auths=auths,
        )
        if known_id:
            return _signer_from(known_id, body, envelope_id, group=group, refusable=refusable)
        if email:
            payload = self._call("GET", "/v1/signers", params={"email": email})
            for raw in payload.get("signers") or []:
                if isinstance(raw, dict) and _same_identity(raw, body):
                    return _signer_from(
                        str(raw["key"]), body, envelope_id, group=group, refusable=refusable
                    )
        payload = self._call("POST", "/v1/signers", body={"signer": body})
        created = payload.get("signer") or {}
        return _signer_from(
            str(created["key"]), body, envelope_id, group=group, refusable=refusable
        )

    def signers_list(
        self, envelope_id: str, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Page[Signer]:
        """Account signers are not per request: nothing to adopt or remove here (the look-up
        happens in :meth:`signer_create`)."""
        return Page(items=[], record_count=0, page_number=1, page_size=0, has_next=False)

    def signer_delete(self, envelope_id: str, signer_id: str) -> None:
        return None

    # ================================================================== lists

    def requirements_bulk(
        self,
        envelope_id: str,
        *,
        add: Iterable[RequirementSpec] = (),
        remove: Iterable[str] = (),
    ) -> list[Requirement]:
        """One list per qualification; the authentications are the list's (same id). Not
        atomic on 1.9: a retry adopts what :meth:`requirements_list` finds."""
        specs = list(add)
        created: dict[tuple[str, str], Requirement] = {}
        for spec in specs:
            if not isinstance(spec, Qualification):
                continue
            body = {
                "document_key": spec.document_id,
                "signer_key": spec.signer_id,
                "sign_as": spec.role,
                "refusable": spec.refusable,
                "group": spec.group,
            }
            payload = self._call("POST", "/v1/lists", body={"list": body})
            raw = payload.get("list") or {}
            created[(spec.document_id, spec.signer_id)] = Requirement(
                id=str(raw.get("key") or ""),
                envelope_id=envelope_id,
                action=RequirementAction.AGREE,
                role=spec.role,
                auth=None,
                pages=None,
                document_id=spec.document_id,
                signer_id=spec.signer_id,
                created=wire.parse_datetime(raw.get("created_at")),
            )
        results: list[Requirement] = []
        for spec in specs:
            listed = created.get((spec.document_id, spec.signer_id))
            if listed is None:
                continue
            if isinstance(spec, Authentication):
                results.append(
                    Requirement(
                        id=listed.id,
                        envelope_id=envelope_id,
                        action=RequirementAction.PROVIDE_EVIDENCE,
                        role=None,
                        auth=spec.auth,
                        pages=None,
                        document_id=spec.document_id,
                        signer_id=spec.signer_id,
                        created=listed.created,
                    )
                )
            elif isinstance(spec, Qualification):
                results.append(listed)
        return results

    def requirements_list(
        self,
        envelope_id: str,
        *,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        document_ids: Iterable[str] = (),
    ) -> Page[Requirement]:
        """The lists of the given documents, as qualification + authentication requirements."""
        items: list[Requirement] = []
        for document_id in document_ids:
            raw = self._raw_document(document_id)
            for entry in raw.get("signers") or []:
                if not isinstance(entry, dict) or not entry.get("list_key"):
                    continue
                list_key = str(entry["list_key"])
                signer_key = str(entry.get("key") or "")
                created = wire.parse_datetime(entry.get("created_at"))
                items.append(
                    Requirement(
                        id=list_key,
                        envelope_id=envelope_id,
                        action=RequirementAction.AGREE,
                        role=str(entry.get("sign_as") or ""),
                        auth=None,
                        pages=None,
                        document_id=document_id,
                        signer_id=signer_key,
                        created=created,
                    )
                )
                for auth in _entry_auths(entry):
                    items.append(
                        Requirement(
                            id=list_key,
                            envelope_id=envelope_id,
                            action=RequirementAction.PROVIDE_EVIDENCE,
                            role=None,
                            auth=auth,
                            pages=None,
                            document_id=document_id,
                            signer_id=signer_key,
                            created=created,
                        )
                    )
        return Page(
            items=items,
            record_count=len(items),
            page_number=1,
            page_size=max(len(items), 1),
            has_next=False,
        )

    # ================================================================== notifications

    def notify_envelope(
        self, envelope_id: str, *, message: str | None = None, document_ids: Iterable[str] = ()
    ) -> Notification:
        """Notify every pending signer of the current group of each document."""
        return self._notify_lists(document_ids, signer_id=None, message=message)

    def notify_signer(
        self,
        envelope_id: str,
        signer_id: str,
        *,
        message: str | None = None,
        document_ids: Iterable[str] = (),
    ) -> Notification:
        return self._notify_lists(document_ids, signer_id=signer_id, message=message)

    def _notify_lists(
        self, document_ids: Iterable[str], *, signer_id: str | None, message: str | None
    ) -> Notification:
        summary: list[NotificationResult] = []
        targets: list[str] = []
        for document_id in document_ids:
            raw = self._raw_document(document_id)
            group = raw.get("signable_group")
            for entry in raw.get("signers") or []:
                if not isinstance(entry, dict) or entry.get("signature"):
                    continue
                if signer_id is not None and entry.get("key") != signer_id:
                    continue
                ordered = signer_id is None and group is not None and raw.get("sequence_enabled")
                if ordered and entry.get("group") not in (None, group):
                    continue
                key = str(entry.get("request_signature_key") or "")
                if key and key not in targets:
                    targets.append(key)
                    summary.append(
                        NotificationResult(signer_id=str(entry.get("key")), notified=True)
                    )
        if not targets:
            raise ClicksignPermanentError(
                "Não há assinatura pendente para notificar.",
                status=422,
                method="POST",
                path="/v1/notifications",
            )
        for key in targets:
            body: dict[str, Any] = {"request_signature_key": key}
            if message:
                body["message"] = message
            self._call(
                "POST",
                "/v1/notifications",
                body=body,
                notification_key=f"/v1/notifications/{key}",
            )
        return Notification(id="", message=message, summary=summary, created=None)

    # ================================================================== webhooks (/api/v2)

    def webhooks_list(self, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page[Webhook]:
        payload = self._call("GET", "/v2/webhooks")
        hooks = [_webhook_from(raw) for raw in payload.get("webhooks") or []]
        return Page(
            items=hooks,
            record_count=len(hooks),
            page_number=1,
            page_size=max(len(hooks), 1),
            has_next=False,
        )

    def webhook_create(
        self, *, endpoint: str, events: Iterable[str] = WEBHOOK_EVENTS, status: str = "active"
    ) -> Webhook:
        body = {"endpoint": endpoint, "status": status, "events": list(events)}
        payload = self._call("POST", "/v2/webhooks", body=body)
        return _webhook_from(payload.get("webhook") or payload)

    def webhook_get(self, webhook_id: str) -> Webhook:
        for webhook in self.webhooks_list():
            if webhook.id == webhook_id:
                return webhook
        raise ClicksignPermanentError(
            "Webhook não encontrado.", status=404, method="GET", path="/v2/webhooks"
        )

    def webhook_update(
        self,
        webhook_id: str,
        *,
        events: Iterable[str] | None = None,
        status: str | None = None,
        endpoint: str | None = None,
    ) -> Webhook:
        body: dict[str, Any] = {}
        if events is not None:
            body["events"] = list(events)
        if status is not None:
            body["status"] = status
        if endpoint is not None:
            body["endpoint"] = endpoint
        payload = self._call("PATCH", f"/v2/webhooks/{webhook_id}", body=body)
        return _webhook_from(payload.get("webhook") or payload)


# ---------------------------------------------------------------------- wire (1.9)


def _signer_body(
    *,
    name: str,
    email: str | None,
    phone_number: str | None,
    birthday: date | None,
    documentation: str | None,
    has_documentation: bool,
    location_required_enabled: bool,
    communicate_events: CommunicateEvents | None,
    auths: tuple[str, ...],
) -> dict[str, Any]:
    token_auth = next((a for a in auths if a in TOKEN_AUTHS), "email")
    channel = (communicate_events or CommunicateEvents()).signature_request
    body: dict[str, Any] = {
        "name": name,
        "auths": [token_auth],
        "delivery": "none" if channel == "none" else "email",
        "communicate_by": channel if channel in ("email", "sms", "whatsapp") else "email",
        "has_documentation": has_documentation,
        "location_required_enabled": location_required_enabled,
    }
    if email:
        body["email"] = email
    if phone_number:
        body["phone_number"] = phone_number
    if has_documentation:
        if documentation:
            body["documentation"] = cpf_format(documentation)
        if birthday is not None:
            body["birthday"] = birthday.isoformat()
    for auth, flag in FLAG_AUTHS.items():
        body[flag] = auth in auths
    return body


IDENTITY_FIELDS = (
    "name",
    "email",
    "phone_number",
    "documentation",
    "birthday",
    "has_documentation",
    "auths",
    *FLAG_AUTHS.values(),
)


def _same_identity(raw: dict[str, Any], body: dict[str, Any]) -> bool:
    def norm(value: Any) -> Any:
        if isinstance(value, str):
            return " ".join(value.split()).casefold()
        return value

    return all(
        norm(raw.get(name) if raw.get(name) not in ("", None) else None)
        == norm(body.get(name) if body.get(name) not in ("", None) else None)
        or (name in FLAG_AUTHS.values() and bool(raw.get(name)) == bool(body.get(name)))
        for name in IDENTITY_FIELDS
    )


def _signer_from(
    key: str, body: dict[str, Any], envelope_id: str, *, group: int, refusable: bool
) -> Signer:
    return Signer(
        id=key,
        envelope_id=envelope_id,
        name=body["name"],
        email=body.get("email"),
        phone_number=body.get("phone_number"),
        birthday=wire.parse_date(body.get("birthday")) if body.get("birthday") else None,
        has_documentation=bool(body.get("has_documentation")),
        documentation=body.get("documentation"),
        refusable=refusable,
        group=group,
        location_required_enabled=bool(body.get("location_required_enabled")),
        communicate_events=CommunicateEvents(),
        created=None,
        modified=None,
    )


def _document_from(raw: dict[str, Any], envelope_id: str) -> Document:
    downloads = raw.get("downloads") or {}
    metadata = raw.get("metadata")
    return Document(
        id=str(raw.get("key") or ""),
        envelope_id=envelope_id,
        filename=str(raw.get("filename") or ""),
        status=str(raw.get("status") or ""),
        metadata=metadata if isinstance(metadata, dict) else {},
        files=DocumentFiles(
            original=downloads.get("original_file_url"),
            signed=downloads.get("signed_file_url"),
            ziped=downloads.get("ziped_file_url"),
        ),
        created=wire.parse_datetime(raw.get("uploaded_at")),
        modified=wire.parse_datetime(raw.get("updated_at")),
    )


def _entry_auths(entry: dict[str, Any]) -> list[str]:
    auths = [str(a) for a in entry.get("auths") or []]
    for auth, flag in FLAG_AUTHS.items():
        if entry.get(flag) and auth not in auths:
            auths.append(auth)
    return auths


def _event_from(item: dict[str, Any], document_id: str) -> DocumentEvent:
    """1.9 events have no id: one is derived from the event itself (stable across reads)."""
    digest = hashlib.sha256(
        json.dumps(
            [item.get("name"), item.get("occurred_at"), item.get("data")],
            sort_keys=True,
            ensure_ascii=False,
        ).encode()
    ).hexdigest()[:32]
    data = item.get("data")
    return DocumentEvent(
        id=f"v1-{digest}",
        name=str(item.get("name") or ""),
        data=data if isinstance(data, dict) else {},
        created=wire.parse_datetime(item.get("occurred_at")),
        document_id=document_id,
    )


def _webhook_from(raw: dict[str, Any]) -> Webhook:
    return Webhook(
        id=str(raw.get("id") or ""),
        endpoint=str(raw.get("endpoint") or ""),
        events=[str(e) for e in raw.get("events") or []],
        status=str(raw.get("status") or ""),
        secret=str(raw.get("secret") or ""),
        created=wire.parse_datetime(raw.get("created_at")),
    )
