"""Stored files through the storage API: an S3-compatible object store (moto's server)."""

from __future__ import annotations

import hashlib

from django.urls import reverse

from chancela.callbacks.tests.conftest import cb, cb_emulator, deliver, run_jobs  # noqa: F401
from chancela.signing.models import Document
from chancela.testing.factories import SEND_DOCUMENTS, make_user
from chancela.testing.s3 import moto_endpoint, object_store  # noqa: F401


def test_it_archives_and_streams_pdfs_from_the_object_store(
    object_store,  # noqa: F811
    cb,  # noqa: F811
    client,
    settings,
):
    request = cb.send()
    document = request.documents.get()
    assert object_store.object_names() == [document.original_file.name]
    cb.emulator.control.sign(request.signers.get().clicksign_signer_id)
    for received in cb.deliveries():
        assert deliver(client, received) == 200
    run_jobs()
    document = Document.objects.get(pk=document.pk)
    assert document.signed_file.name in object_store.object_names()
    # Nothing was written to the local folder.
    assert not [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]

    client.force_login(make_user(units=[request.unit], perms=[SEND_DOCUMENTS]))
    url = reverse(
        "signing:document_download",
        args=[request.public_id, document.public_id, "assinado"],
    )
    response = client.get(url)
    assert response.status_code == 200
    assert response.streaming
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == document.signed_sha256
    assert body.startswith(b"%PDF")
