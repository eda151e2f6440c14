"""Measure "Documentos em assinatura" with many requests: the list page, a person search, the
counts per status, the CSV export (time and peak Python memory) and the dashboard.

Rows are bulk-inserted (2 signers each) in a throw-away test database, in 2 units plus 1 unit
the user cannot see. Usage (commands and figures in docs/benchmarks.md):
    CHANCELA_TEST_DATABASE_NAME=/tmp/bench_list.sqlite3 \
        .venv/bin/python scripts/bench_request_list.py 20000
    CHANCELA_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
        CHANCELA_TEST_DATABASE_NAME=bench_list .venv/bin/python scripts/bench_request_list.py 20000
"""

from __future__ import annotations

import os
import random
import sys
import time
import tracemalloc
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chancela.settings_test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402


def populate(total: int) -> object:
    from chancela.signing.models import RequestStatus, SignatureRequest, Signer
    from chancela.testing.factories import (
        SEND_DOCUMENTS,
        make_config,
        make_cpf,
        make_document_type,
        make_unit,
        make_user,
    )

    units = [make_unit(name=f"Unidade {n}") for n in range(3)]
    types = [make_document_type(make_config(unit)) for unit in units]
    user = make_user(units=units[:2], perms=[SEND_DOCUMENTS], username="bench")
    statuses = [str(s) for s in RequestStatus]
    rnd = random.Random(7)
    now = timezone.now()
    batch = 2000
    for start in range(0, total, batch):
        rows = []
        for n in range(start, min(total, start + batch)):
            k = n % 3
            rows.append(
                SignatureRequest(
                    unit=units[k],
                    document_type=types[k],
                    config=types[k].config,
                    environment="sandbox",
                    title=f"Contrato de matrícula {n}",
                    deadline_at=now + timedelta(days=30),
                    status=rnd.choice(statuses),
                    created_at=now - timedelta(minutes=rnd.randint(0, 60 * 24 * 90)),
                    student_name=f"Aluno Numero {n}",
                    external_id=f"ERP-{n}",
                )
            )
        created = SignatureRequest.objects.bulk_create(rows)
        if created[0].pk is None:  # SQLite < 3.35 does not return ids
            created = list(SignatureRequest.objects.order_by("-id")[: len(rows)])
        Signer.objects.bulk_create(
            Signer(
                request=request,
                name=f"Pessoa {role} {request.title[-6:]}",
                email=f"{uuid.uuid4().hex[:10]}@familia.com.br",
                cpf=make_cpf(request.pk * 2 + i),
                role=role,
                qualification="sign",
            )
            for request in created
            for i, role in enumerate(("student", "guardian"))
        )
    return user


def timed(label: str, run, repeat: int = 3) -> None:
    samples, queries = [], 0
    for _ in range(repeat):
        reset_queries()
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
        queries = len(connection.queries)
    print(f"  {label}: best {min(samples):.0f} ms, {queries} queries")  # noqa: T201


def main(total: int) -> None:
    setup_test_environment()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    settings.DEBUG = True  # count queries
    try:
        started = time.perf_counter()
        user = populate(total)
        print(  # noqa: T201
            f"{connection.vendor} ({name}): {total} requests, {2 * total} signers inserted in "
            f"{time.perf_counter() - started:.1f} s"
        )
        client = Client()
        client.force_login(user)

        def get(path: str, **params: str) -> None:
            response = client.get(path, params)
            assert response.status_code == 200, response.status_code

        timed("list, first page (25 rows + counts)", lambda: get("/solicitacoes/"))
        timed("list, page 200", lambda: get("/solicitacoes/", pagina="200"))
        timed("list, status filter", lambda: get("/solicitacoes/", situacao="signed"))
        timed("list, person search by name", lambda: get("/solicitacoes/", pessoa="guardian 12345"))
        timed("list, external id", lambda: get("/solicitacoes/", externo="ERP-1999"))
        timed("dashboard", lambda: get("/"))

        def export() -> int:
            response = client.get("/solicitacoes/exportar.csv")
            return sum(len(chunk) for chunk in response.streaming_content)

        reset_queries()
        started = time.perf_counter()
        size = export()
        elapsed = time.perf_counter() - started
        queries = len(connection.queries)
        settings.DEBUG = False
        tracemalloc.start()
        export()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(  # noqa: T201
            f"  CSV export of the user's {total * 2 // 3} rows: {elapsed:.1f} s, {queries} "
            f"queries, {size / 1e6:.1f} MB, peak Python memory {peak / 1e6:.1f} MB"
        )
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
