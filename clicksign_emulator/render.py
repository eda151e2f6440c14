"""JSON:API resources, the legacy webhook document shape, and control-API dumps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .clock import iso_br, iso_z

if TYPE_CHECKING:
    from .core import Emulator
    from .model import Document, Envelope, Event, Requirement, Signer, Webhook

API = "/api/v3"


def _api(emu: Emulator, path: str) -> str:
    return f"{emu.public_url}{API}{path}"


def envelope_resource(emu: Emulator, envelope: Envelope) -> dict[str, Any]:
    base = f"/envelopes/{envelope.id}"

    def rel(name: str) -> dict[str, Any]:
        return {
            "links": {
                "self": _api(emu, f"{base}/relationships/{name}"),
                "related": _api(emu, f"{base}/{name}"),
            }
        }

    return {
        "id": envelope.id,
        "type": "envelopes",
        "links": {"self": _api(emu, base)},
        "attributes": {
            "name": envelope.name,
            "status": envelope.status,
            "deadline_at": iso_br(envelope.deadline_at),
            "locale": envelope.locale,
            "auto_close": envelope.auto_close,
            "rubric_enabled": envelope.rubric_enabled,
            "remind_interval": envelope.remind_interval,
            "block_after_refusal": envelope.block_after_refusal,
            "default_subject": envelope.default_subject,
            "default_message": envelope.default_message,
            "deadline_partial_signature_action": envelope.deadline_partial_signature_action,
            "created": iso_br(envelope.created),
            "modified": iso_br(envelope.modified),
        },
        "relationships": {
            "documents": rel("documents"),
            "signers": rel("signers"),
            "requirements": rel("requirements"),
        },
    }


def document_resource(emu: Emulator, document: Document) -> dict[str, Any]:
    return {
        "id": document.id,
        "type": "documents",
        "links": {
            "self": _api(emu, f"/envelopes/{document.envelope_id}/documents/{document.id}"),
            "files": emu.file_links(document),
        },
        "attributes": {
            "status": document.status,
            "filename": document.filename,
            "template": None,
            "metadata": document.metadata,
            "migrated": False,
            "created": iso_br(document.created),
            "modified": iso_br(document.modified),
        },
    }


def signer_resource(emu: Emulator, signer: Signer) -> dict[str, Any]:
    return {
        "id": signer.id,
        "type": "signers",
        "links": {"self": _api(emu, f"/envelopes/{signer.envelope_id}/signers/{signer.id}")},
        "attributes": {
            "name": signer.name,
            "birthday": signer.birthday,
            "email": signer.email,
            "phone_number": signer.phone_number,
            "location_required_enabled": signer.location_required_enabled,
            "has_documentation": signer.has_documentation,
            "documentation": signer.documentation,
            "refusable": signer.refusable,
            "group": signer.group,
            "communicate_events": {
                "document_signed": signer.communicate_events.get("document_signed"),
                "signature_request": signer.communicate_events.get("signature_request"),
                "signature_reminder": signer.communicate_events.get("signature_reminder"),
            },
            "signature_host": signer.signature_host,
            "created": iso_br(signer.created),
            "modified": iso_br(signer.modified),
        },
    }


def requirement_resource(emu: Emulator, requirement: Requirement) -> dict[str, Any]:
    attributes: dict[str, Any] = {"action": requirement.action}
    if requirement.action == "agree":
        attributes["role"] = requirement.role
        attributes["rubric_pages"] = None
    elif requirement.action == "provide_evidence":
        attributes["auth"] = requirement.auth
    else:
        attributes["pages"] = requirement.pages
        attributes["rubric_field"] = requirement.rubric_field
        attributes["kind"] = requirement.kind
    attributes["created"] = iso_br(requirement.created)
    attributes["modified"] = iso_br(requirement.modified)
    base = f"/envelopes/{requirement.envelope_id}/requirements/{requirement.id}"
    return {
        "id": requirement.id,
        "type": "requirements",
        "links": {"self": _api(emu, base)},
        "attributes": attributes,
        "relationships": {
            "document": {"data": {"type": "documents", "id": requirement.document_id}},
            "signer": {"data": {"type": "signers", "id": requirement.signer_id}},
        },
    }


def event_resource(emu: Emulator, event: Event, *, with_document: bool = False) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "id": event.id,
        "type": "events",
        "attributes": {
            "name": event.name,
            "data": event.data,
            "created": iso_br(event.occurred_at),
        },
    }
    if with_document:
        resource["relationships"] = {
            "document": {"data": {"type": "documents", "id": event.document_id}}
        }
    return resource


def webhook_resource(emu: Emulator, webhook: Webhook) -> dict[str, Any]:
    return {
        "id": webhook.id,
        "type": "webhooks",
        "links": {"self": _api(emu, f"/webhooks/{webhook.id}")},
        "attributes": {
            "endpoint": webhook.endpoint,
            "secret": webhook.secret,
            "status": webhook.status,
            "events": webhook.events,
            "created": iso_br(webhook.created),
            "modified": iso_br(webhook.modified),
        },
    }


# ---------------------------------------------------------------------- webhooks (legacy)


def legacy_signers(emu: Emulator, document: Document) -> list[dict[str, Any]]:
    out = []
    for requirement in emu.envelope_requirements(emu.envelopes[document.envelope_id]):
        if requirement.document_id != document.id or requirement.action != "agree":
            continue
        signer = emu.signers[requirement.signer_id]
        entry: dict[str, Any] = {
            "key": signer.legacy_key or signer.id,
            "list_key": requirement.id,
            "request_signature_key": signer.id if signer.legacy_key else requirement.id,
            "email": signer.email,
            "name": signer.name,
            "sign_as": requirement.role,
            "auths": emu.auths_of(document.id, signer.id),
            "communicate_by": signer.communicate_events.get("signature_request", "email"),
            "phone_number": signer.phone_number,
            "documentation": signer.documentation,
            "birthday": signer.birthday,
            "has_documentation": signer.has_documentation,
            "group": signer.legacy_group if signer.legacy_key else signer.group,
            "refusable": signer.refusable,
            "created_at": iso_z(signer.created),
            "url": emu.widget_url(signer),
        }
        if document.id in signer.signed:
            entry["signature"] = {
                "name": signer.name,
                "email": signer.email,
                "birthday": signer.birthday,
                "documentation": signer.documentation,
                "signed_at": iso_z(signer.signed[document.id]),
                "address": signer.ip,
            }
        out.append(entry)
    return out


def legacy_document(emu: Emulator, document: Document, history: list[Event]) -> dict[str, Any]:
    envelope = emu.envelopes[document.envelope_id]
    downloads = {"original_file_url": emu.file_link(document, "original")}
    if emu.signed_available(document):
        downloads["signed_file_url"] = emu.file_link(document, "signed")
        downloads["ziped_file_url"] = emu.file_link(document, "ziped")
    return {
        "key": document.id,
        "account_key": document.account_key,
        "path": envelope.name if envelope.legacy else f"/{envelope.name}/{document.filename}",
        "filename": document.filename,
        "uploaded_at": iso_z(document.created),
        "updated_at": iso_z(document.modified),
        "finished_at": iso_z(document.finished_at),
        "deadline_at": iso_br(envelope.deadline_at),
        "status": document.status,
        "auto_close": envelope.auto_close,
        "locale": envelope.locale,
        "metadata": document.creation_metadata,
        "sequence_enabled": (
            envelope.sequence_enabled
            if envelope.legacy
            else len({s.group for s in emu.envelope_signers(envelope)}) > 1
        ),
        "signable_group": emu.current_group(envelope),
        "remind_interval": envelope.remind_interval,
        "block_after_refusal": envelope.block_after_refusal,
        "downloads": downloads,
        "template": None,
        "signers": legacy_signers(emu, document),
        "events": [
            {"name": e.name, "data": e.data, "occurred_at": iso_z(e.occurred_at)}
            for e in reversed(history)
        ],
        "attachments": [],
        "links": {"self": f"/{document.id}"},
    }


def webhook_payload(emu: Emulator, event: Event) -> dict[str, Any]:
    document = emu.documents[event.document_id]
    events = emu.events.get(document.id, [])
    history = events[: events.index(event) + 1] if event in events else [event]
    return {
        "event": {
            "name": event.name,
            "data": event.data,
            "occurred_at": iso_br(event.occurred_at),
        },
        "document": legacy_document(emu, document, history),
    }


# ---------------------------------------------------------------------- control dumps


def dump_envelope(emu: Emulator, envelope: Envelope) -> dict[str, Any]:
    documents = []
    for document in emu.envelope_documents(envelope):
        documents.append(
            {
                "id": document.id,
                "filename": document.filename,
                "mime": document.mime,
                "size": len(document.content),
                "sha256": document.sha256,
                "status": document.status,
                "metadata": document.metadata,
                "blocked": document.blocked,
                "ended_by": document.ended_by,
                "finished_at": iso_br(document.finished_at),
                "signed_file_ready": emu.signed_available(document),
                "events": [
                    {
                        "id": e.id,
                        "name": e.name,
                        "occurred_at": iso_br(e.occurred_at),
                        "delivered": e.delivered,
                        "data": e.data,
                    }
                    for e in emu.events.get(document.id, [])
                ],
            }
        )
    signers = []
    for signer in emu.envelope_signers(envelope):
        signers.append(
            {
                "id": signer.id,
                "name": signer.name,
                "email": signer.email,
                "phone_number": signer.phone_number,
                "documentation": signer.documentation,
                "group": signer.group,
                "refusable": signer.refusable,
                "communicate_events": signer.communicate_events,
                "signing_url": emu.signing_url(signer),
                "signed": {d: iso_br(t) for d, t in signer.signed.items()},
                "refused": {
                    d: {"reasons": r["reasons"], "comment": r["comment"], "at": iso_br(r["at"])}
                    for d, r in signer.refused.items()
                },
                "started": {d: iso_br(t) for d, t in signer.started.items()},
                # API 1.9: the account-level signer this participation (list) belongs to.
                "legacy_key": signer.legacy_key,
            }
        )
    return {
        "id": envelope.id,
        "account_key": envelope.account_key,
        "name": envelope.name,
        "legacy": envelope.legacy,
        "status": envelope.status,
        "deadline_at": iso_br(envelope.deadline_at),
        "auto_close": envelope.auto_close,
        "block_after_refusal": envelope.block_after_refusal,
        "deadline_partial_signature_action": envelope.deadline_partial_signature_action,
        "created": iso_br(envelope.created),
        "modified": iso_br(envelope.modified),
        "activated_at": iso_br(envelope.activated_at),
        "finished_at": iso_br(envelope.finished_at),
        "activation_count": envelope.activation_count,
        "current_group": emu.current_group(envelope),
        "documents": documents,
        "signers": signers,
        "requirements": [
            {
                "id": r.id,
                "document_id": r.document_id,
                "signer_id": r.signer_id,
                "action": r.action,
                "role": r.role,
                "auth": r.auth,
                "pages": r.pages,
            }
            for r in emu.envelope_requirements(envelope)
        ],
        "notifications": [
            notification_dump(emu, n) for n in emu.notifications if n.envelope_id == envelope.id
        ],
    }


def notification_dump(emu: Emulator, notification: Any) -> dict[str, Any]:
    signer = emu.signers.get(notification.signer_id)
    return {
        "id": notification.id,
        "envelope_id": notification.envelope_id,
        "signer_id": notification.signer_id,
        "signer_name": signer.name if signer else None,
        "account_key": notification.account_key,
        "kind": notification.kind,
        "trigger": notification.trigger,
        "channel": notification.channel,
        "to": notification.to,
        "subject": notification.subject,
        "message": notification.message,
        "created": iso_br(notification.created),
        "signing_url": notification.signing_url,
        "api_notification_id": notification.api_notification_id,
    }
