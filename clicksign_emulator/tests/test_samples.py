"""The sample payloads under clicksign_emulator/samples/ match what the emulator produces."""

import hashlib
import hmac
import json

from clicksign_emulator.samples import SAMPLES_DIR, generate


def test_it_keeps_the_sample_payloads_in_sync_with_the_emulator():
    generated = generate()
    on_disk = {
        str(path.relative_to(SAMPLES_DIR)): path.read_bytes()
        for path in SAMPLES_DIR.rglob("*.json")
    }
    assert sorted(on_disk) == sorted(generated), "run: python -m clicksign_emulator.samples --write"
    for name, content in generated.items():
        assert on_disk[name] == content, (
            f"{name} drifted: python -m clicksign_emulator.samples --write"
        )


def test_it_ships_webhook_samples_whose_hmac_verifies():
    index = json.loads((SAMPLES_DIR / "webhooks" / "index.json").read_text())
    assert set(index["events"]) >= {
        "upload", "add_signer", "signature_started", "sign", "auto_close", "document_closed",
        "refusal", "cancel", "close", "deadline", "remove_signer",
    }  # fmt: skip
    for name, entry in index["events"].items():
        body = (SAMPLES_DIR / "webhooks" / entry["file"]).read_bytes()
        expected = "sha256=" + hmac.new(index["secret"].encode(), body, hashlib.sha256).hexdigest()
        assert entry["content_hmac"] == expected
        assert json.loads(body)["event"]["name"] == name
