"""Uploads go to temporary files as they arrive, with their size limits applied while reading.

Django's own handlers keep small files in memory and only check sizes after the whole body was
read. This one handler (``FILE_UPLOAD_HANDLERS``) writes every file to a temporary file chunk
by chunk and:
- refuses a request whose declared ``Content-Length`` (or, for a chunked body, the bytes that
  actually arrived) passes ``CHANCELA_UPLOAD_MAX_REQUEST_BYTES`` — a 400 before anything is kept;
- keeps at most one byte more than the field's limit of each file (``CHANCELA_UPLOAD_FIELD_LIMITS``,
  else ``CHANCELA_UPLOAD_MAX_FILE_BYTES``) and drops the rest as it arrives, while the file's
  ``size`` stays the size that was sent: the form or service that owns the field refuses it with
  its own Portuguese message ("tem 30 MB; o limite é 10 MB"), and neither memory nor disk grows
  with what an uploader sends.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import TemporaryFileUploadHandler


class LimitedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.received = 0
        self.kept = 0
        self.limit = 0

    def handle_raw_input(
        self,
        input_data: Any,
        META: Any,
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> None:
        if content_length > settings.CHANCELA_UPLOAD_MAX_REQUEST_BYTES:
            raise RequestDataTooBig("Upload larger than CHANCELA_UPLOAD_MAX_REQUEST_BYTES.")
        return None

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, *args, **kwargs)
        limits = settings.CHANCELA_UPLOAD_FIELD_LIMITS
        self.limit = limits.get(field_name, settings.CHANCELA_UPLOAD_MAX_FILE_BYTES)
        self.kept = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.CHANCELA_UPLOAD_MAX_REQUEST_BYTES:
            raise RequestDataTooBig("Upload larger than CHANCELA_UPLOAD_MAX_REQUEST_BYTES.")
        room = self.limit + 1 - self.kept
        if room <= 0:
            return None
        chunk = raw_data[:room]
        self.kept += len(chunk)
        super().receive_data_chunk(chunk, start)
        return None
