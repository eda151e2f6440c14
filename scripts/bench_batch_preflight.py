"""Measure the pre-flight of a 2,000-row batch: time and peak memory (RSS).

The parent process writes the CSV (2,000 rows, 60 of them with problems) and the ZIP (2,000
distinct one-page PDFs) to a temporary folder, then runs the measurement in a fresh child
process, so that the peak RSS is the pre-flight's (plus Django), not the generator's.
Measured: reading the CSV + reading the ZIP entry by entry + checking every row and every PDF
(``pdf_inspect``) + storing the PDFs + writing the batch and its rows (``batch_create``).
With ``--run`` it also times the background run (one request created per row).

Usage (a throw-away test database is created and destroyed; commands in docs/benchmarks.md):
    CHANCELA_TEST_DATABASE_NAME=/tmp/bench_batch.sqlite3 \
        .venv/bin/python scripts/bench_batch_preflight.py
    CHANCELA_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
        CHANCELA_TEST_DATABASE_NAME=bench_batches .venv/bin/python scripts/bench_batch_preflight.py
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chancela.settings_test")

ROWS = int(os.environ.get("BENCH_ROWS", "2000"))
BAD_EVERY = 33  # about 60 rows with a problem


def rss_now_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> tuple[float, float]:
    """CPU (user + system) of this process and of its reaped children (the PDF checks)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def generate(folder: Path) -> None:
    import zipfile

    import django

    django.setup()
    from chancela.batches.tests.helpers import csv_bytes, good_row
    from chancela.testing.factories import make_pdf_bytes

    rows = []
    for n in range(ROWS):
        row = good_row(n, age=15 if n % 3 else 19)
        if n % BAD_EVERY == 0:
            row["guardian_email"] = "sem-arroba"
        rows.append(row)
    (folder / "turma.csv").write_bytes(csv_bytes(rows))
    with zipfile.ZipFile(folder / "pdfs.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for row in rows:
            text = f"Contrato de rematricula {row['student_code']}"
            archive.writestr(f"{row['student_code']}.pdf", make_pdf_bytes(text=text))


def measure(folder: Path, run: bool) -> None:
    os.environ["CHANCELA_MEDIA_ROOT"] = str(folder / "media")
    import django

    django.setup()
    from django.db import connection

    from chancela.batches.selectors import batch_counts
    from chancela.batches.services import batch_create, batch_process, batch_start
    from chancela.batches.uploads import ZipReport, csv_rows_read, zip_pdfs_read
    from chancela.testing.factories import make_config, make_document_type, make_unit

    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        unit = make_unit(name="Colégio Benchmark")
        document_type = make_document_type(make_config(unit))
        csv_raw = (folder / "turma.csv").read_bytes()
        zip_path = folder / "pdfs.zip"
        baseline_now, baseline_peak = rss_now_mib(), rss_peak_mib()
        cpu_before = cpu_seconds()
        started = time.perf_counter()
        rows = csv_rows_read(csv_raw)
        report = ZipReport(notes=[])
        with zip_path.open("rb") as handle:
            batch = batch_create(
                unit=unit,
                document_type=document_type,
                title="Rematrícula 2027",
                rows=rows,
                zip_pdfs=zip_pdfs_read(handle, size=zip_path.stat().st_size, report=report),
                notes=report.notes,
            )
        elapsed = time.perf_counter() - started
        cpu = [after - before for after, before in zip(cpu_seconds(), cpu_before, strict=True)]
        counts = batch_counts(batch=batch)
        print(  # noqa: T201
            f"{connection.vendor} ({name}): pre-flight of {counts.rows} rows "
            f"({counts.with_problems} with problems; CSV {len(csv_raw) / 1024:.0f} KiB, "
            f"ZIP {zip_path.stat().st_size / 1024 / 1024:.1f} MiB) in {elapsed:.2f} s "
            f"({elapsed / counts.rows * 1000:.2f} ms/row); RSS before {baseline_now:.0f} MiB, "
            f"peak {rss_peak_mib():.0f} MiB (peak before: {baseline_peak:.0f} MiB); CPU: this "
            f"process {cpu[0]:.2f} s, PDF-checking children {cpu[1]:.2f} s; load average "
            f"{os.getloadavg()[0]:.2f}"
        )
        result = {"rows": counts.rows, "seconds": elapsed, "peak_mib": rss_peak_mib(),
                  "before_mib": baseline_now, "problems": counts.with_problems,
                  "cpu_parent": cpu[0], "cpu_children": cpu[1]}  # fmt: skip
        print("PREFLIGHT-RESULT " + json.dumps(result))  # noqa: T201
        if run:
            from chancela.batches.services import batch_exclude_rows_with_problems

            batch_exclude_rows_with_problems(batch=batch)
            batch_start(batch=batch)
            started = time.perf_counter()
            batch_process(batch_id=str(batch.public_id))
            elapsed = time.perf_counter() - started
            counts = batch_counts(batch=batch)
            print(  # noqa: T201
                f"run: {counts.created} requests created in {elapsed:.1f} s "
                f"({elapsed / max(counts.created, 1) * 1000:.1f} ms/request); "
                f"peak RSS {rss_peak_mib():.0f} MiB"
            )
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        measure(Path(sys.argv[2]), run="--run" in sys.argv)
        return
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        folder = Path(tmp)
        generate(folder)
        argv = [sys.executable, __file__, "--measure", str(folder)]
        if "--run" in sys.argv:
            argv.append("--run")
        subprocess.run(argv, check=True)  # noqa: S603


if __name__ == "__main__":
    main()
