"""The dispatch saga: create envelope -> documents -> signers -> requirements -> activate -> notify.

NOT IMPLEMENTED YET — issue 4 part B replaces this module's body. What part A leaves ready for it:
the request (status ``queued``), its ``Document`` rows (original PDF + SHA-256 in storage), its
``Signer`` rows (qualification, group, channel, auths) and one ``SignerRequirement`` row per
(signer, document, requirement) to send in bulk and to record Clicksign ids on; the job
``chancela.signing.tasks.dispatch_signature_request`` is enqueued with the request.
"""

from __future__ import annotations


def signature_request_dispatch(*, request_id: str) -> None:
    """Run (or resume) the dispatch of one request, given its public id."""
    raise NotImplementedError("dispatch saga: issue 4 part B")
