"""Time chancela.core.pdf.pdf_inspect on typical and worst-case PDFs.

Run: .venv/bin/python scripts/bench_pdf_checks.py
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chancela.settings_test")

import django  # noqa: E402

django.setup()

from chancela.core import pdf  # noqa: E402
from chancela.core.pdf import MAX_DOCUMENT_BYTES, PdfError, pdf_inspect  # noqa: E402
from chancela.testing.factories import make_pdf_bomb, make_pdf_bytes  # noqa: E402


def padded(size: int) -> bytes:
    from io import BytesIO

    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    stream = DecodedStreamObject()
    stream.set_data(b"%" + b"0" * (size - 1000) + b"\n")
    page[NameObject("/Contents")] = writer._add_object(stream)
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


CASES = {
    "1 page": make_pdf_bytes(1),
    "200 pages": make_pdf_bytes(200),
    "2000 pages": make_pdf_bytes(2000),
    "~10 MiB, 1 page": padded(MAX_DOCUMENT_BYTES),
    "bomb 12 x 70 MB": make_pdf_bomb(streams=12, inflated_bytes=70_000_000),
}

for isolate in (True, False):
    pdf.ISOLATE = isolate
    sys.stdout.write("forked child\n" if isolate else "in-process\n")
    for name, data in CASES.items():
        runs = 5
        start = time.perf_counter()
        for _ in range(runs):
            with contextlib.suppress(PdfError):  # the bomb is refused
                pdf_inspect(data, filename="bench.pdf")
        elapsed = (time.perf_counter() - start) / runs
        sys.stdout.write(f"{name:<18} {len(data) / 1024:>9.0f} KiB  {elapsed * 1000:8.1f} ms\n")
