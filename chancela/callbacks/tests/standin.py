"""# DISPATCH STAND-IN — drives envelope creation until the dispatch saga (branch `dispatch`) is
merged into main. It creates, through our Clicksign client, the envelope a dispatched request
would have (documents with the ``chancela_request``/``chancela_document`` metadata the saga
uses, signers, requirements in bulk), activates and notifies it, records the Clicksign ids on
our rows and moves the request to ``awaiting_signatures`` with ``request_status_set``.
It is test code only; production sends requests with the saga.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from chancela.clicksign.client import ClicksignClient
from chancela.clicksign.types import Authentication, Qualification
from chancela.signing.models import (
    Document,
    DocumentStatus,
    RequestEvent,
    RequestStatus,
    RequirementAction,
    SignatureRequest,
    Signer,
    SignerRequirement,
)
from chancela.signing.transitions import request_status_set


def dispatch_standin(  # DISPATCH STAND-IN
    request: SignatureRequest,
    client: ClicksignClient,
    *,
    refusable: bool = False,
    deadline_days: int = 30,
    deadline_partial_signature_action: str | None = None,
) -> SignatureRequest:
    deadline = timezone.now() + timedelta(days=deadline_days)
    extra = {}
    if deadline_partial_signature_action:
        extra["deadline_partial_signature_action"] = deadline_partial_signature_action
    envelope = client.envelope_create(
        name=f"{request.title} [{request.public_id}] {uuid.uuid4().hex[:6]}",
        deadline_at=deadline,
        **extra,
    )
    documents = {}
    for document in request.documents.all():
        with document.original_file.open("rb") as handle:
            content = handle.read()
        remote = client.document_create(
            envelope.id,
            filename=document.filename,
            content=content,
            metadata={
                "chancela_request": str(request.public_id),
                "chancela_document": str(document.public_id),
            },
        )
        documents[document.pk] = remote.id
    signers = {}
    for signer in request.signers.all():
        remote_signer = client.signer_create(
            envelope.id,
            name=signer.name,
            email=signer.email,
            documentation=signer.cpf or None,
            birthday=signer.birth_date or date(1990, 1, 1),
            refusable=refusable,
            group=signer.group,
        )
        signers[signer.pk] = remote_signer.id
    specs: list[Qualification | Authentication] = []
    for requirement in SignerRequirement.objects.filter(request=request):
        document_id = documents[requirement.document_id]
        signer_id = signers[requirement.signer_id]
        if requirement.action == RequirementAction.QUALIFICATION:
            specs.append(
                Qualification(document_id=document_id, signer_id=signer_id, role=requirement.value)
            )
        else:
            specs.append(
                Authentication(document_id=document_id, signer_id=signer_id, auth=requirement.value)
            )
    client.requirements_bulk(envelope.id, add=specs)
    with transaction.atomic():
        SignatureRequest.objects.filter(pk=request.pk).update(clicksign_envelope_id=envelope.id)
        for pk, remote_id in documents.items():
            Document.objects.filter(pk=pk).update(
                clicksign_document_id=remote_id, status=DocumentStatus.RUNNING
            )
        for pk, remote_id in signers.items():
            Signer.objects.filter(pk=pk).update(clicksign_signer_id=remote_id)
    client.envelope_activate(envelope.id)
    client.notify_envelope(envelope.id)
    request_status_set(
        request_id=request.pk,
        status=RequestStatus.AWAITING_SIGNATURES,
        source=RequestEvent.Source.CHANCELA,
        kind="envelope_activated",
        message="Envelope ativado na Clicksign (stand-in de teste do envio).",
    )
    request.refresh_from_db()
    return request
