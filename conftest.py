"""Project-wide pytest setup."""

import pytest

# Clicksign emulator fixtures (clicksign_emulator, emulated_config, clicksign_client).
pytest_plugins = ["chancela.clicksign.testing"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    # Stored files (originals, signed PDFs) go to a fresh folder per test.
    settings.MEDIA_ROOT = tmp_path / "files"
