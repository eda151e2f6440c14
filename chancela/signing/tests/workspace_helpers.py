"""Arrangements shared by the workspace tests (list, actions, dashboard)."""

from __future__ import annotations

from chancela.clicksign.client import ClicksignClient
from chancela.clicksign.types import Authentication, Qualification
from chancela.signing.models import RequestStatus, SignatureRequest


def put_at_clicksign(
    request: SignatureRequest, client: ClicksignClient, *, activate: bool = True
) -> SignatureRequest:
    """Create the request's envelope on the emulator and record its ids, as the dispatch saga
    would (this branch does not have the saga): envelope, documents, signers, requirements,
    activation — no notification. Status becomes ``awaiting_signatures`` (``sending`` if not
    activated).
    """
    envelope = client.envelope_create(name=f"{request.title} [{request.public_id}]")
    request.clicksign_envelope_id = envelope.id
    specs: list[Qualification | Authentication] = []
    signers = list(request.signers.all())
    for signer in signers:
        remote = client.signer_create(
            envelope.id,
            name=signer.name,
            email=signer.email,
            documentation=signer.cpf,
            has_documentation=bool(signer.cpf),
            group=signer.group,
        )
        signer.clicksign_signer_id = remote.id
        signer.save(update_fields=["clicksign_signer_id"])
    for document in request.documents.all():
        with document.original_file.open("rb") as stored:
            remote_document = client.document_create(
                envelope.id, filename=document.filename, content=stored.read()
            )
        document.clicksign_document_id = remote_document.id
        document.status = "running" if activate else "pending"
        document.save(update_fields=["clicksign_document_id", "status"])
        for signer in signers:
            specs += [
                Qualification(
                    document_id=remote_document.id,
                    signer_id=signer.clicksign_signer_id,
                    role="sign",
                ),
                Authentication(
                    document_id=remote_document.id,
                    signer_id=signer.clicksign_signer_id,
                    auth="email",
                ),
            ]
    client.requirements_bulk(envelope.id, add=specs)
    if activate:
        client.envelope_activate(envelope.id)
    SignatureRequest.objects.filter(pk=request.pk).update(
        clicksign_envelope_id=envelope.id,
        status=RequestStatus.AWAITING_SIGNATURES if activate else RequestStatus.SENDING,
    )
    request.refresh_from_db()
    return request
