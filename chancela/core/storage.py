"""Stored files (originals, signed PDFs) go through Django's storage API only.

The default storage is the local folder (`CHANCELA_MEDIA_ROOT`); a deployment with more than
one host sets `CHANCELA_STORAGE=s3` and the `CHANCELA_S3_*` variables to share an S3-compatible
object store (django-storages). Nothing in Chancela may assume a local path.
"""

from __future__ import annotations

from typing import IO, Any

from django.db.models.fields.files import FieldFile


def stored_file_stream(file: FieldFile) -> IO[bytes]:
    """A file object that reads a stored file as it arrives, for `FileResponse`.

    django-storages' `S3File` downloads the whole object into a temporary file on first read;
    for a download we hand out the object's body stream instead, so the first bytes leave as
    soon as the object store sends them. Other storages' files already stream.
    """
    opened: Any = file.storage.open(str(file.name), "rb")
    obj = getattr(opened, "obj", None)  # S3File: the boto3 Object, already checked to exist
    if obj is not None and hasattr(obj, "get"):
        body: IO[bytes] = obj.get()["Body"]
        return body
    stream: IO[bytes] = opened
    return stream
