"""Uploads stream to temporary files with their limits applied as the bytes arrive."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import RequestDataTooBig
from django.http.multipartparser import MultiPartParser
from django.test import RequestFactory

from chancela.core.uploads import LimitedTemporaryFileUploadHandler

BOUNDARY = "chancela-boundary"


def _multipart(field: str, filename: str, content: bytes) -> bytes:
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        + content
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def _parse(body: bytes, *, declared: int | None = None):
    request = RequestFactory().post("/", data=b"", content_type="multipart/form-data")
    meta = {
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        "CONTENT_LENGTH": str(len(body) if declared is None else declared),
    }
    handler = LimitedTemporaryFileUploadHandler(request)
    return MultiPartParser(meta, io.BytesIO(body), [handler]).parse()


def test_it_keeps_one_byte_over_the_limit_on_disk_and_reports_the_size_sent(settings):
    settings.CHANCELA_UPLOAD_MAX_FILE_BYTES = 100_000
    sent = b"%PDF-" + b"x" * 1_000_000
    _, files = _parse(_multipart("documents", "grande.pdf", sent))
    upload = files["documents"]
    assert upload.size == len(sent)  # what the form's message will say
    upload.seek(0, io.SEEK_END)
    assert upload.tell() == 100_001  # what was kept: the rest was dropped as it arrived
    assert upload.temporary_file_path()  # on disk, never in memory


def test_it_applies_the_field_limits(settings):
    settings.CHANCELA_UPLOAD_MAX_FILE_BYTES = 10
    settings.CHANCELA_UPLOAD_FIELD_LIMITS = {"zip_file": 1000}
    _, files = _parse(_multipart("zip_file", "lote.zip", b"PK" + b"z" * 500))
    upload = files["zip_file"]
    upload.seek(0, io.SEEK_END)
    assert upload.tell() == 502


def test_it_refuses_a_request_declared_larger_than_the_cap_before_reading_it(settings):
    settings.CHANCELA_UPLOAD_MAX_REQUEST_BYTES = 1000
    with pytest.raises(RequestDataTooBig):
        _parse(_multipart("documents", "a.pdf", b"%PDF-"), declared=10_000)


def test_it_refuses_more_bytes_than_the_cap_when_the_length_lies(settings):
    settings.CHANCELA_UPLOAD_MAX_REQUEST_BYTES = 5000
    body = _multipart("documents", "a.pdf", b"%PDF-" + b"x" * 20_000)
    with pytest.raises(RequestDataTooBig):
        _parse(body, declared=4000)
