"""API bodies go to temporary files as they arrive; documents are decoded while the JSON is read."""

from __future__ import annotations

import base64
import io
import json
import random
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings
from pydantic import BaseModel, Field, ValidationError

from chancela.api import streaming
from chancela.api.protocol import MAX_BODY_BYTES
from chancela.api.schemas import BASE64_PDF
from chancela.api.streaming import CHUNK_BYTES, MalformedBody, body_scan, body_spool
from chancela.api.tests.conftest import URL, Host, body, pdf_b64
from chancela.batches.models import Batch
from chancela.signing.models import SignatureRequest
from chancela.testing.factories import (
    make_api_key,
    make_config,
    make_document_type,
    make_pdf_bytes,
    make_unit,
)
from chancela.testing.processes import free_port, process_env, running, wait_for_http, web_process

pytestmark = pytest.mark.django_db


class CountingInput:
    """A WSGI input that produces ``size`` bytes of a JSON body (or without end) and counts
    what the server read of it."""

    def __init__(self, size: int | None = None) -> None:
        self.size = size
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            raise AssertionError("the server asked for the whole body at once")
        if self.size is not None:
            size = min(size, self.size - self.read_bytes)
        head = b'{"title": "' if self.read_bytes == 0 else b""
        chunk = (head + b"A" * size)[:size]
        self.read_bytes += len(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:
        raise AssertionError("the server read the body by lines")


def _stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _post_streamed(host: Host, stream: CountingInput, content_length: str, path: str = URL) -> Any:
    return host.client.generic(
        "POST",
        path,
        b"",
        content_type="application/json",
        **host.headers(),
        **{
            "wsgi.input": stream,
            "CONTENT_LENGTH": content_length,
            "CONTENT_TYPE": "application/json",
        },
    )


def test_it_refuses_a_chunked_body_over_the_limit_having_read_one_chunk_past_it(
    host: Host, monkeypatch
):
    monkeypatch.setattr("chancela.api.protocol.MAX_BODY_BYTES", 1024 * 1024)
    stream = CountingInput()  # no end, no Content-Length: as gunicorn hands a chunked body
    response = host.client.generic(
        "POST",
        URL,
        b"",
        content_type="application/json",
        **host.headers(),
        **{
            "wsgi.input": stream,
            "wsgi.input_terminated": True,
            "CONTENT_LENGTH": "",
            "CONTENT_TYPE": "application/json",
        },
    )
    assert response.status_code == 413, response.content
    data = response.json()
    assert data["code"] == "request_too_large" and data["field"] is None
    assert "passa do limite" in data["message"]
    assert 1024 * 1024 < stream.read_bytes <= 1024 * 1024 + CHUNK_BYTES
    assert SignatureRequest.objects.count() == 0


@pytest.mark.parametrize("path", [URL, "/api/v1/batches"])
def test_it_reads_no_more_than_a_lying_content_length_declares(host: Host, monkeypatch, path):
    # The declared length passes the up-front check; what is sent is 10x more. Only the declared
    # bytes are read (the rest is not this request's body), and they are not a JSON document.
    monkeypatch.setattr("chancela.api.protocol.MAX_BODY_BYTES", 1024 * 1024)
    stream = CountingInput(size=10 * 1024 * 1024)
    response = _post_streamed(host, stream, str(900 * 1024), path)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "malformed_json"
    assert stream.read_bytes == 900 * 1024


def test_it_counts_what_arrives_when_a_content_length_declares_more(host: Host, monkeypatch):
    monkeypatch.setattr("chancela.api.protocol.MAX_BODY_BYTES", 1024 * 1024)
    stream = CountingInput(size=100 * 1024)
    response = _post_streamed(host, stream, str(1000 * 1024))
    assert response.status_code == 400, response.content
    assert response.json()["message"].startswith("O corpo da requisição não é um JSON válido")
    assert stream.read_bytes == 100 * 1024


def test_it_refuses_an_oversized_document_while_decoding_and_stores_nothing(host: Host):
    oversize = make_pdf_bytes() + b"%" + b"0" * (10 * 1024 * 1024)
    document = {"filename": "grande.pdf", "content_base64": base64.b64encode(oversize).decode()}
    response = host.post(body(host.unit.code, host.document_type.code, documents=[document]))
    assert response.status_code == 413, response.content
    data = response.json()
    assert data["code"] == "pdf_too_large"
    assert data["field"] == "documents[0].content_base64"
    assert (
        "“grande.pdf” tem 10" in data["message"]
        and "o limite da Clicksign é 10 MB" in (data["message"])
    )
    assert SignatureRequest.objects.count() == 0
    assert _stored_files() == []


def test_it_keeps_no_more_than_the_limit_of_a_document_while_decoding(monkeypatch):
    kept: list[io.BytesIO] = []

    def recorded() -> io.BytesIO:
        kept.append(io.BytesIO())
        return kept[-1]

    monkeypatch.setattr(streaming, "_temporary_file", recorded)
    content = bytes(range(256)) * 40  # 10,240 bytes
    raw = json.dumps({"content_base64": base64.b64encode(content).decode()}).encode()
    highest: list[int] = []
    real_write = streaming._Base64Sink._write

    def write(self: Any, data: bytes) -> None:
        real_write(self, data)
        highest.append(self.written)

    monkeypatch.setattr(streaming._Base64Sink, "_write", write)
    scanned = body_scan(
        body_spool(io.BytesIO(raw).read, limit=10**6), limit=1000, chunk=64, decode_bytes=64
    )
    (document,) = scanned.documents.values()
    assert document.over_limit and document.file is None
    assert document.size == len(content)  # the size sent, for the message
    assert max(highest) <= 1000 + 3


@pytest.mark.parametrize(
    ("value", "code"),
    [("QQ=Q", "invalid_base64"), ("QUJD\nRA==", "pdf_not_pdf"), ("data:;base64,  ", "pdf_empty")],
)
def test_it_names_the_row_of_a_batch_whose_document_is_refused(host: Host, value: str, code: str):
    from chancela.batches.tests.helpers import good_row

    rows = []
    for n in range(4):
        row = {k: v for k, v in good_row(n).items() if k != "pdf"}
        row["document"] = {"filename": f"{n}.pdf", "content_base64": pdf_b64(text=f"Linha {n}")}
        rows.append(row)
    rows[3]["document"]["content_base64"] = value
    response = host.client.post(
        "/api/v1/batches",
        data=json.dumps(
            {
                "unit": host.unit.code,
                "document_type": host.document_type.code,
                "title": "Rematrícula 2027",
                "rows": rows,
            }
        ),
        content_type="application/json",
        **host.headers(),
    )
    if code in ("invalid_base64", "pdf_empty"):  # refused while decoding, as before
        assert response.status_code == 422, response.content
        assert response.json()["code"] == code
        assert response.json()["field"] == "rows[3].document.content_base64"
        assert Batch.objects.count() == 0
    else:  # a PDF problem is one of the row's problems (the pre-flight)
        assert response.status_code == 201, response.content
        problems = response.json()["rows"][3]["problems"]
        assert [p["code"] for p in problems] == [code]


def test_it_points_at_the_line_and_column_of_a_json_error_after_a_document(host: Host):
    data = body(host.unit.code, host.document_type.code)
    text = json.dumps(data, indent=2).replace('"title"', '"title" "', 1)
    expected = None
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        expected = f"linha {error.lineno}, coluna {error.colno}"
    response = host.client.post(URL, data=text, content_type="application/json", **host.headers())
    assert response.status_code == 400
    assert expected is not None and expected in response.json()["message"]


def test_it_accepts_a_data_uri_and_line_breaks_in_base64_with_escaped_slashes(host: Host):
    encoded = base64.encodebytes(make_pdf_bytes(text="Quebras")).decode()  # 76-column lines
    value = "data:application/pdf;base64," + encoded
    text = json.dumps(
        body(
            host.unit.code,
            host.document_type.code,
            documents=[{"filename": "a.pdf", "content_base64": value}],
        )
    ).replace("/", "\\/")
    response = host.client.post(URL, data=text, content_type="application/json", **host.headers())
    assert response.status_code == 201, response.content
    document = SignatureRequest.objects.get().documents.get()
    with document.original_file.open("rb") as stored:
        assert stored.read() == make_pdf_bytes(text="Quebras")


# --- the scanner against json.loads, the schema pattern and base64.b64decode -----------------


class _Pattern(BaseModel):
    value: str = Field(..., pattern=BASE64_PDF)


def _as_before(text: str) -> tuple[Any, ...]:
    """What the API made of a content_base64 string before streaming."""
    try:
        _Pattern(value=text)
    except ValidationError as error:
        return ("refused", error.errors()[0]["type"])
    value = text.partition(",")[2] if text.startswith("data:") else text
    value = "".join(value.split())
    size = len(value) * 3 // 4 - value[-2:].count("=")
    try:
        return ("ok", size, base64.b64decode(value, validate=True))
    except ValueError:
        return ("ok", size, None)


_INSERTS = [
    "\n", " ", "=", "\r\n", "\u00a0", "\x1c", "!", "é", "\ud800", "\U0001f600", "data:", ",",
    ";base64,", "\u2028", "\t", "\\", '"', "\x00", "A", "==", "\u200b", "\x0b",
]  # fmt: skip
_MUTATIONS = [
    '"', "\\", "\\u12", "\\x", "\x01", ",", ":", "}", "]", "\\ud83d", "\\ude00", "\\u0041",
    "\n", "é",
]  # fmt: skip


def _random_body(seed: int) -> bytes:
    rng = random.Random(seed)
    values = []
    for _ in range(rng.randrange(1, 4)):
        value = base64.b64encode(rng.randbytes(rng.randrange(0, 40))).decode()
        if rng.random() < 0.2:
            value = "data:application/pdf;base64," + value
        elif rng.random() < 0.7:
            chars = list(value)
            for _ in range(rng.randrange(1, 4)):
                chars.insert(rng.randrange(len(chars) + 1), rng.choice(_INSERTS))
            value = "".join(chars)
        values.append(value)
    document = {"title": "x", "documents": [{"content_base64": v} for v in values]}
    text = json.dumps(document, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 2]))
    if rng.random() < 0.3:
        text = text.replace("/", "\\/")
    if rng.random() < 0.3:
        chars = list(text)
        for _ in range(rng.randrange(1, 3)):
            at = rng.randrange(len(chars) + 1)
            if rng.random() < 0.4:
                del chars[at : at + 1]
            elif rng.random() < 0.8:
                chars.insert(at, rng.choice(_MUTATIONS))
            else:
                chars = chars[:at]
        text = "".join(chars)
    return text.encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("seed", range(0, 1200, 100))
def test_it_reads_bodies_as_json_loads_the_pattern_and_b64decode_did(seed: int):
    for case in range(seed, seed + 100):
        raw = _random_body(case)
        rng = random.Random(-case)
        try:
            expected: Any = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            expected = ("malformed", None, None)
        except json.JSONDecodeError as error:
            expected = ("malformed", error.lineno, error.colno)
        spooled = body_spool(io.BytesIO(raw).read, limit=10**6)
        try:
            scanned = body_scan(
                spooled,
                limit=10**6,
                chunk=rng.choice([1, 2, 3, 7, 64, 65536]),
                decode_bytes=rng.choice([4, 8, 12, 64]),
            )
        except MalformedBody as error:
            assert expected == ("malformed", error.line, error.column), (case, raw)
            continue
        assert not isinstance(expected, tuple), (case, raw)
        _assert_same(expected, scanned, scanned.data, (case, raw))
        scanned.close()


def _assert_same(sent: Any, scanned: Any, got: Any, case: Any) -> None:
    """``got`` is ``sent`` with each content_base64 string replaced as the API expects."""
    if isinstance(sent, list):
        assert isinstance(got, list) and len(got) == len(sent), case
        for one, other in zip(sent, got, strict=True):
            _assert_same(one, scanned, other, case)
        return
    if not isinstance(sent, dict):
        assert sent == got or (sent != sent and got != got), case  # NaN
        return
    assert isinstance(got, dict) and got.keys() == sent.keys(), case
    for key, value in sent.items():
        if key != "content_base64" or not isinstance(value, str):
            _assert_same(value, scanned, got[key], case)
            continue
        before = _as_before(value)
        if before[0] == "refused":
            with pytest.raises(ValidationError) as refusal:
                _Pattern(value=got[key])
            assert refusal.value.errors()[0]["type"] == before[1], case
            continue
        _Pattern(value=got[key])
        decoded = scanned.documents[got[key]]
        assert decoded.size == before[1], case
        assert decoded.base64_ok == (before[2] is not None), case
        if before[2] is not None:
            assert decoded.file is not None and decoded.file.read() == before[2], case


# --- a real web worker's memory while it takes ten ~9 MB PDFs in one body -----------------------

# The bound this test states: the gunicorn worker's peak RSS grows by less than this while it
# accepts a 120 MB body of ten 9 MB PDFs (the inspection runs in forked children, not counted).
WORKER_GROWTH_BOUND_KB = 40 * 1024


def _padded_pdf(size: int, mark: bytes) -> bytes:
    """A valid one-page PDF of about ``size`` bytes (a comment padding its content stream)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    stream = DecodedStreamObject()
    stream.set_data(b"%" + mark * (size // len(mark)) + b"\n")
    page[NameObject("/Contents")] = writer._add_object(stream)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def _worker_pid(master: int) -> int:
    """The one worker of a gunicorn master (it answers once the worker is up)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def _api_headers_for_a_unit() -> dict[str, str]:
    """JSON headers with an API key of unit CENTRO, which sends CONTRATO documents."""
    unit = make_unit(code="CENTRO")
    make_document_type(make_config(unit), code="CONTRATO")
    _, key = make_api_key(units=[unit])
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_it_keeps_a_web_worker_memory_bounded_while_accepting_ten_9_mb_pdfs(tmp_path: Path):
    headers = _api_headers_for_a_unit()
    documents = [
        {
            "filename": f"historico-{n}.pdf",
            "content_base64": base64.b64encode(_padded_pdf(9 * 1000 * 1000, b"%02d" % n)).decode(),
        }
        for n in range(10)
    ]
    big = json.dumps(body("CENTRO", "CONTRATO", external_id="MAT-GRANDE", documents=documents))
    del documents
    small = json.dumps(body("CENTRO", "CONTRATO", external_id="MAT-PEQUENO"))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(web_process(port, tmp_path, process_env(), workers=1)) as (web,):
        wait_for_http(f"{base}/api/v1/openapi.json", process=web)
        assert web.popen is not None
        worker = _worker_pid(web.popen.pid)
        with httpx.Client(base_url=base, timeout=300, headers=headers) as client:
            warm_up = client.post("/api/v1/signature-requests", content=small)
            assert warm_up.status_code == 201, warm_up.text
            before = _peak_rss_kb(worker)
            response = client.post("/api/v1/signature-requests", content=big)
            after = _peak_rss_kb(worker)
    assert response.status_code == 201, response.text[:2000]
    assert len(response.json()["documents"]) == 10
    assert sum(d["size"] for d in response.json()["documents"]) > 90 * 1000 * 1000
    assert after - before < WORKER_GROWTH_BOUND_KB, (before, after)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_it_takes_a_chunked_body_through_gunicorn_and_refuses_one_over_the_limit(tmp_path: Path):
    headers = _api_headers_for_a_unit()
    payload = json.dumps(body("CENTRO", "CONTRATO", external_id="MAT-CHUNKED")).encode()

    def pieces(data: bytes):  # a generator: httpx sends it chunked, without Content-Length
        for start in range(0, len(data), 1000):
            yield data[start : start + 1000]

    def endless():
        yield b'{"title": "'
        for _ in range(MAX_BODY_BYTES // CHUNK_BYTES + 10):
            yield b"A" * CHUNK_BYTES

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(web_process(port, tmp_path, process_env(), workers=1)) as (web,):
        wait_for_http(f"{base}/api/v1/openapi.json", process=web)
        with httpx.Client(base_url=base, timeout=300, headers=headers) as client:
            created = client.post("/api/v1/signature-requests", content=pieces(payload))
            try:
                refused = client.post("/api/v1/signature-requests", content=endless())
            except httpx.TransportError:  # the server may close before the client stops sending
                refused = None
    assert created.status_code == 201, created.text
    assert SignatureRequest.objects.filter(external_id="MAT-CHUNKED").exists()
    if refused is not None:
        assert refused.status_code == 413, refused.text[:500]
        assert refused.json()["code"] == "request_too_large"
    assert "request_too_large" in web.log() or "413" in web.log()
