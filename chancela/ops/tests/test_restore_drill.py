"""The restore drill of docs/deploy.md: back up (deploy/backup.sh), wipe the database and the
files, restore (deploy/restore.sh), and the signed PDF downloads with the same SHA-256.
PostgreSQL only (the scripts use pg_dump / pg_restore)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess

import httpx
import pytest
from django.db import connection

from chancela.callbacks.tests.conftest import cb, cb_emulator, deliver, run_jobs  # noqa: F401
from chancela.signing.models import Document
from chancela.testing.factories import make_api_key
from chancela.testing.processes import (
    REPO_ROOT,
    free_port,
    process_env,
    running,
    wait_for_http,
    web_process,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def script(name: str, *args: str, env: dict[str, str]) -> str:
    done = subprocess.run(  # noqa: S603 - our own scripts
        ["sh", str(REPO_ROOT / "deploy" / name), *args], env=env, capture_output=True, text=True,  # noqa: S607
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_it_restores_a_backup_whose_signed_pdf_downloads_with_the_same_sha256(
    cb,  # noqa: F811
    client,
    settings,
    tmp_path,
):
    if connection.vendor != "postgresql":
        pytest.skip("the backup scripts use pg_dump / pg_restore: PostgreSQL pass only")
    if shutil.which("pg_dump") is None:
        pytest.fail("pg_dump is not installed (apt-get install postgresql-client)")
    request = cb.send()
    cb.emulator.control.sign(request.signers.get().clicksign_signer_id)
    for received in cb.deliveries():
        assert deliver(client, received) == 200
    run_jobs()
    document = Document.objects.get(request=request)
    assert document.signed_sha256
    _, key = make_api_key(units=[request.unit])
    env = process_env(CHANCELA_MEDIA_ROOT=str(settings.MEDIA_ROOT))

    folder = script("backup.sh", str(tmp_path / "backups"), env=env).strip().splitlines()[-1]

    # Wipe: every table and every stored file.
    connection.close()
    subprocess.run(  # noqa: S603
        ["psql", env["CHANCELA_DATABASE_URL"], "-v", "ON_ERROR_STOP=1", "-qc",  # noqa: S607
         "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"],
        check=True, capture_output=True,
    )  # fmt: skip
    shutil.rmtree(settings.MEDIA_ROOT)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('signing_document')")
        assert cursor.fetchone()[0] is None

    script("restore.sh", folder, env=env)

    port = free_port()
    web = web_process(port, tmp_path, env, workers=1)
    with running(web):
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process=web, timeout=180)
        response = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/signature-requests/{request.public_id}"
            f"/documents/{document.public_id}/signed",
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
    assert response.status_code == 200, response.text
    assert hashlib.sha256(response.content).hexdigest() == document.signed_sha256
