"""An S3-compatible object store for tests: moto's server on loopback, one bucket per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chancela.testing.processes import free_port

REGION = "us-east-1"
ACCESS_KEY = "testing-access-key"
SECRET_KEY = "testing-secret-key"  # noqa: S105 - moto accepts any


@dataclass
class ObjectStore:
    endpoint_url: str
    bucket: str
    client: Any  # boto3 S3 client

    def env(self) -> dict[str, str]:
        """The CHANCELA_* variables a Chancela process needs to use this bucket."""
        return {
            "CHANCELA_STORAGE": "s3",
            "CHANCELA_S3_BUCKET": self.bucket,
            "CHANCELA_S3_ENDPOINT_URL": self.endpoint_url,
            "CHANCELA_S3_REGION": REGION,
            "CHANCELA_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "CHANCELA_S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "CHANCELA_S3_ADDRESSING_STYLE": "path",
        }

    def storages(self) -> dict[str, dict[str, Any]]:
        return {
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": self.bucket,
                    "endpoint_url": self.endpoint_url,
                    "region_name": REGION,
                    "access_key": ACCESS_KEY,
                    "secret_key": SECRET_KEY,
                    "addressing_style": "path",
                    "file_overwrite": False,
                    "default_acl": None,
                },
            },
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }

    def object_names(self) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def object_store_create(endpoint_url: str) -> ObjectStore:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    bucket = f"chancela-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    return ObjectStore(endpoint_url, bucket, client)


@pytest.fixture
def object_store(moto_endpoint: str, settings: Any) -> ObjectStore:
    """A fresh bucket, and Django's default storage pointed at it for this test."""
    store = object_store_create(moto_endpoint)
    settings.STORAGES = store.storages()
    return store
